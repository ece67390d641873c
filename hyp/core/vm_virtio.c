// SPDX-License-Identifier: MIT
/*
 * Paravirtual devices of a VM: the glue between the guest-facing device
 * models (hyp/vdev: virtio-mmio transport, virtio-blk ...) and what backs
 * them (a physical disk owned by this VM). Device models are pure; this
 * file supplies locking, guest memory translation, interrupt wiring and
 * deferred work.
 *
 * Isolation: a device translates guest addresses only through its own VM's
 * vm_gpa_to_hva(), and a physical disk, or each non-overlapping slice of
 * one, is claimed by exactly one VM disk (hostdev), which reaches nothing
 * outside it (disk backend below), so no request can reach another VM's
 * memory or storage.
 */
#include "core/vm_virtio.h"
#include "core/arch.h"
#include "core/config.h"
#include "core/console.h"
#include "core/guest_map.h"
#include "core/ctl.h"
#include "core/dirty_log.h"
#include "core/hostdev.h"
#include "core/irq.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "drivers/virtio_blk_phys.h"
#include "lib/printf.h"
#include "lib/fv_err.h"
#include "lib/string.h"
#include "core/vnet.h"
#include "vdev/virtio_blk.h"
#include "vdev/virtio_console.h"
#include "vdev/virtio_net.h"
#include "core/vm_virtio_dev.h"

_Static_assert(VIRTIO_MMIO_SIZE == GUEST_VIRTIO_SIZE,
               "the virtio-mmio windows are the ones guest_layout checks (their stride: "
               "guest_map_check)");

struct virtio_mmio *vm_vdev_transport(struct vm_vdev *d)
{
	switch (d->kind) {
	case VDEV_BLK:
		return &d->u.blk.dev.mmio;
	case VDEV_NET:
		return &d->u.net.dev.mmio;
	case VDEV_CONSOLE:
	case VDEV_CONTROL:
		return &d->u.con.mmio;
	}
	return NULL;
}

/* --- host callbacks for the device models ------------------------------------------------ */

static void *gpa_to_hva(void *ctx, uint64_t gpa, uint64_t len)
{
	struct vm_vdev *d = ctx;
	return vm_gpa_to_hva(d->vm, gpa, len);
}

/* A device wrote guest RAM itself: a live migration's dirty log must see it. */
static bool ram_dirty(void *ctx, const void *hva, uint64_t len)
{
	struct vm_vdev *d = ctx;
	return dirty_log_written_hva(d->vm, hva, len);
}

static void irq_update(void *ctx, bool level)
{
	struct vm_vdev *d = ctx;
	struct vm *vm = d->vm;
	/* The line rises on a used-buffer (or config) notification: the device completed work. */
	if (level)
		TRACE(TEV_VIRTIO_COMPLETE, vm->id, TRACE_VCPU_NONE, d->index,
		      vm_vdev_transport(d)->isr, 0);
	if (vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, d->irq, level);
}

static const struct virtio_mmio_host vdev_host = {
    .gpa_to_hva = gpa_to_hva,
    .dirty = ram_dirty,
    .irq_update = irq_update,
};

/* --- disk backend: the VM's physical disk or slice, DMA straight into guest RAM ------------ */

/*
 * Where guest sector @sector of @len bytes lies on the physical disk.
 *
 * Why a VM cannot reach outside its slice: the device's capacity is the
 * slice's size (create_disk), and the device model never calls the backend
 * outside [0, capacity) (virtio_blk.h: ranges are checked overflow-safe
 * before any backend call). The slice itself lies inside the disk
 * (start + sectors <= disk capacity, checked by hostdev_claim_disk()) and
 * overlaps no other claim of the disk, so start + sector stays inside this
 * VM's own part of the disk. The checks below repeat that (they cannot
 * fire unless the device model breaks its contract) so that the addition
 * can never wrap.
 */
static int disk_sector(const struct vm_vdev *d, uint64_t sector, size_t len, uint64_t *phys)
{
	uint64_t n = len / VIRTIO_BLK_SECTOR_SIZE;
	if (sector > d->u.blk.sectors || n > d->u.blk.sectors - sector)
		return -FV_ERANGE;
	/* sector < sectors and start + sectors <= disk capacity: no wrap. */
	*phys = d->u.blk.start + sector;
	return 0;
}

/*
 * Hand a validated guest request to the physical disk: the pieces are guest
 * RAM (vm_gpa_to_hva() checked them at pop time; the hypervisor maps memory
 * 1:1, so a buffer's address is its physical address), the device reads or
 * writes them directly.
 */
