/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_PL031_RTC_H
#define FV_DRIVERS_PL031_RTC_H

/*
 * Physical Arm PL031 real-time clock (compatible "arm,pl031", QEMU arm64 virt's; its address
 * comes from the host device tree): read only, like the goldfish driver. The hypervisor never
 * writes it, so neither it nor any guest can change the host's clock.
 */
#include "lib/types.h"

/* Window the driver reads: RTCDR at 0 and the PrimeCell id registers at 0xfe0..0xffc. */
#define PL031_RTC_WINDOW 0x1000u

/*
 * True when the device at physical address base (identity mapped, PL031_RTC_WINDOW bytes)
 * identifies itself as a PL031 by its PrimeCell ids (part 0x031, designer Arm, the PrimeCell
 * preamble): a node that only claims the compatible but answers otherwise is not trusted.
 */
bool pl031_rtc_probe(uintptr_t base);

/*
 * The RTC's time in ns since the Unix epoch (RTCDR is whole seconds: the result is a
 * multiple of 1e9). One 32-bit read, no latch: any CPU may call it.
 */
uint64_t pl031_rtc_read_ns(uintptr_t base);

#endif
