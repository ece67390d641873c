/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the virtio transport state of snapshots (hyp/vdev/virtio_snap.c): a
 * transport driven through its registers to DRIVER_OK with two ready queues and moved
 * indices is encoded, loaded into a fresh transport of the same device and compared
 * field by field (and works: a notification reaches the device). Hostile encodings are
 * refused and leave the transport reset: another device ID or queue count, other offered
 * features, unknown status / interrupt bits, features not offered, FEATURES_OK without
 * VERSION_1, DRIVER_OK without FEATURES_OK, queue sizes not a power of two or above
 * QueueNumMax, rings outside RAM or misaligned, a chain in flight, event-index flags
 * that disagree with the negotiation, reserved bytes, a queue the device does not have.
 * Every single-byte change of a valid encoding either loads or is refused (never crashes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/virtio_snap.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (256u * 1024)
#define DEV_F_A  3

static uint8_t ram[RAM_SIZE];
static unsigned notified;

static void *ram_xlate(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa < RAM_BASE)
		return NULL;
	uint64_t off = gpa - RAM_BASE;
	if (off >= RAM_SIZE || len > RAM_SIZE - off)
		return NULL;
	return ram + off;
}

static void d_notify(void *ctx, unsigned q)
{
	(void)ctx;
	(void)q;
	notified++;
}

static void h_irq(void *ctx, bool level)
{
	(void)ctx;
	(void)level;
}

static const struct virtio_dev_ops d_ops = {.notify = d_notify};
static const struct virtio_mmio_host d_host = {.gpa_to_hva = ram_xlate, .irq_update = h_irq};
static const struct virtio_dev_info d_info = {
    .device_id = 42,
    .features = VIRTIO_FEAT(DEV_F_A) | VIRTIO_FEAT(VIRTIO_F_EVENT_IDX) |
                VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC),
    .nqueues = 2,
    .queue_max = 64,
    .config_size = 8,
};

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(t, off, 4, v), 0);
}

static void fresh(struct virtio_mmio *t)
{
	assert_int_equal(virtio_mmio_init(t, &d_info, &d_ops, NULL, &d_host, NULL), 0);
}

/* A transport at DRIVER_OK, queues 0 (16 entries) and 1 (64) ready, indices moved. */
static void driven(struct virtio_mmio *t)
{
	fresh(t);
	wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (1u << DEV_F_A) | (1u << VIRTIO_F_EVENT_IDX));
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1u); /* VERSION_1 */
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < 2; q++) {
		uint64_t base = RAM_BASE + 0x10000 * (q + 1);
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(t, VIRTIO_MMIO_QUEUE_NUM, q ? 64 : 16);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)base);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(base >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(base + 0x4000));
		wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(base >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(base + 0x8000));
		wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(base >> 32));
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
	       VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_mmio_running(t));
	/* As after traffic: indices wrapped past 65535, nothing in flight. */
	t->vq[0].last_avail = t->vq[0].used_idx = 65533;
	t->vq[0].signal_used = 65530;
	t->vq[0].unsignalled = 3;
	t->vq[1].last_avail = t->vq[1].used_idx = 7;
	t->isr = VIRTIO_MMIO_INT_VRING;
	t->config_gen = 5;
	t->queue_sel = 1;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct virtio_mmio a, b;
	uint8_t p[VIRTIO_SNAP_LEN];
	const char *why = "unset";
	driven(&a);
	assert_true(virtio_snap_quiet(&a));
	virtio_snap_put(&a, p);
	fresh(&b);
	assert_int_equal(virtio_snap_get(&b, p, &why), 0);
	assert_null(why);
	assert_int_equal(b.status, a.status);
	assert_true(b.driver_features == a.driver_features);
	assert_int_equal(b.isr, a.isr);
	assert_int_equal(b.config_gen, 5);
	assert_int_equal(b.queue_sel, 1);
	assert_int_equal(b.drv_features_sel, a.drv_features_sel);
	for (unsigned q = 0; q < 2; q++) {
		assert_true(virtq_is_ready(&b.vq[q]));
		assert_int_equal(b.vq[q].size, a.vq[q].size);
		assert_true(b.vq[q].desc_gpa == a.vq[q].desc_gpa);
		assert_true(b.vq[q].avail_gpa == a.vq[q].avail_gpa);
		assert_true(b.vq[q].used_gpa == a.vq[q].used_gpa);
		assert_int_equal(b.vq[q].last_avail, a.vq[q].last_avail);
		assert_int_equal(b.vq[q].used_idx, a.vq[q].used_idx);
		assert_int_equal(b.vq[q].signal_used, a.vq[q].signal_used);
		assert_int_equal(b.vq[q].unsignalled, a.vq[q].unsignalled);
		assert_true(b.vq[q].event_idx);
		assert_false(b.vq[q].indirect);
	}
	assert_false(b.vq[2].ready);
	/* It works: a notification reaches the device. */
	unsigned n0 = notified;
	wr(&b, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(notified, n0 + 1);
	/* The same bytes again. */
	uint8_t p2[VIRTIO_SNAP_LEN];
	virtio_snap_put(&b, p2);
	assert_memory_equal(p, p2, VIRTIO_SNAP_LEN);
	/* A reset device (never driven) round-trips too. */
	fresh(&a);
	virtio_snap_put(&a, p);
	assert_int_equal(virtio_snap_get(&b, p, &why), 0);
	assert_int_equal(b.status, 0);
	assert_false(b.vq[0].ready);
}