static int disk_submit(void *ctx, const struct virtio_blk_io *io)
{
	struct vm_vdev *d = ctx;
	struct vblk_vec pv[VBLK_MAX_VEC];
	size_t len = 0;
	/* The device model never sends more pieces than a chain has segments (64). */
	if (io->n > VBLK_MAX_VEC)
		return -FV_EINVAL;
	for (unsigned i = 0; i < io->n; i++) {
		if (io->v[i].len > UINT32_MAX)
			return -FV_EINVAL;
		pv[i] = (struct vblk_vec){(hpa_t)(uintptr_t)io->v[i].buf, (uint32_t)io->v[i].len};
		len += io->v[i].len;
	}
	uint64_t s = 0;
	if (io->type != VIRTIO_BLK_T_FLUSH) {
		int ret = disk_sector(d, io->sector, len, &s);
		if (ret)
			return ret;
	}
	return vblk_phys_submit(d->u.blk.phys, &d->u.blk.client, io->type, s, pv, io->n, io->tag);
}

static void disk_kick(void *ctx)
{
	struct vm_vdev *d = ctx;
	vblk_phys_kick(d->u.blk.phys);
}

/* Device lock held, after device work: more left over than one call may do? */
static void blk_more(struct vm_vdev *d)
{
	d->backlog = d->u.blk.dev.backlog;
	/* Not on a vCPU's exit path here: ask the VM's first vCPU to continue. */
	if (d->backlog)
		vcpu_request(d->vm->vcpus[0], VCPU_REQ_IO);
}

/*
 * The physical disk finished requests of this device (any CPU, no lock
 * held): status bytes, used ring and the guest's interrupt, then requests
 * that waited for room.
 */
static void disk_done(void *ctx, const struct vblk_done *done, unsigned n)
{
	struct vm_vdev *d = ctx;
	struct virtio_blk *b = &d->u.blk.dev;
	spin_lock(&d->lock);
	for (unsigned i = 0; i < n; i++)
		virtio_blk_complete(b, done[i].tag, done[i].status);
	virtio_blk_complete_end(b);
	if (b->waiting)
		virtio_blk_process(b);
	blk_more(d);
	spin_unlock(&d->lock);
}

/* The physical disk has room again for requests this device had to leave waiting. */
static void disk_resume(void *ctx)
{
	struct vm_vdev *d = ctx;
	spin_lock(&d->lock);
	virtio_blk_process(&d->u.blk.dev);
	blk_more(d);
	spin_unlock(&d->lock);
}

/*
 * No lock held: wait until the physical disk is done with every request of
 * this device, so none of its DMA reaches guest RAM after a reset or once
 * the RAM is gone (the fence of virtio_blk.h: drain).
 */
static void disk_drain(struct vm_vdev *d)
{
	if (d->kind == VDEV_BLK && d->u.blk.client.attached)
		vblk_phys_drain(d->u.blk.phys, &d->u.blk.client);
}

/* --- network: a port on a virtual switch ---------------------------------------------------- */

static size_t net_tx_fill(const void *src, uint8_t *dst)
{
	return virtio_net_txf_copy(src, dst);
}

static void net_tx(void *ctx, const struct virtio_net_txf *f)
{
	struct vm_vdev *d = ctx;
	struct vnet_frame vf = {f->peek, f->len, net_tx_fill, f};
	vnet_port_send(&d->u.net.port, &vf);
}

static int net_rx_one(void *ctx, const uint8_t *frame, size_t len)
{
	struct vm_vdev *d = ctx;
	return virtio_net_rx(&d->u.net.dev, frame, len);
}

/*
 * Device lock held: move what waits in the inbox into the guest, one interrupt per batch.
 * While a snapshot is taken the device is frozen: a frame that raced the freeze stays queued.
 */
static void net_drain(struct vm_vdev *d)
{
	if (d->frozen)
		return;
	virtio_net_rx_begin(&d->u.net.dev);
	vnet_port_drain(&d->u.net.port, net_rx_one, d);
	virtio_net_rx_end(&d->u.net.dev);
}

/* Guest posted receive buffers (device lock held): take what waits in the inbox. */
static void net_rx_ready(void *ctx)
{
	net_drain(ctx);
}

/* Another CPU (or this one, after sending) queued frames for this NIC: deliver them. */
static void net_deliver(struct vnet_port *p)
{
	struct vm_vdev *d = p->owner;
	spin_lock(&d->lock);
	net_drain(d);
	spin_unlock(&d->lock);
}

