/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_VGIC_H
#define FV_ARCH_ARM64_VGIC_H

/* The virtual GICv3 (vgic.c): where the guest finds it and the calls of the vCPU loop. */
#include "arch/arm64/guest_map.h"
#include "lib/types.h"

struct vcpu;

/* Where QEMU's arm64 virt puts them (guest_map.h): GICD, then the redistributors. */
#define VGIC_GICD_BASE   ARM64_GUEST_GIC_BASE
#define VGIC_GICD_SIZE   0x10000ULL
#define VGIC_GICR_OFFSET (ARM64_GUEST_GICR_BASE - ARM64_GUEST_GIC_BASE) /* 128 KiB per vCPU */
#define VGIC_GICR_SIZE   (8 * 0x20000ULL)
_Static_assert(VGIC_GICR_OFFSET >= VGIC_GICD_SIZE &&
                   VGIC_GICR_OFFSET + VGIC_GICR_SIZE <= ARM64_GUEST_GIC_SIZE,
               "the vGIC's frames lie inside the map's interrupt controller window");

/* Load/put the vCPU's virtual CPU interface (list registers, VMCR, active priorities). */
void arm64_vgic_load(struct vcpu *v);
void arm64_vgic_put(struct vcpu *v);
/* vCPU (re)start: its redistributor to reset state (under the VM's vgic lock). */
void arm64_vgic_vcpu_reset(struct vcpu *v);
/* Before each entry: the virtual timer sampled, pending interrupts into list registers. */
void arm64_vgic_flush(struct vcpu *v);
/* Would an interrupt end the vCPU's WFI (loaded vCPU)? */
bool arm64_vgic_wakeable(struct vcpu *v);
/* List registers this host's GIC has (ICH_VTR_EL2.ListRegs + 1, at most ARM64_VGIC_MAX_LR);
 * known once a VM exists (arch_virq_init). */
unsigned arm64_vgic_nr_lrs(void);
/* The guest wrote ICC_SGI1R_EL1 (trapped): val is what it wrote. */
void arm64_vgic_sgi(struct vcpu *v, uint64_t val);

#endif
