// SPDX-License-Identifier: MIT
/* vCPU interrupt lines, requests and power control (arch-neutral). */
#include "core/vcpu.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/vm.h"
#include "core/stat.h"
#include "core/trace.h"

void vcpu_kick(struct vcpu *vcpu)
{
	sched_wake(vcpu);
}

void vcpu_virq_raise(struct vcpu *vcpu, uint32_t virq)
{
	uint32_t old = __atomic_fetch_or(&vcpu->virq_pending, virq, __ATOMIC_ACQ_REL);
	if ((old & virq) != virq) {
		STAT_INC(vcpu->stats.irqs_injected);
		TRACE(TEV_IRQ_INJECT, vcpu->vm->id, vcpu->id, virq & ~old, 0, 0);
		vcpu_kick(vcpu);
	}
}

void vcpu_virq_lower(struct vcpu *vcpu, uint32_t virq)
{
	uint32_t old = __atomic_fetch_and(&vcpu->virq_pending, ~virq, __ATOMIC_ACQ_REL);
	/* A running vCPU must drop the line from its hardware state too. */
	if (old & virq)
		vcpu_kick(vcpu);
}

void vcpu_request(struct vcpu *vcpu, uint32_t req)
{
	__atomic_fetch_or(&vcpu->requests, req, __ATOMIC_ACQ_REL);
	/*
	 * A blocked vCPU must run to act on a stop or wake request; fences can wait
	 * until it runs anyway (they are applied before every entry).
	 */
	if (req & (VCPU_REQ_STOP | VCPU_REQ_WAKE))
		sched_wake(vcpu);
	else
		sched_kick(vcpu);
}

int vcpu_power_on(struct vcpu *vcpu, gpa_t entry, uint64_t a0, uint64_t a1)
{
	if (vcpu->state != VCPU_STOPPED)
		return -FV_EBUSY;
	/*
	 * It may still be loaded on the CPU that stopped it: wait for the put.
	 * Never on this CPU: the scheduler puts a stopped vCPU before it
	 * reports the stop (sched_run), so waiting here would be a bug.
	 */
	BUG_ON(__atomic_load_n(&vcpu->running_cpu, __ATOMIC_ACQUIRE) == (int)cpu_this()->id);
	while (__atomic_load_n(&vcpu->running_cpu, __ATOMIC_ACQUIRE) != -1)
		arch_cpu_relax();
	__atomic_store_n(&vcpu->requests, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&vcpu->virq_pending, 0, __ATOMIC_RELEASE);
	vcpu->sys_suspended = false;
	__atomic_store_n(&vcpu->start_pending, true, __ATOMIC_RELEASE);
	/* All arch state too (a suspend in progress, paravirtual registrations the guest makes
	 * again after a start). */
	arch_vcpu_reset(vcpu, entry, a0, a1);
	return sched_start(vcpu);
}

const char *vcpu_state_name(enum vcpu_state s)
{
	switch (s) {
	case VCPU_STOPPED:
		return "stopped";
	case VCPU_RUNNABLE:
		return "runnable";
	case VCPU_RUNNING:
		return "running";
	case VCPU_BLOCKED:
		return "blocked";
	}
	return "?";
}
