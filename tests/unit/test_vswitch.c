/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the virtual Ethernet switch (hyp/vdev/vswitch.c): MAC
 * learning and moves, flooding of unknown unicast / broadcast / multicast,
 * hairpin filtering, FDB ageing and replacement when full, disabled ports,
 * frame length and source address checks, port counters, and the bounded
 * frame queue (full, wrap-around, bad lengths, corrupted state).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/vswitch.h"

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t MCAST[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
static const uint8_t ZERO[6] = {0};

static uint8_t frame[2048];

/* MAC 02:00:00:00:hi:lo (locally administered unicast) */
static void mac_of(uint8_t *mac, unsigned id)
{
	const uint8_t m[6] = {0x02, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id};
	memcpy(mac, m, 6);
}

/* Build a frame in `frame` and return its length. */
static size_t mk(const uint8_t *dst, const uint8_t *src, uint16_t type, size_t len)
{
	memset(frame, 0x33, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = (uint8_t)(type >> 8);
	frame[13] = (uint8_t)type;
	return len;
}

static uint32_t fwd_ids(struct vswitch *sw, unsigned in, unsigned dst_id, unsigned src_id,
                        uint64_t now)
{
	uint8_t d[6], s[6];

	mac_of(d, dst_id);
	mac_of(s, src_id);
	return vswitch_forward(sw, in, frame, mk(d, s, 0x0800, 60), now);
}

static uint32_t fwd_bcast(struct vswitch *sw, unsigned in, unsigned src_id, uint64_t now)
{
	uint8_t s[6];

	mac_of(s, src_id);
	return vswitch_forward(sw, in, frame, mk(BCAST, s, 0x0806, 60), now);
}

static int lookup_id(const struct vswitch *sw, unsigned id, uint64_t now)
{
	uint8_t m[6];

	mac_of(m, id);
	return vswitch_fdb_lookup(sw, m, now);
}

static void setup4(struct vswitch *sw, uint64_t ageing)
{
	vswitch_init(sw, "br0", ageing);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vswitch_add_port(sw, i == 3), i);
}

static void test_ports(void **state)
{
	(void)state;
	struct vswitch sw;

	vswitch_init(&sw, "a-very-long-switch-name", 0);
	assert_string_equal(sw.name, "a-very-long-swi");
	vswitch_init(&sw, NULL, 0);
	assert_string_equal(sw.name, "");
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++)
		assert_int_equal(vswitch_add_port(&sw, i == 0), (int)i);
	assert_int_equal(vswitch_add_port(&sw, false), -FV_ENOSPC);
	assert_true(sw.port[0].uplink);
	assert_false(sw.port[1].uplink);
	assert_true(sw.port[15].enabled);
	/* broadcast from port 15 reaches the other 15 ports */
	assert_int_equal(fwd_bcast(&sw, 15, 1, 0), 0x7fffu);
	vswitch_init(&sw, "x", 0);
	assert_int_equal(vswitch_port_set_enabled(&sw, 0, false), -FV_EINVAL);
	assert_int_equal(vswitch_add_port(&sw, false), 0);
	assert_int_equal(vswitch_port_set_enabled(&sw, 0, false), 0);
	assert_int_equal(vswitch_port_set_enabled(&sw, 1, true), -FV_EINVAL);
	assert_int_equal(vswitch_port_set_enabled(&sw, 1000, true), -FV_EINVAL);
}

