/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/drivers/pl031_rtc.c, the physical PL031 the arm64 hypervisor reads
 * its wall clock from: a register window in host memory stands for the device. A device with
 * the PL031's PrimeCell ids (any revision) is accepted, anything else refused; the time is
 * RTCDR seconds in ns, the full 32-bit range without overflow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "drivers/pl031_rtc.h"

static uint32_t regs[PL031_RTC_WINDOW / 4];

static uintptr_t fake_pl031(void)
{
	static const uint32_t ids[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	memset(regs, 0, sizeof(regs));
	for (unsigned i = 0; i < 8; i++)
		regs[0xfe0 / 4 + i] = ids[i];
	return (uintptr_t)regs;
}

static void test_probe_accepts_pl031(void **state)
{
	(void)state;
	uintptr_t base = fake_pl031();
	assert_true(pl031_rtc_probe(base));
	regs[0xfe8 / 4] = 0x34; /* PeriphID2[7:4] is the revision: any */
	assert_true(pl031_rtc_probe(base));
	regs[0xfe0 / 4] |= 0xabcd0000u; /* reserved upper bits are ignored */
	assert_true(pl031_rtc_probe(base));
}

static void test_probe_refuses_others(void **state)
{
	(void)state;
	/* Each id byte matters: a PL011 (part 0x011), another designer, a broken preamble. */
	static const struct {
		unsigned off;
		uint32_t val;
	} bad[] = {{0xfe0, 0x11}, {0xfe4, 0x20}, {0xfe8, 0x05}, {0xfec, 0x01},
	           {0xff0, 0x00}, {0xff4, 0xe0}, {0xff8, 0x06}, {0xffc, 0xb0}};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uintptr_t base = fake_pl031();
		regs[bad[i].off / 4] = bad[i].val;
		assert_false(pl031_rtc_probe(base));
	}
	memset(regs, 0, sizeof(regs)); /* nothing there: reads as zero */
	assert_false(pl031_rtc_probe((uintptr_t)regs));
}

static void test_read_ns(void **state)
{
	(void)state;
	uintptr_t base = fake_pl031();
	regs[0] = 1796463870u; /* 2026-12-05 */
	assert_int_equal(pl031_rtc_read_ns(base), 1796463870ULL * 1000000000ULL);
	regs[0] = 0xffffffffu; /* the counter's last second (2106): no 32-bit overflow */
	assert_int_equal(pl031_rtc_read_ns(base), 0xffffffffULL * 1000000000ULL);
	regs[0] = 0;
	assert_int_equal(pl031_rtc_read_ns(base), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_accepts_pl031),
	    cmocka_unit_test(test_probe_refuses_others),
	    cmocka_unit_test(test_read_ns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
