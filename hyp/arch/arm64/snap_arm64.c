// SPDX-License-Identifier: MIT
/*
 * VM snapshots on arm64 (core/snap_arch.h): not implemented yet. The port
 * says so (arch_snap_available), and core refuses every save and restore
 * with a clear error before any other hook here could run; these bodies
 * only keep that promise if core ever broke it (docs/arm64.md, "Missing").
 */
#include "core/snap_arch.h"
#include "lib/fv_err.h"

bool arch_snap_available(void)
{
	return false;
}

const char *arch_snap_name(void)
{
	return "arm64";
}

uint64_t arch_snap_guest_time(const struct vm *vm)
{
	(void)vm;
	return 0;
}

uint32_t arch_snap_vm_save(const struct vm *vm, uint8_t *out)
{
	(void)vm;
	(void)out;
	return 0;
}

int arch_snap_vm_load(struct vm *vm, const uint8_t *p, uint32_t len, uint64_t guest_time)
{
	(void)vm;
	(void)p;
	(void)len;
	(void)guest_time;
	return -FV_ENOTSUP;
}

void arch_snap_clock_resume(struct vm *vm, uint64_t guest_time)
{
	(void)vm;
	(void)guest_time;
}

uint32_t arch_snap_vcpu_save(const struct vcpu *vcpu, uint8_t *out)
{
	(void)vcpu;
	(void)out;
	return 0;
}

int arch_snap_vcpu_load(struct vcpu *vcpu, const uint8_t *p, uint32_t len)
{
	(void)vcpu;
	(void)p;
	(void)len;
	return -FV_ENOTSUP;
}

uint32_t arch_snap_vcpu_suspend_save(const struct vcpu *vcpu, uint64_t *resume_addr,
                                     uint64_t *resume_arg)
{
	(void)vcpu;
	*resume_addr = 0;
	*resume_arg = 0;
	return 0;
}

void arch_snap_vcpu_suspend_load(struct vcpu *vcpu, uint32_t flags, uint64_t resume_addr,
                                 uint64_t resume_arg)
{
	(void)vcpu;
	(void)flags;
	(void)resume_addr;
	(void)resume_arg;
}

uint32_t arch_snap_irqchip_save(struct vm *vm, uint8_t *out)
{
	(void)vm;
	(void)out;
	return 0;
}

int arch_snap_irqchip_load(struct vm *vm, const uint8_t *p, uint32_t len)
{
	(void)vm;
	(void)p;
	(void)len;
	return -FV_ENOTSUP;
}
