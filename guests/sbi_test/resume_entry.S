/* SPDX-License-Identifier: MIT */
/*
 * resume_entry: the resume_addr handed to SBI HSM non-retentive hart_suspend and SUSP
 * system_suspend. The SBI gives a0 = hart id, a1 = opaque, satp = 0, sstatus.SIE = 0 and
 * promises nothing else, so set up gp, tp, a private stack, stvec and the FPU again, then
 * call resume_landed(hartid, opaque, sstatus, satp) with the values found at entry.
 */
#include "config.h"
#include "regs_asm.h"

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
	/* t0/t1 hold sstatus/satp as found at entry: use t2/t3 as scratch. */
	hart_regs_setup resume_stacks, RESUME_STACK_SIZE, 2f, t2, t3
	mv	a2, t0
	mv	a3, t1
	call	resume_landed
2:	wfi
	j	2b

	.bss
	.balign 16
resume_stacks:
	.space	RESUME_STACK_SIZE * GUEST_MAX_HARTS