/* Undo of a port (a VM whose creation failed): its number is free again, nothing leaks. */
static void test_remove_port(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 0);
	/* B learnt on port 1, then port 1 goes away: B is forgotten, floods skip port 1. */
	assert_int_equal(fwd_bcast(&sw, 1, 0xb, 1), 0xdu);
	assert_int_equal(lookup_id(&sw, 0xb, 1), 1);
	assert_int_equal(vswitch_remove_port(&sw, 1), 0);
	assert_int_equal(lookup_id(&sw, 0xb, 1), -FV_ENOENT);
	assert_int_equal(sw.nports, 4); /* port 3 is still in use */
	assert_int_equal(fwd_bcast(&sw, 0, 0xa, 2), 0xcu);
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 3), 0); /* a removed port sends nothing */
	assert_int_equal(vswitch_port_set_enabled(&sw, 1, true), -FV_EINVAL);
	/* Removing twice, or a port never added, is refused. */
	assert_int_equal(vswitch_remove_port(&sw, 1), -FV_EINVAL);
	assert_int_equal(vswitch_remove_port(&sw, 4), -FV_EINVAL);
	assert_int_equal(vswitch_remove_port(&sw, VSWITCH_MAX_PORTS), -FV_EINVAL);
	assert_int_equal(vswitch_remove_port(&sw, 1000), -FV_EINVAL);
	/* The next port gets the freed number, enabled and with fresh counters. */
	sw.port[1].drops = 99;
	assert_int_equal(vswitch_add_port(&sw, false), 1);
	assert_true(sw.port[1].enabled);
	assert_int_equal(sw.port[1].rx_frames + sw.port[1].tx_frames + sw.port[1].drops, 0);
	assert_int_equal(sw.nports, 4);
	assert_int_equal(vswitch_add_port(&sw, false), 4);
	/* Removing the highest ports gives the count back: the control figure of `net`. */
	assert_int_equal(vswitch_remove_port(&sw, 4), 0);
	assert_int_equal(sw.nports, 4);
	assert_int_equal(vswitch_remove_port(&sw, 2), 0);
	assert_int_equal(vswitch_remove_port(&sw, 3), 0);
	assert_int_equal(sw.nports, 2); /* trailing free ports 2 and 3 are forgotten */
	assert_int_equal(vswitch_add_port(&sw, false), 2);
	/* A full switch has room again after a removal. */
	vswitch_init(&sw, "full", 0);
	for (unsigned i = 0; i < VSWITCH_MAX_PORTS; i++)
		assert_int_equal(vswitch_add_port(&sw, false), (int)i);
	assert_int_equal(vswitch_add_port(&sw, false), -FV_ENOSPC);
	assert_int_equal(vswitch_remove_port(&sw, 7), 0);
	assert_int_equal(vswitch_add_port(&sw, false), 7);
	assert_int_equal(vswitch_add_port(&sw, false), -FV_ENOSPC);
	for (unsigned i = VSWITCH_MAX_PORTS; i-- > 0;)
		assert_int_equal(vswitch_remove_port(&sw, i), 0);
	assert_int_equal(sw.nports, 0);
}

static void test_learning(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 0);
	/* unknown: A (port 0) broadcasts; everyone else hears it, A is learnt */
	assert_int_equal(lookup_id(&sw, 0xa, 0), -FV_ENOENT);
	assert_int_equal(fwd_bcast(&sw, 0, 0xa, 1), 0xeu);
	assert_int_equal(lookup_id(&sw, 0xa, 1), 0);
	/* B (port 1) answers A by unicast: only port 0 */
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 2), 1u << 0);
	assert_int_equal(lookup_id(&sw, 0xb, 2), 1);
	/* A to B: only port 1 */
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 3), 1u << 1);
	/* to unknown C: flooded */
	uint64_t floods = sw.floods;
	assert_int_equal(fwd_ids(&sw, 0, 0xc, 0xa, 4), 0xeu);
	assert_int_equal(sw.floods, floods + 1);
	/* counters */
	assert_int_equal(sw.port[0].rx_frames, 3);
	assert_int_equal(sw.port[1].rx_frames, 1);
	assert_int_equal(sw.port[0].tx_frames, 1);
	assert_int_equal(sw.port[1].tx_frames, 3);
	assert_int_equal(sw.port[2].tx_frames, 2);
	assert_int_equal(sw.port[0].drops + sw.port[1].drops + sw.drops, 0);
	assert_int_equal(sw.learned, 2);
	/* A moves to port 2 (VM migrated / cable moved): the entry follows */
	assert_int_equal(fwd_ids(&sw, 2, 0xb, 0xa, 5), 1u << 1);
	assert_int_equal(lookup_id(&sw, 0xa, 5), 2);
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 6), 1u << 2);
	assert_int_equal(sw.learned, 2);
	/* multicast and broadcast destinations always flood, even if "learnt" */
	uint8_t s[6];
	mac_of(s, 0xb);
	assert_int_equal(vswitch_forward(&sw, 1, frame, mk(MCAST, s, 0x0800, 60), 7), 0xdu);
	assert_int_equal(vswitch_forward(&sw, 1, frame, mk(BCAST, s, 0x0800, 60), 7), 0xdu);
	/* only two ports, one disabled: a flood can reach nobody */
	struct vswitch two;
	vswitch_init(&two, "two", 0);
	vswitch_add_port(&two, false);
	vswitch_add_port(&two, false);
	vswitch_port_set_enabled(&two, 1, false);
	assert_int_equal(fwd_bcast(&two, 0, 0xa, 0), 0);
}

