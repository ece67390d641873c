/* SPDX-License-Identifier: MIT */
/*
 * Virtual Ethernet switch: MAC learning, forwarding decision and the
 * bounded frame queue used as a port inbox. See vswitch.h for the rules.
 * The FDB is searched linearly: 64 entries of 16 bytes is a few cache lines,
 * cheaper than keeping a hash consistent under hostile source addresses.
 */
#include "vdev/vswitch.h"
#include "lib/string.h"

static bool port_valid(const struct vswitch *sw, unsigned port)
{
	return port < VSWITCH_MAX_PORTS && port < sw->nports && sw->port[port].used;
}

static bool mac_is_multicast(const uint8_t *mac)
{
	return (mac[0] & 1u) != 0; /* I/G bit; broadcast is multicast too */
}

static bool mac_is_zero(const uint8_t *mac)
{
	uint8_t acc = 0;

	for (unsigned i = 0; i < VSWITCH_ETH_ALEN; i++)
		acc |= mac[i];
	return acc == 0;
}

/* Whether @e is in use and not aged out at @now. */
static bool entry_live(const struct vswitch *sw, const struct vswitch_fdb_entry *e, uint64_t now)
{
	if (!e->valid)
		return false;
	if (sw->ageing == 0)
		return true;
	/* now < seen (clock went back or wrapped): treat as expired */
	return now >= e->seen && now - e->seen < sw->ageing;
}

static struct vswitch_fdb_entry *fdb_find(struct vswitch *sw, const uint8_t *mac)
{
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
		struct vswitch_fdb_entry *e = &sw->fdb[i];
		if (e->valid && memcmp(e->mac, mac, VSWITCH_ETH_ALEN) == 0)
			return e;
	}
	return NULL;
}

static void fdb_flush_port(struct vswitch *sw, unsigned port)
{
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
		if (sw->fdb[i].valid && sw->fdb[i].port == port)
			sw->fdb[i].valid = false;
	}
}

/* Learn @mac on @port: refresh/move its entry, or take a free, expired or the oldest one. */
static void fdb_learn(struct vswitch *sw, const uint8_t *mac, unsigned port, uint64_t now)
{
	struct vswitch_fdb_entry *e = fdb_find(sw, mac), *victim = NULL;

	if (!e) {
		for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
			struct vswitch_fdb_entry *c = &sw->fdb[i];
			if (!entry_live(sw, c, now)) {
				victim = c;
				break;
			}
			if (!victim || c->seen < victim->seen)
				victim = c;
		}
		e = victim;
		memcpy(e->mac, mac, VSWITCH_ETH_ALEN);
		e->valid = true;
		sw->learned++;
	}
	e->port = (uint8_t)port;
	e->seen = now;
}

void vswitch_init(struct vswitch *sw, const char *name, uint64_t ageing)
{
	memset(sw, 0, sizeof(*sw));
	for (unsigned i = 0; name && i < VSWITCH_NAME_LEN - 1u && name[i]; i++)
		sw->name[i] = name[i];
	sw->ageing = ageing;
}

int vswitch_add_port(struct vswitch *sw, bool uplink)
{
	struct vswitch_port *p;
	unsigned n = MIN(sw->nports, VSWITCH_MAX_PORTS), k = 0;

	/* A port freed by vswitch_remove_port() is taken again before a new number. */
	while (k < n && sw->port[k].used)
		k++;
	if (k >= VSWITCH_MAX_PORTS)
		return -FV_ENOSPC;
	p = &sw->port[k];
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->enabled = true;
	p->uplink = uplink;
	if (k == n)
		sw->nports = n + 1u;
	return (int)k;
}

int vswitch_remove_port(struct vswitch *sw, unsigned port)
{
	if (!port_valid(sw, port))
		return -FV_EINVAL;
	fdb_flush_port(sw, port);
	memset(&sw->port[port], 0, sizeof(sw->port[port]));
	/* Trailing free ports are forgotten, so nports counts up to the last port in use. */
	while (sw->nports > 0 && !sw->port[sw->nports - 1u].used)
		sw->nports--;
	return 0;
}

int vswitch_port_set_enabled(struct vswitch *sw, unsigned port, bool enabled)
{
	if (!port_valid(sw, port))
		return -FV_EINVAL;
	sw->port[port].enabled = enabled;
	if (!enabled)
		fdb_flush_port(sw, port);
	return 0;
}

/* Largest accepted length for @frame (at least VSWITCH_ETH_HLEN bytes long). */
static size_t max_len(const uint8_t *frame)
{
	unsigned type = (unsigned)frame[12] << 8 | frame[13];

	if (type == VSWITCH_ETH_P_8021Q || type == VSWITCH_ETH_P_8021AD)
		return VSWITCH_MAX_FRAME_Q;
	return VSWITCH_MAX_FRAME;
}

static uint32_t drop(struct vswitch *sw, unsigned in_port)
{
	sw->drops++;
	if (port_valid(sw, in_port))
		sw->port[in_port].drops++;
	return 0;
}

/* Every enabled port except @in_port. */
static uint32_t flood_mask(const struct vswitch *sw, unsigned in_port)
{
	uint32_t mask = 0;
	unsigned n = MIN(sw->nports, VSWITCH_MAX_PORTS);

	for (unsigned i = 0; i < n; i++) {
		if (i != in_port && sw->port[i].used && sw->port[i].enabled)
			mask |= 1u << i;
	}
	return mask;
}