static const struct virtio_net_ops net_ops = {
    .tx = net_tx,
    .rx_ready = net_rx_ready,
};

/*
 * Device lock held: the switch port follows the driver (DRIVER_OK and not
 * broken), so a VM that is not listening gets no frames queued for it.
 */
static void sync_port(struct vm_vdev *d)
{
	if (d->kind != VDEV_NET)
		return;
	bool up = virtio_mmio_running(&d->u.net.dev.mmio);
	if (up != d->u.net.port_up) {
		d->u.net.port_up = up;
		vnet_port_set_enabled(&d->u.net.port, up);
	}
}

/* --- snapshots: traffic into guest RAM stopped and restarted (snap_virtio.c) ---------------- */

void vm_vdev_freeze(struct vm_vdev *d, bool frozen)
{
	spin_lock(&d->lock);
	d->frozen = frozen;
	if (d->kind == VDEV_NET && frozen && d->u.net.port_up) {
		/* Frames sent to a frozen NIC are dropped, as on a cable pulled out: TCP resends.
		 */
		d->u.net.port_up = false;
		vnet_port_set_enabled(&d->u.net.port, false);
	} else if (!frozen) {
		sync_port(d);
	}
	spin_unlock(&d->lock);
}

void vm_vdev_kick(struct vm_vdev *d)
{
	spin_lock(&d->lock);
	sync_port(d);
	if (virtio_mmio_running(vm_vdev_transport(d)) && !d->frozen) {
		/* Buffers the driver made available before the save were never looked at here:
		 * the first vCPU entry processes every queue (vm_virtio_service). */
		d->backlog = true;
		vcpu_request(d->vm->vcpus[0], VCPU_REQ_IO);
		if (d->kind == VDEV_NET)
			net_drain(d);
	}
	spin_unlock(&d->lock);
}

/* --- console: hvc0 output joins the VM's tagged console lines -------------------------------- */

static void con_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm_vdev *d = ctx;
	vconsole_write_hvc(d->vm, buf, len);
}

static const struct virtio_console_ops con_ops = {
    .output = con_output,
};

size_t vm_virtio_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		struct vm_vdev *d = vm->vdev[j];
		if (d->kind != VDEV_CONSOLE)
			continue;
		spin_lock(&d->lock);
		/* Frozen for a snapshot: the input waits in the console mux, RAM stays as saved. */
		size_t n = d->frozen ? 0 : virtio_console_input(&d->u.con, buf, len);
		spin_unlock(&d->lock);
		return n;
	}
	return 0;
}

/* --- control channel: the service VM's requests to ctl.c, its answers back --------------- */

/*
 * Device lock held: hand queued responses and events to the receive buffers
 * the driver posted. Bounded: each round either empties a contiguous part
 * of the queue or stops because the guest has no more room.
 */
static void control_flush(struct vm_vdev *d)
{
	const uint8_t *p;
	size_t n;
	while ((n = ctl_out_peek(&p)) != 0) {
		size_t k = virtio_console_input(&d->u.con, p, n);
		ctl_out_consume(k);
		if (k < n)
			break;
	}
}

/* Requests are only queued here; the boot CPU answers them (ctl_input_done, ctl.h). */
static void control_output(void *ctx, const uint8_t *buf, size_t len)
{
	UNUSED(ctx);
	ctl_input(buf, len);
}

/* A transmitq round is in: the boot CPU answers it now (ctl.h). */
static void control_output_done(void *ctx)
{
	UNUSED(ctx);
	ctl_input_done();
}

/* The driver posted receive buffers: what waits may fit now. */
static void control_rx_ready(void *ctx)
{
	control_flush(ctx);
}

static const struct virtio_console_ops control_ops = {
    .output = control_output,
    .rx_ready = control_rx_ready,
    .output_done = control_output_done,
};

void vm_virtio_control_flush(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		struct vm_vdev *d = vm->vdev[j];
		if (d->kind != VDEV_CONTROL)
			continue;
		spin_lock(&d->lock);
		control_flush(d);
		spin_unlock(&d->lock);
	}
}

bool vm_virtio_is_control(const struct vm *vm, unsigned j)
{
	return vm->vdev[j]->kind == VDEV_CONTROL;
}

/* --- MMIO window ----------------------------------------------------------------------- */

/* After a register write: ask for more service if a notification left work behind. */
static void note_backlog(struct vm_vdev *d, struct vcpu *vcpu)
{
	bool more = false;
	switch (d->kind) {
	case VDEV_BLK:
		more = d->u.blk.dev.backlog;
		break;
	case VDEV_NET:
		more = d->u.net.dev.backlog;
		break;
	case VDEV_CONSOLE:
	case VDEV_CONTROL:
		more = d->u.con.backlog;
		break;
	}
	d->backlog = more;
	if (more && vcpu)
		vcpu_request(vcpu, VCPU_REQ_IO);
}

