/* SPDX-License-Identifier: MIT */
/*
 * Entry of an arm64 test guest at EL1 with the MMU off. vCPU 0 comes here at boot with
 * x0 = the device tree; other vCPUs come here through PSCI CPU_ON with x0 = the context id.
 * Each vCPU takes the stack of its MPIDR Aff0; vCPU 0 clears BSS and calls
 * guest_main(dtb), the others guest_secondary(cpu, context).
 */
	.section .text.start, "ax"
	.global _start
_start:
	mov	x19, x0
	mrs	x20, mpidr_el1
	and	x20, x20, #0xff
	cmp	x20, #8
	b.hs	park
	ldr	x1, =__stacks
	add	x2, x20, #1
	lsl	x2, x2, #13		/* GUEST_STACK_SIZE = 8 KiB */
	add	sp, x1, x2
	/* FP/SIMD usable at EL1 (compilers may use it for copies). */
	mov	x1, #(3 << 20)
	msr	cpacr_el1, x1
	isb
	cbnz	x20, secondary
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, x19
	bl	guest_main
	b	park
secondary:
	mov	x0, x20
	mov	x1, x19
	bl	guest_secondary
park:
	wfi
	b	park
