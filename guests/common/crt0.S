/* SPDX-License-Identifier: MIT */
/*
 * Guest entry points (S-mode, satp = 0, interrupts off).
 *
 * _start: the image entry, a0 = hart id, a1 = DTB address (or 0). Normally only one hart gets
 *   here (OpenSBI or the hypervisor start the others with SBI HSM), but a firmware may release
 *   several harts at once: a lottery picks the boot hart, which alone clears .bss and calls
 *   plat_boot(). Losers wait until .bss is clear and park themselves with SBI hart_stop so the
 *   boot hart can start them like any stopped hart.
 * _secondary_entry: SBI HSM hart_start target, a0 = hart id, a1 = opaque; calls
 *   smp_secondary_main(hartid, opaque).
 * Every hart runs on stack __stacks_start + (hartid + 1) * GUEST_STACK_SIZE, with tp = hart id,
 * stvec = trap_vector and sstatus.FS = Initial.
 */
#include "config.h"
#include "regs_asm.h"

	.section .text.start, "ax"
	.globl _start
_start:
	csrw	sie, zero
	csrci	sstatus, 2
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	s0, a0
	mv	s1, a1

	la	t0, boot_lottery
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, lottery_lost

	/* Boot hart: clear .bss before anything (including the stack setup) relies on it. */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:	fence	rw, rw
	la	t0, bss_cleared
	li	t1, 1
	sw	t1, 0(t0)

	mv	a0, s0
	call	hart_setup
	mv	a0, s0
	mv	a1, s1
	call	plat_boot
	j	hart_hang

lottery_lost:
	la	t0, bss_cleared
3:	lw	t1, 0(t0)
	beqz	t1, 3b
	fence	r, rw
	mv	a0, s0
	call	hart_setup
	mv	a0, s0
	call	smp_park
	j	hart_hang

	.text
	.globl _secondary_entry
	.balign 4
_secondary_entry:
	csrw	sie, zero
	csrci	sstatus, 2
	.option push
	.option norelax
	la	gp, __global_pointer$
	.option pop
	mv	s0, a0
	mv	s1, a1
	call	hart_setup
	mv	a0, s0
	mv	a1, s1
	call	smp_secondary_main
	j	hart_hang

/*
 * hart_setup(a0 = hart id): stack, tp, trap vector, FPU. Uses no stack itself; returns with
 * sp set for this hart. A hart id beyond GUEST_MAX_HARTS has no stack and hangs.
 */
hart_setup:
	hart_regs_setup __stacks_start, GUEST_STACK_SIZE, hart_hang, t0, t1
	fscsr	zero
	ret

hart_hang:
	csrw	sie, zero
4:	wfi
	j	4b

	.data
	.balign 8
boot_lottery:
	.word	0
bss_cleared:
	.word	0
