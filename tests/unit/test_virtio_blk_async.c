/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the asynchronous path of the emulated virtio-blk device
 * (hyp/vdev/virtio_blk.c with a backend that has submit/kick): requests are
 * validated before submission, handed over with the guest's buffers, and
 * completed later in any order; a backend without room leaves requests in
 * the available ring until the owner processes again; a reset drops the
 * completions of requests popped before it (no status byte, no used
 * element); without negotiated FLUSH a write completes only after a flush
 * submitted behind it. Live migration: while a dirty log runs, a completion
 * reports the pages the device wrote behind the guest's stage 2 (the read's
 * data, the status byte, the used ring) after writing them, even when the
 * log was taken while the request was in flight; without a log it costs one
 * callback per push.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/dirty_bm.h"
#include "vdev/virtio_blk.h"

#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (1u << 20)
#define QSIZE    16u
#define SECTORS  64u

#define L_DESC   0x0000u
#define L_AVAIL  0x1000u
#define L_USED   0x2000u
#define L_HDR    0x3000u
#define L_STATUS 0x4000u
#define L_DATA   0x10000u

#define F(bit) VIRTIO_FEAT(bit)

/* A request the fake backend holds until the test completes it. */
struct pending {
	struct virtio_blk_io io;
	struct virtio_blk_vec v[VIRTIO_BLK_IO_VEC];
	bool live;
};

static uint8_t *ram;
static uint8_t disk[SECTORS * 512];
static struct virtio_blk blk;
static struct virtio_blk_backend be;
static struct pending pend[64];
static unsigned npend, room, submits, kicks, irqs, flushes;
static bool full; /* the backend refuses everything */
static bool level;
static uint16_t avail_idx;

static void *xlate(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa - RAM_BASE >= RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
		return NULL;
	return ram + (gpa - RAM_BASE);
}

static void irq(void *ctx, bool l)
{
	(void)ctx;
	irqs += l && !level;
	level = l;
}

/* A dirty log over the test's RAM, as core/dirty_log.c keeps it for a migrating VM. */
static bool logging;
static uint64_t dirty[RAM_SIZE / 4096 / 64];
static unsigned dirty_calls;

static bool ram_dirty(void *ctx, const void *hva, uint64_t len)
{
	(void)ctx;
	const uint8_t *h = hva;
	dirty_calls++;
	assert_true(h >= ram && len > 0 && len <= RAM_SIZE && (size_t)(h - ram) <= RAM_SIZE - len);
	if (!logging)
		return false;
	dirty_bm_set_range(dirty, (uint64_t)(h - ram) / 4096, (uint64_t)(h - ram + len - 1) / 4096);
	return true;
}

static bool page_dirty(uint32_t off)
{
	return dirty_bm_test(dirty, off / 4096);
}

static const struct virtio_mmio_host host = {
    .gpa_to_hva = xlate, .dirty = ram_dirty, .irq_update = irq};

static int fake_submit(void *ctx, const struct virtio_blk_io *io)
{
	(void)ctx;
	if (room == 0 || full)
		return -FV_EAGAIN;
	/* Whatever reaches the backend was validated: inside the disk, whole sectors. */
	size_t len = 0;
	for (unsigned i = 0; i < io->n; i++) {
		assert_true((uint8_t *)io->v[i].buf >= ram &&
		            (uint8_t *)io->v[i].buf + io->v[i].len <= ram + RAM_SIZE);
		len += io->v[i].len;
	}
	assert_int_equal(len % 512, 0);
	assert_true(io->sector + len / 512 <= SECTORS);
	room--;
	submits++;
	flushes += io->type == VIRTIO_BLK_T_FLUSH;
	struct pending *p = &pend[npend++];
	p->io = *io;
	if (io->n)
		memcpy(p->v, io->v, io->n * sizeof(io->v[0]));
	p->io.v = p->v;
	p->live = true;
	return 0;
}

static void fake_kick(void *ctx)
{
	(void)ctx;
	kicks++;
}

