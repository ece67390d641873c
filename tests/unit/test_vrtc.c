/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/vdev/vrtc.c: the goldfish RTC register logic
 * (latched 64-bit reads, setting the clock as a per-instance offset, the
 * alarm and its interrupt, and refusal of malformed accesses).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vdev/vrtc.h"

#define SEC 1000000000ULL
/* 2026-12-04 22:00:00 UTC: a host time with a non-zero high half. */
#define HOST0 (1796421600ULL * SEC)

static uint32_t rd(struct vrtc *r, uint64_t host, uint64_t off)
{
	uint64_t v = 0xdeadULL << 40;
	assert_int_equal(vrtc_read(r, host, off, 4, &v), 0);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static void wr(struct vrtc *r, uint64_t host, uint64_t off, uint64_t v)
{
	assert_int_equal(vrtc_write(r, host, off, 4, v), 0);
}

static uint64_t rd_time(struct vrtc *r, uint64_t host)
{
	uint64_t lo = rd(r, host, VRTC_TIME_LOW);
	return ((uint64_t)rd(r, host, VRTC_TIME_HIGH) << 32) | lo;
}

static void test_time_is_host_time(void **state)
{
	(void)state;
	struct vrtc r;
	vrtc_init(&r);
	assert_int_equal(rd_time(&r, HOST0), HOST0);
	assert_int_equal(rd_time(&r, HOST0 + 5 * SEC), HOST0 + 5 * SEC);
}

/* TIME_HIGH returns the half latched by TIME_LOW, even when read after a carry. */
static void test_high_is_latched(void **state)
{
	(void)state;
	struct vrtc r;
	vrtc_init(&r);
	uint64_t before_carry = (7ULL << 32) | 0xfffffff0U;
	assert_int_equal(rd(&r, before_carry, VRTC_TIME_LOW), 0xfffffff0U);
	/* The clock carries into the high half before the guest reads it. */
	assert_int_equal(rd(&r, before_carry + 0x100, VRTC_TIME_HIGH), 7);
	assert_int_equal(rd(&r, before_carry + 0x100, VRTC_TIME_LOW), 0xf0);
	assert_int_equal(rd(&r, before_carry + 0x100, VRTC_TIME_HIGH), 8);
}

/* Linux sets the clock with TIME_HIGH then TIME_LOW: the offset follows, time runs on. */
static void test_set_time_moves_offset(void **state)
{
	(void)state;
	struct vrtc r, other;
	vrtc_init(&r);
	vrtc_init(&other);
	uint64_t want = 1000 * SEC; /* 1970-01-01 00:16:40 */
	wr(&r, HOST0, VRTC_TIME_HIGH, want >> 32);
	wr(&r, HOST0, VRTC_TIME_LOW, (uint32_t)want);
	assert_int_equal(rd_time(&r, HOST0), want);
	assert_int_equal(rd_time(&r, HOST0 + 3 * SEC), want + 3 * SEC);
	assert_int_equal(vrtc_guest_ns(&r, HOST0 + SEC), want + SEC);
	/* Another instance keeps the host's time. */
	assert_int_equal(rd_time(&other, HOST0 + 3 * SEC), HOST0 + 3 * SEC);
	/* A reset keeps the offset (battery-backed clock). */
	vrtc_reset(&r);
	assert_int_equal(rd_time(&r, HOST0 + 4 * SEC), want + 4 * SEC);
	/* The upper 32 bits of the written value are not data. */
	wr(&r, HOST0, VRTC_TIME_LOW, 0xffffffff00000005ULL);
	assert_int_equal(rd(&r, HOST0, VRTC_TIME_LOW), 5);
}

/* Offsets wrap modulo 2^64: a time before the host's and one at the very top. */
static void test_extreme_times(void **state)
{
	(void)state;
	struct vrtc r;
	vrtc_init(&r);
	wr(&r, HOST0, VRTC_TIME_HIGH, 0xffffffffU);
	wr(&r, HOST0, VRTC_TIME_LOW, 0xffffffffU);
	assert_int_equal(rd_time(&r, HOST0), UINT64_MAX);
	assert_int_equal(rd_time(&r, HOST0 + 1), 0);
	wr(&r, HOST0, VRTC_TIME_HIGH, 0);
	wr(&r, HOST0, VRTC_TIME_LOW, 0);
	assert_int_equal(rd_time(&r, HOST0 + 2), 2);
}

static void test_alarm(void **state)
{
	(void)state;
	struct vrtc r;
	uint64_t due;
	vrtc_init(&r);
	assert_false(vrtc_alarm_due(&r, HOST0, &due));
	assert_int_equal(rd(&r, HOST0, VRTC_ALARM_STATUS), 0);
	uint64_t at = HOST0 + 10 * SEC;
	wr(&r, HOST0, VRTC_IRQ_ENABLED, 1);
	wr(&r, HOST0, VRTC_ALARM_HIGH, at >> 32);
	wr(&r, HOST0, VRTC_ALARM_LOW, (uint32_t)at);
	assert_int_equal(rd(&r, HOST0, VRTC_ALARM_STATUS), 1);
	assert_true(vrtc_alarm_due(&r, HOST0, &due));
	assert_int_equal(due, at);
	assert_false(vrtc_poll(&r, at - 1));
	assert_false(vrtc_irq_level(&r));
	assert_true(vrtc_poll(&r, at));
	assert_true(vrtc_irq_level(&r));
	assert_int_equal(rd(&r, at, VRTC_ALARM_STATUS), 0);
	assert_false(vrtc_alarm_due(&r, at, &due));
	/* Masking hides the line, unmasking shows it, CLEAR_INTERRUPT lowers it. */
	wr(&r, at, VRTC_IRQ_ENABLED, 0);
	assert_false(vrtc_irq_level(&r));
	wr(&r, at, VRTC_IRQ_ENABLED, 1);
	assert_true(vrtc_irq_level(&r));
	wr(&r, at, VRTC_CLEAR_INTERRUPT, 1);
	assert_false(vrtc_irq_level(&r));
}

/* The alarm is in guest time: with an offset, the host-time due moves with it. */
static void test_alarm_with_offset(void **state)
{
	(void)state;
	struct vrtc r;
	uint64_t due;
	vrtc_init(&r);
	wr(&r, HOST0, VRTC_TIME_HIGH, 0);
	wr(&r, HOST0, VRTC_TIME_LOW, 0); /* guest time 0 at HOST0 */
	wr(&r, HOST0, VRTC_ALARM_HIGH, 0);
	wr(&r, HOST0, VRTC_ALARM_LOW, 2000);
	assert_true(vrtc_alarm_due(&r, HOST0, &due));
	assert_int_equal(due, HOST0 + 2000);
	/* CLEAR_ALARM disarms without firing. */
	wr(&r, HOST0, VRTC_CLEAR_ALARM, 1);
	assert_false(vrtc_poll(&r, HOST0 + 5000));
	assert_false(vrtc_alarm_due(&r, HOST0, &due));
}

/* An alarm in the past fires on the ALARM_LOW write; a reset clears alarm and interrupt. */
static void test_alarm_past_and_reset(void **state)
{
	(void)state;
	struct vrtc r;
	uint64_t due;
	vrtc_init(&r);
	wr(&r, HOST0, VRTC_IRQ_ENABLED, 1);
	wr(&r, HOST0, VRTC_ALARM_HIGH, 0);
	wr(&r, HOST0, VRTC_ALARM_LOW, 1);
	assert_true(vrtc_irq_level(&r));
	assert_int_equal(rd(&r, HOST0, VRTC_ALARM_STATUS), 0);
	wr(&r, HOST0, VRTC_ALARM_HIGH, 0xffffffffU);
	wr(&r, HOST0, VRTC_ALARM_LOW, 0xffffffffU);
	assert_true(vrtc_alarm_due(&r, HOST0, &due));
	assert_true(due > HOST0); /* far ahead, no wrap */
	vrtc_reset(&r);
	assert_false(vrtc_irq_level(&r));
	assert_false(vrtc_alarm_due(&r, HOST0, &due));
	wr(&r, HOST0, VRTC_ALARM_LOW, 1);
	assert_false(vrtc_irq_level(&r)); /* interrupt disabled by the reset */
}

/* Write-only registers read 0; ALARM_STATUS ignores writes. */
static void test_register_directions(void **state)
{
	(void)state;
	struct vrtc r;
	vrtc_init(&r);
	const uint64_t wo[] = {VRTC_ALARM_LOW, VRTC_ALARM_HIGH, VRTC_IRQ_ENABLED, VRTC_CLEAR_ALARM,
	                       VRTC_CLEAR_INTERRUPT};
	for (size_t i = 0; i < sizeof(wo) / sizeof(wo[0]); i++)
		assert_int_equal(rd(&r, HOST0, wo[i]), 0);
	wr(&r, HOST0, VRTC_ALARM_STATUS, 1);
	assert_int_equal(rd(&r, HOST0, VRTC_ALARM_STATUS), 0);
}

/* Bad widths, misaligned or out-of-range offsets: -FV_EINVAL and no change. */
static void test_bad_access(void **state)
{
	(void)state;
	struct vrtc r;
	uint64_t v = 0x55;
	vrtc_init(&r);
	const unsigned widths[] = {1, 2, 8};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(vrtc_read(&r, HOST0, 0, widths[i], &v), -FV_EINVAL);
		assert_int_equal(vrtc_write(&r, HOST0, 0, widths[i], 0), -FV_EINVAL);
	}
	assert_int_equal(vrtc_read(&r, HOST0, 2, 4, &v), -FV_EINVAL);
	assert_int_equal(vrtc_read(&r, HOST0, VRTC_NR_REGS_BYTES, 4, &v), -FV_EINVAL);
	assert_int_equal(vrtc_read(&r, HOST0, UINT64_MAX - 3, 4, &v), -FV_EINVAL);
	assert_int_equal(vrtc_write(&r, HOST0, 0x6, 4, 0), -FV_EINVAL);
	assert_int_equal(vrtc_write(&r, HOST0, VRTC_MMIO_SIZE - 4, 4, 0), -FV_EINVAL);
	assert_int_equal(v, 0x55);
	assert_int_equal(rd_time(&r, HOST0), HOST0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time_is_host_time),
	    cmocka_unit_test(test_high_is_latched),
	    cmocka_unit_test(test_set_time_moves_offset),
	    cmocka_unit_test(test_extreme_times),
	    cmocka_unit_test(test_alarm),
	    cmocka_unit_test(test_alarm_with_offset),
	    cmocka_unit_test(test_alarm_past_and_reset),
	    cmocka_unit_test(test_register_directions),
	    cmocka_unit_test(test_bad_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
