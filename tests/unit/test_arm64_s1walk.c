/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the software stage-1 walk the arm64 debugger uses (hyp/arch/arm64/s1walk.c):
 * tables built in a fake guest RAM as Linux builds them (4 KiB granule, 48-bit VA, kernel in
 * TTBR1, and 52-bit VA with FEAT_LPA2 as Debian's kernel runs; 39-bit VA; 64 KiB granule),
 * blocks and pages, and hostile tables: out-of-RAM
 * tables, a table pointing at itself at every level, reserved descriptors, bad TxSZ, EPD,
 * non-canonical addresses, output addresses beyond IPS, the access flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/s1walk.h"
#include "lib/fv_err.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (1024 * 1024ULL)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(65536)));
static unsigned reads;

static bool ram_read(void *ctx, uint64_t gpa, uint64_t *desc)
{
	(void)ctx;
	reads++;
	if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE - 8 || (gpa & 7))
		return false;
	memcpy(desc, &ram[gpa - RAM_BASE], 8);
	return true;
}

static void put(uint64_t gpa, uint64_t desc)
{
	memcpy(&ram[gpa - RAM_BASE], &desc, 8);
}

#define TABLE(pa) ((pa) | 3ULL)
#define PAGE(pa)  ((pa) | 3ULL | (1ULL << 10))
#define BLOCK(pa) ((pa) | 1ULL | (1ULL << 10))

/* TCR_EL1 as Linux sets it for 4 KiB, 48-bit VA in both halves, 48-bit IPS. */
#define TCR_4K_48 ((16ULL) | (16ULL << 16) | (0ULL << 14) | (2ULL << 30) | (5ULL << 32))
#define SCTLR_ON  0x30d00801ULL

static struct arm64_s1_regs regs(uint64_t tcr, uint64_t ttbr0, uint64_t ttbr1)
{
	return (struct arm64_s1_regs){
	    .sctlr = SCTLR_ON, .tcr = tcr, .ttbr0 = ttbr0, .ttbr1 = ttbr1};
}

static int setup(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	reads = 0;
	return 0;
}

/* Four-level tables for kernel VA 0xffff800080123456 -> a page at RAM_BASE + 0x80000. */
static uint64_t build_kernel_4k(void)
{
	uint64_t va = 0xffff800080123456ULL;
	uint64_t l0 = RAM_BASE + 0x1000, l1 = RAM_BASE + 0x2000, l2 = RAM_BASE + 0x3000,
	         l3 = RAM_BASE + 0x4000;
	put(l0 + ((va >> 39) & 511) * 8, TABLE(l1));
	put(l1 + ((va >> 30) & 511) * 8, TABLE(l2));
	put(l2 + ((va >> 21) & 511) * 8, TABLE(l3));
	put(l3 + ((va >> 12) & 511) * 8, PAGE(RAM_BASE + 0x80000) | (1ULL << 54) /* UXN */);
	return l0;
}

static void test_mmu_off_identity(void **state)
{
	(void)state;
	struct arm64_s1_regs r = {.sctlr = 0x30d00800ULL};
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, 0x40201234ULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, 0x40201234ULL);
	assert_int_equal(reads, 0);
}

static void test_4k_48bit_kernel_page(void **state)
{
	(void)state;
	uint64_t l0 = build_kernel_4k();
	struct arm64_s1_regs r = regs(TCR_4K_48, 0, l0 | 1 /* CnP */);
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, 0xffff800080123456ULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x80456);
	assert_int_equal(reads, 4);
	/* The same VA through TTBR0 (bit 55 clear) is not the kernel's: non-canonical there. */
	assert_int_equal(arm64_s1_walk(&r, 0x0000800080123456ULL, ram_read, NULL, &pa), -FV_EFAULT);
	/* The neighbouring page has no entry. */
	assert_int_equal(arm64_s1_walk(&r, 0xffff800080124000ULL, ram_read, NULL, &pa), -FV_EFAULT);
}

