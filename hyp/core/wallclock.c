// SPDX-License-Identifier: MIT
/* The host's wall clock (contract in wallclock.h). */
#include "core/wallclock.h"
#include "core/console.h"
#include "core/platform.h"
#include "core/timer.h"
#include "drivers/goldfish_rtc.h"
#include "drivers/pl031_rtc.h"

/* Wall-clock ns at time_now_ns() == 0; written once at boot before other CPUs run. */
static uint64_t epoch_at_boot;

static bool goldfish_ok(uintptr_t base)
{
	(void)base; /* the goldfish RTC has no id register: its compatible is all there is */
	return true;
}

/* How to read each kind of host RTC (enum plat_rtc_kind). */
static const struct rtc_driver {
	const char *name;
	uint64_t min_size;             /* the window the driver reads */
	bool (*probe)(uintptr_t base); /* the device is what the tree says it is */
	uint64_t (*read_ns)(uintptr_t base);
} rtc_drivers[] = {
    [PLAT_RTC_GOLDFISH] = {"goldfish RTC", 8, goldfish_ok, goldfish_rtc_read_ns},
    [PLAT_RTC_PL031] = {"PL031 RTC", PL031_RTC_WINDOW, pl031_rtc_probe, pl031_rtc_read_ns},
};

void wallclock_init(const struct plat_dev *rtc, enum plat_rtc_kind kind)
{
	if (!rtc->present || (unsigned)kind >= sizeof(rtc_drivers) / sizeof(rtc_drivers[0])) {
		pr_warn("wallclock: no RTC in the device tree; VM clocks start at 1970");
		return;
	}
	const struct rtc_driver *drv = &rtc_drivers[kind];
	/* The firmware's tree is trusted, but a window too small or misaligned is a wrong one. */
	if (rtc->base % 4 || rtc->size < drv->min_size || !drv->probe((uintptr_t)rtc->base)) {
		pr_warn(
		    "wallclock: %s at 0x%lx is unusable (window or ids); VM clocks start at 1970",
		    drv->name, (unsigned long)rtc->base);
		return;
	}
	uint64_t now = time_now_ns();
	uint64_t wall = drv->read_ns((uintptr_t)rtc->base);
	epoch_at_boot = wall - now;
	pr_info("wallclock: %s at 0x%lx, %lu s since the epoch", drv->name,
	        (unsigned long)rtc->base, (unsigned long)(wall / 1000000000ULL));
}

uint64_t wallclock_of(uint64_t mono_ns)
{
	return epoch_at_boot + mono_ns;
}

uint64_t wallclock_now_ns(void)
{
	return wallclock_of(time_now_ns());
}
