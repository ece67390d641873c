// SPDX-License-Identifier: MIT
/*
 * Dirty-page log hooks on ARM64 (core/dirty_arch.h): not implemented. Live
 * migration needs snapshots, which this port does not offer
 * (arch_snap_available is false), so core refuses a migration with a clear
 * error before it could call these; they refuse too, should that change
 * (docs/arm64.md, "Missing").
 */
#include "core/dirty_arch.h"

int arch_dirty_protect(struct vm *vm, gpa_t gpa, uint64_t size)
{
	(void)vm;
	(void)gpa;
	(void)size;
	return -FV_ENOTSUP;
}

int arch_dirty_unprotect(struct vm *vm, gpa_t gpa, uint64_t size)
{
	(void)vm;
	(void)gpa;
	(void)size;
	return -FV_ENOTSUP;
}

void arch_dirty_flush_begin(struct vm *vm)
{
	(void)vm;
}

bool arch_dirty_flush_done(const struct vm *vm)
{
	(void)vm;
	return true;
}
