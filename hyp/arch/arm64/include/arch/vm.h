/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VM_H
#define FV_ARCH_VM_H

/* arm64 per-VM state, embedded in struct vm. */
#include "lib/types.h"
#include "core/spinlock.h"

/* The VM's virtual GICv3 distributor (vgic.c): SPIs 32..32+ARM64_VGIC_NR_SPI-1. */
#define ARM64_VGIC_NR_SPI 64
struct arm64_vgic_dist {
	uint32_t ctlr; /* GICD_CTLR: EnableGrp1A (bit 1), EnableGrp0 (bit 0); ARE, DS fixed */
	uint32_t enabled[ARM64_VGIC_NR_SPI / 32], pending[ARM64_VGIC_NR_SPI / 32];
	uint32_t level[ARM64_VGIC_NR_SPI / 32]; /* device line levels (set_level) */
	uint32_t group[ARM64_VGIC_NR_SPI / 32], cfg[ARM64_VGIC_NR_SPI / 16];
	uint8_t prio[ARM64_VGIC_NR_SPI];
	uint64_t route[ARM64_VGIC_NR_SPI]; /* GICD_IROUTER: Aff0 = the target vCPU */
};

struct vm_arch {
	uint64_t s2_root; /* host physical address of the stage-2 level-1 table (0 = none) */
	uint16_t vmid;
	uint64_t vttbr;            /* VTTBR_EL2: root | VMID << 48 */
	uint64_t cntvoff;          /* CNTVOFF_EL2: guest virtual time = physical count - cntvoff */
	struct spinlock s2_lock;   /* serialises stage-2 table changes (lazy RAM mapping) */
	struct spinlock vgic_lock; /* the distributor and every vCPU's SGI/PPI state */
	struct arm64_vgic_dist vgic;
};

#endif
