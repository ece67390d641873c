/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_GDB_ARCH_H
#define FV_ARCH_RISCV_GDB_ARCH_H

/* RISC-V exit-path hooks of the guest debugger (gdb_arch.c, core/gdb.h). */
#include "lib/types.h"

struct vcpu;

/*
 * A load/store guest-page fault of v (scause 21/23) on a page a watchpoint
 * protects: a hit halts the VM (returns true, v must leave the guest), an
 * access to another byte of the page is emulated and v goes on (returns
 * true, sepc advanced). false: not a watched page, handle as always.
 */
bool riscv_gdb_watch_fault(struct vcpu *v, bool *leave);

#endif
