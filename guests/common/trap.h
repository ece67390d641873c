/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Saved state of the interrupted context (layout fixed by trap_vec.S). */
struct trap_frame {
	unsigned long x[32];
	unsigned long sepc;
	unsigned long sstatus;
};

/* One exception as the handler saw it. */
struct trap_record {
	unsigned long scause;
	unsigned long stval;
	unsigned long sepc;
	unsigned long insn_len; /* bytes skipped: 2 or 4 */
};

/*
 * Per-hart trap bookkeeping, written only by that hart's trap handler (read by anyone).
 * Counters are monotonic; timer_time is rdtime() at entry of the latest timer interrupt.
 */
struct trap_hart {
	volatile uint64_t timer_count;
	volatile uint64_t timer_time;
	volatile uint64_t soft_count;
	volatile uint64_t soft_time;
	volatile uint64_t ext_count;
	volatile uint64_t other_irq_count;
	volatile uint64_t exc_count;
	volatile struct trap_record last;
	volatile bool expect;
	uint64_t expect_start;
};

/*
 * Exceptions: with trap_expect_begin() armed on this hart, an exception is recorded in
 * trap_hart.last and the faulting instruction is skipped (length from its encoding), so a
 * test can provoke a fault and check scause/stval afterwards. An exception that was not
 * expected prints FV-CHECK FAIL and FV-RESULT FAIL and shuts the machine down.
 *
 * Interrupts: the timer handler records the time, disarms the timer with
 * sbi_set_timer(UINT64_MAX) and then calls the timer hook (which may arm a new deadline);
 * the software interrupt handler clears sip.SSIP and calls the soft hook; an external
 * interrupt (no interrupt controller driver here) is counted and masked in sie.
 */
void trap_handle(struct trap_frame *tf);

struct trap_hart *trap_hart_state(void);
struct trap_hart *trap_hart_state_of(unsigned long hartid);

void trap_expect_begin(void);
/* Disarms; returns true and fills *rec (may be NULL) if an exception happened since begin. */
bool trap_expect_end(struct trap_record *rec);

/* Hooks are global (all harts) and run in interrupt context with interrupts off. */
void trap_set_timer_hook(void (*fn)(void));
void trap_set_soft_hook(void (*fn)(void));

const char *trap_cause_name(unsigned long scause);

#endif
