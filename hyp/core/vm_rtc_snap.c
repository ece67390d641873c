// SPDX-License-Identifier: MIT
/*
 * A VM's RTC in a snapshot (the RTC section, docs/snapshot-format.md;
 * contract in vm_rtc.h). The layout is the model's: goldfish where the
 * architecture's guests have it, PL031 where arch/defs.h sets
 * ARCH_GUEST_RTC_PL031. A stream never crosses architectures (the header's
 * arch is checked first), so one build reads only its own layout.
 */
#include "core/ctl_proto.h"
#include "core/snap_vm.h"
#include "core/vm.h"
#include "core/vm_rtc.h"
#include "core/wallclock.h"
#include "lib/string.h"
#include "arch/defs.h"

#ifndef ARCH_GUEST_RTC_PL031
#define ARCH_GUEST_RTC_PL031 0
#endif

#if ARCH_GUEST_RTC_PL031
/* PL031: offset, MR, LR (u32 each), flags (u32: 1 interrupt unmasked, 2 raw interrupt). */
static void save_model(const struct vm_rtc *rtc, uint8_t *p)
{
	const struct vpl031 *r = &rtc->pl031;
	ctl_put32(p, r->offset);
	ctl_put32(p + 4, r->mr);
	ctl_put32(p + 8, r->lr);
	ctl_put32(p + 12, (r->imsc ? 1u : 0) | (r->ris ? 2u : 0));
}

static int load_model(struct vm_rtc *rtc, const uint8_t *p)
{
	uint32_t flags = ctl_get32(p + 12);
	for (unsigned i = 16; i < SNAP_RTC_LEN; i++)
		if (p[i])
			return -FV_EINVAL;
	if (flags & ~3u)
		return -FV_EINVAL;
	/* The next match is derived from MR and the host's time, never taken from the file. */
	vpl031_load(&rtc->pl031, ctl_get32(p), ctl_get32(p + 4), ctl_get32(p + 8), flags & 1u,
	            flags & 2u, wallclock_now_ns());
	return 0;
}
#else
/* goldfish: offset from the host's wall clock (ns), alarm (u64), TIME_HIGH, ALARM_HIGH, flags
 * (u32 each: 1 alarm armed, 2 interrupt enabled, 4 interrupt pending). */
static void save_model(const struct vm_rtc *rtc, uint8_t *p)
{
	const struct vrtc *r = &rtc->dev;
	ctl_put64(p, r->offset);
	ctl_put64(p + 8, r->alarm);
	ctl_put32(p + 16, r->time_high);
	ctl_put32(p + 20, r->alarm_high);
	ctl_put32(p + 24, (r->alarm_armed ? 1u : 0) | (r->irq_enabled ? 2u : 0) |
	                      (r->irq_pending ? 4u : 0));
}

static int load_model(struct vm_rtc *rtc, const uint8_t *p)
{
	uint32_t flags = ctl_get32(p + 24);
	if ((flags & ~7u) || ctl_get32(p + 28))
		return -FV_EINVAL;
	struct vrtc *d = &rtc->dev;
	/* The offset from the host's wall clock is kept: the RTC shows real time, as before. */
	d->offset = ctl_get64(p);
	d->alarm = ctl_get64(p + 8);
	d->time_high = ctl_get32(p + 16);
	d->alarm_high = ctl_get32(p + 20);
	d->alarm_armed = flags & 1u;
	d->irq_enabled = flags & 2u;
	d->irq_pending = flags & 4u;
	return 0;
}
#endif

uint32_t vm_rtc_snap_save(struct vm *vm, uint8_t *p)
{
	memset(p, 0, SNAP_RTC_LEN);
	spin_lock(&vm->rtc.lock);
	save_model(&vm->rtc, p);
	spin_unlock(&vm->rtc.lock);
	return SNAP_RTC_LEN;
}

int vm_rtc_snap_load(struct vm *vm, const uint8_t *p, uint32_t len)
{
	if (len != SNAP_RTC_LEN || !vm->rtc.present)
		return -FV_EINVAL;
	spin_lock(&vm->rtc.lock);
	int ret = load_model(&vm->rtc, p);
	spin_unlock(&vm->rtc.lock);
	if (ret == 0)
		vm_rtc_resync(vm);
	return ret;
}
