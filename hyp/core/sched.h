/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SCHED_H
#define FV_CORE_SCHED_H

/*
 * vCPU scheduler glue: per-CPU run queues (policy in sched_rq.c) under one
 * scheduler lock, the per-CPU loop that picks, loads and runs vCPUs, idle,
 * wake-ups, preemption ticks and load balancing.
 *
 * Locking: sched_lock protects every run queue, every vcpu->state and
 * vcpu->se. One lock is plenty for the CPU counts we run on (<= 8) and
 * makes cross-CPU wake/migrate races impossible; it is held only for
 * queue operations, never across a guest entry.
 */
#include "lib/types.h"

struct vcpu;
struct cpu;

/* Boot: set up the run queue and tick of the calling CPU. */
void sched_cpu_init(struct cpu *c, uint64_t slice_ns);
/* The calling CPU's scheduling loop. Never returns. */
void sched_run(void) __attribute__((noreturn));
/*
 * Wake a BLOCKED vCPU (enqueue it on a suitable CPU); for a RUNNING one on
 * another CPU, kick that CPU so it re-checks interrupts and requests.
 */
void sched_wake(struct vcpu *v);
/* Force a guest exit if v is running on another CPU (no state change). */
void sched_kick(struct vcpu *v);
/* Make a STOPPED vCPU runnable; -FV_EBUSY if it is not stopped. */
int sched_start(struct vcpu *v);
/*
 * Its VM was resumed from a pause (vm_resume): requeue the vCPU if the pause
 * parked it or a wake event arrived meanwhile. Call after clearing vm->paused.
 */
void sched_unpause(struct vcpu *v);
/* Take a running vCPU off the CPU until woken (WFI). Caller: its own CPU. */
void sched_block(struct vcpu *v);
/*
 * A guest wait-for-interrupt: block v as sched_block does, but when nothing
 * else wants this CPU, idle right here with v still loaded and resume it
 * without a put, a pick through the scheduler loop and a load when it wakes
 * (its interrupt, its timer, a stop or wake request) before anything else
 * needs the CPU. A pause request, another vCPU queued on any CPU, or a
 * wake-up that places v elsewhere ends the halt: v then returns BLOCKED (or
 * RUNNABLE elsewhere) and the caller leaves for the scheduler loop, which
 * puts it. hw_wake: the arch guarantees that while v is loaded an interrupt
 * for which arch_vcpu_irq_wakeable() answers true (its timer included) ends
 * arch_cpu_idle(); then no wake timer is armed while v stays loaded.
 * Caller: v's exit handler on v's own CPU, no locks held. Returns true when
 * v is RUNNING again (re-enter the guest), false otherwise.
 */
bool sched_halt(struct vcpu *v, bool hw_wake);

/*
 * Change v's scheduling weight (1..SCHED_WEIGHT_MAX; 0 = keep) and CPU
 * affinity (non-zero mask of online CPUs; 0 = keep) in any vCPU state.
 * Takes effect at the next scheduling decision of the CPU that holds v: a
 * weight change alters v's share from the next accounting on, the running
 * CPU is asked to reschedule if its slice is now over; a queued vCPU whose
 * CPU the new mask excludes is moved to an allowed CPU's queue at once; a
 * running one there is preempted (need_resched + IPI) and its CPU requeues
 * it on an allowed CPU when it switches away. Any CPU may call it; takes
 * sched_lock (so callers may hold vm->lock, never sched_lock). Returns 0 or
 * -FV_EINVAL (bad weight or empty mask); the caller validates the mask
 * against the online CPUs and the VM's pins.
 */
int sched_set_params(struct vcpu *v, uint32_t weight, uint64_t affinity);

#endif
