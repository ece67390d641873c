/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/sbi/sbi_sta_record.c: sta_set_shmem
 * argument validation and the record update protocol (SBI spec v3.0
 * chapter 16, "STA Shared Memory Structure").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arch/riscv/sbi/sbi_ext.h"

#define RAM     0x80000000UL
#define RAM_LEN 0x2000000UL

static void test_check_flags(void **state)
{
	(void)state;
	assert_int_equal(sbi_sta_check_shmem(RAM, 0, 0, RAM, RAM_LEN), SBI_SUCCESS);
	assert_int_equal(sbi_sta_check_shmem(RAM, 0, 1, RAM, RAM_LEN), SBI_ERR_INVALID_PARAM);
	assert_int_equal(sbi_sta_check_shmem(RAM, 0, 1UL << 63, RAM, RAM_LEN),
	                 SBI_ERR_INVALID_PARAM);
	/* flags are checked even for the disable value */
	assert_int_equal(sbi_sta_check_shmem(~0UL, ~0UL, 2, RAM, RAM_LEN), SBI_ERR_INVALID_PARAM);
}

static void test_check_disable(void **state)
{
	(void)state;
	assert_int_equal(sbi_sta_check_shmem(~0UL, ~0UL, 0, RAM, RAM_LEN), SBI_SUCCESS);
	/* only both halves all-ones disable; lo alone is a misaligned address */
	assert_int_equal(sbi_sta_check_shmem(~0UL, 0, 0, RAM, RAM_LEN), SBI_ERR_INVALID_PARAM);
	assert_int_equal(sbi_sta_check_shmem(0, ~0UL, 0, RAM, RAM_LEN), SBI_ERR_INVALID_ADDRESS);
}

static void test_check_alignment(void **state)
{
	(void)state;
	for (unsigned long off = 1; off < 64; off++)
		assert_int_equal(sbi_sta_check_shmem(RAM + off, 0, 0, RAM, RAM_LEN),
		                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(sbi_sta_check_shmem(RAM + 64, 0, 0, RAM, RAM_LEN), SBI_SUCCESS);
}

static void test_check_range(void **state)
{
	(void)state;
	/* last record that fits, first that does not */
	assert_int_equal(sbi_sta_check_shmem(RAM + RAM_LEN - 64, 0, 0, RAM, RAM_LEN), SBI_SUCCESS);
	assert_int_equal(sbi_sta_check_shmem(RAM + RAM_LEN, 0, 0, RAM, RAM_LEN),
	                 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(sbi_sta_check_shmem(RAM - 64, 0, 0, RAM, RAM_LEN),
	                 SBI_ERR_INVALID_ADDRESS);
	/* MMIO, the top of the address space (the end would wrap), the upper half */
	assert_int_equal(sbi_sta_check_shmem(0x10000000UL, 0, 0, RAM, RAM_LEN),
	                 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(sbi_sta_check_shmem(~63UL, 0, 0, RAM, RAM_LEN), SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(sbi_sta_check_shmem(RAM, 1, 0, RAM, RAM_LEN), SBI_ERR_INVALID_ADDRESS);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void test_record_write(void **state)
{
	uint8_t rec[64];

	(void)state;
	memset(rec, 0, sizeof(rec));
	sbi_sta_record_write(rec, 0x0102030405060708ULL, true);
	/* one update: sequence 0 -> 1 -> 2, fields little-endian at their offsets */
	assert_int_equal(le32(rec + SBI_STA_OFF_SEQUENCE), 2);
	assert_int_equal(rec[SBI_STA_OFF_STEAL], 0x08);
	assert_true(le64(rec + SBI_STA_OFF_STEAL) == 0x0102030405060708ULL);
	assert_int_equal(rec[SBI_STA_OFF_PREEMPTED], 1);
	assert_int_equal(le32(rec + SBI_STA_OFF_FLAGS), 0);
	for (unsigned i = 17; i < 64; i++)
		assert_int_equal(rec[i], 0);

	sbi_sta_record_write(rec, 5, false);
	assert_int_equal(le32(rec + SBI_STA_OFF_SEQUENCE), 4);
	assert_true(le64(rec + SBI_STA_OFF_STEAL) == 5);
	assert_int_equal(rec[SBI_STA_OFF_PREEMPTED], 0);
}

static void test_record_hostile_sequence(void **state)
{
	uint8_t rec[64];

	(void)state;
	/* The guest left an odd sequence: the update still ends even (and advanced). */
	memset(rec, 0, sizeof(rec));
	rec[0] = 7;
	sbi_sta_record_write(rec, 1, false);
	assert_int_equal(le32(rec) % 2, 0);
	assert_true(le32(rec) > 7);
	/* Wrap-around of the 32-bit counter stays even. */
	memset(rec, 0xff, 4);
	sbi_sta_record_write(rec, 1, false);
	assert_int_equal(le32(rec) % 2, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_flags),     cmocka_unit_test(test_check_disable),
	    cmocka_unit_test(test_check_alignment), cmocka_unit_test(test_check_range),
	    cmocka_unit_test(test_record_write),    cmocka_unit_test(test_record_hostile_sequence),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
