/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the virtio-mmio v2 transport model (hyp/vdev/virtio_mmio.c)
 * with a dummy device: identity registers, feature words, the status state
 * machine and FEATURES_OK negotiation, queue setup and its validation,
 * notifications and their gating, interrupt status / ACK and the line level,
 * config space at every width and offset, DEVICE_NEEDS_RESET, reset, access
 * width / alignment / range rules, and a 1M-operation register fuzzer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vdev/virtio_mmio.h"

#define RAM_BASE      0x40000000ULL
#define RAM_SIZE      (256u * 1024)
#define CFG_SIZE      10u
#define DEV_F_A       3 /* two device-specific feature bits we offer */
#define DEV_F_B       40
#define DEV_F_NEEDS_A 41 /* offered, but only valid together with DEV_F_A */

static uint8_t ram[RAM_SIZE];

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

/* ---- dummy device and host ---- */

struct dummy {
	struct virtio_mmio t;
	uint8_t cfg[CFG_SIZE];
	unsigned notify[VIRTIO_MMIO_MAX_QUEUES];
	unsigned resets;
	unsigned irq_calls;
	bool level;
};

static void d_cfg_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	struct dummy *d = ctx;
	assert_true(off + len <= CFG_SIZE && len >= 1 && len <= 8);
	memcpy(buf, d->cfg + off, len);
}

static void d_cfg_write(void *ctx, uint32_t off, const void *buf, uint32_t len)
{
	struct dummy *d = ctx;
	assert_true(off + len <= CFG_SIZE && len >= 1 && len <= 8);
	memcpy(d->cfg + off, buf, len);
}

static bool d_features_ok(void *ctx, uint64_t f)
{
	(void)ctx;
	return !(f & VIRTIO_FEAT(DEV_F_NEEDS_A)) || (f & VIRTIO_FEAT(DEV_F_A));
}

static void d_notify(void *ctx, unsigned q)
{
	struct dummy *d = ctx;
	assert_true(q < 2);
	assert_true(virtio_mmio_running(&d->t));
	assert_true(virtq_is_ready(&d->t.vq[q]));
	d->notify[q]++;
}

static void d_reset(void *ctx)
{
	struct dummy *d = ctx;
	d->resets++;
}

static void h_irq(void *ctx, bool level)
{
	struct dummy *d = ctx;
	assert_int_not_equal(level, d->level); /* only real changes */
	assert_int_equal(level, virtio_mmio_irq_pending(&d->t));
	d->level = level;
	d->irq_calls++;
}

static const struct virtio_dev_ops d_ops = {
    .config_read = d_cfg_read,
    .config_write = d_cfg_write,
    .features_ok = d_features_ok,
    .notify = d_notify,
    .reset = d_reset,
};
static const struct virtio_mmio_host d_host = {.gpa_to_hva = ram_xlate, .irq_update = h_irq};
static const struct virtio_dev_info d_info = {
    .device_id = 42,
    .features = VIRTIO_FEAT(DEV_F_A) | VIRTIO_FEAT(DEV_F_B) | VIRTIO_FEAT(DEV_F_NEEDS_A) |
                VIRTIO_FEAT(VIRTIO_F_EVENT_IDX),
    .nqueues = 2,
    .queue_max = 64,
    .config_size = CFG_SIZE,
};

static int setup(void **state)
{
	struct dummy *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	for (unsigned i = 0; i < CFG_SIZE; i++)
		d->cfg[i] = (uint8_t)(0x10 + i);
	if (virtio_mmio_init(&d->t, &d_info, &d_ops, d, &d_host, d))
		return -1;
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static uint32_t rd(struct dummy *d, uint32_t off)
{
	uint64_t v = 0xdead;
	assert_int_equal(virtio_mmio_read(&d->t, off, 4, &v), 0);
	assert_true(v <= 0xffffffffu);
	return (uint32_t)v;
}

static void wr(struct dummy *d, uint32_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(&d->t, off, 4, v), 0);
}

static void set_features(struct dummy *d, uint64_t f)
{
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

static void setup_queue(struct dummy *d, unsigned q, uint32_t num, uint64_t base)
{
	wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)base);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(base >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(base + 0x1000));
	wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((base + 0x1000) >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(base + 0x2000));
	wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((base + 0x2000) >> 32));
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* The Linux virtio_mmio probe + virtio core init sequence. */
static void bring_up(struct dummy *d, uint64_t f)
{
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(d, f);
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
	assert_true(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	setup_queue(d, 0, 16, RAM_BASE);
	setup_queue(d, 1, 64, RAM_BASE + 0x4000);
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_mmio_running(&d->t));
}

