/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the arm64 single-step target (hyp/arch/arm64/next_pc.c): every branch
 * class with its taken and not-taken case, encodings assembled by hand from the Arm ARM
 * (C6.2), negative offsets, 32-bit CBZ on a register with upper bits set, TBZ on bit 63,
 * xzr operands, ERET, SVC/BRK vectors from EL1 and EL0, and the refused forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "arch/arm64/next_pc.h"
#include "lib/fv_err.h"

#define PC   0x40201000ULL
#define VBAR 0x40300000ULL

static uint64_t x[31];

static struct arm64_step_regs regs(uint64_t pstate)
{
	return (struct arm64_step_regs){
	    .pc = PC, .x = x, .pstate = pstate, .elr_el1 = 0x40405000ULL, .vbar_el1 = VBAR};
}

static uint64_t next(uint32_t insn, uint64_t pstate)
{
	struct arm64_step_regs r = regs(pstate);
	uint64_t n = 0;
	assert_int_equal(arm64_next_pc(insn, &r, &n), 0);
	return n;
}

#define EL1H 0x3c5ULL
#define EL1T 0x3c4ULL
#define EL0  0x0ULL
#define Z    (1ULL << 30)
#define N    (1ULL << 31)

static void test_plain(void **state)
{
	(void)state;
	assert_int_equal(next(0xd503201f, EL1H), PC + 4); /* nop */
	assert_int_equal(next(0xf9400020, EL1H), PC + 4); /* ldr x0, [x1] */
	assert_int_equal(next(0xd4000002, EL1H), PC + 4); /* hvc #0 */
	assert_int_equal(next(0xd4000003, EL1H), PC + 4); /* smc #0 */
	assert_int_equal(next(0xd503207f, EL1H), PC + 4); /* wfi */
}

static void test_b_bl(void **state)
{
	(void)state;
	assert_int_equal(next(0x14000010, EL1H), PC + 0x40);      /* b .+0x40 */
	assert_int_equal(next(0x17ffffff, EL1H), PC - 4);         /* b .-4 */
	assert_int_equal(next(0x94000002, EL1H), PC + 8);         /* bl .+8 */
	assert_int_equal(next(0x97fffc00, EL1H), PC - 0x1000);    /* bl .-0x1000 */
	assert_int_equal(next(0x16000000, EL1H), PC - 0x8000000); /* b .-128MiB */
}

static void test_bcond(void **state)
{
	(void)state;
	/* b.eq .+0x20: imm19 = 8, cond 0 */
	assert_int_equal(next(0x54000100, Z), PC + 0x20);
	assert_int_equal(next(0x54000100, 0), PC + 4);
	/* b.ne .-8: imm19 = -2 */
	assert_int_equal(next(0x54ffffc1, 0), PC - 8);
	assert_int_equal(next(0x54ffffc1, Z), PC + 4);
	/* b.lt (N != V) */
	assert_int_equal(next(0x5400010b, N), PC + 0x20);
	assert_int_equal(next(0x5400010b, 0), PC + 4);
	/* b.al */
	assert_int_equal(next(0x5400010e, 0), PC + 0x20);
}

static void test_cbz_tbz(void **state)
{
	(void)state;
	x[3] = 0;
	assert_int_equal(next(0xb4000083, EL1H), PC + 0x10); /* cbz x3, .+0x10 */
	assert_int_equal(next(0xb5000083, EL1H), PC + 4);    /* cbnz x3 */
	x[3] = 0x100000000ULL;                               /* low word zero */
	assert_int_equal(next(0x34000083, EL1H), PC + 0x10); /* cbz w3 */
	assert_int_equal(next(0xb4000083, EL1H), PC + 4);    /* cbz x3 */
	assert_int_equal(next(0xb400009f, EL1H), PC + 0x10); /* cbz xzr */
	x[5] = 1ULL << 63;
	assert_int_equal(next(0xb7f80085, EL1H), PC + 0x10); /* tbnz x5, #63, .+0x10 */
	assert_int_equal(next(0xb6f80085, EL1H), PC + 4);    /* tbz x5, #63 */
	x[5] = 4;
	assert_int_equal(next(0x36100085, EL1H), PC + 4);    /* tbz w5, #2 */
	assert_int_equal(next(0x37100085, EL1H), PC + 0x10); /* tbnz w5, #2 */
	assert_int_equal(next(0x3717ffe5, EL1H), PC - 4);    /* tbnz w5, #2, .-4 */
}

static void test_register_branches(void **state)
{
	(void)state;
	x[1] = 0x40208000ULL;
	x[30] = 0x40209000ULL;
	assert_int_equal(next(0xd61f0020, EL1H), 0x40208000ULL); /* br x1 */
	assert_int_equal(next(0xd63f0020, EL1H), 0x40208000ULL); /* blr x1 */
	assert_int_equal(next(0xd65f03c0, EL1H), 0x40209000ULL); /* ret */
	assert_int_equal(next(0xd69f03e0, EL1H), 0x40405000ULL); /* eret */
	struct arm64_step_regs r = regs(EL0);
	uint64_t n;
	assert_int_equal(arm64_next_pc(0xd69f03e0, &r, &n), -FV_ENOTSUP); /* eret at EL0 */
	r = regs(EL1H);
	assert_int_equal(arm64_next_pc(0xd65f0bff, &r, &n), -FV_ENOTSUP); /* retaa */
	assert_int_equal(arm64_next_pc(0xd71f0820, &r, &n), -FV_ENOTSUP); /* braa x1, x0 */
}

static void test_exceptions(void **state)
{
	(void)state;
	assert_int_equal(next(0xd4000001, EL1H), VBAR + 0x200); /* svc #0 at EL1h */
	assert_int_equal(next(0xd4000001, EL1T), VBAR + 0x000); /* svc at EL1t */
	assert_int_equal(next(0xd4000001, EL0), VBAR + 0x400);  /* svc from EL0 */
	assert_int_equal(next(0xd4202460, EL1H), VBAR + 0x200); /* brk #0x123 */
	assert_int_equal(next(0xd4200000, EL0), VBAR + 0x400);  /* brk #0 from EL0 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_b_bl),
	    cmocka_unit_test(test_bcond),
	    cmocka_unit_test(test_cbz_tbz),
	    cmocka_unit_test(test_register_branches),
	    cmocka_unit_test(test_exceptions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