static void test_hairpin(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 0);
	fwd_bcast(&sw, 0, 0xa, 0);
	fwd_bcast(&sw, 0, 0xc, 0); /* A and C behind the same port */
	uint64_t drops = sw.port[0].drops;
	assert_int_equal(fwd_ids(&sw, 0, 0xa, 0xc, 1), 0);
	assert_int_equal(sw.port[0].drops, drops + 1);
	/* a station talking to itself */
	assert_int_equal(fwd_ids(&sw, 0, 0xa, 0xa, 1), 0);
	for (unsigned p = 1; p < 4; p++)
		assert_int_equal(sw.port[p].tx_frames, 2);
}

static void test_ageing(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 100);
	fwd_bcast(&sw, 1, 0xb, 1000);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 1099), 1u << 1);
	assert_int_equal(lookup_id(&sw, 0xb, 1099), 1);
	/* 100 units after the last frame from B: forgotten, flooded again */
	assert_int_equal(lookup_id(&sw, 0xb, 1100), -FV_ENOENT);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 1100), 0xeu);
	/* traffic from B refreshes the entry */
	fwd_ids(&sw, 1, 0xa, 0xb, 1150);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 1249), 1u << 1);
	/* a clock that went backwards: treated as expired, then relearnt */
	assert_int_equal(lookup_id(&sw, 0xb, 10), -FV_ENOENT);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 10), 0xeu);
	/* no wrap-around trouble near the top of the clock */
	fwd_ids(&sw, 1, 0xa, 0xb, UINT64_MAX - 10);
	assert_int_equal(lookup_id(&sw, 0xb, UINT64_MAX), 1);
	/* ageing 0: never forgotten */
	setup4(&sw, 0);
	fwd_bcast(&sw, 2, 0xd, 0);
	assert_int_equal(lookup_id(&sw, 0xd, UINT64_MAX), 2);
	assert_int_equal(fwd_ids(&sw, 0, 0xd, 0xa, UINT64_MAX), 1u << 2);
}

