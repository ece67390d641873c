/* SPDX-License-Identifier: MIT */
/*
 * The two measured loops of bench_sbi, identical except for the ecall, so that
 * (ecall loop - bare loop) / iterations is the cost of one SBI call.
 */
	.text

/* void bench_bare_loop(unsigned long n) */
	.globl bench_bare_loop
	.balign 4
bench_bare_loop:
	mv	t0, a0
	beqz	t0, 2f
1:	li	a7, 0x10
	li	a6, 0
	addi	t0, t0, -1
	bnez	t0, 1b
2:	ret

/* void bench_ecall_loop(unsigned long n): n x SBI BASE get_spec_version. The SBI preserves
 * every register but a0/a1, so t0 survives the call. */
	.globl bench_ecall_loop
	.balign 4
bench_ecall_loop:
	mv	t0, a0
	beqz	t0, 2f
1:	li	a7, 0x10
	li	a6, 0
	ecall
	addi	t0, t0, -1
	bnez	t0, 1b
2:	ret
