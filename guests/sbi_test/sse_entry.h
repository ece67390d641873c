/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SSE_ENTRY_H
#define SBI_TEST_SSE_ENTRY_H

/* The assembly side of the SSE suite (sse_entry.S) and the C functions it calls. */

/* ENTRY_PC of the suite's events: saves all registers, calls suite_sse_handler, completes. */
void suite_sse_entry(void);
/* sbi_sse_inject; returns sbiret.error. suite_sse_inject_ret is the address after its ECALL. */
long suite_sse_inject(unsigned long event_id, unsigned long hart_id);
void suite_sse_inject_ret(void);

/* Called by suite_sse_entry with a6 (hart id), a7 (ENTRY_ARG) and its stack pointer. */
void suite_sse_handler(unsigned long hartid, unsigned long arg, unsigned long sp);
/* Called if sbi_sse_complete ever returns to the handler (a failure). */
void suite_sse_complete_returned(void) __attribute__((noreturn));

#endif
