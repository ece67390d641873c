/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_WALLCLOCK_H
#define FV_CORE_WALLCLOCK_H

/*
 * The host's wall clock: the physical RTC read once at boot, carried on by
 * the platform time base (time_now_ns()). Reading the device once keeps the
 * hot path (every guest RTC read) free of locks and device accesses, and the
 * two clocks run at the same rate on QEMU virt. The emulated per-VM RTCs
 * (core/vm_rtc.c) add their offsets to it.
 */
#include "lib/types.h"

#include "core/platform.h"

/*
 * Read the physical RTC rtc (if present) of the given kind (goldfish or PL031,
 * from the host tree) and remember the epoch of boot. Boot CPU, once, after
 * time_init(). Without a usable RTC (absent, a window too small, a PL031 whose
 * ids do not match) the wall clock starts at 0 (1970) and one warning says so.
 */
void wallclock_init(const struct plat_dev *rtc, enum plat_rtc_kind kind);

/* ns since the Unix epoch now. Any CPU, any context, lock-free. */
uint64_t wallclock_now_ns(void);
/* The wall-clock time (ns since the epoch) of platform time mono_ns (time_now_ns()'s scale). */
uint64_t wallclock_of(uint64_t mono_ns);

#endif