static void test_table_full(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 0);
	/* fill the FDB: MAC i learnt at time 10 + i on port i % 4 */
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		fwd_bcast(&sw, i % 4, 0x100 + i, 10 + i);
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		assert_int_equal(lookup_id(&sw, 0x100 + i, 100), (int)(i % 4));
	/* MAC 0x100 talks again: 0x101 is now the oldest */
	fwd_bcast(&sw, 0, 0x100, 200);
	fwd_bcast(&sw, 1, 0x999, 201);
	assert_int_equal(lookup_id(&sw, 0x999, 201), 1);
	assert_int_equal(lookup_id(&sw, 0x101, 201), -FV_ENOENT);
	assert_int_equal(lookup_id(&sw, 0x100, 201), 0);
	assert_int_equal(lookup_id(&sw, 0x102, 201), 2);
	/* the next newcomer replaces 0x102, and so on */
	fwd_bcast(&sw, 1, 0x998, 202);
	assert_int_equal(lookup_id(&sw, 0x102, 202), -FV_ENOENT);
	assert_int_equal(lookup_id(&sw, 0x103, 202), 3);
	assert_int_equal(sw.learned, VSWITCH_FDB_SIZE + 2);
	/* a flood of random sources never grows the table or loses the newest */
	for (unsigned i = 0; i < 1000; i++)
		fwd_bcast(&sw, i % 3, 0x2000 + i, 1000 + i);
	unsigned valid = 0;
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		valid += sw.fdb[i].valid;
	assert_int_equal(valid, VSWITCH_FDB_SIZE);
	for (unsigned i = 1000 - VSWITCH_FDB_SIZE; i < 1000; i++)
		assert_int_equal(lookup_id(&sw, 0x2000 + i, 5000), (int)(i % 3));
	/* with ageing, expired entries are reused before live ones */
	setup4(&sw, 50);
	for (unsigned i = 0; i < VSWITCH_FDB_SIZE; i++)
		fwd_bcast(&sw, 0, 0x100 + i, i < 10 ? 0 : 40);
	/* at 60 the first ten are expired; newcomers must not evict a live one */
	for (unsigned i = 0; i < 10; i++)
		fwd_bcast(&sw, 1, 0x900 + i, 60);
	for (unsigned i = 10; i < VSWITCH_FDB_SIZE; i++)
		assert_int_equal(lookup_id(&sw, 0x100 + i, 60), 0);
	for (unsigned i = 0; i < 10; i++) {
		assert_int_equal(lookup_id(&sw, 0x900 + i, 60), 1);
		assert_int_equal(lookup_id(&sw, 0x100 + i, 60), -FV_ENOENT);
	}
}

static void test_disabled_ports(void **state)
{
	(void)state;
	struct vswitch sw;

	setup4(&sw, 0);
	fwd_bcast(&sw, 1, 0xb, 0);
	fwd_bcast(&sw, 2, 0xc, 0);
	assert_int_equal(vswitch_port_set_enabled(&sw, 1, false), 0);
	/* B's entry is flushed; C's is not */
	assert_int_equal(lookup_id(&sw, 0xb, 0), -FV_ENOENT);
	assert_int_equal(lookup_id(&sw, 0xc, 0), 2);
	/* floods skip the disabled port, unicast to B floods (and still skips it) */
	assert_int_equal(fwd_bcast(&sw, 0, 0xa, 1), 0xcu);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 1), 0xcu);
	/* frames from the disabled port are refused and not learnt */
	uint64_t drops = sw.port[1].drops, rx = sw.port[1].rx_frames;
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 2), 0);
	assert_int_equal(sw.port[1].drops, drops + 1);
	assert_int_equal(sw.port[1].rx_frames, rx);
	assert_int_equal(lookup_id(&sw, 0xb, 2), -FV_ENOENT);
	/* re-enabled: takes part again */
	assert_int_equal(vswitch_port_set_enabled(&sw, 1, true), 0);
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 3), 1u << 0);
	assert_int_equal(fwd_ids(&sw, 0, 0xb, 0xa, 3), 1u << 1);
	/* frames from ports that do not exist */
	uint64_t total = sw.drops;
	assert_int_equal(fwd_ids(&sw, 4, 0xa, 0xe, 4), 0);
	assert_int_equal(fwd_ids(&sw, 16, 0xa, 0xe, 4), 0);
	assert_int_equal(fwd_ids(&sw, 0xffffffffu, 0xa, 0xe, 4), 0);
	assert_int_equal(sw.drops, total + 3);
	assert_int_equal(lookup_id(&sw, 0xe, 4), -FV_ENOENT);
	assert_int_equal(vswitch_forward(&sw, 0, NULL, 60, 4), 0);
}

