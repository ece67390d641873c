/* SPDX-License-Identifier: MIT */
/*
 * resume_entry: the resume_addr handed to SBI HSM non-retentive hart_suspend and SUSP
 * system_suspend. The SBI gives a0 = hart id, a1 = opaque, satp = 0, sstatus.SIE = 0 and
 * promises nothing else, so set up gp, tp, a private stack, stvec and the FPU again, then
 * call resume_landed(hartid, opaque, sstatus, satp) with the values found at entry.
 */
#include "config.h"

#define RESUME_STACK_SIZE 4096

	.text
	.globl resume_entry
	.balign 4
resume_entry:
	csrr	t0, sstatus
	csrr	t1, satp
	csrw	sie, zero
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	li	t2, GUEST_MAX_HARTS
	bgeu	a0, t2, 2f
	mv	tp, a0
	la	sp, resume_stacks
	addi	t2, a0, 1
	li	t3, RESUME_STACK_SIZE
	mul	t2, t2, t3
	add	sp, sp, t2
	la	t2, trap_vector
	csrw	stvec, t2
	li	t2, (3 << 13)
	csrc	sstatus, t2
	li	t2, (1 << 13)
	csrs	sstatus, t2
	mv	a2, t0
	mv	a3, t1
	call	resume_landed
2:	wfi
	j	2b

	.bss
	.balign 16
resume_stacks:
	.space	RESUME_STACK_SIZE * GUEST_MAX_HARTS
