/* SPDX-License-Identifier: MIT */
/*
 * S-mode trap vector (direct mode). Guests never leave S-mode, so the interrupted sp is valid:
 * the frame (x0..x31, sepc, sstatus; TRAP_FRAME_SIZE bytes) is pushed on the current stack and
 * trap_handle(frame) may edit the saved registers and sepc, which are restored before sret.
 * Floating-point registers are not touched here nor in trap.c (no FP code in the handler).
 */
#include "config.h"
#include "regs_asm.h"

	.text
	.globl trap_vector
	.balign 4
trap_vector:
	addi	sp, sp, -TRAP_FRAME_SIZE
	gpr_save
	addi	t0, sp, TRAP_FRAME_SIZE
	sd	t0, 2*8(sp)
	sd	zero, 0(sp)
	csrr	t0, sepc
	sd	t0, 32*8(sp)
	csrr	t0, sstatus
	sd	t0, 33*8(sp)

	mv	a0, sp
	call	trap_handle

	ld	t0, 33*8(sp)
	csrw	sstatus, t0
	ld	t0, 32*8(sp)
	csrw	sepc, t0
	gpr_load
	ld	x2, 2*8(sp)
	sret