static void test_lengths(void **state)
{
	(void)state;
	struct vswitch sw;
	uint8_t a[6], b[6];
	static const struct {
		uint16_t type;
		size_t len;
		bool ok;
	} cases[] = {
	    {0x0800, 0, false},    {0x0800, 13, false},   {0x0800, 14, true},
	    {0x0800, 60, true},    {0x0800, 1514, true},  {0x0800, 1515, false},
	    {0x0800, 1518, false}, {0x8100, 1518, true},  {0x88a8, 1518, true},
	    {0x8100, 1519, false}, {0x8100, 9000, false}, {0x0800, SIZE_MAX, false},
	};

	setup4(&sw, 0);
	mac_of(a, 0xa);
	mac_of(b, 0xb);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t drops = sw.port[0].drops;
		uint32_t m =
		    vswitch_forward(&sw, 0, frame, mk(b, a, cases[i].type, cases[i].len), 0);
		assert_int_equal(m, cases[i].ok ? 0xeu : 0);
		assert_int_equal(sw.port[0].drops, drops + !cases[i].ok);
	}
	/* refused frames taught nothing */
	setup4(&sw, 0);
	vswitch_forward(&sw, 0, frame, mk(b, a, 0x0800, 13), 0);
	vswitch_forward(&sw, 0, frame, mk(b, a, 0x0800, 1600), 0);
	assert_int_equal(lookup_id(&sw, 0xa, 0), -FV_ENOENT);
	assert_int_equal(sw.port[0].rx_frames, 0);
}

static void test_bad_source(void **state)
{
	(void)state;
	struct vswitch sw;
	uint8_t b[6], odd[6];

	setup4(&sw, 0);
	mac_of(b, 0xb);
	mac_of(odd, 0xa);
	odd[0] |= 1; /* 03:00:...: group bit set */
	const uint8_t *bad[] = {BCAST, MCAST, ZERO, odd};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(vswitch_forward(&sw, 0, frame, mk(b, bad[i], 0x0800, 60), 0), 0);
		assert_int_equal(vswitch_forward(&sw, 0, frame, mk(BCAST, bad[i], 0x0800, 60), 0),
		                 0);
		assert_int_equal(vswitch_fdb_lookup(&sw, bad[i], 0), -FV_ENOENT);
	}
	assert_int_equal(sw.port[0].drops, 8);
	assert_int_equal(sw.drops, 8);
	assert_int_equal(sw.learned, 0);
	for (unsigned p = 1; p < 4; p++)
		assert_int_equal(sw.port[p].tx_frames, 0);
}

/* ---- frame queue ---- */

static struct vswitch_pkt_slot slots[5];

struct fill_src {
	const uint8_t *data;
	size_t give; /* bytes the fill claims to write */
	unsigned calls;
};

static size_t fill_fn(const void *ctx, uint8_t *dst)
{
	struct fill_src *f = (struct fill_src *)(uintptr_t)ctx;
	f->calls++;
	memcpy(dst, f->data, f->give);
	return f->give;
}

/* push_fill: the frame is written straight into the slot; a short fill or full queue queues
 * nothing. */
static void test_pktq_fill(void **state)
{
	(void)state;
	struct vswitch_pktq q;
	const uint8_t *p;
	size_t len;
	uint8_t a[100], b[60];
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	struct fill_src fa = {a, sizeof(a), 0}, fb = {b, sizeof(b), 0}, shortf = {b, 10, 0};

	assert_int_equal(vswitch_pktq_init(&q, slots, 2), 0);
	assert_int_equal(vswitch_pktq_push_fill(&q, 0, fill_fn, &fa), -FV_EINVAL);
	assert_int_equal(vswitch_pktq_push_fill(&q, VSWITCH_SLOT_SIZE + 1, fill_fn, &fa),
	                 -FV_EINVAL);
	assert_int_equal(vswitch_pktq_push_fill(&q, 100, NULL, &fa), -FV_EINVAL);
	assert_int_equal(fa.calls, 0);
	assert_int_equal(vswitch_pktq_push_fill(&q, 60, fill_fn, &shortf), -FV_EIO);
	assert_int_equal(vswitch_pktq_count(&q), 0);
	assert_int_equal(vswitch_pktq_push_fill(&q, sizeof(a), fill_fn, &fa), 0);
	assert_int_equal(vswitch_pktq_push_fill(&q, sizeof(b), fill_fn, &fb), 0);
	/* full: refused before the fill runs, counted as a drop */
	assert_int_equal(vswitch_pktq_push_fill(&q, sizeof(b), fill_fn, &fb), -FV_ENOSPC);
	assert_int_equal(fb.calls, 1);
	assert_int_equal(q.drops, 1);
	assert_true(vswitch_pktq_peek(&q, &p, &len));
	assert_int_equal(len, sizeof(a));
	assert_memory_equal(p, a, sizeof(a));
	vswitch_pktq_pop(&q);
	assert_true(vswitch_pktq_peek(&q, &p, &len));
	assert_int_equal(len, sizeof(b));
	assert_memory_equal(p, b, sizeof(b));
	vswitch_pktq_pop(&q);
	assert_int_equal(vswitch_pktq_count(&q), 0);
}

