// SPDX-License-Identifier: MIT
/* SBI IPI extension (EID "sPI"), SBI spec v2.0 chapter 7. */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/vm.h"

void sbi_ipi_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	if (fid != 0) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	struct vm *vm = v->vm;
	uint64_t harts;
	/* Validate the whole mask before touching any hart. */
	r->error = sbi_hartmask_decode(a[0], a[1], vm->nr_vcpus, &harts);
	if (r->error)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (harts & (1ULL << i)) {
			riscv_vpmu_fw_event(v, SBI_PMU_FW_IPI_SENT);
			riscv_vpmu_fw_event(vm->vcpus[i], SBI_PMU_FW_IPI_RECVD);
			vcpu_virq_raise(vm->vcpus[i], VIRQ_SOFT);
		}
}
