/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_RESUME_H
#define SBI_TEST_RESUME_H

/*
 * Non-retentive resume for the conformance checks: arm with resume_arm(&ctx) (a
 * __builtin_setjmp: 0 when armed, 1 when the hart came back through resume_entry), pass
 * (unsigned long)resume_entry as resume_addr, and read what the SBI delivered from
 * resume_seen[hartid]. The SBI call that suspends must be made from the function that
 * called resume_arm, whose frame stays live; locals it uses after the resume must be
 * volatile.
 */
#include <stdint.h>

#include "config.h"

struct resume_state {
	void *jmp[5];        /* __builtin_setjmp buffer */
	volatile int landed; /* incremented at every resume */
	volatile unsigned long hartid, opaque, sstatus, satp;
};

extern struct resume_state resume_seen[GUEST_MAX_HARTS];

/* In resume_entry.S. */
void resume_entry(void);
/* Called by resume_entry only: records the registers and jumps back to the armed frame. */
void resume_landed(unsigned long hartid, unsigned long opaque, unsigned long sstatus,
                   unsigned long satp) __attribute__((noreturn));

#define resume_arm(st) __builtin_setjmp((st)->jmp)

#endif
