/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the device-side split virtqueue (hyp/vdev/virtq.c): ring
 * validation at enable, chain gathering, indirect tables, used ring and
 * notification suppression (NO_INTERRUPT, event index, avail_event), 16-bit
 * index wrap, chain copy helpers, and every hostile-ring case: loops,
 * out-of-RAM buffers and tables, indices out of range, avail index jumps,
 * huge lengths, readable-after-writable, nested/NEXT/misaligned indirect,
 * zero-length descriptors, stale pushes after reset; then a ring fuzzer that
 * checks no access ever leaves the fake guest RAM (guard pages, and a second
 * VM's RAM right behind it that must stay bit-identical).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vdev/virtq.h"

/* ---- fake guest RAM: [guard][VM A RAM][VM B RAM][guard] ---- */

#define RAM_BASE   0x80000000ULL
#define RAM_SIZE   (32u << 20) /* large enough to exceed VIRTQ_MAX_CHAIN_LEN */
#define OTHER_SIZE (1u << 20)
#define GUARD      4096u

#define DESC_GPA  (RAM_BASE + 0x1000)
#define AVAIL_GPA (RAM_BASE + 0x3000)
#define USED_GPA  (RAM_BASE + 0x5000)
#define IND_GPA   (RAM_BASE + 0x8000)
#define BUF_GPA   (RAM_BASE + 0x10000)

struct fake_ram {
	uint8_t *map;
	size_t map_len;
	uint8_t *ram;
	uint8_t *other;
	uint64_t other_sum;
};

static struct fake_ram g;
static bool ram_offline; /* simulates the VM's RAM going away under a live queue */

static void *ram_xlate(void *ctx, uint64_t gpa, uint64_t len)
{
	struct fake_ram *r = ctx;

	if (ram_offline || gpa < RAM_BASE)
		return NULL;
	uint64_t off = gpa - RAM_BASE;
	if (off >= RAM_SIZE || len > RAM_SIZE - off)
		return NULL;
	return r->ram + off;
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static int ram_setup(void **state)
{
	(void)state;
	g.map_len = GUARD + RAM_SIZE + OTHER_SIZE + GUARD;
	g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE,
	             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g.map == MAP_FAILED)
		return -1;
	mprotect(g.map, GUARD, PROT_NONE);
	mprotect(g.map + g.map_len - GUARD, GUARD, PROT_NONE);
	g.ram = g.map + GUARD;
	g.other = g.ram + RAM_SIZE;
	for (size_t i = 0; i < OTHER_SIZE; i++)
		g.other[i] = (uint8_t)(i * 7 + 3);
	g.other_sum = checksum(g.other, OTHER_SIZE);
	return 0;
}

static int ram_teardown(void **state)
{
	(void)state;
	munmap(g.map, g.map_len);
	return 0;
}

static uint8_t *hva(uint64_t gpa)
{
	return g.ram + (gpa - RAM_BASE);
}

/* ---- a hand-driven ring ---- */

struct ring {
	struct virtq q;
	uint16_t size;
	uint16_t avail_idx;
};

static void w16(uint64_t gpa, uint16_t v)
{
	memcpy(hva(gpa), &v, 2);
}

static uint16_t r16(uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, hva(gpa), 2);
	return v;
}

static uint32_t r32(uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, hva(gpa), 4);
	return v;
}

