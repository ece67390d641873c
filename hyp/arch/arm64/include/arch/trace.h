/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_TRACE_H
#define FV_ARCH_ARM64_TRACE_H

/* The event tracer's two per-event arch reads (core/trace.c), inline. */
#include "lib/types.h"

struct cpu;

/* The physical counter (the same time base as arch_time_ticks()). */
static inline uint64_t trace_arch_time(void)
{
	uint64_t t;
	__asm__ volatile("mrs %0, cntpct_el0" : "=r"(t));
	return t;
}

/* The calling CPU's struct cpu: TPIDR_EL2 holds it in the hypervisor (cpu_this()). */
static inline struct cpu *trace_arch_this_cpu(void)
{
	struct cpu *c;
	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
	return c;
}

#endif