/* The "device" does request @i: moves the data, then the owner completes it. */
static void finish(unsigned i, uint8_t status)
{
	struct pending *p = &pend[i];
	assert_true(p->live);
	p->live = false;
	room++;
	uint64_t s = p->io.sector;
	for (unsigned k = 0; k < p->io.n; k++) {
		if (p->io.type == VIRTIO_BLK_T_IN)
			memcpy(p->v[k].buf, disk + s * 512, p->v[k].len);
		else if (p->io.type == VIRTIO_BLK_T_OUT)
			memcpy(disk + s * 512, p->v[k].buf, p->v[k].len);
		s += p->v[k].len / 512;
	}
	virtio_blk_complete(&blk, p->io.tag, status);
	virtio_blk_complete_end(&blk);
}

static uint8_t *at(uint32_t off)
{
	return ram + off;
}

static void mwr(uint32_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(&blk.mmio, off, 4, v), 0);
}

static uint32_t mrd(uint32_t off)
{
	uint64_t v;
	assert_int_equal(virtio_mmio_read(&blk.mmio, off, 4, &v), 0);
	return (uint32_t)v;
}

static void put_desc(unsigned i, uint32_t off, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t addr = RAM_BASE + off;
	uint8_t *p = at(L_DESC + 16u * i);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static uint16_t used_idx(void)
{
	uint16_t v;
	memcpy(&v, at(L_USED + 2), 2);
	return v;
}

static uint32_t used_id(unsigned k)
{
	uint32_t v;
	memcpy(&v, at(L_USED + 4 + 8u * (k % QSIZE)), 4);
	return v;
}

static void drv_init(uint64_t features)
{
	memset(ram, 0, RAM_SIZE);
	avail_idx = 0;
	mwr(VIRTIO_MMIO_STATUS, 0);
	mwr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mwr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mwr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mwr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mwr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	mwr(VIRTIO_MMIO_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	mwr(VIRTIO_MMIO_QUEUE_SEL, 0);
	mwr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	mwr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(RAM_BASE + L_DESC));
	mwr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((RAM_BASE + L_DESC) >> 32));
	mwr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(RAM_BASE + L_AVAIL));
	mwr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((RAM_BASE + L_AVAIL) >> 32));
	mwr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(RAM_BASE + L_USED));
	mwr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((RAM_BASE + L_USED) >> 32));
	mwr(VIRTIO_MMIO_QUEUE_READY, 1);
	mwr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                            VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(mrd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK);
}

/*
 * Request in descriptors 3h..3h+2 (header, one data buffer of @len at data
 * slot h, status byte), published but not kicked. Returns the head.
 */
static uint16_t add_req(unsigned h, uint32_t type, uint64_t sector, uint32_t len)
{
	uint16_t head = (uint16_t)(3 * h);
	uint8_t *hdr = at(L_HDR + 16u * h);
	memcpy(hdr, &type, 4);
	memset(hdr + 4, 0, 4);
	memcpy(hdr + 8, &sector, 8);
	*at(L_STATUS + h) = 0xee;
	put_desc(head, L_HDR + 16u * h, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(head + 1));
	put_desc(head + 1u, L_DATA + 4096u * h, len,
	         (uint16_t)(VIRTQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0)),
	         (uint16_t)(head + 2));
	put_desc(head + 2u, L_STATUS + h, 1, VIRTQ_DESC_F_WRITE, 0);
	memcpy(at(L_AVAIL + 4 + 2u * (avail_idx % QSIZE)), &head, 2);
	avail_idx++;
	memcpy(at(L_AVAIL + 2), &avail_idx, 2);
	return head;
}