static void test_in_flight_not_quiet(void **state)
{
	(void)state;
	struct virtio_mmio a;
	driven(&a);
	a.vq[1].inflight = 1;
	assert_false(virtio_snap_quiet(&a));
	a.vq[1].inflight = 0;
	a.vq[1].last_avail++;
	assert_false(virtio_snap_quiet(&a));
}

/* Change the encoding with @fn and expect a refusal that leaves the transport reset. */
static void refused(void (*fn)(uint8_t *p), const char *what)
{
	struct virtio_mmio a, b;
	uint8_t p[VIRTIO_SNAP_LEN];
	const char *why = NULL;
	driven(&a);
	virtio_snap_put(&a, p);
	fn(p);
	fresh(&b);
	if (virtio_snap_get(&b, p, &why) != -FV_EINVAL || !why) {
		print_error("accepted: %s\n", what);
		fail();
	}
	assert_int_equal(b.status, 0);
	for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
		assert_false(b.vq[q].ready);
}

#define Q(i, off) (p + VIRTIO_SNAP_HEAD + (i)*VIRTIO_SNAP_QUEUE + (off))

static void h_dev_id(uint8_t *p)
{
	virtio_snap_put32(p, 1);
}
static void h_nqueues(uint8_t *p)
{
	virtio_snap_put32(p + 4, 3);
}
static void h_offered(uint8_t *p)
{
	p[32] ^= 1;
}
static void h_status(uint8_t *p)
{
	p[8] |= 0x10;
}
static void h_isr(uint8_t *p)
{
	p[12] |= 4;
}
static void h_not_offered(uint8_t *p)
{
	p[40] |= 1;
}
static void h_no_v1(uint8_t *p)
{
	p[44] = 0;
}
static void h_ok_no_feat(uint8_t *p)
{
	p[8] &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
}
static void h_size_pow2(uint8_t *p)
{
	virtio_snap_put16(Q(0, 24), 12);
}
static void h_size_max(uint8_t *p)
{
	virtio_snap_put16(Q(1, 24), 128);
}
static void h_size_zero(uint8_t *p)
{
	virtio_snap_put16(Q(0, 24), 0);
}
static void h_desc_out(uint8_t *p)
{
	virtio_snap_put64(Q(0, 0), RAM_BASE + RAM_SIZE - 64);
}
static void h_used_low(uint8_t *p)
{
	virtio_snap_put64(Q(1, 16), RAM_BASE - 0x1000);
}
static void h_misaligned(uint8_t *p)
{
	virtio_snap_put64(Q(0, 0), RAM_BASE + 0x10008);
}
static void h_wrap(uint8_t *p)
{
	virtio_snap_put64(Q(0, 8), UINT64_MAX - 8);
}
static void h_inflight(uint8_t *p)
{
	virtio_snap_put16(Q(1, 28), 9);
}
static void h_qflags(uint8_t *p)
{
	p[VIRTIO_SNAP_HEAD + 26] |= 0x10;
}
static void h_ev_off(uint8_t *p)
{
	p[VIRTIO_SNAP_HEAD + 26] &= (uint8_t)~VIRTIO_SNAP_Q_EVENT_IDX;
}
static void h_indirect(uint8_t *p)
{
	p[VIRTIO_SNAP_HEAD + 26] |= VIRTIO_SNAP_Q_INDIRECT;
}
static void h_reserved(uint8_t *p)
{
	Q(0, 40)[0] = 1;
}
static void h_extra_queue(uint8_t *p)
{
	Q(2, 0)[0] = 1;
}
static void h_ready_broken(uint8_t *p)
{
	p[VIRTIO_SNAP_HEAD + 26] |= VIRTIO_SNAP_Q_BROKEN;
}

