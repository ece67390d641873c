/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VM_H
#define FV_ARCH_VM_H

/* arm64 per-VM state, embedded in struct vm. */
#include "lib/types.h"
#include "core/spinlock.h"

struct vm_arch {
	uint64_t s2_root; /* host physical address of the stage-2 level-1 table (0 = none) */
	uint16_t vmid;
	uint64_t vttbr;          /* VTTBR_EL2: root | VMID << 48 */
	uint64_t cntvoff;        /* CNTVOFF_EL2: guest virtual time = physical count - cntvoff */
	struct spinlock s2_lock; /* serialises stage-2 table changes (lazy RAM mapping) */
};

#endif