static void test_4k_blocks(void **state)
{
	(void)state;
	uint64_t l0 = RAM_BASE + 0x1000, l1 = RAM_BASE + 0x2000, l2 = RAM_BASE + 0x3000;
	put(l0, TABLE(l1));
	put(l1 + 1 * 8, BLOCK(0x40000000ULL));                /* 1 GiB block at VA 1 GiB */
	put(l1 + 2 * 8, TABLE(l2));                           /* VA 2 GiB.. */
	put(l2 + 3 * 8, BLOCK(0x40600000ULL) | (1ULL << 53)); /* 2 MiB block at VA 2G+6M */
	struct arm64_s1_regs r = regs(TCR_4K_48, l0, 0);
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, 0x7654321ULL | (1ULL << 30), ram_read, NULL, &pa), 0);
	assert_int_equal(pa, 0x47654321ULL);
	assert_int_equal(arm64_s1_walk(&r, (2ULL << 30) + 0x6abcdeULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, 0x406abcdeULL);
	/* A block at level 0 is reserved with a 4 KiB granule. */
	put(l0 + 8, BLOCK(0));
	assert_int_equal(arm64_s1_walk(&r, 1ULL << 39, ram_read, NULL, &pa), -FV_EFAULT);
}

static void test_4k_39bit_three_levels(void **state)
{
	(void)state;
	/* T0SZ = 25: 39-bit VA, the walk starts at level 1. */
	uint64_t tcr = 25 | (5ULL << 32);
	uint64_t l1 = RAM_BASE + 0x1000, l2 = RAM_BASE + 0x2000, l3 = RAM_BASE + 0x3000;
	uint64_t va = 0x7fc0201008ULL;
	put(l1 + ((va >> 30) & 511) * 8, TABLE(l2));
	put(l2 + ((va >> 21) & 511) * 8, TABLE(l3));
	put(l3 + ((va >> 12) & 511) * 8, PAGE(RAM_BASE + 0x9000));
	struct arm64_s1_regs r = regs(tcr, l1, 0);
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x9008);
	assert_int_equal(reads, 3);
	/* Bit 39 set is outside a 39-bit space. */
	assert_int_equal(arm64_s1_walk(&r, va | (1ULL << 39), ram_read, NULL, &pa), -FV_EFAULT);
}