static void put_desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
	uint8_t *p = hva(table + 16ull * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void ring_init(struct ring *r, uint16_t size, bool event_idx, bool indirect)
{
	memset(hva(DESC_GPA), 0, 16u * size);
	memset(hva(AVAIL_GPA), 0, 6u + 2u * size);
	memset(hva(USED_GPA), 0, 6u + 8u * size);
	r->size = size;
	r->avail_idx = 0;
	virtq_init(&r->q, ram_xlate, &g);
	assert_int_equal(
	    virtq_enable(&r->q, size, DESC_GPA, AVAIL_GPA, USED_GPA, 1024, event_idx, indirect), 0);
	assert_true(virtq_is_ready(&r->q));
}

static void offer(struct ring *r, uint16_t head)
{
	w16(AVAIL_GPA + 4 + 2u * (r->avail_idx % r->size), head);
	r->avail_idx++;
	w16(AVAIL_GPA + 2, r->avail_idx);
}

static uint16_t used_idx(const struct ring *r)
{
	(void)r;
	return r16(USED_GPA + 2);
}

static void expect_broken(struct ring *r, enum virtq_error why)
{
	struct virtq_chain c;

	assert_int_equal(virtq_pop(&r->q, &c), -FV_EIO);
	assert_true(r->q.broken);
	assert_int_equal(r->q.error, why);
	/* a broken queue touches nothing any more */
	uint16_t before = used_idx(r);
	assert_int_equal(virtq_push(&r->q, 0, 1), -FV_EIO);
	assert_false(virtq_should_notify(&r->q));
	assert_int_equal(virtq_pop(&r->q, &c), -FV_EIO);
	assert_int_equal(used_idx(r), before);
}

/* ---- enable validation ---- */

static void test_enable_checks(void **state)
{
	(void)state;
	struct virtq q;
	const uint64_t end = RAM_BASE + RAM_SIZE;
	static const struct {
		uint32_t size;
		uint64_t desc, avail, used;
	} bad[] = {
	    {0, DESC_GPA, AVAIL_GPA, USED_GPA},
	    {3, DESC_GPA, AVAIL_GPA, USED_GPA},
	    {2048, DESC_GPA, AVAIL_GPA, USED_GPA}, /* > max_size 1024 */
	    {8, DESC_GPA + 8, AVAIL_GPA, USED_GPA},
	    {8, DESC_GPA, AVAIL_GPA + 1, USED_GPA},
	    {8, DESC_GPA, AVAIL_GPA, USED_GPA + 2},
	    {8, RAM_BASE - 0x1000, AVAIL_GPA, USED_GPA},
	    {8, end - 16 * 4, AVAIL_GPA, USED_GPA},       /* desc table runs off RAM */
	    {8, DESC_GPA, end - 6 - 2 * 8 + 2, USED_GPA}, /* used_event word off RAM */
	    {8, DESC_GPA, AVAIL_GPA, end - 68},
	    {8, 0xfffffffffffffff0ULL, AVAIL_GPA, USED_GPA},
	    {8, DESC_GPA, 0xfffffffffffffffeULL, USED_GPA},
	    {8, DESC_GPA, AVAIL_GPA, 0xfffffffffffffffcULL},
	};

	virtq_init(&q, ram_xlate, &g);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(virtq_enable(&q, (uint16_t)bad[i].size, bad[i].desc, bad[i].avail,
		                              bad[i].used, 1024, true, true),
		                 -FV_EINVAL);
		assert_false(virtq_is_ready(&q));
		assert_int_equal(q.error, VIRTQ_ERR_RING);
	}
	/* areas ending exactly at the end of RAM are fine */
	assert_int_equal(
	    virtq_enable(&q, 8, end - 128, end - 22, end - 72 - 1024, 1024, true, true), 0);
	assert_true(virtq_is_ready(&q));
	/* no translation callback: nothing is in RAM */
	virtq_init(&q, NULL, NULL);
	assert_int_equal(virtq_enable(&q, 8, DESC_GPA, AVAIL_GPA, USED_GPA, 1024, false, false),
	                 -FV_EINVAL);
	/* size 1 and size == max are valid */
	virtq_init(&q, ram_xlate, &g);
	assert_int_equal(virtq_enable(&q, 1, DESC_GPA, AVAIL_GPA, USED_GPA, 1, false, false), 0);
	assert_int_equal(
	    virtq_enable(&q, 1024, DESC_GPA, AVAIL_GPA, USED_GPA + 0x4000, 1024, false, false), 0);
}

/* ---- normal operation ---- */

static void test_simple_chain(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	ring_init(&r, 8, false, false);
	assert_int_equal(virtq_pop(&r.q, &c), 0);
	put_desc(DESC_GPA, 5, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 2, BUF_GPA + 100, 200, VIRTQ_DESC_F_NEXT, 7);
	put_desc(DESC_GPA, 7, BUF_GPA + 1000, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(&r, 5);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.head, 5);
	assert_int_equal(c.nread, 2);
	assert_int_equal(c.nwrite, 1);
	assert_int_equal(c.read_len, 216);
	assert_int_equal(c.write_len, 1);
	assert_ptr_equal(c.seg[0].hva, hva(BUF_GPA));
	assert_ptr_equal(c.seg[1].hva, hva(BUF_GPA + 100));
	assert_ptr_equal(c.seg[2].hva, hva(BUF_GPA + 1000));
	assert_int_equal(r.q.inflight, 1);
	assert_int_equal(virtq_pop(&r.q, &c), 0);

	assert_int_equal(virtq_push_chain(&r.q, &c, 99), 0); /* clamped to write_len */
	assert_int_equal(used_idx(&r), 1);
	assert_int_equal(r32(USED_GPA + 4), 5);
	assert_int_equal(r32(USED_GPA + 8), 1);
	assert_int_equal(r.q.inflight, 0);
	assert_true(virtq_should_notify(&r.q));
	assert_false(virtq_should_notify(&r.q)); /* nothing new pushed */

	/* device bug guard: head beyond the table is refused */
	assert_int_equal(virtq_push(&r.q, 8, 0), -FV_EINVAL);
	assert_int_equal(used_idx(&r), 1);
}