static void h_not_ready_idx(uint8_t *p)
{
	p[VIRTIO_SNAP_HEAD + 26] &= (uint8_t)~VIRTIO_SNAP_Q_READY;
}

static void test_hostile_refused(void **state)
{
	(void)state;
	refused(h_dev_id, "another device ID");
	refused(h_nqueues, "another queue count");
	refused(h_offered, "other offered features");
	refused(h_status, "unknown status bit");
	refused(h_isr, "unknown interrupt status bit");
	refused(h_not_offered, "a feature not offered");
	refused(h_no_v1, "FEATURES_OK without VERSION_1");
	refused(h_ok_no_feat, "DRIVER_OK without FEATURES_OK");
	refused(h_size_pow2, "size 12");
	refused(h_size_max, "size above QueueNumMax");
	refused(h_size_zero, "size 0 on a ready queue");
	refused(h_desc_out, "descriptors past RAM");
	refused(h_used_low, "used ring below RAM");
	refused(h_misaligned, "misaligned descriptors");
	refused(h_wrap, "an address that wraps");
	refused(h_inflight, "last_avail != used_idx");
	refused(h_qflags, "unknown queue flag");
	refused(h_ev_off, "event index flag not the negotiated one");
	refused(h_indirect, "indirect not negotiated");
	refused(h_reserved, "reserved queue bytes");
	refused(h_extra_queue, "a third queue");
	refused(h_ready_broken, "ready and broken");
	refused(h_not_ready_idx, "indices on a queue not ready");
}

static void test_every_byte(void **state)
{
	(void)state;
	struct virtio_mmio a, b;
	uint8_t p[VIRTIO_SNAP_LEN], c[VIRTIO_SNAP_LEN];
	driven(&a);
	virtio_snap_put(&a, p);
	for (unsigned i = 0; i < VIRTIO_SNAP_LEN; i++)
		for (unsigned bit = 0; bit < 8; bit++) {
			const char *why = NULL;
			memcpy(c, p, sizeof(c));
			c[i] ^= (uint8_t)(1u << bit);
			fresh(&b);
			int ret = virtio_snap_get(&b, c, &why);
			assert_true(ret == 0 || (ret == -FV_EINVAL && why));
			for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
				if (b.vq[q].ready) {
					/* Whatever loaded lies inside RAM and is a valid size. */
					assert_true(q < 2);
					assert_true(b.vq[q].size && b.vq[q].size <= 64 &&
					            !(b.vq[q].size & (b.vq[q].size - 1)));
					assert_non_null(
					    ram_xlate(NULL, b.vq[q].desc_gpa, 16u * b.vq[q].size));
				}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_in_flight_not_quiet),
	    cmocka_unit_test(test_hostile_refused),
	    cmocka_unit_test(test_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
