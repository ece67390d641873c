// SPDX-License-Identifier: MIT
/*
 * The fake architecture's VM hooks (fake_arch.h), for tests that link vm.c: stage-2 and VMID
 * (counted, failing on demand), the virtual interrupt controller, the guest device tree (a
 * marker word in guest RAM) and a kernel boot protocol unlike RISC-V's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_arch.h"
#include "core/arch.h"
#include "lib/fv_err.h"

int arch_vm_init(struct vm *vm)
{
	if (fake_fail.arch_vm_init)
		return -FV_ENOMEM;
	vm->arch.inited = true;
	fake_rec.arch_vms_live++;
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch.inited)
		fail_msg("arch_vm_destroy of a VM arch_vm_init did not set up");
	vm->arch.inited = false;
	fake_rec.arch_vms_live--;
}

int arch_vm_map_ram(struct vm *vm, gpa_t gpa, hpa_t hpa, uint64_t size)
{
	UNUSED(vm);
	UNUSED(gpa);
	UNUSED(hpa);
	fake_rec.mapped_bytes += size;
	return 0;
}

int arch_vm_unmap_ram(struct vm *vm, gpa_t gpa, uint64_t size)
{
	UNUSED(vm);
	UNUSED(gpa);
	UNUSED(size);
	fake_rec.unmaps++;
	return 0;
}

void arch_mem_zero(void *p, uint64_t size)
{
	memset(p, 0, size);
}

int arch_virq_init(struct vm *vm)
{
	UNUSED(vm);
	return fake_fail.arch_virq_init ? -FV_EEXIST : 0;
}

void arch_virq_reset(struct vm *vm)
{
	vm->arch.virq_resets++;
}

/* The tree: one page below top, its first bytes a marker a test can find in guest RAM. */
gpa_t arch_vm_dtb_place(struct vm *vm, gpa_t top)
{
	gpa_t at = top - 4096;
	uint32_t *p = vm_gpa_to_hva(vm, at, 4);
	if (!p)
		return 0;
	*p = 0xd00dfeed;
	return at;
}

void arch_vm_boot_args(const struct vm *vm, gpa_t dtb, uint64_t *a0, uint64_t *a1)
{
	UNUSED(vm);
	*a0 = dtb; /* the other order than RISC-V's: core must not care */
	*a1 = 0x5a;
}