static void test_identity(void **state)
{
	struct dummy *d = *state;

	assert_int_equal(rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(d, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_ID), 42);
	assert_int_equal(rd(d, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_FEATURES),
	                 (uint32_t)(BIT(DEV_F_A) | BIT(VIRTIO_F_EVENT_IDX)));
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 1u | BIT(8) | BIT(9)); /* 32, 40, 41 */
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0xffffffff);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* legacy and absent registers */
	assert_int_equal(rd(d, 0x028), 0); /* GuestPageSize */
	assert_int_equal(rd(d, 0x040), 0); /* QueuePFN */
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_RESET), 0);
	assert_int_equal(rd(d, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(rd(d, VIRTIO_MMIO_SHM_BASE_HIGH), 0xffffffff);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_NOTIFY), 0); /* write-only */
	/* read-only registers ignore writes */
	wr(d, VIRTIO_MMIO_MAGIC_VALUE, 0);
	wr(d, VIRTIO_MMIO_DEVICE_ID, 7);
	wr(d, VIRTIO_MMIO_INTERRUPT_STATUS, 3);
	assert_int_equal(rd(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(d, VIRTIO_MMIO_DEVICE_ID), 42);
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

static void test_negotiation(void **state)
{
	struct dummy *d = *state;
	const uint64_t v1 = VIRTIO_FEAT(VIRTIO_F_VERSION_1);
	const uint32_t ad = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	static const uint64_t refused[] = {
	    0,                                      /* no VERSION_1 */
	    VIRTIO_FEAT(DEV_F_A),                   /* no VERSION_1 */
	    VIRTIO_FEAT(VIRTIO_F_VERSION_1) | 1ULL, /* bit 0 not offered */
	    VIRTIO_FEAT(VIRTIO_F_VERSION_1) | VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC),
	    VIRTIO_FEAT(VIRTIO_F_VERSION_1) | VIRTIO_FEAT(DEV_F_NEEDS_A), /* device's own check */
	    VIRTIO_FEAT(VIRTIO_F_VERSION_1) | VIRTIO_FEAT(63),
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		wr(d, VIRTIO_MMIO_STATUS, 0);
		wr(d, VIRTIO_MMIO_STATUS, ad);
		set_features(d, refused[i]);
		wr(d, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_FEATURES_OK);
		assert_int_equal(rd(d, VIRTIO_MMIO_STATUS), ad);
		/* DRIVER_OK without FEATURES_OK does not stick either */
		wr(d, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_DRIVER_OK);
		assert_int_equal(rd(d, VIRTIO_MMIO_STATUS), ad);
		assert_false(virtio_mmio_running(&d->t));
	}
	/* accepted set, then frozen */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, ad);
	set_features(d, v1 | VIRTIO_FEAT(DEV_F_A) | VIRTIO_FEAT(DEV_F_NEEDS_A));
	wr(d, VIRTIO_MMIO_STATUS, ad | VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(rd(d, VIRTIO_MMIO_STATUS), ad | VIRTIO_STATUS_FEATURES_OK);
	assert_true(virtio_mmio_has_feature(&d->t, DEV_F_A));
	assert_true(virtio_mmio_has_feature(&d->t, VIRTIO_F_VERSION_1));
	assert_false(virtio_mmio_has_feature(&d->t, DEV_F_B));
	assert_false(virtio_mmio_has_feature(&d->t, 64));
	set_features(d, v1 | VIRTIO_FEAT(DEV_F_B));
	assert_false(virtio_mmio_has_feature(&d->t, DEV_F_B));
	assert_true(virtio_mmio_has_feature(&d->t, DEV_F_A));
	/* feature selector beyond 1 writes nothing */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 5);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	assert_int_equal(d->t.driver_features, 0);
	/* the driver cannot clear bits or set DEVICE_NEEDS_RESET */
	bring_up(d, v1);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(virtio_mmio_running(&d->t));
	assert_int_equal(rd(d, VIRTIO_MMIO_STATUS),
	                 ad | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	/* FAILED stops the device */
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FAILED);
	assert_false(virtio_mmio_running(&d->t));
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(d->notify[0], 1); /* only the DRIVER_OK sweep */
}

