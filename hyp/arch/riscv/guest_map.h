/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_GUEST_MAP_H
#define FV_ARCH_RISCV_GUEST_MAP_H

/*
 * RISC-V guests' physical map: QEMU RISC-V virt's (hw/riscv/virt.c), the
 * board Debian's riscv64 kernels and OpenSBI know. The constants are for
 * the RISC-V code that places devices (vPLIC, device tree); everything
 * else reads guest_map_riscv64 (arch_guest_map() on RISC-V, and the host
 * tool for `arch: riscv64`).
 */
#include "core/guest_map.h"

#define RISCV_GUEST_RAM_BASE     0x80000000ULL
#define RISCV_GUEST_UART_BASE    0x10000000ULL
#define RISCV_GUEST_PLIC_BASE    0x0c000000ULL
#define RISCV_GUEST_PLIC_SIZE    0x4000000ULL  /* 64 MiB, as on QEMU virt */
#define RISCV_GUEST_RTC_BASE     0x00101000ULL /* goldfish RTC */
#define RISCV_GUEST_RTC_SIZE     0x1000ULL
#define RISCV_GUEST_VIRTIO_BASE  0x10001000ULL
#define RISCV_GUEST_VIRTIO_STEP  0x1000ULL
#define RISCV_GUEST_VIRTIO_SLOTS 8U
#define RISCV_GUEST_GPA_LIMIT    (1ULL << 41) /* Sv39x4: guest physical addresses below 2 TiB */

extern const struct guest_map guest_map_riscv64;

#endif
