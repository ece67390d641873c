// SPDX-License-Identifier: MIT
/*
 * RISC-V side of the dirty-page log (core/dirty_arch.h, core/dirty_log.h):
 * write protection clears W in the VM's G-stage leaves; the guest's next
 * store takes a store guest-page fault (riscv_dirty_fault, from
 * mmio_emul.c), which marks the page and sets W again. The shootdown:
 * this CPU fences at once, a vCPU on another CPU gets VCPU_REQ_TLB_FLUSH
 * (arch_vcpu_fence fences the VMID's G-stage entries before its next entry),
 * and any CPU fences before it next loads a vCPU of the VM whose protection
 * generation it has not seen (riscv_dirty_load), which covers stale entries
 * a CPU kept from a vCPU that has moved elsewhere.
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/stage2_pt.h"
#include "core/dirty_arch.h"
#include "core/dirty_log.h"
#include "core/percpu.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define RWX (STAGE2_R | STAGE2_W | STAGE2_X)

/* Per CPU and VM slot: the VM's wp_gen this CPU's G-stage TLB reflects. */
static uint32_t wp_seen[FV_MAX_CPUS][FV_MAX_VMS];

int arch_dirty_protect(struct vm *vm, gpa_t gpa, uint64_t size)
{
	return stage2_pt_set_perms(&vm->arch.s2, gpa, size, STAGE2_R | STAGE2_X);
}

int arch_dirty_unprotect(struct vm *vm, gpa_t gpa, uint64_t size)
{
	return stage2_pt_set_perms(&vm->arch.s2, gpa, size, RWX);
}

void arch_dirty_flush_begin(struct vm *vm)
{
	__atomic_fetch_add(&vm->arch.wp_gen, 1, __ATOMIC_RELEASE);
	riscv_hfence_gvma_vmid(vm->arch.vmid);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_TLB_FLUSH);
}

bool arch_dirty_flush_done(const struct vm *vm)
{
	int self = (int)cpu_this()->id;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct vcpu *v = vm->vcpus[i];
		int c = __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE);
		/* Off its CPU: it fences when loaded (riscv_dirty_load). On this CPU: this CPU
		 * fenced in flush_begin or will before re-entering (its request). */
		if (c == -1 || c == self)
			continue;
		if (__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_TLB_FLUSH)
			return false;
	}
	return true;
}

void riscv_dirty_load(const struct vcpu *v)
{
	unsigned cpu = cpu_this()->id, slot = v->vm->id;
	uint32_t gen = __atomic_load_n(&v->vm->arch.wp_gen, __ATOMIC_ACQUIRE);
	if (cpu < FV_MAX_CPUS && slot < FV_MAX_VMS && wp_seen[cpu][slot] != gen) {
		riscv_hfence_gvma_vmid(v->vm->arch.vmid);
		wp_seen[cpu][slot] = gen;
	}
}

bool riscv_dirty_fault(struct vcpu *v, gpa_t gpa)
{
	struct vm *vm = v->vm;
	/* Not mapped yet: the first touch (vm_ram_populate) maps it. */
	if (!vm_ram_touched(vm, gpa))
		return false;
	gpa_t page = gpa & ~(gpa_t)(PAGE_SIZE - 1);
	unsigned perms = 0;
	bool handled = false, crash = false;
	spin_lock(&vm->mem_lock);
	if (vm->dirty_on) {
		dirty_log_mark_locked(vm, page);
		/* Splitting a 2 MiB leaf needs a table page: without one the VM cannot go on. */
		handled = true;
		crash = stage2_pt_set_perms(&vm->arch.s2, page, PAGE_SIZE, RWX) != 0;
	} else if (stage2_pt_translate(&vm->arch.s2, gpa, NULL, &perms) == 0 &&
	           (perms & STAGE2_W)) {
		handled = true; /* a stale read-only translation of a page given back its W */
	}
	spin_unlock(&vm->mem_lock);
	if (crash)
		vm_request(vm, VM_ACTION_CRASH, "out of memory tracking dirty pages: stopping VM");
	else if (handled)
		riscv_hfence_gvma_vmid(vm->arch.vmid);
	return handled;
}
