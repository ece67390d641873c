// SPDX-License-Identifier: MIT
/*
 * PSCI 1.1 for guests (Arm DEN0022), called with HVC #0 (or a trapped SMC #0) under the
 * SMC Calling Convention: function id in x0, arguments in x1..x3, result in x0. Every
 * argument is the guest's and is checked: a target that is not one of the VM's vCPUs is
 * INVALID_PARAMETERS, an entry point outside the VM's RAM is INVALID_ADDRESS. Unknown
 * function ids answer NOT_SUPPORTED (SMCCC: -1).
 *
 * CPU_SUSPEND offers two core-level states in the original power_state format (DEN0022
 * 5.4.2, PSCI_FEATURES bit 1 = 0, no OS-initiated mode): standby (0x00000000), which returns
 * SUCCESS once an interrupt is pending for the vCPU, masked or not, exactly like WFI; and
 * powerdown (0x00010000), after which the vCPU resumes at the caller's entry point with
 * x0 = context id, EL1h, DAIF masked and its MMU and caches off (the CPU_ON state), the rest
 * of its state lost. Any other power_state is INVALID_PARAMETERS.
 *
 * SYSTEM_SUSPEND (DEN0022 5.20; the "system" is the calling VM) suspends the VM to RAM once
 * every other vCPU is OFF (else DENIED, as TF-A answers): the VM becomes VM_SUSPENDED
 * (core/vm.c, the same state as RISC-V's SBI SUSP) and the caller waits like a core
 * powerdown until a wake-up: an interrupt pending for it (its virtual timer, a device
 * line, masked or not) or the operator's `vm resume`. It then resumes at the entry point
 * in the CPU_ON state with x0 = context id. Other VMs are not affected.
 */
#include "arch/arm64/arm64.h"
#include "arch/arm64/psci.h"
#include "core/sched.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* vCPU i of a VM reads MPIDR_EL1 = i in Aff0 (arch_vcpu_reset): the inverse, or -1. */
static int vcpu_of_mpidr(const struct vm *vm, uint64_t mpidr)
{
	/* Aff3..Aff1 must be 0; bits outside the affinity fields are ignored (DEN0022 5.1.4). */
	if ((mpidr & 0xff00ffff00ULL) != 0 || (mpidr & 0xff) >= vm->nr_vcpus)
		return -1;
	return (int)(mpidr & 0xff);
}

static bool entry_in_ram(const struct vm *vm, uint64_t entry)
{
	return entry >= vm->ram_gpa && entry - vm->ram_gpa < vm->ram_size &&
	       vm->ram_size - (entry - vm->ram_gpa) >= 4 && !(entry & 3);
}

static int64_t cpu_on(struct vcpu *v, uint64_t target, uint64_t entry, uint64_t ctx_id)
{
	struct vm *vm = v->vm;
	int id = vcpu_of_mpidr(vm, target);
	if (id < 0)
		return PSCI_INVALID_PARAMETERS;
	if (!entry_in_ram(vm, entry))
		return PSCI_INVALID_ADDRESS;
	struct vcpu *t = vm->vcpus[id];
	int64_t ret = PSCI_SUCCESS;
	/* vm->lock serialises two vCPUs racing to start the same target. */
	spin_lock(&vm->lock);
	if (__atomic_load_n(&t->start_pending, __ATOMIC_ACQUIRE))
		ret = PSCI_ON_PENDING;
	else if (t->state != VCPU_STOPPED)
		ret = PSCI_ALREADY_ON;
	else if (vm->state != VM_RUNNING || vcpu_power_on(t, entry, ctx_id, 0) != 0)
		ret = PSCI_INTERNAL_FAILURE; /* the VM is stopping */
	spin_unlock(&vm->lock);
	return ret;
}

/* power_state values offered (original format: StateID 0, PowerLevel 0 = the core). */
#define PSCI_STATE_STANDBY   0x00000000ULL
#define PSCI_STATE_POWERDOWN 0x00010000ULL

static int64_t cpu_suspend(struct vcpu *v, uint64_t state, uint64_t entry, uint64_t ctx_id)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	/*
	 * power_state is a 32-bit parameter: in the SMC64 form upper bits that are set are no
	 * state we offer either, so they are refused rather than silently dropped. Reserved
	 * bits, other StateIDs and power levels above the core are refused as well.
	 */
	if (state != PSCI_STATE_STANDBY && state != PSCI_STATE_POWERDOWN)
		return PSCI_INVALID_PARAMETERS;
	if (state == PSCI_STATE_POWERDOWN) {
		/* The entry point is only used (and only checked) for a powerdown state. */
		if (!entry_in_ram(v->vm, entry))
			return PSCI_INVALID_ADDRESS;
		/*
		 * The core's context is lost: it wakes where CPU_ON would start it. The vCPU
		 * is loaded (this runs on its exit path), so SCTLR_EL1 is the live register;
		 * arch_vcpu_put saves it from there.
		 */
		ctx->pc = entry;
		ctx->pstate = PSTATE_EL1H_MASKED;
		sysreg_write(sctlr_el1, SCTLR_EL1_RESET);
		isb();
		/* Wakes on a pending interrupt like WFI; an early wake-up is allowed. */
		sched_block(v);
		return (int64_t)ctx_id; /* lands in x0 at the entry point */
	}
	sched_block(v);
	return PSCI_SUCCESS;
}

