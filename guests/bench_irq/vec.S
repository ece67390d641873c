/* SPDX-License-Identifier: MIT */
/*
 * Measurement trap vector and wait loop of bench_irq.
 *
 * irqb_vector is installed in stvec only while a latency is being measured, and interrupts are
 * enabled only inside irqb_wait, whose loop uses a0, a1 and t0 alone: the vector may therefore
 * clobber t1..t6 without saving anything, and its first instruction reads instret, so the
 * recorded timestamp is the handler's entry (under -icount shift=0 instret is QEMU's virtual
 * clock in ns). Per-hart record (32 bytes at irqb_records + hartid * 32):
 *   +0 instret at entry, +8 time at entry, +16 scause, +24 flag (1 = interrupt, 2 = exception).
 * The interrupt is acknowledged so that sret does not re-enter: a software interrupt is
 * cleared in sip; any other interrupt is masked in sie (the C side disarms and unmasks it).
 * sret always resumes at irqb_wait_out, the common exit of both wait loops (they are leaf
 * functions, ra is intact): an interrupt taken just before a wfi can then never leave the
 * hart asleep with its flag already set.
 */
#include "config.h"

#define SSTATUS_SIE 2

	.text
	.globl irqb_vector
	.balign 4
irqb_vector:
	csrr	t1, instret
	csrr	t2, time
	csrr	t3, scause
	la	t4, irqb_records
	slli	t5, tp, 5
	add	t4, t4, t5
	sd	t1, 0(t4)
	sd	t2, 8(t4)
	sd	t3, 16(t4)
	bgez	t3, 3f
	slli	t5, t3, 1
	srli	t5, t5, 1
	li	t6, 1
	sll	t6, t6, t5
	li	t5, 2
	bne	t6, t5, 1f
	csrc	sip, t6
	j	2f
1:	csrc	sie, t6
2:	li	t5, 1
	j	4f
	/* An exception cannot come from the wait loops; report it and leave the loop. */
3:	li	t5, 2
4:	sd	t5, 24(t4)
	la	t5, irqb_wait_out
	csrw	sepc, t5
	sret

/*
 * void irqb_wait(volatile uint64_t *flag, volatile uint64_t *ready)
 * Enable interrupts, then publish *ready = 1 (so a sender knows interrupts are on), spin until
 * *flag != 0, disable interrupts.
 */
	.globl irqb_wait
	.balign 4
irqb_wait:
	csrsi	sstatus, SSTATUS_SIE
	li	t0, 1
	fence	rw, w
	sd	t0, 0(a1)
1:	ld	t0, 0(a0)
	beqz	t0, 1b
	.globl irqb_wait_out
irqb_wait_out:
	csrci	sstatus, SSTATUS_SIE
	ret

/* void irqb_wait_idle(volatile uint64_t *flag, volatile uint64_t *ready): same, but the hart
 * sleeps in wfi between checks (an idle vCPU). */
	.globl irqb_wait_idle
	.balign 4
irqb_wait_idle:
	csrsi	sstatus, SSTATUS_SIE
	li	t0, 1
	fence	rw, w
	sd	t0, 0(a1)
1:	ld	t0, 0(a0)
	bnez	t0, irqb_wait_out
	wfi
	j	1b

/* uint64_t irqb_edge(uint64_t *instret): wait for the next tick of `time`; returns the new
 * time value and stores instret read right after it changed. */
	.globl irqb_edge
	.balign 4
irqb_edge:
	csrr	t0, time
1:	csrr	t1, time
	beq	t0, t1, 1b
	csrr	t2, instret
	sd	t2, 0(a0)
	mv	a0, t1
	ret

/* uint64_t irqb_arm_sstc(uint64_t deadline): write stimecmp; returns instret read just
 * before the write (the write retires one instruction later). */
	.globl irqb_arm_sstc
	.balign 4
irqb_arm_sstc:
	csrr	t0, instret
	csrw	stimecmp, a0
	mv	a0, t0
	ret

/* void irqb_spin(unsigned long n): 2n + 1 instructions of busy work (arming-phase dither). */
	.globl irqb_spin
	.balign 4
irqb_spin:
	beqz	a0, 2f
1:	addi	a0, a0, -1
	bnez	a0, 1b
2:	ret
