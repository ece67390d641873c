/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VM_H
#define FV_ARCH_VM_H

/* RISC-V per-VM state, embedded in struct vm. */
#include "lib/types.h"
#include "arch/riscv/stage2_pt.h"

struct vm_arch {
	struct stage2_pt s2; /* G-stage tables: this VM's whole view of memory */
	uint16_t vmid;
	uint64_t hgatp;
	uint64_t htimedelta; /* guest time = host time + htimedelta (same for all vCPUs) */
};

#endif