static void kick(void)
{
	mwr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
	for (unsigned i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i * 7 + i / 512);
	be = (struct virtio_blk_backend){
	    .submit = fake_submit, .kick = fake_kick, .capacity_sectors = SECTORS};
	assert_int_equal(virtio_blk_init(&blk, &be, NULL, &host, NULL, "async"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void reset_counters(unsigned r)
{
	memset(pend, 0, sizeof(pend));
	npend = submits = kicks = irqs = flushes = 0;
	room = r;
}

/* Four reads in flight at once, completed in reverse order: each lands in its own slot. */
static void test_out_of_order(void **state)
{
	(void)state;
	reset_counters(8);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH));
	for (unsigned h = 0; h < 4; h++)
		add_req(h, VIRTIO_BLK_T_IN, 8 * h, 4096);
	kick();
	assert_int_equal(submits, 4);
	assert_int_equal(kicks, 1); /* one backend kick for the batch */
	assert_int_equal(used_idx(), 0);
	assert_int_equal(blk.inflight, 4);
	for (unsigned k = 0; k < 4; k++) {
		unsigned i = 3 - k;
		finish(i, VIRTIO_BLK_S_OK);
		assert_int_equal(used_idx(), k + 1);
		assert_int_equal(used_id(k), 3 * i);
		assert_int_equal(*at(L_STATUS + i), VIRTIO_BLK_S_OK);
		assert_memory_equal(at(L_DATA + 4096u * i), disk + 8 * i * 512, 4096);
	}
	assert_int_equal(irqs, 1); /* the line rose once and stayed up (no ack yet) */
	assert_int_equal(blk.inflight, 0);
	assert_int_equal(blk.errors, 0);
	/* A device error reaches the guest as IOERR. */
	add_req(0, VIRTIO_BLK_T_IN, 0, 512);
	kick();
	finish(4, VIRTIO_BLK_S_IOERR);
	assert_int_equal(*at(L_STATUS), VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk.errors, 1);
}

/* No room in the backend: the request stays in the available ring until processed again. */
static void test_backoff(void **state)
{
	(void)state;
	reset_counters(2);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH));
	for (unsigned h = 0; h < 4; h++)
		add_req(h, VIRTIO_BLK_T_IN, h, 512);
	kick();
	assert_int_equal(submits, 2);
	assert_true(blk.waiting);
	assert_int_equal(virtio_mmio_queue(&blk.mmio, 0)->last_avail, 2);
	kick(); /* more kicks change nothing while there is no room */
	assert_int_equal(submits, 2);
	finish(0, VIRTIO_BLK_S_OK);
	virtio_blk_process(&blk); /* the owner, on the backend's resume */
	assert_int_equal(submits, 3);
	finish(1, VIRTIO_BLK_S_OK);
	finish(2, VIRTIO_BLK_S_OK);
	virtio_blk_process(&blk);
	assert_int_equal(submits, 4);
	assert_false(blk.waiting);
	finish(3, VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(), 4);
	for (unsigned h = 0; h < 4; h++)
		assert_int_equal(*at(L_STATUS + h), VIRTIO_BLK_S_OK);
}

/* A reset with requests in flight: their completions write nothing into the new rings. */
static void test_reset_drops_completions(void **state)
{
	(void)state;
	reset_counters(8);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH));
	add_req(0, VIRTIO_BLK_T_IN, 0, 4096);
	add_req(1, VIRTIO_BLK_T_OUT, 8, 4096);
	kick();
	assert_int_equal(submits, 2);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH)); /* reset, rings zeroed */
	*at(L_STATUS) = 0xaa;
	*at(L_STATUS + 1) = 0xaa;
	virtio_blk_complete(&blk, pend[1].io.tag, VIRTIO_BLK_S_OK);
	virtio_blk_complete(&blk, pend[0].io.tag, VIRTIO_BLK_S_OK);
	virtio_blk_complete_end(&blk);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(*at(L_STATUS), 0xaa);
	assert_int_equal(*at(L_STATUS + 1), 0xaa);
	assert_int_equal(blk.inflight, 0);
	/* Unknown and repeated tags are ignored. */
	virtio_blk_complete(&blk, pend[0].io.tag, VIRTIO_BLK_S_OK);
	virtio_blk_complete(&blk, 0xffffffffu, VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(), 0);
	/* The new incarnation works. */
	add_req(2, VIRTIO_BLK_T_IN, 1, 512);
	kick();
	finish(2, VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(), 1);
	assert_int_equal(used_id(0), 6);
}

/* Invalid requests fail at once and never reach the backend. */
static void test_validated_before_submit(void **state)
{
	(void)state;
	reset_counters(8);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH));
	add_req(0, VIRTIO_BLK_T_IN, SECTORS - 1, 1024); /* runs past the end */
	add_req(1, VIRTIO_BLK_T_IN, 0xffffffffffffffffULL, 512);
	add_req(2, VIRTIO_BLK_T_OUT, 0, 100); /* not a sector multiple */
	add_req(3, 99, 0, 512);               /* unknown type */
	kick();
	assert_int_equal(submits, 0);
	assert_int_equal(used_idx(), 4);
	for (unsigned h = 0; h < 3; h++)
		assert_int_equal(*at(L_STATUS + h), VIRTIO_BLK_S_IOERR);
	assert_int_equal(*at(L_STATUS + 3), VIRTIO_BLK_S_UNSUPP);
	/* The last sector exactly: accepted. */
	add_req(0, VIRTIO_BLK_T_IN, SECTORS - 1, 512);
	kick();
	assert_int_equal(submits, 1);
	finish(0, VIRTIO_BLK_S_OK);
	assert_int_equal(*at(L_STATUS), VIRTIO_BLK_S_OK);
}

