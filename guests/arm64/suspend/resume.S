/* SPDX-License-Identifier: MIT */
/*
 * Where a vCPU of the suspend guest resumes after a PSCI CPU_SUSPEND powerdown: the state is
 * CPU_ON's (MMU off, exceptions masked, x0 = the context id) and the stack it had is gone.
 * Takes a fresh stack of its MPIDR Aff0 (the layout of common/start.S) and calls
 * suspend_resumed(cpu, context).
 */
	.text
	.global	suspend_resume_entry
	.balign	4
suspend_resume_entry:
	mov	x19, x0
	mrs	x20, mpidr_el1
	and	x20, x20, #0xff
	ldr	x1, =__stacks
	add	x2, x20, #1
	lsl	x2, x2, #13		/* GUEST_STACK_SIZE = 8 KiB */
	add	sp, x1, x2
	mov	x0, x20
	mov	x1, x19
	bl	suspend_resumed
1:	wfi
	b	1b
