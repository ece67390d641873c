// SPDX-License-Identifier: MIT
/*
 * Virtual switches: locking, inboxes and uplinks around the pure
 * forwarding logic of hyp/vdev/vswitch.c (contract in vnet.h).
 */
#include "core/vnet.h"
#include "core/console.h"
#include "core/hostdev.h"
#include "core/irq.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "drivers/virtio_net_phys.h"
#include "lib/printf.h"
#include "lib/string.h"

#define AGEING_NS   (300ULL * 1000000000ULL) /* forget a MAC after 5 minutes of silence */
#define UPLINK_POLL 32                       /* frames per uplink per poll */

struct vnet_switch {
	struct spinlock lock; /* sw */
	struct vswitch sw;
	struct vnet_port *ports[VSWITCH_MAX_PORTS]; /* NULL for the uplink port */
	struct vnet_phys *uplink;
	int uplink_port;                /* -1 = none */
	uint32_t inflight;              /* CPUs forwarding or delivering on it right now (atomic) */
	struct spinlock uplink_rx_lock; /* one poller at a time */
	uint32_t uplink_irq;            /* host interrupt of the uplink NIC, 0 = polled */
	uint64_t uplink_irqs;           /* its interrupts handled (atomic) */
	char irq_name[VSWITCH_NAME_LEN + 8];
};

static struct vnet_switch switches[CFG_MAX_SWITCHES];
static unsigned nr_switches;

static void uplink_irq(void *arg);

int vnet_init(const struct hyp_config *cfg)
{
	for (unsigned i = 0; i < cfg->nr_switches && i < CFG_MAX_SWITCHES; i++) {
		const struct switch_config *sc = &cfg->switches[i];
		struct vnet_switch *s = &switches[i];
		spin_init(&s->lock);
		spin_init(&s->uplink_rx_lock);
		vswitch_init(&s->sw, sc->name, AGEING_NS);
		s->uplink_port = -1;
		nr_switches = i + 1;
		if (sc->uplink_slot < 0)
			continue;
		const char *why = "";
		struct vnet_phys *nic =
		    hostdev_claim_nic((unsigned)sc->uplink_slot, sc->name, &why);
		if (!nic) {
			/* The switch still connects its VMs; only the way out is missing. */
			pr_err("switch %s: uplink virtio-mmio slot %d: %s; running without uplink",
			       sc->name, sc->uplink_slot, why);
			continue;
		}
		int port = vswitch_add_port(&s->sw, true);
		if (port < 0)
			return port;
		s->uplink = nic;
		s->uplink_port = port;
		uint8_t mac[6];
		vnet_phys_mac(nic, mac);
		/* Received frames raise the slot's interrupt; the console tick polls as a fallback.
		 */
		uint32_t irq = hostdev_irq((unsigned)sc->uplink_slot);
		fv_snprintf(s->irq_name, sizeof(s->irq_name), "uplink %s", sc->name);
		/* Movable: the handler takes only switch, inbox and VM device locks (any CPU). */
		bool irq_ok = irq && irq_register_named(irq, uplink_irq, s, s->irq_name, true) == 0;
		if (irq_ok) { /* receive queue: interrupt on every used buffer */
			s->uplink_irq = irq;
			vphys_set_interrupts(&nic->dev, 0, true);
		}
		pr_info("switch %s: uplink on virtio slot %d (%02x:%02x:%02x:%02x:%02x:%02x), %s, "
		        "mtu %u",
		        sc->name, sc->uplink_slot, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
		        irq_ok ? "interrupt-driven" : "polled", nic->mtu ? nic->mtu : 1500u);
	}
	return 0;
}

int vnet_switch_find(const char *name)
{
	for (unsigned i = 0; i < nr_switches; i++)
		if (strcmp(switches[i].sw.name, name) == 0)
			return (int)i;
	return -FV_ENOENT;
}

const char *vnet_switch_name(unsigned i)
{
	return i < nr_switches ? switches[i].sw.name : NULL;
}