static int64_t system_suspend(struct vcpu *v, uint64_t entry, uint64_t ctx_id)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	if (!entry_in_ram(v->vm, entry))
		return PSCI_INVALID_ADDRESS;
	int ret = vm_system_suspend(v->vm, v);
	if (ret == -FV_EBUSY)
		return PSCI_DENIED; /* another vCPU is not OFF */
	if (ret != 0)
		return PSCI_INTERNAL_FAILURE; /* the VM is being stopped or reset */
	/* The context is lost as in a core powerdown (cpu_suspend above). */
	ctx->pc = entry;
	ctx->pstate = PSTATE_EL1H_MASKED;
	sysreg_write(sctlr_el1, SCTLR_EL1_RESET);
	isb();
	sched_block(v);
	/* A wake-up already pending: it runs on at once (else arch_vcpu_run_prepare). */
	if (v->state == VCPU_RUNNING)
		arm64_psci_system_resumed(v);
	return (int64_t)ctx_id; /* lands in x0 at the entry point */
}

void arm64_psci_system_resumed(struct vcpu *v)
{
	if (!v->sys_suspended)
		return;
	v->sys_suspended = false;
	vm_system_resumed(v->vm);
}

static int64_t affinity_info(struct vcpu *v, uint64_t target, uint64_t level)
{
	int id = vcpu_of_mpidr(v->vm, target);
	if (id < 0 || level != 0)
		return PSCI_INVALID_PARAMETERS;
	struct vcpu *t = v->vm->vcpus[id];
	if (__atomic_load_n(&t->start_pending, __ATOMIC_ACQUIRE))
		return 2; /* ON_PENDING */
	if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) == VCPU_STOPPED)
		return 1; /* OFF */
	return 0;         /* ON */
}

static int64_t features(uint64_t fid)
{
	switch ((uint32_t)fid) {
	case PSCI_VERSION:
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		/* Bit 1 = 0: original power_state format; bit 0 = 0: no OS-initiated mode. */
	case PSCI_CPU_OFF:
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
	case PSCI_MIGRATE_INFO_TYPE:
	case PSCI_SYSTEM_OFF:
	case PSCI_SYSTEM_RESET:
	case PSCI_FEATURES:
	case PSCI_SYSTEM_SUSPEND_32:
	case PSCI_SYSTEM_SUSPEND_64:
		return PSCI_SUCCESS;
	default:
		return PSCI_NOT_SUPPORTED;
	}
}

void arm64_psci_guest_call(struct vcpu *v)
{
	uint64_t *x = v->arch.ctx.x;
	uint32_t fid = (uint32_t)x[0];
	/* SMC32 calls take 32-bit arguments: the upper halves are not the caller's. */
	bool smc32 = !(fid & 0x40000000U);
	uint64_t a1 = smc32 ? (uint32_t)x[1] : x[1], a2 = smc32 ? (uint32_t)x[2] : x[2];
	uint64_t a3 = smc32 ? (uint32_t)x[3] : x[3];
	int64_t r;
	v->arch.hcalls[(fid >> 24) == 0x84 || (fid >> 24) == 0xc4 ? 0 : 1]++;
	if ((x[0] >> 32) != 0) {
		r = PSCI_NOT_SUPPORTED; /* SMCCC: function ids are 32-bit; upper bits must be 0 */
		TRACE(TEV_HCALL, v->vm->id, v->id, x[0], x[0] & 0xffffu, (uint32_t)r);
		x[0] = (uint64_t)r;
		return;
	}
	switch (fid) {
	case PSCI_VERSION:
		r = PSCI_GUEST_VERSION;
		break;
	case PSCI_CPU_ON_32:
	case PSCI_CPU_ON_64:
		r = cpu_on(v, a1, a2, a3);
		break;
	case PSCI_CPU_SUSPEND_32:
	case PSCI_CPU_SUSPEND_64:
		r = cpu_suspend(v, a1, a2, a3);
		break;
	case PSCI_CPU_OFF:
		/* Does not return on success: the vCPU is stopped before its next entry. */
		vcpu_request(v, VCPU_REQ_STOP);
		r = PSCI_DENIED; /* what the caller would see if it ever ran on */
		break;
	case PSCI_AFFINITY_INFO_32:
	case PSCI_AFFINITY_INFO_64:
		r = affinity_info(v, a1, a2);
		break;
	case PSCI_MIGRATE_INFO_TYPE:
		r = 2; /* no Trusted OS: nothing to migrate */
		break;
	case PSCI_SYSTEM_OFF:
		vm_request(v->vm, VM_ACTION_STOP, "guest PSCI SYSTEM_OFF");
		r = PSCI_SUCCESS;
		break;
	case PSCI_SYSTEM_RESET:
		vm_request(v->vm, VM_ACTION_RESET, "guest PSCI SYSTEM_RESET");
		r = PSCI_SUCCESS;
		break;
	case PSCI_FEATURES:
		r = features(a1);
		break;
	case PSCI_SYSTEM_SUSPEND_32:
	case PSCI_SYSTEM_SUSPEND_64:
		r = system_suspend(v, a1, a2);
		break;
	default:
		r = PSCI_NOT_SUPPORTED;
		break;
	}
	/* The tracer's hypercall event in SMCCC's terms: a0 function id, a1 its number, a2 result.
	 */
	TRACE(TEV_HCALL, v->vm->id, v->id, fid, fid & 0xffffu, (uint32_t)r);
	x[0] = (uint64_t)r;
}
