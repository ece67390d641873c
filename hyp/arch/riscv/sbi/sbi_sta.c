// SPDX-License-Identifier: MIT
/*
 * SBI Steal-time Accounting extension (EID "STA"), SBI spec v3.0 chapter 16.
 * Each vCPU may register a 64-byte record in its VM's RAM; before every
 * guest entry (and when it is preempted) the hypervisor publishes the time
 * the vCPU spent runnable but not running (vcpu->steal_ns, kept by the
 * scheduler) with the spec's sequence-counter protocol.
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

/* Disable value of shmem_phys_lo/hi (all-ones). */
#define STA_SHMEM_DISABLE (~0UL)

long sbi_sta_check_shmem(unsigned long lo, unsigned long hi, unsigned long flags, uint64_t ram_gpa,
                         uint64_t ram_size)
{
	if (flags != 0)
		return SBI_ERR_INVALID_PARAM;
	if (lo == STA_SHMEM_DISABLE && hi == STA_SHMEM_DISABLE)
		return SBI_SUCCESS;
	if (lo & (SBI_STA_SHMEM_SIZE - 1))
		return SBI_ERR_INVALID_PARAM;
	/* RV64: the upper XLEN bits name memory beyond 2^64, which no VM has. */
	if (hi != 0)
		return SBI_ERR_INVALID_ADDRESS;
	if (!sbi_range_in(lo, SBI_STA_SHMEM_SIZE, ram_gpa, ram_size))
		return SBI_ERR_INVALID_ADDRESS;
	return SBI_SUCCESS;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		__atomic_store_n(&p[i], (uint8_t)(v >> (8 * i)), __ATOMIC_RELAXED);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)__atomic_load_n(&p[i], __ATOMIC_RELAXED) << (8 * i);
	return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(&p[i], (uint8_t)(v >> (8 * i)), __ATOMIC_RELAXED);
}

void sbi_sta_record_write(uint8_t *rec, uint64_t steal, bool preempted)
{
	/*
	 * The guest may scribble on the record (the spec allows inconsistent
	 * data then, nothing worse): whatever sequence it holds, the two
	 * increments leave it odd during the update and even afterwards.
	 */
	uint32_t seq = get_le32(rec + SBI_STA_OFF_SEQUENCE);
	if (seq & 1)
		seq++;
	put_le32(rec + SBI_STA_OFF_SEQUENCE, seq + 1);
	/* Readers must see the odd sequence before any new data. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le64(rec + SBI_STA_OFF_STEAL, steal);
	__atomic_store_n(rec + SBI_STA_OFF_PREEMPTED, (uint8_t)(preempted ? 1 : 0),
	                 __ATOMIC_RELAXED);
	/* ... and all new data before the even sequence. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le32(rec + SBI_STA_OFF_SEQUENCE, seq + 2);
}

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
}

static void set_shmem(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct vm *vm = v->vm;
	r->error = sbi_sta_check_shmem(a[0], a[1], a[2], vm->ram_gpa, vm->ram_size);
	if (r->error != SBI_SUCCESS)
		return;
	struct riscv_sta *sta = &v->arch.sta;
	if (a[0] == STA_SHMEM_DISABLE) {
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
