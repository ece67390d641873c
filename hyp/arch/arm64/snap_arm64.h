/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_SNAP_ARM64_H
#define FV_ARCH_ARM64_SNAP_ARM64_H

/* What the two files of arm64 snapshots share (snap_arm64.c, snap_vgic_arm64.c). */
#include "lib/types.h"

/* ICH_LR<n>_EL2 fields (Arm IHI 0069, 12.4.6) the vGIC uses. */
#define ARM64_LR_STATE     (3ULL << 62)
#define ARM64_LR_PENDING   (1ULL << 62)
#define ARM64_LR_GROUP1    (1ULL << 60)
#define ARM64_LR_PRIO_MASK (0xffULL << 48)

/*
 * Whether a list register value from a snapshot may be loaded into a VM whose vGIC has
 * @nr_spi SPIs: in use (pending and/or active), a software interrupt (no HW, NMI, EOI or
 * reserved bit) and a vINTID that VM has (SGI, PPI or one of its SPIs). Pure.
 */
bool arm64_snap_lr_ok(uint64_t lr, unsigned nr_spi);

#endif