static int vdev_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm_vdev *d = dev;
	spin_lock(&d->lock);
	int ret = virtio_mmio_read(vm_vdev_transport(d), off, width, val);
	spin_unlock(&d->lock);
	return ret;
}

/* Device lock held: frames this NIC sent that now wait in other ports' inboxes. */
static uint32_t take_pending(struct vm_vdev *d)
{
	if (d->kind != VDEV_NET)
		return 0;
	uint32_t p = d->u.net.port.pending;
	d->u.net.port.pending = 0;
	return p;
}

static size_t rarp_fill(const void *src, uint8_t *dst)
{
	memcpy(dst, src, VSWITCH_RARP_LEN);
	return VSWITCH_RARP_LEN;
}

void vm_vdev_announce(struct vm_vdev *d)
{
	if (d->kind != VDEV_NET)
		return;
	uint8_t f[VSWITCH_RARP_LEN];
	bool sent = false;
	spin_lock(&d->lock);
	vswitch_rarp_frame(f, d->u.net.dev.mac);
	/* From the VM's own port, as if the guest sent it: the switch learns it there. */
	if (d->u.net.port_up && !d->frozen) {
		struct vnet_frame vf = {f, VSWITCH_RARP_LEN, rarp_fill, f};
		vnet_port_send(&d->u.net.port, &vf);
		sent = true;
	}
	uint32_t pending = take_pending(d);
	spin_unlock(&d->lock);
	if (pending)
		vnet_port_flush(&d->u.net.port, pending);
	if (sent) {
		const uint8_t *m = d->u.net.dev.mac;
		pr_info("vm %s: %s: announced %02x:%02x:%02x:%02x:%02x:%02x on switch %s (RARP)",
		        d->vm->name, d->name, m[0], m[1], m[2], m[3], m[4], m[5],
		        vnet_switch_name((unsigned)vnet_port_switch(&d->u.net.port)));
	}
}

/*
 * After device work that may have left a backlog, changed the driver state
 * or sent frames: note what follows, drop the device lock, then hand the
 * frames to their destination NICs (whose locks we must not take under ours).
 */
static void finish_and_unlock(struct vm_vdev *d, struct vcpu *vcpu)
{
	note_backlog(d, vcpu);
	sync_port(d);
	uint32_t pending = take_pending(d);
	spin_unlock(&d->lock);
	if (pending)
		vnet_port_flush(&d->u.net.port, pending);
}

/*
 * After a queue notification, no lock held: the guest has exactly one
 * request of this disk in flight (queue depth 1), so it will do nothing but
 * wait for it. Look for its completion for up to VM_VIRTIO_NOTIFY_POLL_NS
 * before returning: found, it is completed here and the guest takes its
 * interrupt at once, without a host interrupt exit and without scheduling
 * its idle task and back (docs/performance.md, virtio-blk exits per
 * request). Stops early when the vCPU has an interrupt to take or must
 * reschedule. Deeper queues are left alone: their guest has other work.
 */
static void notify_poll(struct vm_vdev *d, struct vcpu *vcpu)
{
	struct vblk_phys *phys = d->u.blk.phys;
	if (!vcpu || !phys->irq_driven ||
	    __atomic_load_n(&d->u.blk.client.inflight, __ATOMIC_RELAXED) != 1)
		return;
	uint64_t t0 = time_now_ns();
	vblk_phys_quiet_begin(phys);
	do {
		if (vblk_phys_notify_poll(phys) || arch_vcpu_irq_wakeable(vcpu) ||
		    !vcpu_may_reenter(vcpu,
		                      __atomic_load_n(&cpu_this()->need_resched, __ATOMIC_RELAXED)))
			break;
		arch_cpu_relax();
	} while (time_now_ns() - t0 < VM_VIRTIO_NOTIFY_POLL_NS);
	vblk_phys_quiet_end(phys);
}

/*
 * After a queue notification on this CPU: a disk that only this device uses
 * gets its host interrupt here, where the VM runs, so a completion is
 * handled and injected on the vCPU's own CPU (no IPI, no second CPU woken).
 * Only when it moved: a vCPU that stays put never re-routes. A disk shared
 * by several VMs keeps its placement (irq_spread), since they may run on
 * different CPUs. nclients is read racily: it only picks a placement.
 */
