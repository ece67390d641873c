/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/sbi/dbtr_trig.c: the checks that keep
 * a guest's SBI DBTR trigger from firing outside the guest (SBI 3.0 "Debug
 * Triggers", Debug spec 1.0 mcontrol6), the s/u -> vs/vu translation and
 * the (base, mask) set decoder of uninstall/enable/disable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/dbtr_trig.h"

#define MC6(bits) ((6ULL << 60) | (bits))

static void test_check_accepts_guest_triggers(void **state)
{
	(void)state;
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_S | DBTR_MC6_EXECUTE), 0), SBI_SUCCESS);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_U | DBTR_MC6_STORE | DBTR_MC6_LOAD), 0),
	                 SBI_SUCCESS);
	/* No mode bit: installed but disabled. */
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_EXECUTE), 0), SBI_SUCCESS);
	/* Every defined match value, and sizes/select/hit bits pass through. */
	static const unsigned long matches[] = {0, 1, 2, 3, 4, 5, 8, 9, 12, 13};
	for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++)
		assert_int_equal(
		    dbtr_trig_check(MC6(DBTR_MC6_S | (matches[i] << 7) | DBTR_MC6_LOAD), 0),
		    SBI_SUCCESS);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_S | (3UL << 16) | (1UL << 21) | (1UL << 22) |
	                                     (1UL << 25) | DBTR_MC6_LOAD),
	                                 0),
	                 SBI_SUCCESS);
}

static void test_check_rejects_what_could_fire_outside(void **state)
{
	(void)state;
	/* m and dmode: forbidden by SBI DBTR. */
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_M | DBTR_MC6_EXECUTE), 0),
	                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_DMODE | DBTR_MC6_S | DBTR_MC6_EXECUTE), 0),
	                 SBI_ERR_INVALID_PARAM);
	/* Any action but "breakpoint exception". */
	for (unsigned long action = 1; action < 16; action++)
		assert_int_equal(
		    dbtr_trig_check(MC6(DBTR_MC6_S | (action << 12) | DBTR_MC6_EXECUTE), 0),
		    SBI_ERR_INVALID_PARAM);
	/* Each reserved bit on its own. */
	for (unsigned bit = 0; bit < 60; bit++) {
		uint64_t b = 1ULL << bit;
		if (!(b & DBTR_MC6_RESERVED))
			continue;
		assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_S | DBTR_MC6_EXECUTE | b), 0),
		                 SBI_ERR_INVALID_PARAM);
	}
	static const unsigned long reserved_match[] = {6, 7, 10, 11, 14, 15};
	for (size_t i = 0; i < sizeof(reserved_match) / sizeof(reserved_match[0]); i++)
		assert_int_equal(
		    dbtr_trig_check(MC6(DBTR_MC6_S | (reserved_match[i] << 7) | DBTR_MC6_LOAD), 0),
		    SBI_ERR_INVALID_PARAM);
	/* The guest has no H extension: vs/vu are not its bits. */
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_VS | DBTR_MC6_EXECUTE), 0),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_VU | DBTR_MC6_EXECUTE), 0),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_CHAIN | DBTR_MC6_S | DBTR_MC6_EXECUTE), 0),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(dbtr_trig_check(MC6(DBTR_MC6_S | DBTR_MC6_EXECUTE), 1),
	                 SBI_ERR_NOT_SUPPORTED);
}

static void test_check_types(void **state)
{
	(void)state;
	for (unsigned long type = 0; type < 16; type++) {
		uint64_t t = (type << 60) | DBTR_MC6_S | DBTR_MC6_EXECUTE;
		long want;
		if (type == 6)
			want = SBI_SUCCESS;
		else if (type == 2 || type == 3 || type == 4 || type == 5 || type == 7 ||
		         type == 15)
			want = SBI_ERR_NOT_SUPPORTED;
		else
			want = SBI_ERR_INVALID_PARAM;
		assert_int_equal(dbtr_trig_check(t, 0), want);
	}
}

static void test_to_host(void **state)
{
	(void)state;
	uint64_t g = MC6(DBTR_MC6_S | DBTR_MC6_U | DBTR_MC6_EXECUTE | (2UL << 7));
	uint64_t h = dbtr_trig_to_host(g);
	assert_int_equal(h, MC6(DBTR_MC6_VS | DBTR_MC6_VU | DBTR_MC6_EXECUTE | (2UL << 7)));
	assert_int_equal(dbtr_trig_to_host(MC6(DBTR_MC6_S | DBTR_MC6_LOAD)),
	                 MC6(DBTR_MC6_VS | DBTR_MC6_LOAD));
	assert_int_equal(dbtr_trig_to_host(MC6(DBTR_MC6_U | DBTR_MC6_STORE)),
	                 MC6(DBTR_MC6_VU | DBTR_MC6_STORE));
	/* Even from an unchecked value, the host never gets m, s, u or dmode. */
	uint64_t all = ~0ULL;
	uint64_t hall = dbtr_trig_to_host(all);
	assert_int_equal(hall & (DBTR_MC6_M | DBTR_MC6_S | DBTR_MC6_U | DBTR_MC6_DMODE), 0);
	assert_int_equal(dbtr_trig_modes(MC6(DBTR_MC6_EXECUTE)), 0);
	assert_true(dbtr_trig_modes(MC6(DBTR_MC6_U | DBTR_MC6_EXECUTE)) != 0);
}

static void test_set(void **state)
{
	(void)state;
	uint64_t out = 0xdead;
	assert_int_equal(dbtr_trig_set(0, 0x3, 2, 0x3, &out), SBI_SUCCESS);
	assert_int_equal(out, 0x3);
	assert_int_equal(dbtr_trig_set(1, 0x1, 2, 0x2, &out), SBI_SUCCESS);
	assert_int_equal(out, 0x2);
	assert_int_equal(dbtr_trig_set(0, 0, 2, 0, &out), SBI_SUCCESS);
	assert_int_equal(out, 0);
	/* Not installed, out of range, wrapping. */
	assert_int_equal(dbtr_trig_set(0, 0x1, 2, 0x2, &out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(out, 0);
	assert_int_equal(dbtr_trig_set(2, 0x1, 2, 0x3, &out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(dbtr_trig_set(0, 0x4, 2, 0x7, &out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(dbtr_trig_set(~0UL, 0x2, 2, 0x3, &out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(dbtr_trig_set(1, 1UL << 63, 64, ~0ULL, &out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(dbtr_trig_set(0, 1UL << 63, 64, ~0ULL, &out), SBI_SUCCESS);
	assert_int_equal(out, 1ULL << 63);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_accepts_guest_triggers),
	    cmocka_unit_test(test_check_rejects_what_could_fire_outside),
	    cmocka_unit_test(test_check_types),
	    cmocka_unit_test(test_to_host),
	    cmocka_unit_test(test_set),
	};
	return cmocka_run_group_tests_name("dbtr_trig", tests, NULL, NULL);
}
