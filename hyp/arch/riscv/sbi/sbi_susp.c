// SPDX-License-Identifier: MIT
/*
 * SBI System Suspend extension (EID "SUSP"), SBI spec v3.0 chapter 13.
 * "System" is the calling VM: suspend to RAM stops all of its vCPUs until a
 * wake event (its timer, an interrupt it enabled, or the operator's
 * `vm resume`); it then resumes at resume_addr like a hart after
 * hart_start. Other VMs are not affected.
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "core/vm.h"

static void system_suspend(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	/* sleep_type is 32 bits wide: the upper bits of a0 are ignored (SBI v3.0 §3). */
	uint32_t type = (uint32_t)a[0];
	struct vm *vm = v->vm;
	if (type != SBI_SUSP_TO_RAM) {
		/* Reserved, or platform-specific and not implemented here. */
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (!sbi_range_in(a[1], 4, vm->ram_gpa, vm->ram_size)) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	int ret = vm_system_suspend(vm, v);
	if (ret == -FV_EBUSY) {
		r->error = SBI_ERR_DENIED; /* another hart is not STOPPED */
		return;
	}
	if (ret != 0) {
		r->error = SBI_ERR_FAILED; /* the VM is being stopped or reset */
		return;
	}
	/*
	 * Same machinery as a non-retentive HSM suspend: block like WFI until
	 * an enabled interrupt is pending (the wake timer covers the guest
	 * timer) or `vm resume` posts VCPU_REQ_WAKE; arch_vcpu_run_prepare then
	 * restarts the vCPU at resume_addr with a0 = hartid, a1 = opaque.
	 */
	v->arch.hsm.suspended = true;
	v->arch.hsm.resume_nonret = true;
	v->arch.hsm.resume_addr = a[1];
	v->arch.hsm.resume_arg = a[2];
	sched_block(v);
	if (v->state == VCPU_RUNNING)
		riscv_hsm_resume(v, r); /* a wake event was already pending */
	else
		r->no_return = true; /* leave a0/sepc alone: the resume sets them */
}

void sbi_susp_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	if (fid != SBI_SUSP_SYSTEM_SUSPEND) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	system_suspend(v, a, r);
}