static void test_queue_setup(void **state)
{
	struct dummy *d = *state;
	struct virtq *q0 = virtio_mmio_queue(&d->t, 0);

	assert_null(virtio_mmio_queue(&d->t, 2));
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, 8); /* no such queue: ignored */
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0xffffffff);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(rd(d, VIRTIO_MMIO_STATUS), 0);

	bring_up(d, VIRTIO_FEAT(VIRTIO_F_VERSION_1) | VIRTIO_FEAT(VIRTIO_F_EVENT_IDX));
	assert_true(virtq_is_ready(q0));
	assert_int_equal(q0->size, 16);
	assert_int_equal(q0->desc_gpa, RAM_BASE);
	assert_int_equal(q0->avail_gpa, RAM_BASE + 0x1000);
	assert_int_equal(q0->used_gpa, RAM_BASE + 0x2000);
	assert_true(q0->event_idx);
	assert_false(q0->indirect);
	/* while ready, layout registers are ignored */
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, 32);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1230);
	assert_int_equal(q0->size, 16);
	assert_int_equal(q0->desc_gpa, RAM_BASE);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
	/* QueueReady = 0 stops it and keeps the layout */
	wr(d, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_false(virtq_is_ready(q0));
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_true(virtq_is_ready(q0));
	/* reset clears every queue */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	assert_false(q0->ready);
	assert_int_equal(q0->size, 0);
	assert_int_equal(q0->desc_gpa, 0);

	/* invalid layouts: queue stays off and the device asks for a reset */
	static const struct {
		uint32_t num;
		uint64_t base;
	} bad[] = {
	    {0, RAM_BASE},
	    {12, RAM_BASE},
	    {128, RAM_BASE},
	    {0x10010, RAM_BASE},
	    {16, RAM_BASE + 8},
	    {16, RAM_BASE + RAM_SIZE - 0x1000},
	    {16, 0},
	    {16, 0xfffffffffffff000ULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(d, VIRTIO_MMIO_STATUS, 0);
		wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		set_features(d, VIRTIO_FEAT(VIRTIO_F_VERSION_1));
		wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
		setup_queue(d, 0, bad[i].num, bad[i].base);
		assert_int_equal(rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
		assert_true(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
		assert_false(virtio_mmio_running(&d->t));
	}
}

static void test_notify_and_irq(void **state)
{
	struct dummy *d = *state;

	/* before DRIVER_OK: no notification reaches the device */
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	set_features(d, VIRTIO_FEAT(VIRTIO_F_VERSION_1));
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
	setup_queue(d, 0, 16, RAM_BASE);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(d->notify[0], 0);
	virtio_mmio_used_irq(&d->t); /* no used notification before DRIVER_OK */
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* DRIVER_OK sweeps the ready queues once */
	wr(d, VIRTIO_MMIO_STATUS, rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(d->notify[0], 1);
	assert_int_equal(d->notify[1], 0); /* queue 1 not ready */
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0x10000);
	assert_int_equal(d->notify[0], 2);
	assert_int_equal(d->notify[1], 0);

	/* used buffer interrupt, ack, level callback */
	virtio_mmio_used_irq(&d->t);
	assert_true(d->level);
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	virtio_mmio_used_irq(&d->t);
	assert_int_equal(d->irq_calls, 1);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, 0xfffffffc); /* other bits: nothing */
	assert_true(d->level);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_false(d->level);
	/* configuration change */
	uint32_t gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_mmio_config_changed(&d->t);
	assert_int_equal(rd(d, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	virtio_mmio_used_irq(&d->t);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_true(d->level);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, 3);
	assert_false(d->level);

	/* device error: NEEDS_RESET, config interrupt, no more notifications */
	virtio_mmio_needs_reset(&d->t);
	assert_true(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_false(virtio_mmio_running(&d->t));
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(d->notify[0], 2);
	/* reset: everything cleared, line dropped, device told */
	unsigned resets = d->resets;
	wr(d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(d->resets, resets + 1);
	assert_false(d->level);
	assert_int_equal(rd(d, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* host-side reset does the same */
	bring_up(d, VIRTIO_FEAT(VIRTIO_F_VERSION_1));
	virtio_mmio_used_irq(&d->t);
	virtio_mmio_reset(&d->t);
	assert_false(d->level);
	assert_false(virtio_mmio_running(&d->t));
}

static void test_config_space(void **state)
{
	struct dummy *d = *state;
	uint64_t v;

	assert_int_equal(virtio_mmio_read(&d->t, 0x100, 1, &v), 0);
	assert_int_equal(v, 0x10);
	assert_int_equal(virtio_mmio_read(&d->t, 0x101, 2, &v), 0); /* unaligned is served */
	assert_int_equal(v, 0x1211);
	assert_int_equal(virtio_mmio_read(&d->t, 0x104, 4, &v), 0);
	assert_int_equal(v, 0x17161514);
	assert_int_equal(virtio_mmio_read(&d->t, 0x100, 8, &v), 0);
	assert_int_equal(v, 0x1716151413121110ULL);
	assert_int_equal(virtio_mmio_read(&d->t, 0x108, 4, &v), 0); /* straddles the end */
	assert_int_equal(v, 0x1918);
	assert_int_equal(virtio_mmio_read(&d->t, 0x10a, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_read(&d->t, 0x1f8, 8, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_write(&d->t, 0x102, 2, 0xbeef), 0);
	assert_int_equal(d->cfg[2], 0xef);
	assert_int_equal(d->cfg[3], 0xbe);
	assert_int_equal(virtio_mmio_write(&d->t, 0x109, 8, ~0ULL), 0);
	assert_int_equal(d->cfg[9], 0xff);
	assert_int_equal(virtio_mmio_write(&d->t, 0x1fc, 4, ~0ULL), 0); /* past config: ignored */
	/* a device with no config callbacks reads zeros */
	struct virtio_mmio bare;
	assert_int_equal(virtio_mmio_init(&bare, &d_info, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(virtio_mmio_read(&bare, 0x100, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_write(&bare, 0x100, 4, 1), 0);
	assert_int_equal(virtio_mmio_write(&bare, VIRTIO_MMIO_STATUS, 4, 0), 0);
}

static void test_access_rules(void **state)
{
	struct dummy *d = *state;
	uint64_t v;

	static const struct {
		uint64_t off;
		unsigned width;
		int err;
	} cases[] = {
	    {0x000, 1, -FV_EINVAL},     {0x000, 2, -FV_EINVAL}, {0x000, 8, -FV_EINVAL},
	    {0x002, 4, -FV_EINVAL},     {0x071, 4, -FV_EINVAL}, {0x0fc, 8, -FV_EINVAL},
	    {0x000, 3, -FV_EINVAL},     {0x000, 0, -FV_EINVAL}, {0x100, 16, -FV_EINVAL},
	    {0x200, 4, -FV_ERANGE},     {0x1fc, 8, -FV_ERANGE}, {~0ULL, 4, -FV_ERANGE},
	    {~0ULL - 2, 4, -FV_ERANGE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 77;
		assert_int_equal(virtio_mmio_read(&d->t, cases[i].off, cases[i].width, &v),
		                 cases[i].err);
		assert_int_equal(v, 0);
		assert_int_equal(virtio_mmio_write(&d->t, cases[i].off, cases[i].width, 0),
		                 cases[i].err);
	}
	/* a byte write to Status is refused, not a reset */
	bring_up(d, VIRTIO_FEAT(VIRTIO_F_VERSION_1));
	assert_int_equal(virtio_mmio_write(&d->t, VIRTIO_MMIO_STATUS, 1, 0), -FV_EINVAL);
	assert_true(virtio_mmio_running(&d->t));
	/* upper bits of a 32-bit status write are ignored, 0x100 is not a reset */
	wr(d, VIRTIO_MMIO_STATUS, 0x100);
	assert_true(virtio_mmio_running(&d->t));
}

static void test_invalid_info(void **state)
{
	(void)state;
	struct virtio_mmio t;
	uint64_t v;
	struct virtio_dev_info info;
	const struct virtio_dev_info *bad[6];
	struct virtio_dev_info b[5];

	for (int i = 0; i < 5; i++)
		b[i] = d_info;
	b[0].device_id = 0;
	b[1].nqueues = 0;
	b[2].nqueues = VIRTIO_MMIO_MAX_QUEUES + 1;
	b[3].queue_max = 48;
	b[4].config_size = VIRTIO_MMIO_CONFIG_MAX + 1;
	for (int i = 0; i < 5; i++)
		bad[i] = &b[i];
	bad[5] = NULL;
	for (int i = 0; i < 6; i++) {
		assert_int_equal(virtio_mmio_init(&t, bad[i], &d_ops, NULL, &d_host, NULL),
		                 -FV_EINVAL);
		assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_DEVICE_ID, 4, &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_QUEUE_NUM_MAX, 4, &v), 0);
		assert_int_equal(v, 0);
		assert_null(virtio_mmio_queue(&t, 0));
	}
	info = d_info;
	info.queue_max = VIRTQ_SIZE_MAX;
	assert_int_equal(virtio_mmio_init(&t, &info, NULL, NULL, NULL, NULL), 0);
}

/* ---- register fuzzer ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_register_fuzz(void **state)
{
	struct dummy *d = *state;
	const char *env = getenv("FV_FUZZ_OPS");
	unsigned long ops = env ? strtoul(env, NULL, 0) : 1000000;
	static const unsigned widths[] = {1, 2, 4, 8, 4, 4, 4, 3};
	unsigned long ok = 0;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	for (unsigned long n = 0; n < ops; n++) {
		uint64_t off, val = rnd();
		unsigned width = widths[rnd() % 8];
		int ret;

		/* now and then a clean Linux-style bring-up, to fuzz a live device */
		if (rnd() % 4096 == 0)
			bring_up(d,
			         VIRTIO_FEAT(VIRTIO_F_VERSION_1) | (rnd() % 2) * d_info.features);
		switch (rnd() % 8) {
		case 0: /* anything */
			off = rnd() % 0x240;
			break;
		case 1: /* a plausible status value */
			off = VIRTIO_MMIO_STATUS;
			width = 4;
			val = rnd() % 0x100;
			if (rnd() % 4 == 0)
				val = 0;
			break;
		case 2: /* queue selectors and numbers, in range most of the time */
			off = (rnd() % 2) ? VIRTIO_MMIO_QUEUE_SEL : VIRTIO_MMIO_QUEUE_NUM;
			width = 4;
			val = rnd() % 70;
			break;
		case 3: /* addresses inside or near RAM */
			off = VIRTIO_MMIO_QUEUE_DESC_LOW + 0x10 * (rnd() % 3) + 4 * (rnd() % 2);
			width = 4;
			val = (rnd() % 2) ? (RAM_BASE + (rnd() % RAM_SIZE)) & ~0xfULL : 0;
			break;
		case 4:
			off = (rnd() % 2) ? VIRTIO_MMIO_QUEUE_READY : VIRTIO_MMIO_QUEUE_NOTIFY;
			width = 4;
			val = rnd() % 3;
			break;
		case 5:
			off = VIRTIO_MMIO_DRIVER_FEATURES + 4 * (rnd() % 2);
			width = 4;
			val = (rnd() % 2)
			          ? rnd() % 2
			          : (uint32_t)(d_info.features >> (rnd() % 2 * 32)) | (rnd() % 2);
			break;
		default:
			off = (rnd() % 0x80) * 4;
			break;
		}
		if (rnd() % 2)
			ret = virtio_mmio_write(&d->t, off, width, val);
		else
			ret = virtio_mmio_read(&d->t, off, width, &val);
		if (ret == 0)
			ok++;
		else
			assert_true(ret == -FV_EINVAL || ret == -FV_ERANGE);
		if (n % 97 == 0)
			virtio_mmio_used_irq(&d->t);
		if (n % 1013 == 0)
			virtio_mmio_needs_reset(&d->t);
		/* invariants */
		assert_int_equal(d->level, d->t.isr != 0);
		assert_true((d->t.isr & ~3u) == 0);
		if (virtio_mmio_running(&d->t))
			assert_true(d->t.status & VIRTIO_STATUS_FEATURES_OK);
		for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++)
			if (d->t.vq[q].ready)
				assert_true(q < 2 && d->t.vq[q].size && d->t.vq[q].size <= 64);
	}
	printf("register fuzz: %lu ops, %lu accepted, %u notifications\n", ops, ok,
	       d->notify[0] + d->notify[1]);
	assert_true(d->notify[0] + d->notify[1] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_negotiation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_setup, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notify_and_irq, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_access_rules, setup, teardown),
	    cmocka_unit_test(test_invalid_info),
	    cmocka_unit_test_setup_teardown(test_register_fuzz, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
