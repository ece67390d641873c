// SPDX-License-Identifier: MIT
/* Emulated PL031 RTC (contract in vpl031.h). */
#include "vdev/vpl031.h"
#include "lib/fv_err.h"

#define NS_PER_S 1000000000ULL

/* PeriphID0..3 (part 0x031, designer 0x41 "Arm", revision 0) and PCellID0..3. */
static const uint8_t ids[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};

uint32_t vpl031_counter(const struct vpl031 *r, uint64_t host_ns)
{
	return (uint32_t)(host_ns / NS_PER_S) + r->offset;
}

/*
 * The host second at which the counter next equals mr, from host second
 * now on: a match of the current second counts as now (a guest that sets
 * its alarm to the present gets it at once).
 */
static void rearm(struct vpl031 *r, uint64_t host_ns)
{
	uint64_t now_s = host_ns / NS_PER_S;
	uint32_t ahead = r->mr - vpl031_counter(r, host_ns); /* modulo 2^32 */
	r->match_s = now_s + ahead;
}

void vpl031_init(struct vpl031 *r, uint64_t host_ns)
{
	r->offset = 0;
	r->lr = 0;
	vpl031_reset(r, host_ns);
}

void vpl031_reset(struct vpl031 *r, uint64_t host_ns)
{
	r->mr = 0;
	r->imsc = false;
	r->ris = false;
	rearm(r, host_ns);
	/* A counter already at 0 (offset wrapped there) is not a match the new boot asked for. */
	if (r->match_s == host_ns / NS_PER_S)
		r->match_s += 1ULL << 32;
}

void vpl031_load(struct vpl031 *r, uint32_t offset, uint32_t mr, uint32_t lr, bool imsc, bool ris,
                 uint64_t host_ns)
{
	r->offset = offset;
	r->mr = mr;
	r->lr = lr;
	r->imsc = imsc;
	r->ris = ris;
	rearm(r, host_ns);
}

bool vpl031_poll(struct vpl031 *r, uint64_t host_ns)
{
	uint64_t now_s = host_ns / NS_PER_S;
	if (now_s < r->match_s)
		return false;
	r->ris = true;
	/* The counter equals mr again 2^32 seconds later. */
	r->match_s += ((now_s - r->match_s) / (1ULL << 32) + 1) << 32;
	return true;
}

bool vpl031_alarm_due(const struct vpl031 *r, uint64_t host_ns, uint64_t *due)
{
	(void)host_ns;
	/* match_s < 2^34 for any host time before the year 2500: the product cannot wrap. */
	*due = r->match_s * NS_PER_S;
	return true;
}

bool vpl031_irq_level(const struct vpl031 *r)
{
	return r->ris && r->imsc;
}

static bool access_ok(uint64_t offset, unsigned width)
{
	return width == 4 && offset % 4 == 0 && offset < VPL031_MMIO_SIZE;
}

int vpl031_read(struct vpl031 *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t *val)
{
	if (!access_ok(offset, width))
		return -FV_EINVAL;
	(void)vpl031_poll(r, host_ns);
	switch (offset) {
	case VPL031_DR:
		*val = vpl031_counter(r, host_ns);
		break;
	case VPL031_MR:
		*val = r->mr;
		break;
	case VPL031_LR:
		*val = r->lr;
		break;
	case VPL031_CR:
		*val = 1;
		break;
	case VPL031_IMSC:
		*val = r->imsc;
		break;
	case VPL031_RIS:
		*val = r->ris;
		break;
	case VPL031_MIS:
		*val = vpl031_irq_level(r);
		break;
	default:
		*val = offset >= VPL031_ID ? ids[(offset - VPL031_ID) / 4] : 0;
		break;
	}
	return 0;
}

int vpl031_write(struct vpl031 *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t val)
{
	if (!access_ok(offset, width))
		return -FV_EINVAL;
	(void)vpl031_poll(r, host_ns);
	uint32_t v = (uint32_t)val;
	switch (offset) {
	case VPL031_MR:
		r->mr = v;
		rearm(r, host_ns);
		break;
	case VPL031_LR:
		r->lr = v;
		r->offset = v - (uint32_t)(host_ns / NS_PER_S);
		rearm(r, host_ns);
		break;
	case VPL031_IMSC:
		r->imsc = v & 1;
		break;
	case VPL031_ICR:
		if (v & 1)
			r->ris = false;
		break;
	default: /* DR, CR, RIS, MIS, ids and reserved offsets: read-only or nothing */
		break;
	}
	/* A match the write put at the present second is taken now. */
	(void)vpl031_poll(r, host_ns);
	return 0;
}
