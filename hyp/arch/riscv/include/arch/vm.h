/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VM_H
#define FV_ARCH_VM_H

/* RISC-V per-VM state, embedded in struct vm. */
#include "lib/types.h"
#include "arch/riscv/stage2_pt.h"
#include "arch/riscv/sbi/sse_core.h"
#include "core/spinlock.h"
#include "arch/riscv/guest_map.h"
#include "arch/riscv/vplic.h"

/* The VM's PLIC (virq_plic.c): sources 1..VM_PLIC_NDEV in the map's interrupt controller window. */
#define VM_PLIC_BASE RISCV_GUEST_PLIC_BASE
#define VM_PLIC_NDEV 63

/*
 * The VM's global SSE software event (sbi_sse.c), protected by vm_arch.sse_lock. Reset
 * lazily when vm->boots moves on (a reboot), so no core hook is needed.
 */
struct riscv_sse_vm {
	uint64_t boot;    /* vm->boots this state belongs to */
	bool pending;     /* injected, not yet delivered (atomic reads without the lock) */
	int running_hart; /* vCPU running its handler, -1 if none */
	struct sse_event ev;
};

struct vm_arch {
	struct stage2_pt s2; /* G-stage tables: this VM's whole view of memory */
	uint16_t vmid;
	uint64_t hgatp;
	uint64_t htimedelta; /* guest time = host time + htimedelta (same for all vCPUs) */
	uint32_t wp_gen;     /* dirty-log write protections begun (dirty_riscv.c; atomic) */
	struct spinlock sse_lock;
	struct riscv_sse_vm sse;
	struct spinlock irq_lock; /* the emulated PLIC's state */
	struct vplic plic;
};

#endif
