// SPDX-License-Identifier: MIT
/*
 * arm64 guests' physical map (contract in guest_map.h). Data only: the
 * host tool and the unit tests link this file unchanged.
 */
#include "arch/arm64/guest_map.h"

const struct guest_map guest_map_arm64 = {
    .arch = "arm64",
    .board = "QEMU arm64 virt",
    .ram_base = ARM64_GUEST_RAM_BASE,
    .ram_min = ARM64_GUEST_RAM_BASE, /* the first GiB is the board's device space */
    .gpa_limit = ARM64_GUEST_GPA_LIMIT,
    .uart_base = ARM64_GUEST_UART_BASE,
    .uart_lo = 0,
    .uart_hi = ARM64_GUEST_DEV_END,
    .irqchip_base = ARM64_GUEST_GIC_BASE,
    .irqchip_size = ARM64_GUEST_GIC_SIZE,
    .rtc_model = "PL031 RTC",
    .rtc_base = ARM64_GUEST_RTC_BASE,
    .rtc_size = ARM64_GUEST_RTC_SIZE,
    .virtio_base = ARM64_GUEST_VIRTIO_BASE,
    .virtio_stride = ARM64_GUEST_VIRTIO_STEP,
    .virtio_slots = ARM64_GUEST_VIRTIO_SLOTS,
};
