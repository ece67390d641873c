/* SPDX-License-Identifier: MIT */
/*
 * One MMIO load (lbu) and one MMIO store (sb) through each register x1, x3..x31, with
 * every other register holding a known pattern, and all 32 registers captured right after
 * the access. Under Ferrovisor accesses through s0-s11 take the full exit path and all
 * others the partial one (trap.S); both must write or read exactly the named register and
 * leave every other one alone.
 *
 * void mmio_regs_load(unsigned n, uint64_t *out, uintptr_t addr)
 * void mmio_regs_store(unsigned n, uint64_t *out, uintptr_t addr)
 *   n: register number (1, 3..31); out[0..31]: registers after the access (out[0] = 0,
 *   out[2] = sp as on entry); addr: the byte to load from or store to. Register k != n
 *   holds MMIO_REGS_PATTERN(k) (mmio_regs.h) at the access, except the base register
 *   (x31, or x30 for n = 31), which holds addr. For the store, xn holds the pattern too.
 */
#include "mmio_regs.h"

/* Fixed-size cases (the jump into them is computed): no compressed instructions. */
	.option norvc

#define FRAME (34 * 8) /* x0..x31 as seen after the access, addr, out */
#define SAVED (24 * 8) /* ra, gp, tp, s0-s11 of the caller */

/* Every register but sp gets its pattern (the base register too: reloaded after). */
.macro SET_PATTERNS
	.irp k, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	li	x\k, MMIO_REGS_PATTERN(\k)
	.endr
.endm

.macro SAVE_ALL_TO_SP
	.irp k, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	sd	x\k, (\k * 8)(sp)
	.endr
.endm

/* One access through x\n, base register x\b holding addr (saved at 32*8(sp)). */
.macro ACCESS_CASE kind, n, b
	SET_PATTERNS
	ld	x\b, (32 * 8)(sp)
	.ifc \kind, load
	lbu	x\n, 0(x\b)
	.else
	sb	x\n, 0(x\b)
	.endif
	SAVE_ALL_TO_SP
	j	9f
.endm

.macro ACCESS_FN kind
	.globl mmio_regs_\kind
	.balign 4
mmio_regs_\kind:
	/* The register area, addr and out, then the caller's callee-saved state. */
	addi	sp, sp, -(FRAME + SAVED)
	sd	ra, (FRAME + 0)(sp)
	sd	gp, (FRAME + 8)(sp)
	sd	tp, (FRAME + 16)(sp)
	.irp k, 8,9,18,19,20,21,22,23,24,25,26,27
	sd	x\k, (FRAME + 24 + (\k - 8) * 8)(sp)
	.endr
	sd	a1, (33 * 8)(sp)
	sd	a2, (32 * 8)(sp)
	/* Jump to case n: each case is a fixed-size block; compute its address. */
	la	t0, 2f
	la	t1, 3f
	sub	t1, t1, t0		/* size of one case */
	addi	t2, a0, -1
	mul	t1, t1, t2
	add	t0, t0, t1
	jr	t0
	.balign 4
2:
	ACCESS_CASE \kind, 1, 31
3:
	ACCESS_CASE \kind, 2, 31	/* placeholder for x2 (sp): never selected */
	.irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
	ACCESS_CASE \kind, \n, 31
	.endr
	ACCESS_CASE \kind, 31, 30
9:
	/* Copy the register area to out. */
	ld	t0, (33 * 8)(sp)
	sd	zero, 0(t0)
	addi	t1, sp, (FRAME + SAVED)
	sd	t1, 16(t0)
	li	t2, 1
4:
	slli	t3, t2, 3
	add	t4, sp, t3
	ld	t5, 0(t4)
	add	t4, t0, t3
	li	t6, 2
	beq	t2, t6, 5f
	sd	t5, 0(t4)
5:
	addi	t2, t2, 1
	li	t6, 32
	bltu	t2, t6, 4b
	ld	ra, (FRAME + 0)(sp)
	ld	gp, (FRAME + 8)(sp)
	ld	tp, (FRAME + 16)(sp)
	.irp k, 8,9,18,19,20,21,22,23,24,25,26,27
	ld	x\k, (FRAME + 24 + (\k - 8) * 8)(sp)
	.endr
	addi	sp, sp, FRAME + SAVED
	ret
.endm

	.section .text
	ACCESS_FN load
	ACCESS_FN store
