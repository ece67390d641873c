// SPDX-License-Identifier: MIT
/*
 * The vCPU run loop (arch-neutral): between two scheduling decisions, act on the requests
 * other CPUs posted (core/vcpu.h VCPU_REQ_*), then let the architecture enter the guest.
 * The architecture handles exits inside arch_vcpu_enter for as long as nothing here has
 * work (its fast path checks vcpu_may_reenter(), the same test as this loop).
 */
#include "core/arch.h"
#include "core/percpu.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/vm_virtio.h"

void vcpu_run(struct vcpu *v)
{
	struct cpu *c = cpu_this();
	arch_vcpu_run_prepare(v);
	/* It has run: a guest query of its power state no longer reads "start pending". */
	__atomic_store_n(&v->start_pending, false, __ATOMIC_RELEASE);
	for (;;) {
		uint32_t req = __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE);
		if (req & (VCPU_REQ_STOP | VCPU_REQ_PAUSE))
			return; /* the scheduler loop stops or parks it */
		uint32_t fence = req & (VCPU_REQ_TLB_FLUSH | VCPU_REQ_FENCE_I);
		if (fence) {
			/* Clear before acting: a fence posted meanwhile is applied next round. */
			__atomic_fetch_and(&v->requests, ~fence, __ATOMIC_ACQ_REL);
			arch_vcpu_fence(v, fence);
		}
		if (req & VCPU_REQ_IO) {
			__atomic_fetch_and(&v->requests, ~(uint32_t)VCPU_REQ_IO, __ATOMIC_ACQ_REL);
			vm_virtio_service(v);
		}
		if (c->need_resched || v->state != VCPU_RUNNING)
			return;
		if (arch_vcpu_enter(v))
			return;
	}
}
