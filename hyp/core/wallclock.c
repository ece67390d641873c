// SPDX-License-Identifier: MIT
/* The host's wall clock (contract in wallclock.h). */
#include "core/wallclock.h"
#include "core/console.h"
#include "core/platform.h"
#include "core/timer.h"
#include "drivers/goldfish_rtc.h"

/* Wall-clock ns at time_now_ns() == 0; written once at boot before other CPUs run. */
static uint64_t epoch_at_boot;

void wallclock_init(const struct plat_dev *rtc)
{
	if (!rtc->present) {
		pr_warn("wallclock: no goldfish RTC in the device tree; VM clocks start at 1970");
		return;
	}
	/* The firmware's tree is trusted, but a window too small or misaligned is a wrong one. */
	if (rtc->base % 4 || rtc->size < 8) {
		pr_warn("wallclock: goldfish RTC at 0x%lx has an unusable window; VM clocks start "
		        "at 1970",
		        (unsigned long)rtc->base);
		return;
	}
	uint64_t now = time_now_ns();
	uint64_t wall = goldfish_rtc_read_ns((uintptr_t)rtc->base);
	epoch_at_boot = wall - now;
	pr_info("wallclock: goldfish RTC at 0x%lx, %lu s since the epoch", (unsigned long)rtc->base,
	        (unsigned long)(wall / 1000000000ULL));
}

uint64_t wallclock_of(uint64_t mono_ns)
{
	return epoch_at_boot + mono_ns;
}

uint64_t wallclock_now_ns(void)
{
	return wallclock_of(time_now_ns());
}
