// SPDX-License-Identifier: MIT
/* Safe reads of cycle/instret/time (RISC-V unprivileged spec, Zicntr). */
#include "counters.h"
#include "trap.h"

/* The destination is preloaded with -1 in the same asm statement: if the read traps and is
 * skipped, -1 is what remains. */
#define SAFE_READ(insn)                                                                            \
	({                                                                                         \
		int64_t __v;                                                                       \
		trap_expect_begin();                                                               \
		__asm__ volatile("li %0, -1\n\t" insn " %0" : "=&r"(__v) : : "memory");            \
		if (trap_expect_end(0))                                                            \
			__v = -1;                                                                  \
		__v;                                                                               \
	})

int64_t counter_cycle(void)
{
	return SAFE_READ("rdcycle");
}

int64_t counter_instret(void)
{
	return SAFE_READ("rdinstret");
}

int64_t counter_time(void)
{
	return SAFE_READ("rdtime");
}
