/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VM_H
#define FV_ARCH_VM_H

/* Per-VM state of the unit tests' fake architecture (fake_arch.c). */
#include "lib/types.h"

struct vm_arch {
	bool inited; /* arch_vm_init .. arch_vm_destroy */
	unsigned virq_resets;
};

#endif