int vnet_port_attach(struct vnet_port *p, unsigned sw_index, void *owner,
                     void (*deliver)(struct vnet_port *p))
{
	if (sw_index >= nr_switches)
		return -FV_ENOENT;
	struct vnet_switch *s = &switches[sw_index];
	spin_init(&p->inbox_lock);
	vswitch_pktq_init(&p->inbox, p->slots, VNET_INBOX_SLOTS);
	p->owner = owner;
	p->deliver = deliver;
	p->sw = s;
	spin_lock(&s->lock);
	int port = vswitch_add_port(&s->sw, false);
	if (port >= 0) {
		p->port = (unsigned)port;
		s->ports[port] = p;
		/* Down until the VM's driver brings the NIC up. */
		vswitch_port_set_enabled(&s->sw, p->port, false);
	}
	spin_unlock(&s->lock);
	return port < 0 ? port : 0;
}

void vnet_port_detach(struct vnet_port *p)
{
	struct vnet_switch *s = p->sw;
	if (!s)
		return;
	spin_lock(&s->lock);
	if (s->ports[p->port] == p) {
		s->ports[p->port] = NULL;
		vswitch_remove_port(&s->sw, p->port);
	}
	spin_unlock(&s->lock);
	/*
	 * Grace period: a sender that read ports[] before the removal may still
	 * be copying into this port's inbox or calling its deliver hook.
	 */
	while (__atomic_load_n(&s->inflight, __ATOMIC_ACQUIRE) != 0)
		__asm__ volatile("" ::: "memory");
	p->sw = NULL;
}

void vnet_port_set_enabled(struct vnet_port *p, bool enabled)
{
	struct vnet_switch *s = p->sw;
	spin_lock(&s->lock);
	vswitch_port_set_enabled(&s->sw, p->port, enabled);
	spin_unlock(&s->lock);
	/*
	 * The driver came up on this CPU, which runs the VM now: frames from the uplink are
	 * handled here, so its interrupt and the guest's receive interrupt meet on one CPU
	 * (no IPI to inject it). The last VM to come up wins; a VM that later runs elsewhere
	 * still gets its frames, by an IPI as before.
	 */
	if (enabled && s->uplink_irq)
		irq_set_cpu(s->uplink_irq, cpu_this()->id);
	if (!enabled) {
		spin_lock(&p->inbox_lock);
		while (vswitch_pktq_count(&p->inbox))
			vswitch_pktq_pop(&p->inbox);
		spin_unlock(&p->inbox_lock);
	}
}

/*
 * Copy a frame into the inboxes of @mask's ports (or the uplink NIC's buffer); returns the
 * ports to flush: VM ports to deliver to, and the uplink's bit when a frame awaits its kick.
 *
 * Why each copy stays: a frame from a guest is copied once per destination, from the guest's
 * transmit buffers straight into the inbox slot or the NIC's DMA slot; the guest gets its
 * buffers back when the switch is done, so neither another guest nor the device ever sees
 * memory the sender can still change. A frame from the uplink is copied once, from the NIC's
 * receive buffer into the inbox: the buffer goes back to the device at once (a destination
 * VM may take its time to post receive buffers), and a flooded frame goes to several inboxes.
 * The inbox to guest copy is the receive itself.
 */
static uint32_t fan_out(struct vnet_switch *s, uint32_t mask, const struct vnet_frame *f)
{
	uint32_t flush = 0;
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		if (!(mask & (1U << i)))
			continue;
		if ((int)i == s->uplink_port) {
			/* A busy NIC drops the frame; the driver counts it (vnet_phys_stats). */
			if (vnet_phys_send_fill(s->uplink, f->len, f->fill, f->src, true) == 0)
				flush |= 1U << i;
			continue;
		}
		struct vnet_port *d = s->ports[i];
		if (!d)
			continue;
		spin_lock(&d->inbox_lock);
		int ret = vswitch_pktq_push_fill(&d->inbox, f->len, f->fill, f->src);
		spin_unlock(&d->inbox_lock);
		if (ret == 0)
			flush |= 1U << i;
	}
	return flush;
}

