/* SPDX-License-Identifier: MIT */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdbool.h>

#include "sbi.h"

/* Entry of a hart started with smp_start_hart(): a0/a1 exactly as SBI HSM delivered them. */
typedef void (*smp_entry_fn)(unsigned long hartid, unsigned long opaque);

/* This hart's id (kept in tp by crt0). */
static inline unsigned long smp_hartid(void)
{
	unsigned long id;

	__asm__("mv %0, tp" : "=r"(id));
	return id;
}

/*
 * Start a stopped hart at _secondary_entry with SBI HSM hart_start; it runs fn(hartid,
 * opaque) on its own stack and calls SBI hart_stop when fn returns. One start per hart at a
 * time (the entry is recorded per hart id). Returns the SBI result of hart_start.
 */
struct sbiret smp_start_hart(unsigned long hartid, smp_entry_fn fn, unsigned long opaque);

/*
 * As smp_start_hart(), but SBI hart_start targets `start_addr`, an assembly stub that must
 * end by jumping to _secondary_entry with a0/a1 intact (e.g. to record the entry state).
 */
struct sbiret smp_start_hart_at(unsigned long hartid, unsigned long start_addr, smp_entry_fn fn,
                                unsigned long opaque);

/* A hart id other than `self` that SBI HSM reports (any state), or -1 if there is none. */
long smp_find_other_hart(unsigned long self);

/* Poll SBI hart_get_status until it returns `state`; false after timeout_ms. */
bool smp_wait_status(unsigned long hartid, long state, unsigned long timeout_ms);

/* Called from crt0 only. */
void smp_secondary_main(unsigned long hartid, unsigned long opaque);
void smp_park(unsigned long hartid);

#endif
