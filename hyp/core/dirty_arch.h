/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_DIRTY_ARCH_H
#define FV_CORE_DIRTY_ARCH_H

/*
 * Architecture hooks of the dirty-page log (core/dirty_log.c): write
 * protection of guest RAM in the stage-2 tables and the TLB shootdown that
 * makes it effective on every CPU. The RISC-V port is
 * hyp/arch/riscv/dirty_riscv.c; a port without snapshots never gets here
 * (migration needs arch_snap_available). Every hook but the flush test is
 * called with the VM's mem_lock held.
 */
#include "lib/types.h"

struct vm;

/* Clear write permission on the mapped RAM [gpa, gpa + size). 0 or a negative fv_err. */
int arch_dirty_protect(struct vm *vm, gpa_t gpa, uint64_t size);
/* Give write permission back on the mapped RAM [gpa, gpa + size). 0 or a negative fv_err. */
int arch_dirty_unprotect(struct vm *vm, gpa_t gpa, uint64_t size);
/*
 * After protects: start making every CPU drop the VM's cached writable
 * translations (asynchronous; this CPU at once). mem_lock not needed.
 */
void arch_dirty_flush_begin(struct vm *vm);
/* Whether no CPU can write through a translation older than the last flush_begin. */
bool arch_dirty_flush_done(const struct vm *vm);

#endif
