/* SPDX-License-Identifier: MIT */
/*
 * gdb_target's EL1 vectors: a synchronous exception from EL1 with SP_EL1 (offset 0x200) is
 * handed to gdb_sync(esr, elr), which returns the address to resume at (its own BRK: the
 * next instruction); every other vector reports and parks.
 */
	.text
	.balign	2048
	.global	gdb_vectors
gdb_vectors:
	.set	vec, 0
	.rept	16
	.balign	0x80
	.if	vec == 4
	b	sync_entry
	.else
	mov	x0, #vec
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	bl	guest_unexpected
1:	wfi
	b	1b
	.endif
	.set	vec, vec + 1
	.endr

sync_entry:
	sub	sp, sp, #(20 * 8)
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x30, [sp, #144]
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	bl	gdb_sync
	msr	elr_el1, x0
	ldp	x0, x1, [sp, #0]
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x30, [sp, #144]
	add	sp, sp, #(20 * 8)
	eret
