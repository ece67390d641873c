/* SPDX-License-Identifier: MIT */
/*
 * Timed loops of the arm64 bench guest: each runs n iterations of one operation and returns
 * the virtual counter's delta around them (isb before each read). Every loop has the same
 * shape (operation, subs, b.ne), so the loop minus bench_loop_nop is the operation's cost.
 * Loop state lives in callee-saved registers: an HVC may clobber x0-x17 (SMCCC).
 *
 *   uint64_t bench_loop_nop(uint64_t n);
 *   uint64_t bench_loop_hvc(uint64_t n, uint64_t fid);     hvc #0 with x0 = fid
 *   uint64_t bench_loop_svc(uint64_t n);                   svc #0 to bench_vectors, eret
 *   uint64_t bench_loop_load(uint64_t n, uint64_t addr);   ldr w, [addr]
 */
	.text

.macro	prologue
	stp	x19, x20, [sp, #-32]!
	stp	x21, x22, [sp, #16]
	mov	x19, x0
	mov	x20, x1
	isb
	mrs	x21, cntvct_el0
.endm

.macro	epilogue
	isb
	mrs	x22, cntvct_el0
	sub	x0, x22, x21
	ldp	x21, x22, [sp, #16]
	ldp	x19, x20, [sp], #32
	ret
.endm

	.global	bench_loop_nop
bench_loop_nop:
	prologue
1:	mov	x0, x20
	nop
	subs	x19, x19, #1
	b.ne	1b
	epilogue

	.global	bench_loop_hvc
bench_loop_hvc:
	prologue
1:	mov	x0, x20
	hvc	#0
	subs	x19, x19, #1
	b.ne	1b
	epilogue

	.global	bench_loop_svc
bench_loop_svc:
	prologue
1:	mov	x0, x20
	svc	#0
	subs	x19, x19, #1
	b.ne	1b
	epilogue

	.global	bench_loop_load
bench_loop_load:
	prologue
1:	mov	x0, x20
	ldr	w1, [x20]
	subs	x19, x19, #1
	b.ne	1b
	epilogue

/* EL1 vectors for bench_loop_svc: a synchronous exception from the current EL (SP_ELx, the
 * SVC) returns at once (ELR = the instruction after the SVC); anything else parks. */
	.balign	2048
	.global	bench_vectors
bench_vectors:
	.set	vec, 0
	.rept	16
	.balign	0x80
	.if	vec == 4
	eret
	.else
	b	.
	.endif
	.set	vec, vec + 1
	.endr