static void follow_irq(struct vm_vdev *d)
{
	struct vblk_phys *phys = d->u.blk.phys;
	unsigned cpu = cpu_this()->id;
	if (!phys->irq_driven || __atomic_load_n(&phys->fixed_irq, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&phys->nclients, __ATOMIC_RELAXED) != 1 || irq_cpu(phys->irq) == cpu)
		return;
	if (irq_set_cpu(phys->irq, cpu) == 0)
		__atomic_fetch_add(&phys->reroutes, 1, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&phys->fixed_irq, true, __ATOMIC_RELAXED);
}

static int vdev_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	struct vm_vdev *d = dev;
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY)
		TRACE(TEV_VIRTIO_NOTIFY, d->vm->id, vcpu ? vcpu->id : TRACE_VCPU_NONE, d->index,
		      val, 0);
	/* Before the requests go out, so their completions already interrupt this CPU. */
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY && d->kind == VDEV_BLK && vcpu)
		follow_irq(d);
	spin_lock(&d->lock);
	int ret = virtio_mmio_write(vm_vdev_transport(d), off, width, val);
	finish_and_unlock(d, vcpu);
	if (d->kind == VDEV_BLK) {
		/* Without its interrupt the disk is polled, at least whenever the guest kicks. */
		if (!d->u.blk.phys->irq_driven && off == VIRTIO_MMIO_QUEUE_NOTIFY)
			vblk_phys_poll(d->u.blk.phys);
		else if (off == VIRTIO_MMIO_QUEUE_NOTIFY && vcpu)
			notify_poll(d, vcpu);
		/* A device or queue reset: the old requests' DMA ends before the vCPU goes on. */
		if (off == VIRTIO_MMIO_STATUS || off == VIRTIO_MMIO_QUEUE_READY ||
		    off == VIRTIO_MMIO_QUEUE_RESET)
			disk_drain(d);
	}
	return ret;
}

static const struct mmio_ops vdev_mmio = {
    .read = vdev_read,
    .write = vdev_write,
};

/* --- creation ----------------------------------------------------------------------------- */

static struct vm_vdev *new_vdev(struct vm *vm, enum vdev_kind kind)
{
	struct vm_vdev *d = mem_zalloc_aligned(sizeof(*d), 64);
	if (!d)
		return NULL;
	vm->hyp_mem_bytes += sizeof(*d);
	spin_init(&d->lock);
	d->vm = vm;
	d->kind = kind;
	d->index = vm->nr_vdev;
	d->irq = VM_VIRTIO_IRQ0 + d->index;
	const struct guest_map *map = arch_guest_map();
	d->base = map->virtio_base + d->index * map->virtio_stride;
	return d;
}

/* Give back what a device holds (never added, or its VM's creation failed) and free it. */
static void free_vdev(struct vm *vm, struct vm_vdev *d)
{
	if (d->kind == VDEV_BLK && d->u.blk.client.attached)
		vblk_phys_detach(d->u.blk.phys, &d->u.blk.client); /* drains first */
	if (d->kind == VDEV_BLK && d->u.blk.phys)
		hostdev_release_disk(d->u.blk.slot, vm->name, d->u.blk.start);
	if (d->kind == VDEV_NET)
		vnet_port_detach(&d->u.net.port);
	if (d->kind == VDEV_CONTROL)
		ctl_unset_service(vm);
	vm->hyp_mem_bytes -= sizeof(*d);
	mem_free(d);
}

static int add_window(struct vm *vm, struct vm_vdev *d)
{
	int ret = mmio_bus_add(&vm->mmio, d->base, VIRTIO_MMIO_SIZE, &vdev_mmio, d, d->name);
	if (ret)
		return ret;
	vm->vdev[vm->nr_vdev++] = d;
	return 0;
}

/* " sectors A-B" for a slice, "" for a whole disk (messages). */
static void fmt_slice(char *buf, size_t len, bool sliced, uint64_t start, uint64_t sectors)
{
	if (!sliced)
		buf[0] = '\0';
	else if (sectors == 0)
		fv_snprintf(buf, len, " sectors %llu-end", (unsigned long long)start);
	else
		fv_snprintf(buf, len, " sectors %llu-%llu", (unsigned long long)start,
		            (unsigned long long)(start + sectors - 1));
}

