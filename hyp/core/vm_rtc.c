// SPDX-License-Identifier: MIT
/* A VM's goldfish RTC: MMIO, alarm timer and interrupt line (contract in vm_rtc.h). */
#include "core/vm_rtc.h"
#include "core/guest_map.h"
#include "core/vm.h"
#include "core/wallclock.h"

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
	if (vrtc_alarm_due(&rtc->dev, wall, &due)) {
		/* The same distance ahead on the platform clock, at most an hour per sleep. */
		uint64_t ahead = due - wall;
		timer_arm(&rtc->alarm,
		          mono + (ahead < ALARM_MAX_SLEEP_NS ? ahead : ALARM_MAX_SLEEP_NS));
	} else {
		timer_cancel(&rtc->alarm);
	}
	if (vm->irqchip)
		vm->irqchip->set_level(vm->irqchip_dev, VM_IRQ_RTC, vrtc_irq_level(&rtc->dev));
}

static void alarm_fn(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	struct vm *vm = arg;
	spin_lock(&vm->rtc.lock);
	uint64_t mono = time_now_ns();
	(void)vrtc_poll(&vm->rtc.dev, wallclock_of(mono));
	update_locked(vm, mono);
	spin_unlock(&vm->rtc.lock);
}

static int rtc_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->rtc.lock);
	int ret = vrtc_read(&vm->rtc.dev, wallclock_now_ns(), off, width, val);
	spin_unlock(&vm->rtc.lock);
	return ret;
}

static int rtc_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->rtc.lock);
	uint64_t mono = time_now_ns();
	int ret = vrtc_write(&vm->rtc.dev, wallclock_of(mono), off, width, val);
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
	vrtc_reset(&rtc->dev);
	update_locked(vm, time_now_ns());
	spin_unlock(&rtc->lock);
}

void vm_rtc_resync(struct vm *vm)
{
	struct vm_rtc *rtc = &vm->rtc;
	if (!rtc->present)
		return;
	spin_lock(&rtc->lock);
	update_locked(vm, time_now_ns());
	spin_unlock(&rtc->lock);
}

void vm_rtc_stop(struct vm *vm)
{
	timer_cancel(&vm->rtc.alarm);
}
