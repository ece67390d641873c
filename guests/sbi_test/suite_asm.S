/* SPDX-License-Identifier: MIT */
/*
 * Assembly helpers of the sbi_test suites.
 *
 * suite_hsm_entry: hart_start target that records a0, a1, sstatus and satp exactly as the SBI
 *   delivered them (suite_hsm_entry_regs[0..3]) and continues at _secondary_entry.
 *
 * suite_ecall_regs(in, out): ECALL with a0..a7 = in[0..7], gp = in[8], tp = in[9] and every
 *   other register except sp set to SUITE_REG_PATTERN(n); stores x0..x31 as seen right after the ECALL in
 *   out[0..31] (out[0] = 0). Interrupts are off around the call. Used to check that the
 *   SBI implementation preserves every register except a0/a1 (SBI spec, binary encoding).
 */
#include "regs_asm.h"

	.section .text
	.globl suite_hsm_entry
	.balign 4
suite_hsm_entry:
	csrr	t0, sstatus
	csrr	t1, satp
	la	t2, suite_hsm_entry_regs
	sd	a0, 0(t2)
	sd	a1, 8(t2)
	sd	t0, 16(t2)
	sd	t1, 24(t2)
	fence	rw, rw
	j	_secondary_entry

	.globl suite_ecall_regs
	.balign 4
suite_ecall_regs:
	addi	sp, sp, -384
	csrr	t0, sstatus
	csrci	sstatus, 2
	sd	t0, 0(sp)
	sd	a1, 376(sp)
	sd	ra, 256(sp)
	sd	s0, 264(sp)
	sd	s1, 272(sp)
	sd	s2, 280(sp)
	sd	s3, 288(sp)
	sd	s4, 296(sp)
	sd	s5, 304(sp)
	sd	s6, 312(sp)
	sd	s7, 320(sp)
	sd	s8, 328(sp)
	sd	s9, 336(sp)
	sd	s10, 344(sp)
	sd	s11, 352(sp)
	sd	gp, 360(sp)
	sd	tp, 368(sp)
	ld	a1, 8(a0)
	ld	a2, 16(a0)
	ld	a3, 24(a0)
	ld	a4, 32(a0)
	ld	a5, 40(a0)
	ld	a6, 48(a0)
	ld	a7, 56(a0)
	li	ra, 0xa5a5000000000101
	li	t0, 0xa5a5000000000505
	li	t1, 0xa5a5000000000606
	li	t2, 0xa5a5000000000707
	li	s0, 0xa5a5000000000808
	li	s1, 0xa5a5000000000909
	li	s2, 0xa5a5000000001212
	li	s3, 0xa5a5000000001313
	li	s4, 0xa5a5000000001414
	li	s5, 0xa5a5000000001515
	li	s6, 0xa5a5000000001616
	li	s7, 0xa5a5000000001717
	li	s8, 0xa5a5000000001818
	li	s9, 0xa5a5000000001919
	li	s10, 0xa5a5000000001a1a
	li	s11, 0xa5a5000000001b1b
	li	t3, 0xa5a5000000001c1c
	li	t4, 0xa5a5000000001d1d
	li	t5, 0xa5a5000000001e1e
	li	t6, 0xa5a5000000001f1f
	/* gp and tp last (interrupts are off: nothing of ours uses them meanwhile). */
	ld	gp, 64(a0)
	ld	tp, 72(a0)
	ld	a0, 0(a0)
	ecall
	gpr_save
	sd	sp, 16(sp)
	ld	ra, 256(sp)
	ld	s0, 264(sp)
	ld	s1, 272(sp)
	ld	s2, 280(sp)
	ld	s3, 288(sp)
	ld	s4, 296(sp)
	ld	s5, 304(sp)
	ld	s6, 312(sp)
	ld	s7, 320(sp)
	ld	s8, 328(sp)
	ld	s9, 336(sp)
	ld	s10, 344(sp)
	ld	s11, 352(sp)
	ld	gp, 360(sp)
	ld	tp, 368(sp)
	ld	a1, 376(sp)
	sd	zero, 0(a1)
	li	t0, 1
1:	slli	t1, t0, 3
	add	t2, sp, t1
	ld	t2, 0(t2)
	add	t1, a1, t1
	sd	t2, 0(t1)
	addi	t0, t0, 1
	li	t1, 32
	blt	t0, t1, 1b
	ld	t0, 0(sp)
	andi	t0, t0, 2
	csrs	sstatus, t0
	addi	sp, sp, 384
	ret

	.section .bss
	.balign 8
	.globl suite_hsm_entry_regs
suite_hsm_entry_regs:
	.zero	32