static void test_pktq(void **state)
{
	(void)state;
	struct vswitch_pktq q;
	const uint8_t *p;
	size_t len;
	uint8_t buf[VSWITCH_SLOT_SIZE + 1];

	assert_int_equal(vswitch_pktq_init(&q, NULL, 4), -FV_EINVAL);
	assert_int_equal(vswitch_pktq_push(&q, buf, 60), -FV_ENOSPC);
	assert_int_equal(vswitch_pktq_init(&q, slots, 0), -FV_EINVAL);
	assert_false(vswitch_pktq_peek(&q, &p, &len));
	assert_int_equal(vswitch_pktq_init(&q, slots, 5), 0);
	assert_int_equal(vswitch_pktq_count(&q), 0);
	assert_false(vswitch_pktq_peek(&q, &p, &len));
	vswitch_pktq_pop(&q); /* empty: nothing happens */
	assert_int_equal(vswitch_pktq_count(&q), 0);
	/* bad lengths are refused, not counted as drops */
	assert_int_equal(vswitch_pktq_push(&q, buf, 0), -FV_EINVAL);
	assert_int_equal(vswitch_pktq_push(&q, buf, VSWITCH_SLOT_SIZE + 1), -FV_EINVAL);
	assert_int_equal(vswitch_pktq_push(&q, NULL, 60), -FV_EINVAL);
	assert_int_equal(q.drops, 0);
	/* fill, overflow, and run many times around the ring in FIFO order */
	unsigned in = 0, out = 0;
	for (unsigned round = 0; round < 40; round++) {
		unsigned burst = 1 + round % 7;
		for (unsigned k = 0; k < burst; k++) {
			size_t l = 1 + (in * 97) % VSWITCH_SLOT_SIZE;
			memset(buf, (int)(in & 0xff), l);
			buf[0] = (uint8_t)in;
			int rc = vswitch_pktq_push(&q, buf, l);
			if (vswitch_pktq_count(&q) == 5 && rc) {
				assert_int_equal(rc, -FV_ENOSPC);
				continue;
			}
			assert_int_equal(rc, 0);
			in++;
		}
		assert_true(vswitch_pktq_count(&q) <= 5);
		unsigned take = round % 4;
		while (take-- && vswitch_pktq_peek(&q, &p, &len)) {
			assert_int_equal(len, 1 + (out * 97) % VSWITCH_SLOT_SIZE);
			assert_int_equal(p[0], (uint8_t)out);
			assert_int_equal(p[len - 1], (uint8_t)out);
			vswitch_pktq_pop(&q);
			out++;
		}
	}
	assert_int_equal(vswitch_pktq_count(&q), in - out);
	assert_true(q.drops > 0);
	while (vswitch_pktq_peek(&q, &p, &len)) {
		assert_int_equal(p[0], (uint8_t)out++);
		vswitch_pktq_pop(&q);
	}
	assert_int_equal(out, in);
	/* a full-size frame round-trips */
	memset(buf, 0x5a, VSWITCH_SLOT_SIZE);
	assert_int_equal(vswitch_pktq_push(&q, buf, VSWITCH_SLOT_SIZE), 0);
	assert_true(vswitch_pktq_peek(&q, &p, &len));
	assert_int_equal(len, VSWITCH_SLOT_SIZE);
	assert_memory_equal(p, buf, VSWITCH_SLOT_SIZE);
	/* every wrap position: move the head, fill up, drain in order */
	for (unsigned h = 0; h < 5; h++) {
		vswitch_pktq_init(&q, slots, 5);
		for (unsigned k = 0; k < h; k++) {
			assert_int_equal(vswitch_pktq_push(&q, buf, 60), 0);
			vswitch_pktq_pop(&q);
		}
		for (unsigned k = 0; k < 5; k++) {
			buf[0] = (uint8_t)k;
			assert_int_equal(vswitch_pktq_push(&q, buf, 60 + k), 0);
		}
		assert_int_equal(vswitch_pktq_push(&q, buf, 60), -FV_ENOSPC);
		for (unsigned k = 0; k < 5; k++) {
			assert_true(vswitch_pktq_peek(&q, &p, &len));
			assert_int_equal(p[0], k);
			assert_int_equal(len, 60 + k);
			vswitch_pktq_pop(&q);
		}
		assert_false(vswitch_pktq_peek(&q, &p, &len));
	}
	/* exactly full: the 6th push fails and counts a drop */
	vswitch_pktq_init(&q, slots, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vswitch_pktq_push(&q, buf, 60), 0);
	assert_int_equal(vswitch_pktq_push(&q, buf, 60), -FV_ENOSPC);
	assert_int_equal(q.drops, 1);
	assert_int_equal(vswitch_pktq_count(&q), 5);
	/* a corrupted image (e.g. a bad snapshot) is treated as empty and refuses pushes */
	q.head = 7;
	assert_int_equal(vswitch_pktq_count(&q), 0);
	assert_false(vswitch_pktq_peek(&q, &p, &len));
	vswitch_pktq_pop(&q);
	assert_int_equal(vswitch_pktq_push(&q, buf, 60), -FV_ENOSPC);
	q.head = 0;
	q.count = 9;
	assert_int_equal(vswitch_pktq_count(&q), 0);
	assert_int_equal(vswitch_pktq_push(&q, buf, 60), -FV_ENOSPC);
	q.count = 1;
	q.slot[0].len = 0xffffffffu; /* clamped to the slot */
	assert_true(vswitch_pktq_peek(&q, &p, &len));
	assert_int_equal(len, VSWITCH_SLOT_SIZE);
}