static void test_64k_granule(void **state)
{
	(void)state;
	/* TG0 = 64 KiB, T0SZ = 16 (48-bit): levels 1 (6 bits), 2 and 3 (13 bits each). */
	uint64_t tcr = 16 | (1ULL << 14) | (5ULL << 32);
	uint64_t l1 = RAM_BASE + 0x10000, l2 = RAM_BASE + 0x20000, l3 = RAM_BASE + 0x30000;
	uint64_t va = 0x0000412345678abcULL;
	put(l1 + ((va >> 42) & 63) * 8, TABLE(l2));
	put(l2 + ((va >> 29) & 8191) * 8, TABLE(l3));
	put(l3 + ((va >> 16) & 8191) * 8, PAGE(RAM_BASE + 0x50000));
	struct arm64_s1_regs r = regs(tcr, l1, 0);
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x58abc);
	/* A 512 MiB block at level 2 (VA 512 MiB, through level-1 entry 0). */
	put(l1, TABLE(l2));
	put(l2 + 1 * 8, BLOCK(0x60000000ULL));
	assert_int_equal(arm64_s1_walk(&r, (1ULL << 29) + 0x1234567ULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, 0x61234567ULL);
	/* The kernel half with TG1 = 64 KiB (encoding 11). */
	uint64_t tcr1 = (16ULL << 16) | (3ULL << 30) | (5ULL << 32);
	struct arm64_s1_regs r1 = regs(tcr1, 0, l1);
	assert_int_equal(arm64_s1_walk(&r1, 0xffff000000000000ULL | va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x58abc);
}

static void test_table_outside_ram(void **state)
{
	(void)state;
	uint64_t l0 = build_kernel_4k();
	struct arm64_s1_regs r = regs(TCR_4K_48, 0, l0);
	uint64_t va = 0xffff800080123456ULL, pa = 0;
	/* The level-2 table pointer names a page far outside the fake RAM. */
	put(RAM_BASE + 0x2000 + ((va >> 30) & 511) * 8, TABLE(0x7ff000000ULL));
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
	/* TTBR itself outside RAM. */
	r.ttbr1 = 0x1000;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
}

static void test_self_loop_bounded(void **state)
{
	(void)state;
	/* Every entry of one table points at the table itself: four reads, then a fault. */
	uint64_t t = RAM_BASE + 0x1000;
	for (unsigned i = 0; i < 512; i++)
		put(t + i * 8, TABLE(t));
	struct arm64_s1_regs r = regs(TCR_4K_48, t, t);
	uint64_t pa = 0;
	reads = 0;
	/* Level 3 reads the table entry as a page descriptor: pa = the table itself. */
	assert_int_equal(arm64_s1_walk(&r, 0x0000123456789abcULL, ram_read, NULL, &pa), -FV_EFAULT);
	assert_true(reads <= 4);
	/* With the access flag set everywhere the walk ends at level 3 as a page (no loop). */
	for (unsigned i = 0; i < 512; i++)
		put(t + i * 8, PAGE(t));
	reads = 0;
	assert_int_equal(arm64_s1_walk(&r, 0x0000123456789abcULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, t + 0xabc);
	assert_int_equal(reads, 4);
}

static void test_reserved_and_invalid(void **state)
{
	(void)state;
	uint64_t l0 = build_kernel_4k();
	struct arm64_s1_regs r = regs(TCR_4K_48, 0, l0);
	uint64_t va = 0xffff800080123456ULL, pa = 0;
	uint64_t l3e = RAM_BASE + 0x4000 + ((va >> 12) & 511) * 8;
	/* 0b01 at level 3 is reserved. */
	put(l3e, BLOCK(RAM_BASE + 0x80000));
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
	/* Invalid (bit 0 clear) with other bits set. */
	put(l3e, PAGE(RAM_BASE + 0x80000) & ~1ULL);
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
	/* Access flag clear: a fault, unless hardware manages it (TCR_EL1.HA). */
	put(l3e, PAGE(RAM_BASE + 0x80000) & ~(1ULL << 10));
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
	r.tcr |= 1ULL << 39;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x80456);
	/* An output address beyond IPS (40 bits) is an address size fault. */
	r.tcr = (r.tcr & ~(7ULL << 32)) | (2ULL << 32);
	put(l3e, PAGE(0x20000000000ULL));
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
}

static void test_hostile_tcr(void **state)
{
	(void)state;
	uint64_t l0 = build_kernel_4k();
	uint64_t va = 0xffff800080123456ULL, pa = 0;
	struct arm64_s1_regs r = regs(TCR_4K_48, 0, l0);
	/* Huge and tiny T1SZ, reserved TG1, EPD1, DS (52-bit), none reading a table. */
	const uint64_t bad[] = {
	    (TCR_4K_48 & ~(0x3fULL << 16)) | (63ULL << 16),
	    (TCR_4K_48 & ~(0x3fULL << 16)) | (49ULL << 16),
	    (TCR_4K_48 & ~(0x3fULL << 16)) | (8ULL << 16),
	    TCR_4K_48 & ~(3ULL << 30),
	    TCR_4K_48 | (1ULL << 23),
	    /* DS (FEAT_LPA2) is for 4K and 16K pages only. */
	    (TCR_4K_48 & ~(3ULL << 30)) | (3ULL << 30) | (1ULL << 59),
	    /* TxSZ 12 (52-bit) needs DS with 4K pages. */
	    (TCR_4K_48 & ~(0x3fULL << 16)) | (12ULL << 16),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.tcr = bad[i];
		reads = 0;
		assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
		assert_int_equal(reads, 0);
	}
	/* Non-canonical: top bits not all equal to bit 55; TBI1 makes the top byte free. */
	r.tcr = TCR_4K_48;
	assert_int_equal(arm64_s1_walk(&r, 0xfeff800080123456ULL, ram_read, NULL, &pa), -FV_EFAULT);
	r.tcr = TCR_4K_48 | (1ULL << 38);
	assert_int_equal(arm64_s1_walk(&r, 0x12ff800080123456ULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x80456);
}

static void test_big_endian_tables(void **state)
{
	(void)state;
	uint64_t l1 = RAM_BASE + 0x1000;
	put(l1 + 8, __builtin_bswap64(BLOCK(0x40000000ULL)));
	struct arm64_s1_regs r = regs(25 | (5ULL << 32), l1, 0);
	r.sctlr |= 1ULL << 25;
	uint64_t pa = 0;
	assert_int_equal(arm64_s1_walk(&r, (1ULL << 30) + 0x10, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, 0x40000010ULL);
}

/*
 * Debian's arm64 kernel on a CPU with FEAT_LPA2: 4 KiB pages, T1SZ = 12 (52-bit VA), DS, IPS
 * 52 bits: five levels from level -1 (16 entries), OA[51:50] in descriptor bits [9:8].
 */
static void test_4k_52bit_lpa2(void **state)
{
	(void)state;
	uint64_t tcr = (12ULL << 16) | (2ULL << 30) | (6ULL << 32) | (1ULL << 59) | (25ULL);
	uint64_t va = 0xfff0a98962798fc8ULL;
	uint64_t lm1 = RAM_BASE + 0x1000, l0 = RAM_BASE + 0x2000, l1 = RAM_BASE + 0x3000,
	         l2 = RAM_BASE + 0x4000, l3 = RAM_BASE + 0x5000;
	put(lm1 + ((va >> 48) & 15) * 8, TABLE(l0));
	put(l0 + ((va >> 39) & 511) * 8, TABLE(l1));
	put(l1 + ((va >> 30) & 511) * 8, TABLE(l2));
	put(l2 + ((va >> 21) & 511) * 8, TABLE(l3));
	uint64_t *e3 = (uint64_t *)(void *)&ram[l3 - RAM_BASE + ((va >> 12) & 511) * 8];
	*e3 = PAGE(RAM_BASE + 0x7000);
	struct arm64_s1_regs r = regs(tcr, 0, lm1);
	uint64_t pa = 0;
	reads = 0;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x7fc8);
	assert_int_equal(reads, 5);
	/* Bits [9:8] are OA[51:50] under DS, not shareability: the page moves above 2^50. */
	*e3 |= 3ULL << 8;
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, (3ULL << 50) | (RAM_BASE + 0x7fc8));
	/* ... which a 48-bit IPS refuses (address size fault). */
	r.tcr = (tcr & ~(7ULL << 32)) | (5ULL << 32);
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), -FV_EFAULT);
	/* A 512 GiB block at level 0 is allowed with DS. */
	r.tcr = tcr;
	put(l0 + ((va >> 39) & 511) * 8, BLOCK(0));
	assert_int_equal(arm64_s1_walk(&r, va, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, va & ((1ULL << 39) - 1));
	/* The same tables under TTBR0 with T0SZ 12 and DS: bit 55 clear. */
	struct arm64_s1_regs r0 = regs(12 | (6ULL << 32) | (1ULL << 59), lm1, 0);
	put(l0 + ((va >> 39) & 511) * 8, TABLE(l1));
	*e3 = PAGE(RAM_BASE + 0x7000);
	assert_int_equal(arm64_s1_walk(&r0, va & 0x000fffffffffffffULL, ram_read, NULL, &pa), 0);
	assert_int_equal(pa, RAM_BASE + 0x7fc8);
}

