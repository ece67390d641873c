/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_TRACE_H
#define FV_ARCH_RISCV_TRACE_H

/*
 * The event tracer's two per-event arch reads (core/trace.c), inline so that an enabled
 * event makes no call besides trace_emit() itself: the time base and the calling CPU.
 */
#include "lib/types.h"

struct cpu;

/* The time CSR (platform time base ticks; the same counter as arch_time_ticks()). */
static inline uint64_t trace_arch_time(void)
{
	uint64_t t;
	__asm__ volatile("csrr %0, time" : "=r"(t));
	return t;
}

/* The calling CPU's struct cpu: tp holds it in the hypervisor (cpu_this()). */
static inline struct cpu *trace_arch_this_cpu(void)
{
	struct cpu *c;
	__asm__("mv %0, tp" : "=r"(c));
	return c;
}

#endif
