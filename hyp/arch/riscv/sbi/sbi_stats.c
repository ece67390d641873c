// SPDX-License-Identifier: MIT
/*
 * Per-extension SBI call counters for metrics (core/arch.h, arch_vcpu_call_stat): the
 * counting itself is one increment in riscv_sbi_ecall (sbi_table.c); this file names the
 * slots after the rows of sbi_guest_exts.
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/arch.h"
#include "core/vcpu.h"

bool arch_vcpu_call_stat(const struct vcpu *vcpu, unsigned i, const char **name, uint64_t *count)
{
	/* Rows past the slots would all land in "other": the table must stay smaller. */
	if (sbi_guest_nr_exts > RISCV_SBI_STAT_SLOTS - 1)
		return false;
	if (i < sbi_guest_nr_exts) {
		*name = sbi_guest_exts[i].name;
		*count = __atomic_load_n(&vcpu->arch.sbi_calls[i], __ATOMIC_RELAXED);
		return true;
	}
	if (i == sbi_guest_nr_exts) {
		*name = "other";
		*count = __atomic_load_n(&vcpu->arch.sbi_calls[RISCV_SBI_STAT_SLOTS - 1],
		                         __ATOMIC_RELAXED);
		return true;
	}
	return false;
}
