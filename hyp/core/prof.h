/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PROF_H
#define FV_CORE_PROF_H

/*
 * Sampling profiler (docs/profiling.md): one session at a time names a VM and
 * a period. Every physical CPU then runs a sampling timer; at each expiry it
 * records, for the vCPU of that VM loaded on it, the guest pc at which the
 * timer interrupt took it out of the guest plus the frame-pointer caller
 * chain (arch_prof_guest_sample), or, when the CPU was idle in the
 * hypervisor, the hypervisor's own pc. vCPUs of other VMs are never sampled.
 * Samples go to per-CPU lock-free buffers (core/prof_buf.h) that the control
 * channel reads after PROF_STOP.
 */
#include "core/prof_buf.h"
#include "lib/types.h"

struct vm;
struct vcpu;

/*
 * Start a session on @vm sampling every @period_us (100..1000000). Returns a
 * CTL_* status: CTL_E_BUSY while a session runs, CTL_E_BAD_FIELD for a
 * period out of range, CTL_E_NO_MEMORY if the buffers cannot be allocated.
 * Called from the control channel (console tick context).
 */
uint32_t prof_start(const struct vm *vm, uint32_t period_us);
/* Stop the session (no-op without one); its samples stay readable. */
uint32_t prof_stop(void);
/*
 * Encode samples of the last session from @offset on into @out (room @cap,
 * prof_buf_encode's layout); returns the length. CTL_E_BAD_STATE while the
 * session still runs is reported through *status.
 */
uint32_t prof_read(uint32_t offset, uint8_t *out, uint32_t cap, uint32_t *status);

/* A session runs (atomic; read on every guest exit by the arch's sampling window). */
extern bool prof_running;
static inline bool prof_active(void)
{
	return __atomic_load_n(&prof_running, __ATOMIC_RELAXED);
}

/*
 * A sample of the hypervisor's own pc @pc, taken inside the handler of a synchronous exit
 * of @v (an SBI call, an MMIO access, a virtual instruction...): the arch enables the
 * sampling timer's interrupt there while a session runs (docs/profiling.md). Recorded as a
 * PROF_F_HYP sample when @v belongs to the profiled VM and this CPU's sample is due; the
 * timer callback then skips that expiry. Runs in the arch's interrupt trap on @v's CPU with
 * the exit handler interrupted: no locks, this CPU's own state only. true if recorded.
 */
bool prof_hyp_sample(const struct vcpu *v, uint64_t pc);

/*
 * The shell's `prof start VM [PERIOD_US] | prof stop | prof report [N]` (prof_shell.c),
 * lines through print. Console tick context.
 */
void prof_shell(int argc, char **argv, void (*print)(const char *line));

/* @vm is being freed: a session on it records no more of its (or a successor's) samples. */
void prof_vm_freed(const struct vm *vm);

/*
 * Called on every host interrupt of the calling CPU (the arch's host interrupt handler):
 * arms the CPU's sampling timer when a session started since it last looked.
 */
void prof_cpu_poll(void);

/*
 * Arch hooks. Fill @s->pc and the caller chain of the loaded vCPU @v whose
 * guest was just interrupted (its pc is the trapped sepc); every guest memory
 * read is validated, a bad frame ends the chain.
 */
void arch_prof_guest_sample(struct vcpu *v, struct prof_sample *s);
/* The hypervisor pc at which an idle CPU waits for interrupts. */
uint64_t arch_prof_idle_pc(void);

#endif
