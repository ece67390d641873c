// SPDX-License-Identifier: MIT
/*
 * RISC-V guests' physical map (contract in guest_map.h). Data only: the
 * host tool and the unit tests link this file unchanged.
 */
#include "arch/riscv/guest_map.h"

const struct guest_map guest_map_riscv64 = {
    .arch = "riscv64",
    .board = "QEMU RISC-V virt",
    .ram_base = RISCV_GUEST_RAM_BASE,
    .ram_min = 0, /* RAM may go anywhere no device window is (e.g. at 0 without an RTC) */
    .gpa_limit = RISCV_GUEST_GPA_LIMIT,
    .uart_base = RISCV_GUEST_UART_BASE,
    .uart_lo = 0,
    .uart_hi = RISCV_GUEST_GPA_LIMIT,
    .irqchip_base = RISCV_GUEST_PLIC_BASE,
    .irqchip_size = RISCV_GUEST_PLIC_SIZE,
    .rtc_model = "goldfish RTC",
    .rtc_base = RISCV_GUEST_RTC_BASE,
    .rtc_size = RISCV_GUEST_RTC_SIZE,
    .virtio_base = RISCV_GUEST_VIRTIO_BASE,
    .virtio_stride = RISCV_GUEST_VIRTIO_STEP,
    .virtio_slots = RISCV_GUEST_VIRTIO_SLOTS,
};
