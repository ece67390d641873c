/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_GUEST_MAP_H
#define FV_ARCH_ARM64_GUEST_MAP_H

/*
 * arm64 guests' physical map: QEMU's arm64 virt machine (hw/arm/virt.c,
 * base_memmap), the board Debian's arm64 kernel knows best. The first GiB
 * is device space (flash 0-0x08000000, the GIC, the PL011, the PL031 RTC,
 * virtio-mmio from 0x0a000000, the PCIe windows from 0x10000000), RAM
 * starts at 1 GiB. The constants are for the arm64 code that places
 * devices (vgic.c, vm_dtb.c); everything else reads guest_map_arm64
 * (arch_guest_map() on arm64, and the host tool for `arch: arm64`).
 */
#include "core/guest_map.h"

#define ARM64_GUEST_RAM_BASE     0x40000000ULL
#define ARM64_GUEST_DEV_END      0x10000000ULL /* platform devices end where PCIe starts */
#define ARM64_GUEST_GIC_BASE     0x08000000ULL /* GICv3 distributor */
#define ARM64_GUEST_GICR_BASE    0x080a0000ULL /* redistributors, 128 KiB per vCPU */
#define ARM64_GUEST_GIC_SIZE     0x01000000ULL /* QEMU's GIC area: GICD, ITS, GICR */
#define ARM64_GUEST_UART_BASE    0x09000000ULL /* PL011 */
#define ARM64_GUEST_RTC_BASE     0x09010000ULL /* PL031, as on QEMU */
#define ARM64_GUEST_RTC_SIZE     0x1000ULL
#define ARM64_GUEST_VIRTIO_BASE  0x0a000000ULL
#define ARM64_GUEST_VIRTIO_STEP  0x200ULL
#define ARM64_GUEST_VIRTIO_SLOTS 32U
#define ARM64_GUEST_GPA_LIMIT    (1ULL << 39) /* VTCR_EL2: 39-bit IPA (vm_arm64.c) */

extern const struct guest_map guest_map_arm64;

#endif