/* Random tables and registers: the walk ends, never reads more than five entries. */
static void test_random_tables(void **state)
{
	(void)state;
	srand(1234);
	for (size_t i = 0; i < RAM_SIZE; i += 8) {
		uint64_t d = ((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^ (uint64_t)rand();
		if (rand() & 1)
			d = (RAM_BASE + ((uint64_t)rand() % (RAM_SIZE / 4096)) * 4096) |
			    (d & 0xc00000000003ffULL);
		memcpy(&ram[i], &d, 8);
	}
	for (int n = 0; n < 20000; n++) {
		struct arm64_s1_regs r = {
		    .sctlr = SCTLR_ON | ((uint64_t)(rand() & 1) << 25),
		    .tcr = ((uint64_t)rand() << 32) ^ (uint64_t)rand(),
		    .ttbr0 = RAM_BASE + ((uint64_t)rand() % (RAM_SIZE / 4096)) * 4096,
		    .ttbr1 = ((uint64_t)rand() << 20),
		};
		uint64_t va =
		    ((uint64_t)rand() << 40) ^ ((uint64_t)rand() << 12) ^ (uint64_t)rand();
		uint64_t pa;
		reads = 0;
		int ret = arm64_s1_walk(&r, va, ram_read, NULL, &pa);
		assert_true(ret == 0 || ret == -FV_EFAULT);
		assert_true(reads <= 5);
		if (ret == 0)
			assert_true(pa < (1ULL << 48));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_mmu_off_identity, setup),
	    cmocka_unit_test_setup(test_4k_48bit_kernel_page, setup),
	    cmocka_unit_test_setup(test_4k_blocks, setup),
	    cmocka_unit_test_setup(test_4k_39bit_three_levels, setup),
	    cmocka_unit_test_setup(test_64k_granule, setup),
	    cmocka_unit_test_setup(test_table_outside_ram, setup),
	    cmocka_unit_test_setup(test_self_loop_bounded, setup),
	    cmocka_unit_test_setup(test_reserved_and_invalid, setup),
	    cmocka_unit_test_setup(test_hostile_tcr, setup),
	    cmocka_unit_test_setup(test_big_endian_tables, setup),
	    cmocka_unit_test_setup(test_4k_52bit_lpa2, setup),
	    cmocka_unit_test_setup(test_random_tables, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
