// SPDX-License-Identifier: MIT
/* Emulated goldfish RTC register logic (contract in vrtc.h). */
#include "vdev/vrtc.h"

void vrtc_init(struct vrtc *r)
{
	*r = (struct vrtc){0};
}

void vrtc_reset(struct vrtc *r)
{
	r->alarm_armed = false;
	r->irq_enabled = false;
	r->irq_pending = false;
	r->alarm = 0;
	r->alarm_high = 0;
	r->time_high = 0;
}

uint64_t vrtc_guest_ns(const struct vrtc *r, uint64_t host_ns)
{
	/* Unsigned: wraps modulo 2^64, whatever the guest set. */
	return host_ns + r->offset;
}

/* Make the guest time now new_ns: only this VM's offset moves. */
static void set_time(struct vrtc *r, uint64_t host_ns, uint64_t new_ns)
{
	r->offset = new_ns - host_ns;
}

bool vrtc_poll(struct vrtc *r, uint64_t host_ns)
{
	if (!r->alarm_armed || vrtc_guest_ns(r, host_ns) < r->alarm)
		return false;
	r->alarm_armed = false;
	r->irq_pending = true;
	return true;
}

bool vrtc_alarm_due(const struct vrtc *r, uint64_t host_ns, uint64_t *due)
{
	if (!r->alarm_armed)
		return false;
	uint64_t now = vrtc_guest_ns(r, host_ns);
	*due = r->alarm <= now ? host_ns : host_ns + (r->alarm - now);
	/* A due time past 2^64 ns (year 2554) is as good as never: clamp, no wrap. */
	if (*due < host_ns)
		*due = UINT64_MAX;
	return true;
}

bool vrtc_irq_level(const struct vrtc *r)
{
	return r->irq_pending && r->irq_enabled;
}

/* The eight registers, aligned, 32 bits: the only accesses the device decodes. */
static bool access_ok(uint64_t offset, unsigned width)
{
	return width == 4 && offset < VRTC_NR_REGS_BYTES && offset % 4 == 0;
}

int vrtc_read(struct vrtc *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t *val)
{
	if (!access_ok(offset, width))
		return -FV_EINVAL;
	uint64_t now = vrtc_guest_ns(r, host_ns);
	switch (offset) {
	case VRTC_TIME_LOW:
		/* The latch makes LOW-then-HIGH a consistent 64-bit read. */
		r->time_high = (uint32_t)(now >> 32);
		*val = (uint32_t)now;
		break;
	case VRTC_TIME_HIGH:
		*val = r->time_high;
		break;
	case VRTC_ALARM_STATUS:
		*val = r->alarm_armed ? 1 : 0;
		break;
	default: /* write-only registers */
		*val = 0;
		break;
	}
	return 0;
}

int vrtc_write(struct vrtc *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t val)
{
	if (!access_ok(offset, width))
		return -FV_EINVAL;
	uint32_t v = (uint32_t)val; /* upper bits of a 32-bit store are not the guest's data */
	uint64_t now = vrtc_guest_ns(r, host_ns);
	switch (offset) {
	case VRTC_TIME_LOW:
		set_time(r, host_ns, (now & ~0xffffffffULL) | v);
		break;
	case VRTC_TIME_HIGH:
		set_time(r, host_ns, ((uint64_t)v << 32) | (now & 0xffffffffULL));
		break;
	case VRTC_ALARM_LOW:
		r->alarm = ((uint64_t)r->alarm_high << 32) | v;
		r->alarm_armed = true;
		(void)vrtc_poll(r, host_ns); /* an alarm in the past fires at once */
		break;
	case VRTC_ALARM_HIGH:
		r->alarm_high = v;
		break;
	case VRTC_IRQ_ENABLED:
		r->irq_enabled = (v & 1) != 0;
		break;
	case VRTC_CLEAR_ALARM:
		r->alarm_armed = false;
		break;
	case VRTC_CLEAR_INTERRUPT:
		r->irq_pending = false;
		break;
	default: /* ALARM_STATUS is read-only */
		break;
	}
	return 0;
}