/* A frame entering @s on @in_port: forwarded and queued; returns the ports to flush. */
static uint32_t switch_frame(struct vnet_switch *s, unsigned in_port, const struct vnet_frame *f)
{
	/* Counted before ports[] can be read: vnet_port_detach waits for it. */
	__atomic_fetch_add(&s->inflight, 1, __ATOMIC_ACQ_REL);
	spin_lock(&s->lock);
	/* f->hdr is a private copy: the frame's header cannot change under the decision. */
	uint32_t mask = vswitch_forward(&s->sw, in_port, f->hdr, f->len, time_now_ns());
	spin_unlock(&s->lock);
	uint32_t flush = mask ? fan_out(s, mask, f) : 0;
	__atomic_fetch_sub(&s->inflight, 1, __ATOMIC_ACQ_REL);
	return flush;
}

/* Deliver queued frames into the VM ports of @mask, kick the uplink (no device lock held). */
static void deliver_ports(struct vnet_switch *s, uint32_t mask)
{
	__atomic_fetch_add(&s->inflight, 1, __ATOMIC_ACQ_REL);
	if (s->uplink_port >= 0 && (mask & (1U << s->uplink_port)))
		vnet_phys_kick(s->uplink);
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		struct vnet_port *d = __atomic_load_n(&s->ports[i], __ATOMIC_ACQUIRE);
		if ((mask & (1U << i)) && d)
			d->deliver(d);
	}
	__atomic_fetch_sub(&s->inflight, 1, __ATOMIC_ACQ_REL);
}

void vnet_port_send(struct vnet_port *p, const struct vnet_frame *f)
{
	if (f->len < VSWITCH_ETH_HLEN || !f->hdr || !f->fill)
		return;
	p->pending |= switch_frame(p->sw, p->port, f);
}

void vnet_port_flush(struct vnet_port *p, uint32_t pending)
{
	/* Never the sender itself (the switch never forwards to the input port). */
	deliver_ports(p->sw, pending & ~(1U << p->port));
}

void vnet_port_drain(struct vnet_port *p, int (*fn)(void *ctx, const uint8_t *f, size_t n),
                     void *ctx)
{
	spin_lock(&p->inbox_lock);
	const uint8_t *f;
	size_t n;
	while (vswitch_pktq_peek(&p->inbox, &f, &n)) {
		/* Dropped or delivered: either way the frame leaves the inbox; "no buffer" keeps
		 * it. */
		if (fn(ctx, f, n) == -FV_EAGAIN)
			break;
		vswitch_pktq_pop(&p->inbox);
	}
	spin_unlock(&p->inbox_lock);
}

struct uplink_rx {
	struct vnet_switch *s;
	uint32_t flush;
};

/* Fill from a linear frame: src is its struct vnet_frame, whose hdr is the whole frame. */
static size_t linear_fill(const void *src, uint8_t *dst)
{
	const struct vnet_frame *f = src;
	memcpy(dst, f->hdr, f->len);
	return f->len;
}

static void uplink_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct uplink_rx *u = ctx;
	/* The harvested buffer is ours until re-posted (vnet_phys_poll): nothing changes it. */
	struct vnet_frame f = {frame, len, linear_fill, NULL};
	f.src = &f;
	u->flush |= switch_frame(u->s, (unsigned)u->s->uplink_port, &f);
}

/* Take up to @rounds batches of received frames from @s's uplink into its ports. */
static void poll_uplink(struct vnet_switch *s, unsigned rounds)
{
	if (!s->uplink || !spin_trylock(&s->uplink_rx_lock))
		return;
	struct uplink_rx u = {s, 0};
	for (unsigned r = 0; r < rounds; r++)
		if (vnet_phys_poll(s->uplink, uplink_frame, &u, UPLINK_POLL) < UPLINK_POLL)
			break; /* ring empty */
	spin_unlock(&s->uplink_rx_lock);
	deliver_ports(s, u.flush);
}

