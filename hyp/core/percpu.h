/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PERCPU_H
#define FV_CORE_PERCPU_H

/*
 * Per physical CPU state. The first two fields are read by boot assembly
 * (offsets in arch asm_offsets.h, checked at build time).
 */
#include "lib/types.h"
#include "core/spinlock.h"
#include "core/sched_rq.h"
#include "core/timer.h"

#define FV_MAX_CPUS    8
#define CPU_STACK_SIZE (16 * 1024)

struct vcpu;

struct cpu_stats {
	uint64_t guest_exits;
	uint64_t irqs_timer;
	uint64_t irqs_ipi;
	uint64_t idle_ns;
	uint64_t switches;
	uint64_t migrations_in;  /* vCPUs this CPU pulled from another's run queue */
	uint64_t halts_in_place; /* WFI wake-ups resumed with the vCPU still loaded (sched_halt) */
};

struct cpu {
	uint64_t hw_id;     /* asm: CPU_HW_ID; the hardware's id of this CPU */
	uint64_t stack_top; /* asm: CPU_STACK_TOP */
	unsigned id;        /* logical index 0..nr_cpus-1 */
	bool online;
	struct vcpu *current;     /* vCPU loaded on this CPU or NULL */
	struct vcpu *last_vcpu;   /* last vCPU loaded (for TLB hygiene on switch) */
	uint32_t mem_gen_seen[8]; /* per VM id: vm->mem_gen this CPU's G-stage TLB reflects */
	struct sched_rq rq;       /* protected by the global sched lock (core/sched.c) */
	bool need_resched;        /* set by tick/wakeups; read by the vCPU loop */
	struct timer_queue timers;
	uint64_t idle_since; /* start of the idle period in progress, 0 if busy (atomic) */
	struct cpu_stats stats;
};

/* Number of CPUs brought up (valid after smp_boot()). */
extern unsigned cpu_count;

/* Bit i set for every CPU i brought up (valid after smp_boot()). */
static inline uint64_t cpu_online_mask(void)
{
	return cpu_count >= 64 ? ~0ULL : (1ULL << cpu_count) - 1;
}
/* All CPUs by logical id; entries beyond cpu_count are unused. */
extern struct cpu *cpu_table[FV_MAX_CPUS];

/* The calling CPU's struct cpu. Arch hook (tp on RISC-V). */
struct cpu *cpu_this(void);

#endif