static void test_no_interrupt_flag(void **state)
{
	(void)state;
	struct ring r;

	ring_init(&r, 4, false, false);
	w16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_push(&r.q, 0, 0), 0);
	assert_false(virtq_should_notify(&r.q));
	w16(AVAIL_GPA, 0);
	assert_int_equal(virtq_push(&r.q, 1, 0), 0);
	assert_true(virtq_should_notify(&r.q));
	/* with event index the flag is ignored (spec §2.7.10) */
	ring_init(&r, 4, true, false);
	w16(AVAIL_GPA, VIRTQ_AVAIL_F_NO_INTERRUPT);
	w16(AVAIL_GPA + 4 + 2 * 4, 0); /* used_event = 0 */
	assert_int_equal(virtq_push(&r.q, 0, 0), 0);
	assert_true(virtq_should_notify(&r.q));
}

static void test_event_idx(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;
	const uint64_t used_event = AVAIL_GPA + 4 + 2 * 16;
	const uint64_t avail_event = USED_GPA + 4 + 8 * 16;

	ring_init(&r, 16, true, false);
	/* driver: interrupt me when the entry with index 3 is used */
	w16(used_event, 3);
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(virtq_push(&r.q, 0, 0), 0);
		assert_false(virtq_should_notify(&r.q));
	}
	assert_int_equal(virtq_push(&r.q, 0, 0), 0); /* index 3 */
	assert_true(virtq_should_notify(&r.q));
	/* batch crossing the event in the middle */
	w16(used_event, 6);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(virtq_push(&r.q, 0, 0), 0); /* indices 4..8 */
	assert_true(virtq_should_notify(&r.q));
	/* event behind us: no interrupt */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(virtq_push(&r.q, 0, 0), 0);
	assert_false(virtq_should_notify(&r.q));

	/* avail_event: published when the device finds the ring empty */
	assert_int_equal(virtq_pop(&r.q, &c), 0);
	assert_int_equal(r16(avail_event), 0);
	put_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	offer(&r, 0);
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(r16(avail_event), 0); /* not rewritten while busy */
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(virtq_pop(&r.q, &c), 0);
	assert_int_equal(r16(avail_event), 2);
}

/* 16-bit indices wrap: run well past 65536 entries through a small ring. */
static void test_index_wrap(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	ring_init(&r, 4, true, false);
	for (unsigned i = 0; i < 4; i++)
		put_desc(DESC_GPA, i, BUF_GPA + 64 * i, 64, VIRTQ_DESC_F_WRITE, 0);
	for (uint32_t n = 0; n < 140000; n++) {
		uint16_t head = (uint16_t)(n % 4);
		offer(&r, head);
		if (n % 3 == 0)
			offer(&r, (uint16_t)((n + 1) % 4));
		while (virtq_pop(&r.q, &c) == 1) {
			assert_int_equal(virtq_push_chain(&r.q, &c, c.head), 0);
			/* used element written at used_idx-1 mod size */
			uint16_t slot = (uint16_t)(used_idx(&r) - 1u) % 4u;
			assert_int_equal(r32(USED_GPA + 4 + 8u * slot), c.head);
		}
		assert_int_equal(used_idx(&r), r.avail_idx);
		w16(AVAIL_GPA + 4 + 2 * 4, (uint16_t)(used_idx(&r) - 1));
		assert_true(virtq_should_notify(&r.q));
	}
	assert_false(r.q.broken);
}

/* ---- indirect tables ---- */

