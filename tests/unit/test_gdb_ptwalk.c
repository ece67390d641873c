/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the debugger's VS-stage page-table walker
 * (hyp/arch/riscv/ptwalk.c: Bare, Sv39, Sv48, Sv57, superpages, Svnapot,
 * permission and malformed-table faults) and the single-step next-pc
 * decoder (hyp/arch/riscv/next_pc.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/next_pc.h"
#include "arch/riscv/ptwalk.h"
#include "lib/fv_err.h"

/* Fake guest RAM: 64 pages at GPA 0x80000000. */
#define RAM_BASE 0x80000000ULL
#define RAM_SIZE (64 * 4096)
static uint64_t ram[RAM_SIZE / 8];

static int rd(void *ctx, uint64_t gpa, uint64_t *pte)
{
	(void)ctx;
	if (gpa < RAM_BASE || gpa + 8 > RAM_BASE + RAM_SIZE)
		return -FV_EFAULT;
	*pte = ram[(gpa - RAM_BASE) / 8];
	return 0;
}

#define V 1ULL
#define R 2ULL
#define W 4ULL
#define X 8ULL

static uint64_t page(unsigned n)
{
	return RAM_BASE + (uint64_t)n * 4096;
}

static void set_pte(uint64_t table, unsigned idx, uint64_t pa, uint64_t flags)
{
	ram[(table - RAM_BASE) / 8 + idx] = ((pa >> 12) << 10) | flags;
}

static uint64_t satp(uint64_t mode, uint64_t root)
{
	return mode << 60 | (0x55ULL << 44) /* ASID ignored */ | root >> 12;
}

static void test_bare_and_bad_mode(void **state)
{
	(void)state;
	uint64_t gpa = 0;
	assert_int_equal(riscv_ptwalk(0, 0x1234, PTW_R, rd, NULL, &gpa), 0);
	assert_int_equal(gpa, 0x1234);
	assert_int_equal(riscv_ptwalk(7ULL << 60, 0x1234, PTW_R, rd, NULL, &gpa), -FV_ENOTSUP);
}

/* A 4 KiB mapping at every depth: va -> page(10) + offset. */
static void test_levels(void **state)
{
	(void)state;
	static const struct {
		uint64_t mode;
		unsigned levels;
		uint64_t va;
	} cases[] = {
	    {PTW_MODE_SV39, 3, 0x0000003fc0201234ULL},
	    {PTW_MODE_SV39, 3, 0xffffffffc0201234ULL}, /* negative half, sign-extended */
	    {PTW_MODE_SV48, 4, 0x00007f8040201234ULL},
	    {PTW_MODE_SV57, 5, 0x00ff008040201234ULL},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memset(ram, 0, sizeof(ram));
		uint64_t va = cases[c].va, table = page(0);
		for (int l = (int)cases[c].levels - 1; l > 0; l--) {
			unsigned idx = (unsigned)(va >> (12 + 9 * l)) & 511;
			set_pte(table, idx, page((unsigned)(cases[c].levels - (unsigned)l)), V);
			table = page((unsigned)(cases[c].levels - (unsigned)l));
		}
		set_pte(table, (unsigned)(va >> 12) & 511, page(10), V | R | X);
		uint64_t gpa = 0;
		assert_int_equal(
		    riscv_ptwalk(satp(cases[c].mode, page(0)), va, PTW_R, rd, NULL, &gpa), 0);
		assert_int_equal(gpa, page(10) + 0x234);
		/* Read-only, executable: a write needs W, a debugger write does not. */
		assert_int_equal(
		    riscv_ptwalk(satp(cases[c].mode, page(0)), va, PTW_W, rd, NULL, &gpa),
		    -FV_EFAULT);
		assert_int_equal(
		    riscv_ptwalk(satp(cases[c].mode, page(0)), va, PTW_DEBUG, rd, NULL, &gpa), 0);
		/* The neighbouring page is not mapped. */
		assert_int_equal(
		    riscv_ptwalk(satp(cases[c].mode, page(0)), va + 4096, PTW_R, rd, NULL, &gpa),
		    -FV_EFAULT);
	}
}

static void test_non_canonical(void **state)
{
	(void)state;
	uint64_t gpa;
	memset(ram, 0, sizeof(ram));
	assert_int_equal(riscv_ptwalk(satp(PTW_MODE_SV39, page(0)), 0x0000004000000000ULL, PTW_R,
	                              rd, NULL, &gpa),
	                 -FV_EFAULT);
	assert_int_equal(riscv_ptwalk(satp(PTW_MODE_SV48, page(0)), 0x8000000000000000ULL, PTW_R,
	                              rd, NULL, &gpa),
	                 -FV_EFAULT);
}

static void test_superpages(void **state)
{
	(void)state;
	uint64_t gpa;
	memset(ram, 0, sizeof(ram));
	/* Sv39 1 GiB leaf at the root: va 0x80000000 -> gpa 0x80000000. */
	set_pte(page(0), 2, 0x80000000ULL, V | R | W | X);
	assert_int_equal(
	    riscv_ptwalk(satp(PTW_MODE_SV39, page(0)), 0x80123456ULL, PTW_W, rd, NULL, &gpa), 0);
	assert_int_equal(gpa, 0x80123456ULL);
	/* Misaligned 1 GiB superpage (PPN low bits set): fault. */
	set_pte(page(0), 3, 0x80200000ULL, V | R);
	assert_int_equal(
	    riscv_ptwalk(satp(PTW_MODE_SV39, page(0)), 0xc0000000ULL, PTW_R, rd, NULL, &gpa),
	    -FV_EFAULT);
	/* 2 MiB leaf at level 1. */
	set_pte(page(0), 0, page(1), V);
	set_pte(page(1), 1, 0x80400000ULL, V | R);
	assert_int_equal(riscv_ptwalk(satp(PTW_MODE_SV39, page(0)), 0x0000000000212345ULL, PTW_R,
	                              rd, NULL, &gpa),
	                 0);
	assert_int_equal(gpa, 0x80412345ULL);
}

static void test_malformed(void **state)
{
	(void)state;
	uint64_t gpa;
	uint64_t s = satp(PTW_MODE_SV39, page(0));
	memset(ram, 0, sizeof(ram));
	set_pte(page(0), 0, page(1), V);
	set_pte(page(1), 0, page(2), V);
	/* W without R: reserved. */
	set_pte(page(2), 0, page(5), V | W);
	assert_int_equal(riscv_ptwalk(s, 0x0, PTW_DEBUG, rd, NULL, &gpa), -FV_EFAULT);
	/* Non-leaf at the last level. */
	set_pte(page(2), 1, page(5), V);
	assert_int_equal(riscv_ptwalk(s, 0x1000, PTW_DEBUG, rd, NULL, &gpa), -FV_EFAULT);
	/* Reserved bits 60:54. */
	ram[(page(2) - RAM_BASE) / 8 + 2] = ((page(5) >> 12) << 10) | V | R | (1ULL << 55);
	assert_int_equal(riscv_ptwalk(s, 0x2000, PTW_DEBUG, rd, NULL, &gpa), -FV_EFAULT);
	/* Invalid. */
	set_pte(page(2), 3, page(5), R);
	assert_int_equal(riscv_ptwalk(s, 0x3000, PTW_DEBUG, rd, NULL, &gpa), -FV_EFAULT);
	/* A table outside RAM: the read fails, so does the walk. */
	set_pte(page(1), 1, 0x10000000ULL, V);
	assert_int_equal(riscv_ptwalk(s, 0x200000, PTW_DEBUG, rd, NULL, &gpa), -FV_EFAULT);
	/* Root outside RAM. */
	assert_int_equal(riscv_ptwalk(satp(PTW_MODE_SV39, 0x1000), 0, PTW_R, rd, NULL, &gpa),
	                 -FV_EFAULT);
	/* Svnapot 64 KiB: PPN[3:0] = 1000. */
	ram[(page(2) - RAM_BASE) / 8 + 31] =
	    (((page(16) >> 12) | 0x8) << 10) | V | R | (1ULL << 63);
	assert_int_equal(riscv_ptwalk(s, 0x1f234, PTW_R, rd, NULL, &gpa), 0);
	assert_int_equal(gpa, page(16) + 0xf234);
	ram[(page(2) - RAM_BASE) / 8 + 17] =
	    (((page(16) >> 12) | 0x4) << 10) | V | R | (1ULL << 63);
	assert_int_equal(riscv_ptwalk(s, 0x11000, PTW_R, rd, NULL, &gpa), -FV_EFAULT);
}

static void test_next_pc(void **state)
{
	(void)state;
	uint64_t x[32] = {0};
	struct riscv_step_regs r = {.pc = 0x1000, .x = x, .sepc = 0x5550, .stvec = 0x7001};
	x[5] = 0x2000;
	x[10] = 1;
	x[11] = 2;
	assert_int_equal(riscv_next_pc(0x00000013, &r), 0x1004); /* nop */
	assert_int_equal(riscv_next_pc(0x0100006f, &r), 0x1010); /* jal x0, +16 */
	assert_int_equal(riscv_next_pc(0xff1ff06f, &r), 0x0ff0); /* jal x0, -16 */
	assert_int_equal(riscv_next_pc(0x00828067, &r), 0x2008); /* jalr x0, 8(t0) */
	assert_int_equal(riscv_next_pc(0x00b50863, &r), 0x1004); /* beq a0, a1, +16: no */
	assert_int_equal(riscv_next_pc(0x00b51863, &r), 0x1010); /* bne a0, a1, +16 */
	assert_int_equal(riscv_next_pc(0x00b54863, &r), 0x1010); /* blt 1 < 2 */
	assert_int_equal(riscv_next_pc(0x00a5c863, &r), 0x1004); /* blt a1, a0: 2 < 1 no */
	assert_int_equal(riscv_next_pc(0xfeb56ee3, &r), 0x0ffc); /* bltu a0, a1, -4: 1 < 2 */
	assert_int_equal(riscv_next_pc(0x10200073, &r), 0x5550); /* sret */
	assert_int_equal(riscv_next_pc(0x00100073, &r), 0x7000); /* ebreak -> stvec base */
	assert_int_equal(riscv_next_pc(0x00000073, &r), 0x1004); /* ecall */
	assert_int_equal(riscv_next_pc(0x0001, &r), 0x1002);     /* c.nop */
	assert_int_equal(riscv_next_pc(0xa801, &r), 0x1010);     /* c.j +16 */
	assert_int_equal(riscv_next_pc(0x8282, &r), 0x2000);     /* c.jr t0 */
	assert_int_equal(riscv_next_pc(0x9282, &r), 0x2000);     /* c.jalr t0 */
	assert_int_equal(riscv_next_pc(0x9002, &r), 0x7000);     /* c.ebreak */
	assert_int_equal(riscv_next_pc(0xc901, &r), 0x1002);     /* c.beqz a0, +16: a0=1 */
	assert_int_equal(riscv_next_pc(0xe901, &r), 0x1010);     /* c.bnez a0, +16 */
	assert_int_equal(riscv_next_pc(0xdd7d, &r), 0x1002);     /* c.beqz a0, -2: no */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bare_and_bad_mode), cmocka_unit_test(test_levels),
	    cmocka_unit_test(test_non_canonical),     cmocka_unit_test(test_superpages),
	    cmocka_unit_test(test_malformed),         cmocka_unit_test(test_next_pc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
