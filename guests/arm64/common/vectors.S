/* SPDX-License-Identifier: MIT */
/*
 * EL1 exception vectors of arm64 test guests (VBAR_EL1 = guest_vectors, set by a guest that
 * takes interrupts). An IRQ at EL1 with SP_EL1 saves the caller-saved registers and calls
 * guest_irq(); anything else prints the vector and parks (a test then times out or fails).
 */
	.text
	.balign	2048
	.global	guest_vectors
guest_vectors:
	.set	vec, 0
	.rept	16
	.balign	0x80
	.if	vec == 5
	b	irq_entry
	.else
	mov	x0, #vec
	b	unexpected_entry
	.endif
	.set	vec, vec + 1
	.endr

irq_entry:
	sub	sp, sp, #(22 * 8)
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x29, [sp, #144]
	mrs	x0, elr_el1
	mrs	x1, spsr_el1
	stp	x30, x0, [sp, #160]
	str	x1, [sp, #176]
	bl	guest_irq
	ldr	x1, [sp, #176]
	ldp	x30, x0, [sp, #160]
	msr	elr_el1, x0
	msr	spsr_el1, x1
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x29, [sp, #144]
	add	sp, sp, #(22 * 8)
	eret

unexpected_entry:
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	bl	guest_unexpected
1:	wfi
	b	1b