static void test_indirect(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	ring_init(&r, 8, false, true);
	put_desc(IND_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2);
	put_desc(IND_GPA, 2, BUF_GPA + 512, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	put_desc(IND_GPA, 1, BUF_GPA + 2048, 1, VIRTQ_DESC_F_WRITE, 0);
	/* WRITE on the indirect descriptor itself must be ignored */
	put_desc(DESC_GPA, 3, IND_GPA, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	offer(&r, 3);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.nread, 1);
	assert_int_equal(c.nwrite, 2);
	assert_int_equal(c.write_len, 513);
	assert_ptr_equal(c.seg[1].hva, hva(BUF_GPA + 512));

	/* normal descriptors followed by one indirect one (spec §2.7.5.3.2) */
	put_desc(DESC_GPA, 4, BUF_GPA + 4096, 100, VIRTQ_DESC_F_NEXT, 5);
	put_desc(DESC_GPA, 5, IND_GPA + 64, 16, VIRTQ_DESC_F_INDIRECT, 0);
	put_desc(IND_GPA + 64, 0, BUF_GPA + 8192, 10, VIRTQ_DESC_F_WRITE, 0);
	offer(&r, 4);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.nread, 1);
	assert_int_equal(c.nwrite, 1);

	/* tables at any alignment (byte loads) */
	for (unsigned mis = 1; mis < 16; mis += 3) {
		uint64_t t = IND_GPA + 0x200 + mis;
		put_desc(t, 0, BUF_GPA + 77, 33, VIRTQ_DESC_F_NEXT, 1);
		put_desc(t, 1, BUF_GPA + 999, 5, VIRTQ_DESC_F_WRITE, 0);
		put_desc(DESC_GPA, 6, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
		offer(&r, 6);
		assert_int_equal(virtq_pop(&r.q, &c), 1);
		assert_int_equal(c.read_len, 33);
		assert_int_equal(c.write_len, 5);
		assert_ptr_equal(c.seg[0].hva, hva(BUF_GPA + 77));
	}
}

struct bad_indirect {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	bool feature;
	enum virtq_error why;
};

static void test_indirect_hostile(void **state)
{
	(void)state;
	const uint16_t ind = VIRTQ_DESC_F_INDIRECT;
	const struct bad_indirect cases[] = {
	    {IND_GPA, 32, ind, false, VIRTQ_ERR_INDIRECT}, /* not negotiated */
	    {IND_GPA, 32, ind | VIRTQ_DESC_F_NEXT, true, VIRTQ_ERR_INDIRECT},
	    {IND_GPA, 0, ind, true, VIRTQ_ERR_INDIRECT},
	    {IND_GPA, 24, ind, true, VIRTQ_ERR_INDIRECT},
	    {RAM_BASE + RAM_SIZE - 16, 32, ind, true, VIRTQ_ERR_ADDR},
	    {0xfffffffffffffff0ULL, 32, ind, true, VIRTQ_ERR_ADDR},
	    {IND_GPA, 0xfffffff0u, ind, true, VIRTQ_ERR_ADDR},
	};
	struct ring r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ring_init(&r, 8, false, cases[i].feature);
		put_desc(IND_GPA, 0, BUF_GPA, 4, 0, 0);
		put_desc(IND_GPA, 1, BUF_GPA, 4, 0, 0);
		put_desc(DESC_GPA, 1, cases[i].addr, cases[i].len, cases[i].flags, 2);
		offer(&r, 1);
		expect_broken(&r, cases[i].why);
	}
	/* nested indirect */
	ring_init(&r, 8, false, true);
	put_desc(IND_GPA, 0, IND_GPA + 256, 16, ind, 0);
	put_desc(DESC_GPA, 0, IND_GPA, 16, ind, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_INDIRECT);
	/* loop inside the table: bounded by the table's own length */
	ring_init(&r, 8, false, true);
	put_desc(IND_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 1);
	put_desc(IND_GPA, 1, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	put_desc(DESC_GPA, 0, IND_GPA, 32, ind, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_LOOP);
	/* next beyond the table */
	ring_init(&r, 8, false, true);
	put_desc(IND_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 0, IND_GPA, 32, ind, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_NEXT);
	/* a huge table of zero-length entries: stopped by the segment bound */
	ring_init(&r, 8, false, true);
	for (unsigned i = 0; i < 200; i++)
		put_desc(IND_GPA, i, 0, 0, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	put_desc(DESC_GPA, 0, IND_GPA, 16 * 4096, ind, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_SEGS);
}

/* ---- hostile main-table chains ---- */

static void test_hostile_chains(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	/* self loop */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_LOOP);
	/* two-element loop in a big table: the segment bound stops it first */
	ring_init(&r, 256, false, false);
	put_desc(DESC_GPA, 10, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 11);
	put_desc(DESC_GPA, 11, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 10);
	offer(&r, 10);
	expect_broken(&r, VIRTQ_ERR_SEGS);
	/* head out of range */
	ring_init(&r, 8, false, false);
	offer(&r, 8);
	expect_broken(&r, VIRTQ_ERR_HEAD);
	ring_init(&r, 8, false, false);
	offer(&r, 0xffff);
	expect_broken(&r, VIRTQ_ERR_HEAD);
	/* next out of range */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_NEXT, 8);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_NEXT);
	/* avail idx jumps more than size ahead */
	ring_init(&r, 8, false, false);
	w16(AVAIL_GPA + 2, 9);
	expect_broken(&r, VIRTQ_ERR_AVAIL_IDX);
	ring_init(&r, 8, false, false);
	w16(AVAIL_GPA + 2, 0xffff); /* "backwards" is a huge jump too */
	expect_broken(&r, VIRTQ_ERR_AVAIL_IDX);
	/* exactly size ahead is fine */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 4, 0, 0);
	w16(AVAIL_GPA + 2, 8);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(virtq_pop(&r.q, &c), 0);
	/* buffers outside RAM, straddling its end, wrapping the address space */
	static const struct {
		uint64_t addr;
		uint32_t len;
	} oob[] = {
	    {RAM_BASE - 1, 1},
	    {RAM_BASE + RAM_SIZE, 1},
	    {RAM_BASE + RAM_SIZE - 4, 5},
	    {0xffffffffffffff00ULL, 0x200},
	    {0, 16},
	    {BUF_GPA, RAM_SIZE},
	};
	for (size_t i = 0; i < sizeof(oob) / sizeof(oob[0]); i++) {
		ring_init(&r, 8, false, false);
		put_desc(DESC_GPA, 0, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
		put_desc(DESC_GPA, 1, oob[i].addr, oob[i].len, VIRTQ_DESC_F_WRITE, 0);
		offer(&r, 0);
		expect_broken(&r, VIRTQ_ERR_ADDR);
	}
	/* a single huge length, and a total over VIRTQ_MAX_CHAIN_LEN in RAM */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 0xffffffffu, 0, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_LEN);
	ring_init(&r, 64, false, false);
	for (unsigned i = 0; i < 40; i++)
		put_desc(DESC_GPA, i, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_NEXT, (uint16_t)(i + 1));
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_LEN);
	/* readable after writable */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, BUF_GPA, 4, 0, 0);
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_ORDER);
	/* more than VIRTQ_MAX_SEGS distinct descriptors */
	ring_init(&r, 128, false, false);
	for (unsigned i = 0; i < 65; i++)
		put_desc(DESC_GPA, i, BUF_GPA + i, 1, i < 64 ? VIRTQ_DESC_F_NEXT : 0,
		         (uint16_t)(i + 1));
	offer(&r, 0);
	expect_broken(&r, VIRTQ_ERR_SEGS);
	/* exactly VIRTQ_MAX_SEGS is fine */
	ring_init(&r, 128, false, false);
	for (unsigned i = 0; i < 64; i++)
		put_desc(DESC_GPA, i, BUF_GPA + i, 1, i < 63 ? VIRTQ_DESC_F_NEXT : 0,
		         (uint16_t)(i + 1));
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.nread, 64);
}

