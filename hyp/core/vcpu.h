/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VCPU_H
#define FV_CORE_VCPU_H

/* Arch-neutral virtual CPU. */
#include "lib/types.h"
#include "core/sched_rq.h"
#include "core/timer.h"
#include "arch/vcpu.h"

struct vm;

enum vcpu_state {
	VCPU_STOPPED = 0, /* powered off */
	VCPU_RUNNABLE,    /* on a run queue */
	VCPU_RUNNING,     /* current on some CPU */
	VCPU_BLOCKED,     /* waiting for an interrupt (wait-for-interrupt, CPU suspend) */
};

/* Requests: set by any CPU (atomic OR), consumed by the vCPU's own CPU. */
#define VCPU_REQ_STOP      BIT(0) /* power off this vCPU (VM stop/reset, guest CPU-off call) */
#define VCPU_REQ_TLB_FLUSH BIT(1) /* flush guest (VS-stage) TLB before entry */
#define VCPU_REQ_FENCE_I   BIT(2) /* instruction fence before entry */
#define VCPU_REQ_IO        BIT(3) /* device work left over (vm_virtio_service) */
#define VCPU_REQ_WAKE      BIT(4) /* leave a suspend now (operator `vm resume`) */
#define VCPU_REQ_PAUSE     BIT(5) /* its VM is paused: leave the guest and park (vm_pause) */
/* Requests vcpu_run's loop acts on before an entry (VCPU_REQ_WAKE is the scheduler's). */
#define VCPU_REQ_LOOP                                                                              \
	(VCPU_REQ_STOP | VCPU_REQ_PAUSE | VCPU_REQ_TLB_FLUSH | VCPU_REQ_FENCE_I | VCPU_REQ_IO)

/* Virtual interrupt lines, mapped by arch code onto its own bits. */
#define VIRQ_SOFT  BIT(0) /* edge-like: set by IPI, cleared by guest */
#define VIRQ_TIMER BIT(1)
#define VIRQ_EXT   BIT(2) /* level: driven by the virtual interrupt controller */

enum vcpu_exit_kind {
	EXIT_HCALL = 0,
	EXIT_MMIO,
	EXIT_WFI,
	EXIT_IRQ,
	EXIT_VIRT_INST,
	EXIT_GUEST_FAULT,
	EXIT_OTHER,
	EXIT_KIND_COUNT
};

struct vcpu_stats {
	uint64_t exits;
	uint64_t by_kind[EXIT_KIND_COUNT];
	uint64_t irqs_injected;
	uint64_t run_ns;
	/* Steal time since the VM was created (metrics; steal_ns below restarts at each
	 * boot for the guest's steal-time record). Sched lock; read racily. */
	uint64_t steal_total_ns;
};

struct vcpu {
	struct vcpu_arch arch; /* first: arch world switch state */
	struct vm *vm;
	unsigned id;
	enum vcpu_state state; /* protected by the sched lock */
	uint32_t requests;     /* VCPU_REQ_*, atomic */
	uint32_t virq_pending; /* VIRQ_* asserted by the hypervisor, atomic */
	int running_cpu;       /* CPU that has it loaded, -1 if none (atomic) */
	struct sched_entity se;
	struct timer_event wake_timer; /* wakes a blocked vCPU at its guest timer deadline */
	struct timer_event vtimer;     /* guest timer emulation where hardware lacks one */
	bool in_guest;                 /* executing guest code right now (atomic) */
	bool start_pending; /* powered on, not yet entered (vcpu_power_on..vcpu_run); atomic */
	bool sys_suspended; /* this vCPU suspended its whole VM (vm_system_suspend) */
	/*
	 * Its VM is paused (vm_pause) and it must be requeued on vm_resume:
	 * parked by the pause, or a wake event came while paused. Sched lock.
	 */
	bool pause_wake;
	/* Held by the guest debugger (gdb.c): parked like a paused VM's vCPU. Atomic. */
	bool dbg_hold;
	/*
	 * Steal time: total ns this vCPU was RUNNABLE (queued, waiting for a
	 * CPU) but not running since the VM booted. Blocked (WFI, suspend) and
	 * stopped time does not count. Both fields are under the sched lock;
	 * steal_ns is read without it by the vCPU's own CPU (see sched.c).
	 */
	uint64_t steal_ns;
	uint64_t runnable_since; /* when it last became RUNNABLE */
	struct vcpu_stats stats;
};

/* Raise or lower virtual interrupt lines of a vCPU and make sure it notices. */
void vcpu_virq_raise(struct vcpu *vcpu, uint32_t virq);
void vcpu_virq_lower(struct vcpu *vcpu, uint32_t virq);
/* Post a request (VCPU_REQ_*) and kick the vCPU so it sees it soon. */
void vcpu_request(struct vcpu *vcpu, uint32_t req);
/* Make the vCPU notice pending work: wake if blocked, IPI its CPU if running. */
void vcpu_kick(struct vcpu *vcpu);
/*
 * Power on a stopped vCPU at entry with arguments a0/a1 (arch_vcpu_reset places them; a
 * guest CPU-on call, VM boot).
 * Returns -FV_EBUSY if it is not stopped.
 */
int vcpu_power_on(struct vcpu *vcpu, gpa_t entry, uint64_t a0, uint64_t a1);
/*
 * Run the vCPU loaded on this CPU (sched.c) until the scheduler must act: a stop or pause
 * request, a reschedule, or the vCPU leaving RUNNING (blocked, stopped). Acts on the other
 * requests (fences, device work) before each entry; arch_vcpu_enter runs the guest.
 * Returns with interrupts masked.
 */
void vcpu_run(struct vcpu *vcpu);
/*
 * The test vcpu_run's loop makes before entering: true when it would find nothing to do
 * (no VCPU_REQ_LOOP request, no reschedule, still RUNNING), so an arch exit fast path may
 * enter the guest again without returning to the loop. Relaxed: a request missed here is
 * followed by its kick, which exits again.
 */
static inline bool vcpu_may_reenter(const struct vcpu *vcpu, bool need_resched)
{
	return !(__atomic_load_n(&vcpu->requests, __ATOMIC_RELAXED) & VCPU_REQ_LOOP) &&
	       !need_resched && vcpu->state == VCPU_RUNNING;
}
/* Human-readable state name for `vm list`. */
const char *vcpu_state_name(enum vcpu_state s);

#endif
