/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_GOLDFISH_RTC_H
#define FV_DRIVERS_GOLDFISH_RTC_H

/*
 * Physical goldfish RTC (compatible "google,goldfish-rtc", QEMU virt's at
 * 0x101000): read only. The hypervisor never writes it, so neither it nor
 * any guest can change the host's clock.
 */
#include "lib/types.h"

/*
 * The RTC's time in ns since the Unix epoch, read from the device at
 * physical address base (identity mapped): TIME_LOW first, which latches
 * TIME_HIGH. Callers serialise reads of one device (the latch is shared).
 */
uint64_t goldfish_rtc_read_ns(uintptr_t base);

#endif