static void uplink_irq(void *arg)
{
	struct vnet_switch *s = arg;
	vphys_ack_interrupt(&s->uplink->dev);
	/*
	 * One interrupt per batch: while we drain, the device does not interrupt for the
	 * frames it adds (we take them in this poll). Re-enabled before the last look, so
	 * a frame used after that look interrupts again (set_interrupts orders the flag
	 * before our read of the used ring).
	 */
	vphys_set_interrupts(&s->uplink->dev, 0, false);
	poll_uplink(s, 8);
	vphys_set_interrupts(&s->uplink->dev, 0, true);
	poll_uplink(s, 8);
	__atomic_fetch_add(&s->uplink_irqs, 1, __ATOMIC_RELAXED);
}

void vnet_poll_uplinks(void)
{
	for (unsigned i = 0; i < nr_switches; i++) {
		poll_uplink(&switches[i], 1);
		/* Belt and braces: frames posted deferred whose batch end never kicked. */
		if (switches[i].uplink)
			vnet_phys_kick(switches[i].uplink);
	}
}

void vnet_describe(void (*out)(const char *line))
{
	char line[160];
	for (unsigned i = 0; i < nr_switches; i++) {
		struct vnet_switch *s = &switches[i];
		spin_lock(&s->lock);
		unsigned learned = 0;
		for (unsigned k = 0; k < VSWITCH_FDB_SIZE; k++)
			learned += s->sw.fdb[k].valid;
		fv_snprintf(line, sizeof(line),
		            "switch %s: %u port(s), %u MAC(s) learnt, %lu flooded, %lu dropped%s",
		            s->sw.name, s->sw.nports, learned, (unsigned long)s->sw.floods,
		            (unsigned long)s->sw.drops, s->uplink ? ", uplink" : "");
		spin_unlock(&s->lock);
		out(line);
		if (!s->uplink)
			continue;
		struct vnet_phys_stats st;
		vnet_phys_stats(s->uplink, &st);
		fv_snprintf(
		    line, sizeof(line),
		    "switch %s uplink: irq %u on cpu %u (%lu handled), rx %lu frames, tx %lu "
		    "frames in %lu kicks, %lu dropped",
		    s->sw.name, s->uplink_irq, irq_cpu(s->uplink_irq),
		    (unsigned long)__atomic_load_n(&s->uplink_irqs, __ATOMIC_RELAXED),
		    (unsigned long)st.rx_frames, (unsigned long)st.tx_frames,
		    (unsigned long)st.tx_kicks, (unsigned long)st.tx_drops);
		out(line);
	}
}

unsigned vnet_switch_count(void)
{
	return nr_switches;
}

void vnet_switch_stats(unsigned i, struct vnet_switch_stats *out)
{
	struct vnet_switch *s = &switches[i];
	memset(out, 0, sizeof(*out));
	spin_lock(&s->lock);
	memcpy(out->name, s->sw.name, sizeof(out->name));
	out->nports = s->sw.nports;
	out->uplink = s->uplink != NULL;
	out->drops = s->sw.drops;
	out->floods = s->sw.floods;
	out->learned = s->sw.learned;
	for (unsigned k = 0; k < s->sw.nports && k < VSWITCH_MAX_PORTS; k++) {
		const struct vswitch_port *sp = &s->sw.port[k];
		out->port[k].used = sp->used;
		out->port[k].enabled = sp->enabled;
		out->port[k].uplink = sp->uplink;
		out->port[k].rx_frames = sp->rx_frames;
		out->port[k].tx_frames = sp->tx_frames;
		out->port[k].drops = sp->drops;
		/* A port's storage lives while it is in ports[] (detach clears it under this lock).
		 */
		if (s->ports[k]) {
			out->port[k].vm_id = s->ports[k]->vm_id;
			out->port[k].inbox_drops =
			    __atomic_load_n(&s->ports[k]->inbox.drops, __ATOMIC_RELAXED);
		}
	}
	spin_unlock(&s->lock);
}

unsigned vnet_switch_mtu(unsigned sw_index)
{
	if (sw_index >= nr_switches || !switches[sw_index].uplink)
		return 0;
	unsigned mtu = switches[sw_index].uplink->mtu;
	return mtu < 1500 ? mtu : 0;
}

int vnet_port_switch(const struct vnet_port *p)
{
	return p->sw ? (int)(p->sw - switches) : -1;
}
