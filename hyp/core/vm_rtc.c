// SPDX-License-Identifier: MIT
/* A VM's RTC (goldfish or PL031): MMIO, alarm timer and interrupt line (contract in vm_rtc.h). */
#include "core/vm_rtc.h"
#include "core/guest_map.h"
#include "core/vm.h"
#include "core/wallclock.h"
#include "arch/defs.h"

/* The model the architecture's guests expect (a constant: both models are compiled). */
#ifndef ARCH_GUEST_RTC_PL031
#define ARCH_GUEST_RTC_PL031 0
#endif

/* The model's calls, chosen by ARCH_GUEST_RTC_PL031; wall is host wall-clock ns. */
static bool model_alarm_due(struct vm_rtc *rtc, uint64_t wall, uint64_t *due)
{
	return ARCH_GUEST_RTC_PL031 ? vpl031_alarm_due(&rtc->pl031, wall, due)
	                            : vrtc_alarm_due(&rtc->dev, wall, due);
}

static bool model_irq_level(const struct vm_rtc *rtc)
{
	return ARCH_GUEST_RTC_PL031 ? vpl031_irq_level(&rtc->pl031) : vrtc_irq_level(&rtc->dev);
}

static void model_poll(struct vm_rtc *rtc, uint64_t wall)
{
	if (ARCH_GUEST_RTC_PL031)
		(void)vpl031_poll(&rtc->pl031, wall);
	else
		(void)vrtc_poll(&rtc->dev, wall);
}

/*
 * The longest the alarm timer sleeps: an alarm further ahead (up to 2^64 ns, a guest's
 * choice) is re-checked after this and the timer re-armed. Keeps every deadline far
 * from where time_ns_to_ticks() would overflow, on any timebase.
 */
#define ALARM_MAX_SLEEP_NS (3600ULL * 1000000000ULL)

/*
 * After a register access or an alarm: drive the line and (re)arm or cancel
 * the timer for the alarm. Caller holds rtc->lock; mono is time_now_ns().
 */
static void update_locked(struct vm *vm, uint64_t mono)
{
	struct vm_rtc *rtc = &vm->rtc;
	uint64_t wall = wallclock_of(mono), due;
	if (model_alarm_due(rtc, wall, &due)) {
		/* The same distance ahead on the platform clock, at most an hour per sleep. */
		uint64_t ahead = due > wall ? due - wall : 0;
		timer_arm(&rtc->alarm,
		          mono + (ahead < ALARM_MAX_SLEEP_NS ? ahead : ALARM_MAX_SLEEP_NS));
	} else {
		timer_cancel(&rtc->alarm);
	}
	if (vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, VM_IRQ_RTC, model_irq_level(rtc));
}

static void alarm_fn(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	struct vm *vm = arg;
	spin_lock(&vm->rtc.lock);
	uint64_t mono = time_now_ns();
	model_poll(&vm->rtc, wallclock_of(mono));
	update_locked(vm, mono);
	spin_unlock(&vm->rtc.lock);
}

static int rtc_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->rtc.lock);
	int ret;
	if (ARCH_GUEST_RTC_PL031) {
		/* A read takes a due match first (RIS current): drive the line after it. */
		uint64_t mono = time_now_ns();
		ret = vpl031_read(&vm->rtc.pl031, wallclock_of(mono), off, width, val);
		if (ret == 0)
			update_locked(vm, mono);
	} else {
		ret = vrtc_read(&vm->rtc.dev, wallclock_now_ns(), off, width, val);
	}
	spin_unlock(&vm->rtc.lock);
	return ret;
}

static int rtc_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->rtc.lock);
	uint64_t mono = time_now_ns();
	uint64_t wall = wallclock_of(mono);
	int ret = ARCH_GUEST_RTC_PL031 ? vpl031_write(&vm->rtc.pl031, wall, off, width, val)
	                               : vrtc_write(&vm->rtc.dev, wall, off, width, val);
	if (ret == 0)
		update_locked(vm, mono);
	spin_unlock(&vm->rtc.lock);
	return ret;
}

static const struct mmio_ops rtc_mmio = {
    .read = rtc_read,
    .write = rtc_write,
};

int vm_rtc_init(struct vm *vm)
{
	struct vm_rtc *rtc = &vm->rtc;
	spin_init(&rtc->lock);
	vrtc_init(&rtc->dev);
	vpl031_init(&rtc->pl031, wallclock_now_ns());
	timer_event_init(&rtc->alarm, alarm_fn, vm);
	rtc->present = vm->cfg->has_rtc;
	if (!rtc->present)
		return 0;
	const struct guest_map *map = arch_guest_map();
	return mmio_bus_add(&vm->mmio, map->rtc_base, map->rtc_size, &rtc_mmio, vm, "rtc");
}

void vm_rtc_reset(struct vm *vm)
{
	struct vm_rtc *rtc = &vm->rtc;
	if (!rtc->present)
		return;
	spin_lock(&rtc->lock);
	uint64_t mono = time_now_ns();
	vrtc_reset(&rtc->dev);
	vpl031_reset(&rtc->pl031, wallclock_of(mono));
	update_locked(vm, mono);
	spin_unlock(&rtc->lock);
}

void vm_rtc_resync(struct vm *vm)
{
	struct vm_rtc *rtc = &vm->rtc;
	if (!rtc->present)
		return;
	spin_lock(&rtc->lock);
	uint64_t mono = time_now_ns();
	model_poll(rtc, wallclock_of(mono));
	update_locked(vm, mono);
	spin_unlock(&rtc->lock);
}

void vm_rtc_stop(struct vm *vm)
{
	timer_cancel(&vm->rtc.alarm);
}
