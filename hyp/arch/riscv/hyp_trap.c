// SPDX-License-Identifier: MIT
/*
 * Traps taken while the hypervisor itself runs (sscratch == 0). The only
 * legitimate ones are faults of guarded guest-memory accesses and boot
 * probes, listed in riscv_fixup_table; anything else is a hypervisor bug.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/console.h"

struct fixup {
	uint64_t insn;
	uint64_t handler;
};

extern const struct fixup riscv_fixup_table[];
extern const struct fixup riscv_fixup_table_end[];

void riscv_hyp_trap(struct riscv_trap_frame *tf)
{
	/* The profiler's sampling timer inside an exit handler (prof_riscv.c). */
	if ((tf->scause & SCAUSE_INTR) && riscv_prof_hyp_trap(tf))
		return;
	if (!(tf->scause & SCAUSE_INTR)) {
		/* Count from the linker symbols: the table is one object to the linker, two to C.
		 */
		size_t n = ((uintptr_t)riscv_fixup_table_end - (uintptr_t)riscv_fixup_table) /
		           sizeof(struct fixup);
		for (size_t i = 0; i < n; i++) {
			if (riscv_fixup_table[i].insn == tf->sepc) {
				tf->sepc = riscv_fixup_table[i].handler;
				return;
			}
		}
	}
	panic("hypervisor trap: scause=0x%lx sepc=0x%lx stval=0x%lx htval=0x%lx sstatus=0x%lx "
	      "ra=0x%lx sp=0x%lx",
	      (unsigned long)tf->scause, (unsigned long)tf->sepc, (unsigned long)tf->stval,
	      csr_read(htval), (unsigned long)tf->sstatus, (unsigned long)tf->x[1],
	      (unsigned long)tf->x[2]);
}
