/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the arm64 stage-2 data abort decoder (hyp/arch/arm64/esr_decode.c):
 * syndromes built field by field as the Arm ARM defines them (ESR_EL2 ISS for a data
 * abort, HPFAR_EL2.FIPA), every access size, sign extension, 32-bit registers, xzr,
 * ISV = 0, stage-1 walks, wrong exception classes, and random syndromes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "arch/arm64/esr_decode.h"
#include "lib/fv_err.h"

/* A data abort from a lower EL with a valid syndrome. */
static uint64_t dabt(unsigned sas, bool sse, unsigned srt, bool sf, bool wnr)
{
	return (0x24ULL << 26) | (1ULL << 25) | (1ULL << 24) | ((uint64_t)sas << 22) |
	       ((uint64_t)sse << 21) | ((uint64_t)srt << 16) | ((uint64_t)sf << 15) |
	       ((uint64_t)wnr << 6) | 0x07 /* DFSC: translation fault, level 3 */;
}

/* HPFAR_EL2 for a faulting IPA: FIPA = IPA[51:12] in bits [43:4]. */
static uint64_t hpfar(uint64_t ipa)
{
	return (ipa >> 12) << 4;
}

static void test_store_word(void **state)
{
	(void)state;
	struct arm64_dabt d;
	/* str w3, [x0] to the PL011 DR at 0x10000000. */
	assert_int_equal(arm64_dabt_decode(dabt(2, false, 3, false, true), 0xffff000010000000ULL,
	                                   hpfar(0x10000000), &d),
	                 0);
	assert_int_equal(d.gpa, 0x10000000);
	assert_int_equal(d.width, 4);
	assert_int_equal(d.reg, 3);
	assert_true(d.is_write);
	assert_false(d.sign_extend);
	assert_false(d.sixty_four);
}

static void test_gpa_from_hpfar_and_far(void **state)
{
	(void)state;
	struct arm64_dabt d;
	/* The page comes from HPFAR (not the guest VA), the offset from FAR's low 12 bits. */
	assert_int_equal(arm64_dabt_decode(dabt(0, false, 1, false, false), 0xdead0abc,
	                                   hpfar(0x7fff123000ULL), &d),
	                 0);
	assert_int_equal(d.gpa, 0x7fff123abcULL);
	/* The largest IPA HPFAR can hold (52 bits). */
	assert_int_equal(
	    arm64_dabt_decode(dabt(3, false, 1, true, false), 0xfff, hpfar(0xffffffffff000ULL), &d),
	    0);
	assert_int_equal(d.gpa, 0xfffffffffffffULL);
	/* Bits of HPFAR outside FIPA (RES0, NS) do not leak into the address. */
	assert_int_equal(arm64_dabt_decode(dabt(3, false, 1, true, false), 0,
	                                   hpfar(0x1000) | 0xf | (1ULL << 63), &d),
	                 0);
	assert_int_equal(d.gpa, 0x1000);
}

static void test_sizes_and_registers(void **state)
{
	(void)state;
	struct arm64_dabt d;
	for (unsigned sas = 0; sas < 4; sas++)
		for (unsigned srt = 0; srt < 32; srt++) {
			assert_int_equal(arm64_dabt_decode(dabt(sas, false, srt, true, false), 0,
			                                   hpfar(0x9000), &d),
			                 0);
			assert_int_equal(d.width, 1U << sas);
			assert_int_equal(d.reg, srt);
			assert_true(d.sixty_four);
		}
}

static void test_load_values(void **state)
{
	(void)state;
	struct arm64_dabt d;
	/* ldrb w1: zero-extended byte, upper 32 bits clear. */
	arm64_dabt_decode(dabt(0, false, 1, false, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0xffffffffffffff80ULL), 0x80);
	/* ldrsb x1: sign-extended to 64 bits. */
	arm64_dabt_decode(dabt(0, true, 1, true, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0x80), 0xffffffffffffff80ULL);
	assert_int_equal(arm64_dabt_load_value(&d, 0x7f), 0x7f);
	/* ldrsh w1: sign-extended to 32 bits only. */
	arm64_dabt_decode(dabt(1, true, 1, false, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0x8000), 0xffff8000ULL);
	/* ldrsw x1. */
	arm64_dabt_decode(dabt(2, true, 1, true, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0x80000000ULL), 0xffffffff80000000ULL);
	/* ldr w1 of a device that answered more bits: narrowed. */
	arm64_dabt_decode(dabt(2, false, 1, false, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0x1122334455667788ULL), 0x55667788);
	/* ldr x1. */
	arm64_dabt_decode(dabt(3, false, 1, true, false), 0, 0, &d);
	assert_int_equal(arm64_dabt_load_value(&d, 0x1122334455667788ULL), 0x1122334455667788ULL);
}

static void test_not_emulatable(void **state)
{
	(void)state;
	struct arm64_dabt d;
	/* ISV = 0 (ldp, writeback, SIMD): the hardware did not describe the access. */
	uint64_t esr = dabt(2, false, 3, false, true) & ~(1ULL << 24);
	assert_int_equal(arm64_dabt_decode(esr, 0x10, hpfar(0x10000000), &d), -FV_ENOTSUP);
	assert_int_equal(d.gpa, 0x10000010); /* still known: RAM may be populated there */
	assert_true(d.is_write);
	/* A fault on the guest's own stage-1 table walk is never device emulation. */
	esr = dabt(3, false, 0, true, false) | (1ULL << 7);
	assert_int_equal(arm64_dabt_decode(esr, 0, hpfar(0x80000000), &d), -FV_ENOTSUP);
	assert_true(d.s1ptw);
}

static void test_other_classes(void **state)
{
	(void)state;
	struct arm64_dabt d;
	static const unsigned ecs[] = {0x00, 0x01, 0x16, 0x17, 0x18, 0x20, 0x25, 0x3f};
	for (unsigned i = 0; i < sizeof(ecs) / sizeof(ecs[0]); i++) {
		uint64_t esr = ((uint64_t)ecs[i] << 26) | (1ULL << 25) | (1ULL << 24);
		assert_int_equal(arm64_dabt_decode(esr, 0, 0, &d), -FV_EINVAL);
	}
}

static void test_random_syndromes(void **state)
{
	(void)state;
	srand(1234);
	for (unsigned i = 0; i < 100000; i++) {
		uint64_t esr =
		    ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 2) ^ (uint64_t)rand();
		if (i & 1)
			esr = (esr & ~(0x3fULL << 26)) | (0x24ULL << 26);
		struct arm64_dabt d;
		int r = arm64_dabt_decode(esr, (uint64_t)rand(), (uint64_t)rand() << 20, &d);
		assert_true(r == 0 || r == -FV_EINVAL || r == -FV_ENOTSUP);
		if (r == 0) {
			assert_true(d.width == 1 || d.width == 2 || d.width == 4 || d.width == 8);
			assert_true(d.reg < 32);
			assert_true(d.gpa < (1ULL << 52));
			(void)arm64_dabt_load_value(&d, (uint64_t)rand());
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_word),
	    cmocka_unit_test(test_gpa_from_hpfar_and_far),
	    cmocka_unit_test(test_sizes_and_registers),
	    cmocka_unit_test(test_load_values),
	    cmocka_unit_test(test_not_emulatable),
	    cmocka_unit_test(test_other_classes),
	    cmocka_unit_test(test_random_syndromes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
