// SPDX-License-Identifier: MIT
/*
 * SBI Steal-time Accounting extension (EID "STA"), SBI spec v3.0 chapter 16.
 * Each vCPU may register a 64-byte record in its VM's RAM. The hypervisor
 * publishes the time the vCPU spent runnable but not running
 * (vcpu->steal_ns, kept by the scheduler) with the spec's sequence-counter
 * protocol each time the vCPU is switched onto a CPU (arch_vcpu_run_prepare: steal
 * only grows while it is off a CPU, so every guest entry sees the current
 * total) and, with preempted = 1, when it is switched out still runnable.
 * Nothing is written while the vCPU is stopped, blocked or suspended.
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"
#include "lib/string.h"

void sbi_sta_update(struct vcpu *v, bool preempted)
{
	struct riscv_sta *sta = &v->arch.sta;
	if (!sta->enabled)
		return;
	struct vm *vm = v->vm;
	/* Registered during an earlier boot of the VM: a reset disabled it. */
	if (sta->boot != vm->boots) {
		sta->enabled = false;
		return;
	}
	/*
	 * Through the checked helper every time: it validates the range again
	 * and maps (zeroes) the block if this boot has not touched it yet.
	 */
	uint8_t *rec = vm_gpa_to_hva(vm, sta->shmem, SBI_STA_SHMEM_SIZE);
	if (!rec) {
		sta->enabled = false;
		return;
	}
	sbi_sta_record_write(rec, __atomic_load_n(&v->steal_ns, __ATOMIC_RELAXED), preempted);
	/* Written behind the guest's stage 2: a live migration's log must see it. */
	dirty_log_written(vm, sta->shmem, SBI_STA_SHMEM_SIZE);
}

static void set_shmem(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct vm *vm = v->vm;
	r->error = sbi_sta_check_shmem(a[0], a[1], a[2], vm->ram_gpa, vm->ram_size);
	if (r->error != SBI_SUCCESS)
		return;
	struct riscv_sta *sta = &v->arch.sta;
	if (a[0] == SBI_STA_SHMEM_DISABLE) {
		sta->enabled = false;
		return;
	}
	uint8_t *rec = vm_gpa_to_hva(vm, a[0], SBI_STA_SHMEM_SIZE);
	if (!rec) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	/* Spec: every byte is zero before the call returns. */
	memset(rec, 0, SBI_STA_SHMEM_SIZE);
	dirty_log_written(vm, a[0], SBI_STA_SHMEM_SIZE);
	sta->shmem = a[0];
	sta->boot = vm->boots;
	sta->enabled = true;
	/* The record stays all-zero until the next switch onto a CPU fills it. */
}

void sbi_sta_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	if (fid != SBI_STA_SET_SHMEM) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	set_shmem(v, a, r);
}