uint32_t vswitch_forward(struct vswitch *sw, unsigned in_port, const uint8_t *frame, size_t len,
                         uint64_t now)
{
	const uint8_t *dst, *src;
	const struct vswitch_fdb_entry *e;
	uint32_t mask;

	if (!port_valid(sw, in_port) || !sw->port[in_port].enabled || !frame)
		return drop(sw, in_port);
	if (len < VSWITCH_ETH_HLEN || len > max_len(frame))
		return drop(sw, in_port);
	dst = frame;
	src = frame + VSWITCH_ETH_ALEN;
	if (mac_is_multicast(src) || mac_is_zero(src))
		return drop(sw, in_port);
	sw->port[in_port].rx_frames++;
	fdb_learn(sw, src, in_port, now);

	e = mac_is_multicast(dst) ? NULL : fdb_find(sw, dst);
	if (e && entry_live(sw, e, now) && port_valid(sw, e->port) && sw->port[e->port].enabled) {
		if (e->port == in_port)
			return drop(sw, in_port); /* hairpin: the station is on this port */
		mask = 1u << e->port;
	} else {
		mask = flood_mask(sw, in_port);
		sw->floods++;
	}
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++) {
		if (mask & (1u << i))
			sw->port[i].tx_frames++;
	}
	return mask;
}

void vswitch_rarp_frame(uint8_t out[VSWITCH_RARP_LEN], const uint8_t mac[VSWITCH_ETH_ALEN])
{
	static const uint8_t arp_head[] = {
	    0x80, 0x35, /* EtherType RARP */
	    0x00, 0x01, /* hardware: Ethernet */
	    0x08, 0x00, /* protocol: IPv4 */
	    6,    4,    /* address lengths */
	    0x00, 0x03, /* operation: request reverse */
	};
	memset(out, 0, VSWITCH_RARP_LEN);
	memset(out, 0xff, VSWITCH_ETH_ALEN); /* broadcast */
	memcpy(out + 6, mac, VSWITCH_ETH_ALEN);
	memcpy(out + 12, arp_head, sizeof(arp_head));
	/* Sender and target hardware address: the MAC itself; protocol addresses unknown (0). */
	memcpy(out + 22, mac, VSWITCH_ETH_ALEN);
	memcpy(out + 32, mac, VSWITCH_ETH_ALEN);
}

int vswitch_fdb_lookup(const struct vswitch *sw, const uint8_t mac[VSWITCH_ETH_ALEN], uint64_t now)
{
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++) {
		const struct vswitch_fdb_entry *e = &sw->fdb[i];
		if (entry_live(sw, e, now) && memcmp(e->mac, mac, VSWITCH_ETH_ALEN) == 0)
			return e->port;
	}
	return -FV_ENOENT;
}

/* ---- frame queue ---- */

/* A queue whose indices a corrupted image could push out of range is treated as empty. */
static bool pktq_sane(const struct vswitch_pktq *q)
{
	return q->slot && q->nslots && q->head < q->nslots && q->count <= q->nslots;
}

int vswitch_pktq_init(struct vswitch_pktq *q, struct vswitch_pkt_slot *slots, unsigned nslots)
{
	memset(q, 0, sizeof(*q));
	if (!slots || nslots == 0 || nslots > UINT32_MAX / 2u)
		return -FV_EINVAL;
	q->slot = slots;
	q->nslots = nslots;
	return 0;
}

/* The free slot a push fills, or NULL (counted as a drop) when the queue is full. */
static struct vswitch_pkt_slot *pktq_tail(struct vswitch_pktq *q)
{
	uint32_t tail;

	if (!pktq_sane(q) || q->count >= q->nslots) {
		q->drops++;
		return NULL;
	}
	/* head < nslots and count < nslots <= UINT32_MAX / 2: no overflow */
	tail = q->head + q->count;
	if (tail >= q->nslots)
		tail -= q->nslots;
	return &q->slot[tail];
}

int vswitch_pktq_push(struct vswitch_pktq *q, const uint8_t *frame, size_t len)
{
	struct vswitch_pkt_slot *s;

	if (!frame || len == 0 || len > VSWITCH_SLOT_SIZE)
		return -FV_EINVAL;
	s = pktq_tail(q);
	if (!s)
		return -FV_ENOSPC;
	memcpy(s->data, frame, len);
	s->len = (uint32_t)len;
	q->count++;
	return 0;
}

int vswitch_pktq_push_fill(struct vswitch_pktq *q, size_t len,
                           size_t (*fill)(const void *ctx, uint8_t *dst), const void *ctx)
{
	struct vswitch_pkt_slot *s;

	if (!fill || len == 0 || len > VSWITCH_SLOT_SIZE)
		return -FV_EINVAL;
	s = pktq_tail(q);
	if (!s)
		return -FV_ENOSPC;
	/* The slot is not queued until count moves: a short fill leaves nothing behind. */
	if (fill(ctx, s->data) != len)
		return -FV_EIO;
	s->len = (uint32_t)len;
	q->count++;
	return 0;
}

bool vswitch_pktq_peek(const struct vswitch_pktq *q, const uint8_t **frame, size_t *len)
{
	const struct vswitch_pkt_slot *s;

	if (!pktq_sane(q) || q->count == 0)
		return false;
	s = &q->slot[q->head];
	*frame = s->data;
	*len = MIN((size_t)s->len, (size_t)VSWITCH_SLOT_SIZE);
	return true;
}

void vswitch_pktq_pop(struct vswitch_pktq *q)
{
	if (!pktq_sane(q) || q->count == 0)
		return;
	q->head = q->head + 1u == q->nslots ? 0 : q->head + 1u;
	q->count--;
}

unsigned vswitch_pktq_count(const struct vswitch_pktq *q)
{
	return pktq_sane(q) ? q->count : 0;
}
