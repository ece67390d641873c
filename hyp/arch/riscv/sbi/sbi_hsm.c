// SPDX-License-Identifier: MIT
/* SBI Hart State Management extension (EID "HSM"), SBI spec v3.0 chapter 9. */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/sched.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* An address the hart can start executing at: inside the VM's RAM. */
static bool valid_entry(struct vm *vm, unsigned long addr)
{
	return sbi_range_in(addr, 4, vm->ram_gpa, vm->ram_size);
}

static void hart_start(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct vm *vm = v->vm;
	if (a[0] >= vm->nr_vcpus) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (!valid_entry(vm, a[1])) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	struct vcpu *t = vm->vcpus[a[0]];
	/* vm->lock serialises two harts racing to start the same target. */
	spin_lock(&vm->lock);
	/* Any state but STOPPED (started, suspended, pending) is "already available". */
	if (t->state != VCPU_STOPPED)
		r->error = SBI_ERR_ALREADY_AVAILABLE;
	else if (vm->state != VM_RUNNING)
		r->error = SBI_ERR_FAILED; /* the VM is stopping */
	else if (vcpu_power_on(t, a[1], a[0], a[2]) != 0)
		r->error = SBI_ERR_FAILED;
	spin_unlock(&vm->lock);
}

static void hart_status(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct vm *vm = v->vm;
	if (a[0] >= vm->nr_vcpus) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	struct vcpu *t = vm->vcpus[a[0]];
	enum vcpu_state st = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);
	/* A snapshot: the target may change state right after (spec allows). */
	if (st == VCPU_STOPPED)
		r->value = SBI_HSM_STOPPED;
	else if (__atomic_load_n(&t->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_STOP)
		r->value = SBI_HSM_STOP_PENDING; /* hart_stop (or VM stop) not acted on yet */
	else if (__atomic_load_n(&t->start_pending, __ATOMIC_ACQUIRE))
		r->value = SBI_HSM_START_PENDING; /* started, not yet entered */
	else if (t->arch.hsm.suspended)
		r->value = SBI_HSM_SUSPENDED;
	else
		r->value = SBI_HSM_STARTED;
}

/* Suspend types of SBI v3.0 table "HSM Hart Suspend Types". */
static bool suspend_type_reserved(uint32_t type)
{
	return (type > SBI_HSM_SUSP_RET_DEFAULT && type < 0x10000000U) ||
	       (type > SBI_HSM_SUSP_NONRET_DEFAULT && type < 0x90000000U);
}

static void hart_suspend(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	/* suspend_type is 32 bits wide: the upper bits of a0 are ignored (SBI v3.0 §3). */
	uint32_t type = (uint32_t)a[0];
	if (suspend_type_reserved(type) ||
	    (type != SBI_HSM_SUSP_RET_DEFAULT && type != SBI_HSM_SUSP_NONRET_DEFAULT)) {
		/* Reserved, or platform-specific and not implemented: INVALID_PARAM. */
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (type == SBI_HSM_SUSP_NONRET_DEFAULT && !valid_entry(v->vm, a[1])) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	/*
	 * Both kinds wait like WFI until an interrupt is pending and enabled.
	 * A non-retentive resume restarts at resume_addr with a0 = hartid,
	 * a1 = opaque, satp and sstatus.SIE cleared (riscv_hsm_resume).
	 */
	v->arch.hsm.suspended = true;
	v->arch.hsm.resume_nonret = type == SBI_HSM_SUSP_NONRET_DEFAULT;
	v->arch.hsm.resume_addr = a[1];
	v->arch.hsm.resume_arg = a[2];
	sched_block(v);
	if (v->state == VCPU_RUNNING)
		riscv_hsm_resume(v, r);
}

void sbi_hsm_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	switch (fid) {
	case 0:
		hart_start(v, a, r);
		break;
	case 1: /* hart_stop: never returns on success */
		vcpu_request(v, VCPU_REQ_STOP);
		r->no_return = true;
		break;
	case 2:
		hart_status(v, a, r);
		break;
	case 3:
		hart_suspend(v, a, r);
		break;
	default:
		r->error = SBI_ERR_NOT_SUPPORTED;
		break;
	}
}
