/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors and the world switch.
 *
 * arm64_guest_run(ctx) saves the hypervisor's callee-saved registers and stack pointer in
 * ctx, points SP_EL2 at ctx, loads the guest's registers and ERETs. Any exception from the
 * guest (lower EL, AArch64) then arrives with SP_EL2 = ctx: the vector saves all guest
 * registers and the exit syndrome there, restores the hypervisor's registers and returns
 * from arm64_guest_run with the exit type (ARM64_EXIT_*). So a guest exit is an ordinary
 * function return in C, and the hypervisor never runs with a guest's stack.
 *
 * Exceptions taken from EL2 itself are hypervisor bugs: arm64_hyp_fault() reports and stops.
 */
#include "arch/arm64/asm_offsets.h"

.macro hyp_vector type
	.balign	0x80
	sub	sp, sp, #(34 * 8)
	stp	x0, x1, [sp, #0]
	mov	x0, #\type
	b	hyp_fault_common
.endm

.macro guest_vector type
	.balign	0x80
	stp	x0, x1, [sp, #GCTX_X(0)]
	mov	x0, #\type
	b	guest_exit_common
.endm

.macro unused_vector type
	.balign	0x80
	sub	sp, sp, #(34 * 8)
	stp	x0, x1, [sp, #0]
	mov	x0, #(\type + 16)
	b	hyp_fault_common
.endm

	.text
	.balign	2048
	.global arm64_hyp_vectors
arm64_hyp_vectors:
	/* Current EL with SP_EL0: never used (SPSel = 1). */
	hyp_vector 0
	hyp_vector 1
	hyp_vector 2
	hyp_vector 3
	/* Current EL with SP_ELx: the hypervisor faulted. */
	hyp_vector 4
	hyp_vector 5
	hyp_vector 6
	hyp_vector 7
	/* Lower EL, AArch64: the guest left. */
	guest_vector ARM64_EXIT_SYNC
	guest_vector ARM64_EXIT_IRQ
	guest_vector ARM64_EXIT_FIQ
	guest_vector ARM64_EXIT_SERR
	/* Lower EL, AArch32: guests are AArch64 only (HCR_EL2.RW = 1). */
	unused_vector 12
	unused_vector 13
	unused_vector 14
	unused_vector 15

hyp_fault_common:
	/* x0 = vector number, frame on the stack: x0..x30, elr, spsr (x0/x1 stored). */
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	mrs	x1, elr_el2
	stp	x30, x1, [sp, #240]
	mrs	x1, spsr_el2
	str	x1, [sp, #256]
	mov	x1, sp
	bl	arm64_hyp_fault		/* does not return */
1:	wfi
	b	1b

guest_exit_common:
	/* SP_EL2 = the guest context; x0 = exit type, guest x0/x1 already stored. */
	stp	x2, x3, [sp, #GCTX_X(2)]
	stp	x4, x5, [sp, #GCTX_X(4)]
	stp	x6, x7, [sp, #GCTX_X(6)]
	stp	x8, x9, [sp, #GCTX_X(8)]
	stp	x10, x11, [sp, #GCTX_X(10)]
	stp	x12, x13, [sp, #GCTX_X(12)]
	stp	x14, x15, [sp, #GCTX_X(14)]
	stp	x16, x17, [sp, #GCTX_X(16)]
	stp	x18, x19, [sp, #GCTX_X(18)]
	stp	x20, x21, [sp, #GCTX_X(20)]
	stp	x22, x23, [sp, #GCTX_X(22)]
	stp	x24, x25, [sp, #GCTX_X(24)]
	stp	x26, x27, [sp, #GCTX_X(26)]
	stp	x28, x29, [sp, #GCTX_X(28)]
	str	x30, [sp, #GCTX_X(30)]
	mrs	x1, elr_el2
	mrs	x2, spsr_el2
	stp	x1, x2, [sp, #GCTX_PC]
	mrs	x1, esr_el2
	mrs	x2, far_el2
	stp	x1, x2, [sp, #GCTX_ESR]
	mrs	x1, hpfar_el2
	str	x1, [sp, #GCTX_HPFAR]
	mov	x1, sp
	ldr	x2, [x1, #GCTX_HOST_SP]
	mov	sp, x2
	ldp	x19, x20, [x1, #GCTX_HOST_X19]
	ldp	x21, x22, [x1, #GCTX_HOST_X19 + 16]
	ldp	x23, x24, [x1, #GCTX_HOST_X19 + 32]
	ldp	x25, x26, [x1, #GCTX_HOST_X19 + 48]
	ldp	x27, x28, [x1, #GCTX_HOST_X19 + 64]
	ldp	x29, x30, [x1, #GCTX_HOST_X19 + 80]
	ret

/* unsigned arm64_guest_run(struct arm64_guest_ctx *ctx): enter the guest until it exits. */
	.global arm64_guest_run
arm64_guest_run:
	stp	x19, x20, [x0, #GCTX_HOST_X19]
	stp	x21, x22, [x0, #GCTX_HOST_X19 + 16]
	stp	x23, x24, [x0, #GCTX_HOST_X19 + 32]
	stp	x25, x26, [x0, #GCTX_HOST_X19 + 48]
	stp	x27, x28, [x0, #GCTX_HOST_X19 + 64]
	stp	x29, x30, [x0, #GCTX_HOST_X19 + 80]
	mov	x1, sp
	str	x1, [x0, #GCTX_HOST_SP]
	ldp	x1, x2, [x0, #GCTX_PC]
	msr	elr_el2, x1
	msr	spsr_el2, x2
	mov	sp, x0
	ldp	x2, x3, [sp, #GCTX_X(2)]
	ldp	x4, x5, [sp, #GCTX_X(4)]
	ldp	x6, x7, [sp, #GCTX_X(6)]
	ldp	x8, x9, [sp, #GCTX_X(8)]
	ldp	x10, x11, [sp, #GCTX_X(10)]
	ldp	x12, x13, [sp, #GCTX_X(12)]
	ldp	x14, x15, [sp, #GCTX_X(14)]
	ldp	x16, x17, [sp, #GCTX_X(16)]
	ldp	x18, x19, [sp, #GCTX_X(18)]
	ldp	x20, x21, [sp, #GCTX_X(20)]
	ldp	x22, x23, [sp, #GCTX_X(22)]
	ldp	x24, x25, [sp, #GCTX_X(24)]
	ldp	x26, x27, [sp, #GCTX_X(26)]
	ldp	x28, x29, [sp, #GCTX_X(28)]
	ldr	x30, [sp, #GCTX_X(30)]
	ldp	x0, x1, [sp, #GCTX_X(0)]
	eret
	dsb	nsh			/* speculation barrier after eret */
	isb

/* FP/SIMD state of a vCPU (struct arm64_fp_state): saved on put, restored on load. */
	.global arm64_fp_save
arm64_fp_save:
	stp	q0, q1, [x0, #0]
	stp	q2, q3, [x0, #32]
	stp	q4, q5, [x0, #64]
	stp	q6, q7, [x0, #96]
	stp	q8, q9, [x0, #128]
	stp	q10, q11, [x0, #160]
	stp	q12, q13, [x0, #192]
	stp	q14, q15, [x0, #224]
	stp	q16, q17, [x0, #256]
	stp	q18, q19, [x0, #288]
	stp	q20, q21, [x0, #320]
	stp	q22, q23, [x0, #352]
	stp	q24, q25, [x0, #384]
	stp	q26, q27, [x0, #416]
	stp	q28, q29, [x0, #448]
	stp	q30, q31, [x0, #480]
	mrs	x1, fpcr
	mrs	x2, fpsr
	add	x0, x0, #512
	stp	x1, x2, [x0]
	ret

	.global arm64_fp_restore
arm64_fp_restore:
	ldp	q0, q1, [x0, #0]
	ldp	q2, q3, [x0, #32]
	ldp	q4, q5, [x0, #64]
	ldp	q6, q7, [x0, #96]
	ldp	q8, q9, [x0, #128]
	ldp	q10, q11, [x0, #160]
	ldp	q12, q13, [x0, #192]
	ldp	q14, q15, [x0, #224]
	ldp	q16, q17, [x0, #256]
	ldp	q18, q19, [x0, #288]
	ldp	q20, q21, [x0, #320]
	ldp	q22, q23, [x0, #352]
	ldp	q24, q25, [x0, #384]
	ldp	q26, q27, [x0, #416]
	ldp	q28, q29, [x0, #448]
	ldp	q30, q31, [x0, #480]
	add	x0, x0, #512
	ldp	x1, x2, [x0]
	msr	fpcr, x1
	msr	fpsr, x2
	ret