/* Without FLUSH negotiated, a write completes only after a flush behind it. */
static void test_write_through_without_flush(void **state)
{
	(void)state;
	reset_counters(8);
	drv_init(F(VIRTIO_F_VERSION_1));
	memset(at(L_DATA), 0x5a, 512);
	add_req(0, VIRTIO_BLK_T_OUT, 3, 512);
	kick();
	assert_int_equal(submits, 1);
	finish(0, VIRTIO_BLK_S_OK); /* the write */
	assert_int_equal(flushes, 1);
	assert_int_equal(used_idx(), 0);
	assert_int_equal(pend[1].io.tag, pend[0].io.tag);
	finish(1, VIRTIO_BLK_S_OK); /* the flush */
	assert_int_equal(used_idx(), 1);
	assert_int_equal(*at(L_STATUS), VIRTIO_BLK_S_OK);
	assert_int_equal(disk[3 * 512], 0x5a);
	/* A flush that finds no room waits and goes out on the next processing. */
	add_req(1, VIRTIO_BLK_T_OUT, 4, 512);
	kick();
	full = true;
	finish(2, VIRTIO_BLK_S_OK);
	assert_int_equal(flushes, 1);
	assert_true(blk.waiting);
	assert_int_equal(used_idx(), 1);
	full = false;
	virtio_blk_process(&blk);
	assert_int_equal(flushes, 2);
	finish(3, VIRTIO_BLK_S_OK);
	assert_int_equal(used_idx(), 2);
	assert_int_equal(*at(L_STATUS + 1), VIRTIO_BLK_S_OK);
}

/* A migration takes its log while a read is in flight: the completion marks what it wrote. */
static void test_dirty_log_sees_device_writes(void **state)
{
	(void)state;
	reset_counters(8);
	drv_init(F(VIRTIO_F_VERSION_1) | F(VIRTIO_BLK_F_FLUSH));
	logging = true;
	add_req(1, VIRTIO_BLK_T_IN, 8, 4096);
	add_req(2, VIRTIO_BLK_T_OUT, 16, 4096);
	kick();
	assert_int_equal(submits, 2);
	/* The round is taken (the log read and cleared) before the disk finished. */
	memset(dirty, 0, sizeof(dirty));
	finish(0, VIRTIO_BLK_S_OK);
	assert_memory_equal(at(L_DATA + 4096u), disk + 8 * 512, 4096);
	assert_true(page_dirty(L_DATA + 4096u)); /* the data the disk put in guest RAM */
	assert_true(page_dirty(L_STATUS));       /* the status byte */
	assert_true(page_dirty(L_USED));         /* the used element and index */
	assert_false(page_dirty(L_HDR));         /* device-readable: never written */
	assert_false(page_dirty(L_DATA + 2 * 4096u));
	assert_false(page_dirty(L_DESC) || page_dirty(L_AVAIL));
	/* A disk write puts nothing in guest RAM but its status and used element. */
	memset(dirty, 0, sizeof(dirty));
	finish(1, VIRTIO_BLK_S_OK);
	assert_false(page_dirty(L_DATA + 2 * 4096u));
	assert_true(page_dirty(L_STATUS) && page_dirty(L_USED));
	/* No log: one report per completion (the flag test), nothing walked or marked. */
	logging = false;
	memset(dirty, 0, sizeof(dirty));
	add_req(3, VIRTIO_BLK_T_IN, 24, 4096);
	kick();
	dirty_calls = 0;
	finish(2, VIRTIO_BLK_S_OK);
	assert_int_equal(dirty_calls, 1);
	assert_false(page_dirty(L_DATA + 3 * 4096u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_reset_drops_completions),
	    cmocka_unit_test(test_validated_before_submit),
	    cmocka_unit_test(test_write_through_without_flush),
	    cmocka_unit_test(test_dirty_log_sees_device_writes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
