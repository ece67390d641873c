/* SPDX-License-Identifier: MIT */
/*
 * Assembler macros shared by the guests' .S files (include only from assembly).
 *
 * gpr_save base: stores x1 and x3..x31 at n*8(base), the layout of a 32-slot register frame
 *   indexed by register number (struct trap_frame in trap.h, the SSE handler frame, the ECALL
 *   register dump of suite_ecall_regs). x0 and x2 (sp) are left to the caller: x0 is always
 *   zero and sp is usually the frame base itself, whose original value the caller knows.
 * gpr_load base: the reverse, loads x1 and x3..x31 from n*8(base); base must not be one of
 *   them (sp is the usual base and is restored by the caller).
 * hart_regs_setup stacks, size, bad, ta, tb: per-hart state of a hart entering with a0 = hart
 *   id: branches to bad if a0 >= GUEST_MAX_HARTS (no stack for it), else sets tp = a0,
 *   sp = stacks + (a0 + 1) * size, stvec = trap_vector and sstatus.FS = Initial (FP legal,
 *   state clean). Clobbers ta and tb only, so entry paths can keep values in other registers.
 *   Needs config.h included first.
 */
#ifndef GUEST_REGS_ASM_H
#define GUEST_REGS_ASM_H

/* clang-format off */
.macro gpr_save base=sp
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	sd	x\n, \n*8(\base)
	.endr
.endm

.macro gpr_load base=sp
	.irp n, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	ld	x\n, \n*8(\base)
	.endr
.endm
.macro hart_regs_setup stacks, size, bad, ta, tb
	li	\ta, GUEST_MAX_HARTS
	bgeu	a0, \ta, \bad
	mv	tp, a0
	la	sp, \stacks
	addi	\ta, a0, 1
	li	\tb, \size
	mul	\ta, \ta, \tb
	add	sp, sp, \ta
	la	\ta, trap_vector
	csrw	stvec, \ta
	li	\ta, (3 << 13)
	csrc	sstatus, \ta
	li	\ta, (1 << 13)
	csrs	sstatus, \ta
.endm
/* clang-format on */

#endif