static void test_zero_length(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	/* zero-length descriptors are skipped, whatever their address or flags */
	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, 0xdead0000dead0000ULL, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	put_desc(DESC_GPA, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 2, 0, 0, 0, 0);
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.nread, 1);
	assert_int_equal(c.nwrite, 0);
	assert_int_equal(c.read_len, 8);
	/* a chain of nothing at all */
	put_desc(DESC_GPA, 3, 0, 0, 0, 0);
	offer(&r, 3);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(c.nread + c.nwrite, 0);
	assert_int_equal(virtq_push_chain(&r.q, &c, 100), 0);
	assert_int_equal(r32(USED_GPA + 8), 0); /* clamped to the 0 writable bytes */
}

static void test_reset_and_stale(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	ring_init(&r, 8, false, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	/* reset while the request is in flight: its completion is refused */
	virtq_reset(&r.q);
	assert_false(virtq_is_ready(&r.q));
	assert_int_equal(virtq_push_chain(&r.q, &c, 8), -FV_EBUSY);
	assert_int_equal(virtq_pop(&r.q, &c), 0);
	assert_int_equal(used_idx(&r), 0);
	/* re-enabled queue starts from zero, old chain still stale */
	assert_int_equal(virtq_enable(&r.q, 8, DESC_GPA, AVAIL_GPA, USED_GPA, 8, false, false), 0);
	assert_int_equal(virtq_push_chain(&r.q, &c, 8), -FV_EBUSY);
	assert_int_equal(virtq_pop(&r.q, &c), 1); /* avail idx is 1 again from 0 */
	assert_int_equal(virtq_push_chain(&r.q, &c, 8), 0);
	/* disable keeps the layout */
	virtq_disable(&r.q);
	assert_int_equal(r.q.size, 8);
	assert_int_equal(r.q.desc_gpa, DESC_GPA);
	assert_false(r.q.ready);
	/* a corrupted (snapshot-restored) size is caught before use */
	assert_int_equal(virtq_enable(&r.q, 8, DESC_GPA, AVAIL_GPA, USED_GPA, 8, false, false), 0);
	r.q.size = 6;
	assert_int_equal(virtq_pop(&r.q, &c), -FV_EIO);
	assert_int_equal(r.q.error, VIRTQ_ERR_RING);
}

static void test_ram_gone_and_long_batches(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;

	/* every entry point re-translates: losing RAM breaks the queue cleanly */
	for (int entry = 0; entry < 3; entry++) {
		ring_init(&r, 8, true, false);
		assert_int_equal(virtq_push(&r.q, 0, 0), 0);
		ram_offline = true;
		if (entry == 0)
			assert_int_equal(virtq_pop(&r.q, &c), -FV_EIO);
		else if (entry == 1)
			assert_int_equal(virtq_push(&r.q, 0, 0), -FV_EIO);
		else
			assert_false(virtq_should_notify(&r.q));
		ram_offline = false;
		assert_true(r.q.broken);
		assert_int_equal(r.q.error, VIRTQ_ERR_RING);
	}
	/* the same with event index publishing on an empty ring */
	ring_init(&r, 8, true, false);
	put_desc(DESC_GPA, 0, BUF_GPA, 8, 0, 0);
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	/* more than 2^16 pushes between checks: the window cannot tell, notify */
	ring_init(&r, 8, true, false);
	w16(AVAIL_GPA + 4 + 2 * 8, 0x1234);
	for (unsigned i = 0; i < 70000; i++)
		assert_int_equal(virtq_push(&r.q, 0, 0), 0);
	assert_true(virtq_should_notify(&r.q));
	/* a garbage chain handed to the copy helpers is clamped */
	memset(&c, 0, sizeof(c));
	c.nread = 1000;
	c.nwrite = 1000;
	uint8_t b[4];
	assert_int_equal(virtq_chain_read(&c, 0, b, sizeof(b)), 0);
	assert_int_equal(virtq_chain_write(&c, 0, b, sizeof(b)), 0);
}

static void test_chain_copy(void **state)
{
	(void)state;
	struct ring r;
	struct virtq_chain c;
	uint8_t buf[64];

	ring_init(&r, 8, false, false);
	memcpy(hva(BUF_GPA), "abc", 3);
	memcpy(hva(BUF_GPA + 100), "defgh", 5);
	put_desc(DESC_GPA, 0, BUF_GPA, 3, VIRTQ_DESC_F_NEXT, 1);
	put_desc(DESC_GPA, 1, BUF_GPA + 100, 5, VIRTQ_DESC_F_NEXT, 2);
	put_desc(DESC_GPA, 2, BUF_GPA + 200, 2, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 3);
	put_desc(DESC_GPA, 3, BUF_GPA + 300, 4, VIRTQ_DESC_F_WRITE, 0);
	offer(&r, 0);
	assert_int_equal(virtq_pop(&r.q, &c), 1);
	assert_int_equal(virtq_chain_read(&c, 0, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	assert_int_equal(virtq_chain_read(&c, 2, buf, 3), 3);
	assert_memory_equal(buf, "cde", 3);
	assert_int_equal(virtq_chain_read(&c, 8, buf, 3), 0);
	assert_int_equal(virtq_chain_write(&c, 1, "XYZW", 4), 4);
	assert_memory_equal(hva(BUF_GPA + 201), "X", 1);
	assert_memory_equal(hva(BUF_GPA + 300), "YZW", 3);
	assert_int_equal(virtq_chain_write(&c, 5, "12345", 5), 1);
	assert_memory_equal(hva(BUF_GPA + 303), "1", 1);
	/* the readable part is never written */
	assert_memory_equal(hva(BUF_GPA), "abc", 3);
}

/* ---- ring fuzzer ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t fuzz_addr(void)
{
	static const uint64_t picks[] = {
	    RAM_BASE,
	    RAM_BASE + RAM_SIZE - 1,
	    RAM_BASE + RAM_SIZE,
	    RAM_BASE - 1,
	    0,
	    0xfffffffffffff000ULL,
	    IND_GPA,
	    DESC_GPA,
	    USED_GPA,
	    AVAIL_GPA,
	};
	if (rnd() % 2)
		return BUF_GPA + rnd() % 0x20000;
	return picks[rnd() % (sizeof(picks) / sizeof(picks[0]))] + rnd() % 64;
}

static uint32_t fuzz_len(void)
{
	static const uint32_t picks[] = {0, 1, 15, 16, 17, 32, 512, 4096, RAM_SIZE, 0xffffffffu};
	if (rnd() % 2)
		return (uint32_t)(rnd() % 2048);
	return picks[rnd() % (sizeof(picks) / sizeof(picks[0]))];
}

static void test_ring_fuzz(void **state)
{
	(void)state;
	const char *env = getenv("FV_FUZZ_OPS");
	unsigned long ops = env ? strtoul(env, NULL, 0) : 1000000;
	struct ring r;
	struct virtq_chain c;
	unsigned long popped = 0, broken = 0;

	ring_init(&r, 16, true, true);
	for (unsigned long n = 0; n < ops; n++) {
		switch (rnd() % 8) {
		case 0:
		case 1: {
			uint64_t table = (rnd() % 4) ? DESC_GPA : IND_GPA;
			put_desc(table, (unsigned)(rnd() % 24), fuzz_addr(), fuzz_len(),
			         (uint16_t)(rnd() % 8), (uint16_t)(rnd() % 20));
			break;
		}
		case 2:
			offer(&r, (uint16_t)(rnd() % 18));
			break;
		case 3: /* random bytes anywhere in the ring areas */
			hva(DESC_GPA)[rnd() % 0x9000] = (uint8_t)rnd();
			break;
		case 4:
		case 5:
			for (int k = 0; k < 4; k++) {
				int ret = virtq_pop(&r.q, &c);
				if (ret <= 0)
					break;
				popped++;
				/* device writes into every writable byte it was given */
				for (unsigned s = c.nread; s < (unsigned)c.nread + c.nwrite; s++)
					memset(c.seg[s].hva, 0xa5, MIN(c.seg[s].len, 4096u));
				assert_int_equal(virtq_push_chain(&r.q, &c, (uint32_t)rnd()), 0);
			}
			virtq_should_notify(&r.q);
			break;
		case 6:
			if (r.q.broken || rnd() % 64 == 0) {
				broken += r.q.broken;
				ring_init(&r, (uint16_t)(1u << (rnd() % 6)), rnd() % 2, rnd() % 2);
			}
			break;
		default:
			w16(AVAIL_GPA + 2, (uint16_t)(r.avail_idx + rnd() % 3));
			break;
		}
	}
	printf("ring fuzz: %lu ops, %lu chains popped, %lu queues broken\n", ops, popped, broken);
	assert_true(popped > 1000);
	assert_true(broken > 100);
	assert_true(checksum(g.other, OTHER_SIZE) == g.other_sum);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enable_checks),
	    cmocka_unit_test(test_simple_chain),
	    cmocka_unit_test(test_no_interrupt_flag),
	    cmocka_unit_test(test_event_idx),
	    cmocka_unit_test(test_index_wrap),
	    cmocka_unit_test(test_indirect),
	    cmocka_unit_test(test_indirect_hostile),
	    cmocka_unit_test(test_hostile_chains),
	    cmocka_unit_test(test_zero_length),
	    cmocka_unit_test(test_reset_and_stale),
	    cmocka_unit_test(test_chain_copy),
	    cmocka_unit_test(test_ram_gone_and_long_batches),
	    cmocka_unit_test(test_ring_fuzz),
	};

	return cmocka_run_group_tests(tests, ram_setup, ram_teardown);
}