static int create_disk(struct vm *vm, unsigned k)
{
	const struct vm_config *cfg = vm->cfg;
	unsigned slot = cfg->disk_slot[k];
	uint64_t start = cfg->disk_start[k], sectors = cfg->disk_sectors[k];
	bool sliced = start || sectors;
	char where[48];
	fmt_slice(where, sizeof(where), sliced, start, sectors);
	const char *why = "";
	/* The slice is checked against the disk's real size here: the parser could not. */
	struct vblk_phys *phys = hostdev_claim_disk(slot, vm->name, start, &sectors, &why);
	if (!phys) {
		pr_err("vm %s: disk %u: virtio-mmio slot %u%s: %s; VM not created", vm->name, k,
		       slot, where, why);
		return -FV_ENODEV;
	}
	fmt_slice(where, sizeof(where), sliced, start, sectors);
	struct vm_vdev *d = new_vdev(vm, VDEV_BLK);
	if (!d) {
		hostdev_release_disk(slot, vm->name, start);
		return -FV_ENOMEM;
	}
	fv_snprintf(d->name, sizeof(d->name), "vd%c", 'a' + (int)k);
	d->u.blk.phys = phys;
	d->u.blk.slot = slot;
	d->u.blk.start = start;
	d->u.blk.sectors = sectors;
	d->u.blk.sliced = sliced;
	d->u.blk.be = (struct virtio_blk_backend){
	    .submit = disk_submit,
	    .kick = disk_kick,
	    .capacity_sectors = sectors, /* the guest sees its slice as a whole disk */
	    .read_only = false,
	};
	char serial[VIRTIO_BLK_ID_LEN + 1];
	fv_snprintf(serial, sizeof(serial), "fv-%s-%u", vm->name, k);
	d->u.blk.client =
	    (struct vblk_client){.complete = disk_done, .resume = disk_resume, .ctx = d};
	int ret = virtio_blk_init(&d->u.blk.dev, &d->u.blk.be, d, &vdev_host, d, serial);
	if (ret == 0)
		ret = vblk_phys_attach(phys, &d->u.blk.client);
	if (ret == 0)
		ret = add_window(vm, d);
	if (ret) {
		pr_err("vm %s: %s: cannot add virtio-blk at 0x%lx (%s, %d)", vm->name, d->name,
		       (unsigned long)d->base, fv_strerror(ret), ret);
		free_vdev(vm, d);
		return ret;
	}
	pr_info("vm %s: %s: virtio-blk at 0x%lx irq %u on disk slot %u%s (%lu MiB)", vm->name,
	        d->name, (unsigned long)d->base, d->irq, slot, where,
	        (unsigned long)(sectors >> 11));
	return 0;
}

static int create_nic(struct vm *vm, unsigned k)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_vdev *d = new_vdev(vm, VDEV_NET);
	if (!d)
		return -FV_ENOMEM;
	fv_snprintf(d->name, sizeof(d->name), "eth%u", k);
	d->u.net.port.vm_id = vm->id;
	int ret = vnet_port_attach(&d->u.net.port, cfg->nic_switch[k], d, net_deliver);
	if (ret) {
		pr_err("vm %s: %s: cannot attach to its switch (%s, %d)", vm->name, d->name,
		       fv_strerror(ret), ret);
		free_vdev(vm, d);
		return ret;
	}
	ret = virtio_net_init(&d->u.net.dev, cfg->nic_mac[k], &net_ops, d, &vdev_host, d);
	/* The uplink's smaller MTU, so the guest never sends what it cannot carry. */
	if (ret == 0)
		virtio_net_set_mtu(&d->u.net.dev, vnet_switch_mtu(cfg->nic_switch[k]));
	if (ret == 0)
		ret = add_window(vm, d);
	if (ret) {
		pr_err("vm %s: %s: cannot add virtio-net at 0x%lx (%s, %d)", vm->name, d->name,
		       (unsigned long)d->base, fv_strerror(ret), ret);
		free_vdev(vm, d);
		return ret;
	}
	const uint8_t *m = cfg->nic_mac[k];
	pr_info("vm %s: %s: virtio-net at 0x%lx irq %u, %02x:%02x:%02x:%02x:%02x:%02x on switch "
	        "port %u",
	        vm->name, d->name, (unsigned long)d->base, d->irq, m[0], m[1], m[2], m[3], m[4],
	        m[5], d->u.net.port.port);
	return 0;
}