/* A migrated VM's announcement: a broadcast RARP from its MAC moves its FDB entry. */
static void test_rarp_announce(void **state)
{
	(void)state;
	struct vswitch sw;
	uint8_t mac[6], f[VSWITCH_RARP_LEN];
	static const uint8_t head[] = {0x80, 0x35, 0, 1, 8, 0, 6, 4, 0, 3};

	mac_of(mac, 0xa);
	vswitch_rarp_frame(f, mac);
	assert_memory_equal(f, BCAST, 6);
	assert_memory_equal(f + 6, mac, 6);
	assert_memory_equal(f + 12, head, sizeof(head));
	assert_memory_equal(f + 22, mac, 6);
	assert_memory_equal(f + 32, mac, 6);
	for (unsigned i = 38; i < VSWITCH_RARP_LEN; i++)
		assert_int_equal(f[i], 0);
	assert_int_equal(f[28] | f[29] | f[30] | f[31], 0);
	/* A was learnt on the uplink (port 3, it lived on the other host); its announcement
	 * on port 0 floods (the uplink too, so the other host learns it) and moves the entry. */
	setup4(&sw, 0);
	assert_int_equal(fwd_bcast(&sw, 3, 0xa, 1), 0x7u);
	assert_int_equal(lookup_id(&sw, 0xa, 1), 3);
	assert_int_equal(vswitch_forward(&sw, 0, f, sizeof(f), 2), 0xeu);
	assert_int_equal(lookup_id(&sw, 0xa, 2), 0);
	assert_int_equal(fwd_ids(&sw, 1, 0xa, 0xb, 3), 1u << 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ports),          cmocka_unit_test(test_remove_port),
	    cmocka_unit_test(test_learning),       cmocka_unit_test(test_hairpin),
	    cmocka_unit_test(test_ageing),         cmocka_unit_test(test_table_full),
	    cmocka_unit_test(test_disabled_ports), cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_bad_source),     cmocka_unit_test(test_pktq),
	    cmocka_unit_test(test_pktq_fill),      cmocka_unit_test(test_rarp_announce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
