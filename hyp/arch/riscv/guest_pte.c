// SPDX-License-Identifier: MIT
/*
 * The page-table reader the hypervisor's own walks of a guest's VS-stage tables use
 * (the guest debugger's address translation, the profiler's frame-pointer walk): PTEs
 * come from that VM's RAM only, through the checked vm_gpa_to_hva.
 */
#include "arch/riscv/ptwalk.h"
#include "core/vm.h"
#include "lib/fv_err.h"

int riscv_guest_pte_read(void *vm, uint64_t gpa, uint64_t *pte)
{
	if (gpa & 7)
		return -FV_EFAULT;
	const uint64_t *p = vm_gpa_to_hva(vm, gpa, 8);
	if (!p)
		return -FV_EFAULT;
	/* Relaxed: the guest may rewrite its tables meanwhile; one whole PTE is what counts. */
	*pte = __atomic_load_n(p, __ATOMIC_RELAXED);
	return 0;
}