static int create_console(struct vm *vm)
{
	struct vm_vdev *d = new_vdev(vm, VDEV_CONSOLE);
	if (!d)
		return -FV_ENOMEM;
	fv_snprintf(d->name, sizeof(d->name), "hvc0");
	int ret = virtio_console_init(&d->u.con, &con_ops, d, &vdev_host, d);
	if (ret == 0)
		ret = add_window(vm, d);
	if (ret) {
		pr_err("vm %s: hvc0: cannot add virtio-console at 0x%lx (%s, %d)", vm->name,
		       (unsigned long)d->base, fv_strerror(ret), ret);
		free_vdev(vm, d);
		return ret;
	}
	pr_info("vm %s: hvc0: virtio-console at 0x%lx irq %u", vm->name, (unsigned long)d->base,
	        d->irq);
	return ret;
}

/* The service VM's control channel: a virtio-console after every other device. */
static int create_control(struct vm *vm)
{
	struct vm_vdev *d = new_vdev(vm, VDEV_CONTROL);
	if (!d)
		return -FV_ENOMEM;
	fv_snprintf(d->name, sizeof(d->name), "ctl");
	int ret = virtio_console_init(&d->u.con, &control_ops, d, &vdev_host, d);
	if (ret == 0)
		ret = ctl_set_service(vm);
	if (ret == 0)
		ret = add_window(vm, d);
	if (ret) {
		pr_err("vm %s: ctl: cannot add the control channel at 0x%lx (%d)", vm->name,
		       (unsigned long)d->base, ret);
		free_vdev(vm, d);
		return ret;
	}
	pr_info("vm %s: ctl: control channel (virtio-console) at 0x%lx irq %u", vm->name,
	        (unsigned long)d->base, d->irq);
	return 0;
}

int vm_virtio_create(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int ret = 0;
	/* Window order = guest probe order: disks, NICs, console (vm_virtio.h). */
	for (unsigned k = 0; k < cfg->nr_disks && !ret; k++)
		ret = create_disk(vm, k);
	for (unsigned k = 0; k < cfg->nr_nics && !ret; k++)
		ret = create_nic(vm, k);
	if (!ret && cfg->virtio_console)
		ret = create_console(vm);
	if (!ret && cfg->service)
		ret = create_control(vm);
	if (ret)
		vm_virtio_destroy(vm); /* the devices made before the failing one */
	return ret;
}

void vm_virtio_destroy(struct vm *vm)
{
	while (vm->nr_vdev > 0) {
		struct vm_vdev *d = vm->vdev[--vm->nr_vdev];
		vm->vdev[vm->nr_vdev] = NULL;
		free_vdev(vm, d);
	}
}

/* --- lifecycle and deferred work ------------------------------------------------------------ */

void vm_virtio_reset(struct vm *vm)
{
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		struct vm_vdev *d = vm->vdev[j];
		spin_lock(&d->lock);
		virtio_mmio_reset(vm_vdev_transport(d));
		d->backlog = false;
		d->frozen = false; /* a snapshot of the old boot is over */
		/* A new boot of the service VM starts a new session. */
		if (d->kind == VDEV_CONTROL)
			ctl_channel_reset();
		sync_port(d);
		/* Frames already queued in other inboxes wait for their owners' own drain. */
		(void)take_pending(d);
		spin_unlock(&d->lock);
		/* Requests in flight: drain, so no DMA lands in the RAM of a stopped VM. */
		disk_drain(d);
	}
}

void vm_virtio_service(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	for (unsigned j = 0; j < vm->nr_vdev; j++) {
		struct vm_vdev *d = vm->vdev[j];
		if (!__atomic_load_n(&d->backlog, __ATOMIC_RELAXED))
			continue;
		spin_lock(&d->lock);
		switch (d->kind) {
		case VDEV_BLK:
			virtio_blk_process(&d->u.blk.dev);
			break;
		case VDEV_NET:
			virtio_net_process_tx(&d->u.net.dev);
			break;
		case VDEV_CONSOLE:
		case VDEV_CONTROL:
			virtio_console_process_tx(&d->u.con);
			break;
		}
		/* Still more: once per guest entry, so the vCPU stays preemptible. */
		finish_and_unlock(d, vcpu);
	}
}

void vm_virtio_halt_poll(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vblk_phys *disk[CFG_MAX_VIRTIO];
	unsigned n = 0;
	for (unsigned j = 0; j < vm->nr_vdev && n < CFG_MAX_VIRTIO; j++) {
		struct vm_vdev *d = vm->vdev[j];
		if (d->kind == VDEV_BLK &&
		    __atomic_load_n(&d->u.blk.client.inflight, __ATOMIC_RELAXED))
			disk[n++] = d->u.blk.phys;
	}
	if (n == 0)
		return;
	/*
	 * The guest waits for its disk: look for the completion a little while
	 * before giving the CPU up (waking a blocked vCPU from the interrupt
	 * costs more than a completion that comes within the window). Ends
	 * early once the vCPU has an interrupt to take.
	 */
	uint64_t t0 = time_now_ns();
	do {
		unsigned got = 0;
		for (unsigned i = 0; i < n; i++)
			got += vblk_phys_halt_poll(disk[i]);
		if (got || arch_vcpu_irq_wakeable(vcpu))
			return;
		arch_cpu_relax();
	} while (time_now_ns() - t0 < VM_VIRTIO_HALT_POLL_NS);
}

