// SPDX-License-Identifier: MIT
/*
 * SBI RFENCE extension (EID "RFNC"), SBI spec v2.0 chapter 8.
 * Remote fences become requests that the target vCPU's CPU performs
 * (hfence.vvma for its VMID, fence.i) before it next enters the guest. The
 * caller waits until every target that is inside the guest right now has
 * left it, so no target keeps using stale translations after the call
 * returns. Targets not in the guest flush before they re-enter.
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/arch.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* SBI PMU firmware events (sent, received = sent + 1) per RFENCE function. */
static const unsigned fence_pmu_event[] = {
    SBI_PMU_FW_FENCE_I_SENT,
    SBI_PMU_FW_SFENCE_VMA_SENT,
    SBI_PMU_FW_SFENCE_ASID_SENT,
};

static void fence_harts(struct vcpu *self, uint64_t harts, uint32_t req, unsigned pmu_ev)
{
	struct vm *vm = self->vm;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = vm->vcpus[i];
		if (!(harts & (1ULL << i)))
			continue;
		/* Counted when posted: the target performs it before it next runs guest code. */
		riscv_vpmu_fw_event(self, pmu_ev);
		riscv_vpmu_fw_event(t, pmu_ev + 1);
		if (t == self) {
			/* Local: done by the exit path before re-entry. */
			__atomic_fetch_or(&t->requests, req, __ATOMIC_ACQ_REL);
			continue;
		}
		vcpu_request(t, req);
	}
	/*
	 * The SBI exit path leaves in_guest set while a call runs (exit_fast.c,
	 * exit_partial_done); while this vCPU waits it must read as out of the
	 * guest, so that two vCPUs fencing each other do not deadlock.
	 */
	bool was_in_guest = __atomic_load_n(&self->in_guest, __ATOMIC_RELAXED);
	__atomic_store_n(&self->in_guest, false, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *t = vm->vcpus[i];
		if (!(harts & (1ULL << i)) || t == self)
			continue;
		/*
		 * Bounded: a vCPU in the guest exits on the kick IPI, one on an
		 * exit path reaches its request check (exit_partial_done), and
		 * one waiting here or in the vCPU loop does not count. Two vCPUs
		 * fencing each other do not deadlock because neither is "in the
		 * guest" while waiting.
		 */
		while ((__atomic_load_n(&t->requests, __ATOMIC_ACQUIRE) & req) &&
		       __atomic_load_n(&t->in_guest, __ATOMIC_ACQUIRE))
			arch_cpu_relax();
	}
	/* Back as it was: the exit path's request check follows (exit_partial_done). */
	__atomic_store_n(&self->in_guest, was_in_guest, __ATOMIC_RELAXED);
}

void sbi_rfence_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                        struct sbi_result *r)
{
	uint64_t harts;
	switch (fid) {
	case 0: /* remote_fence_i */
	case 1: /* remote_sfence_vma(start, size) */
	case 2: /* remote_sfence_vma_asid(start, size, asid) */
		break;
	default:
		/* HFENCE functions exist only for guests that have the H extension. */
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	r->error = sbi_hartmask_decode(a[0], a[1], v->vm->nr_vcpus, &harts);
	if (r->error)
		return;
	/*
	 * Address ranges need no validation: a flush of any range is safe, and
	 * we flush the whole VS-stage TLB of the VMID (a superset).
	 */
	fence_harts(v, harts, fid == 0 ? VCPU_REQ_FENCE_I : VCPU_REQ_TLB_FLUSH,
	            fence_pmu_event[fid]);
}