unsigned vm_virtio_count(const struct vm *vm)
{
	return vm->nr_vdev;
}

void vm_virtio_window(const struct vm *vm, unsigned j, uint64_t *base, uint64_t *size,
                      uint32_t *irq)
{
	const struct vm_vdev *d = vm->vdev[j];
	*base = d->base;
	*size = VIRTIO_MMIO_SIZE;
	*irq = d->irq;
}

void vm_virtio_describe(const struct vm *vm, unsigned j, char *buf, size_t len)
{
	const struct vm_vdev *d = vm->vdev[j];
	switch (d->kind) {
	case VDEV_BLK: {
		const struct virtio_blk *b = &d->u.blk.dev;
		char where[48];
		fmt_slice(where, sizeof(where), d->u.blk.sliced, d->u.blk.start, d->u.blk.sectors);
		fv_snprintf(
		    buf, len,
		    "%s virtio-blk 0x%lx irq %u slot %u%s: %lu requests, %lu errors, "
		    "%lu KiB read, %lu KiB written%s",
		    d->name, (unsigned long)d->base, d->irq, d->u.blk.slot, where,
		    (unsigned long)b->requests, (unsigned long)b->errors,
		    (unsigned long)(b->bytes_read >> 10), (unsigned long)(b->bytes_written >> 10),
		    (b->mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) ? ", needs reset" : "");
		break;
	}
	case VDEV_NET: {
		const struct virtio_net *n = &d->u.net.dev;
		fv_snprintf(
		    buf, len,
		    "%s virtio-net 0x%lx irq %u port %u: rx %lu frames (%lu dropped), tx %lu "
		    "frames (%lu dropped)%s",
		    d->name, (unsigned long)d->base, d->irq, d->u.net.port.port,
		    (unsigned long)n->stats.rx_frames, (unsigned long)n->stats.rx_drops,
		    (unsigned long)n->stats.tx_frames, (unsigned long)n->stats.tx_drops,
		    (n->mmio.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET) ? ", needs reset" : "");
		break;
	}
	case VDEV_CONSOLE:
	case VDEV_CONTROL: {
		const struct virtio_console *c = &d->u.con;
		fv_snprintf(buf, len, "%s %s 0x%lx irq %u: %lu bytes out, %lu in", d->name,
		            d->kind == VDEV_CONTROL ? "control-channel" : "virtio-console",
		            (unsigned long)d->base, d->irq, (unsigned long)c->bytes_out,
		            (unsigned long)c->bytes_in);
		break;
	}
	}
}

void vm_virtio_info(const struct vm *vm, unsigned j, struct vm_virtio_info *out)
{
	const struct vm_vdev *d = vm->vdev[j];
	memset(out, 0, sizeof(*out));
	out->kind = d->kind;
	out->base = d->base;
	out->irq = d->irq;
	memcpy(out->name, d->name, sizeof(out->name));
	out->sw = -1;
	switch (d->kind) {
	case VDEV_BLK:
		out->counter[0] = d->u.blk.dev.requests;
		out->counter[1] = d->u.blk.dev.errors;
		out->counter[2] = d->u.blk.dev.bytes_read;
		out->counter[3] = d->u.blk.dev.bytes_written;
		break;
	case VDEV_NET:
		out->counter[0] = d->u.net.dev.stats.rx_frames;
		out->counter[1] = d->u.net.dev.stats.rx_drops;
		out->counter[2] = d->u.net.dev.stats.tx_frames;
		out->counter[3] = d->u.net.dev.stats.tx_drops;
		out->rx_bytes = d->u.net.dev.stats.rx_bytes;
		out->tx_bytes = d->u.net.dev.stats.tx_bytes;
		out->sw = vnet_port_switch(&d->u.net.port);
		out->port = d->u.net.port.port;
		break;
	case VDEV_CONSOLE:
	case VDEV_CONTROL:
		out->counter[0] = d->u.con.bytes_out;
		out->counter[1] = d->u.con.bytes_in;
		out->counter[2] = d->u.con.errors;
		out->counter[3] = d->u.con.dropped;
		break;
	}
}
