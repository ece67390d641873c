// SPDX-License-Identifier: MIT
/*
 * A minimal polled virtio-blk driver (VIRTIO 1.2 §3.1 initialisation, §2.7.13 supplying
 * buffers, §5.2.6 requests) that the attacks bend: every step is a separate function so an
 * attack can stop half-way, skip a step or replace one.
 */
#include <stddef.h>
#include <stdint.h>

#include "csr.h"
#include "gstring.h"
#include "plat.h"
#include "vh.h"

struct vh_mem vh_mem __attribute__((aligned(4096)));
struct vh_queue vh_q;

static inline void fence_rw(void)
{
	__asm__ volatile("fence rw, rw" : : : "memory");
}

uint32_t vh_rd(unsigned off)
{
	return *(volatile uint32_t *)(VH_BASE + off);
}

void vh_wr(unsigned off, uint32_t val)
{
	/* Ring stores before the register store the device acts on (spec §2.7.13.4). */
	__asm__ volatile("fence iorw, iorw" : : : "memory");
	*(volatile uint32_t *)(VH_BASE + off) = val;
}

uint64_t vh_capacity(void)
{
	return (uint64_t)vh_rd(R_CONFIG) | (uint64_t)vh_rd(R_CONFIG + 4) << 32;
}

uint32_t vh_reset(void)
{
	vh_wr(R_STATUS, 0);
	return vh_rd(R_STATUS);
}

bool vh_negotiate(uint64_t features)
{
	vh_reset();
	vh_wr(R_STATUS, ST_ACK);
	vh_wr(R_STATUS, ST_ACK | ST_DRIVER);
	vh_wr(R_DRV_FEAT_SEL, 0);
	vh_wr(R_DRV_FEAT, (uint32_t)features);
	vh_wr(R_DRV_FEAT_SEL, 1);
	vh_wr(R_DRV_FEAT, (uint32_t)(features >> 32));
	vh_wr(R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	return (vh_rd(R_STATUS) & ST_FEATURES_OK) != 0;
}

void vh_queue_program(uint32_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	vh_wr(R_QUEUE_SEL, 0);
	vh_wr(R_QUEUE_NUM, size);
	vh_wr(R_DESC_LO, (uint32_t)desc);
	vh_wr(R_DESC_HI, (uint32_t)(desc >> 32));
	vh_wr(R_AVAIL_LO, (uint32_t)avail);
	vh_wr(R_AVAIL_HI, (uint32_t)(avail >> 32));
	vh_wr(R_USED_LO, (uint32_t)used);
	vh_wr(R_USED_HI, (uint32_t)(used >> 32));
}

bool vh_init_at(uint64_t features, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
{
	vh_q.desc = (volatile struct vh_desc *)(uintptr_t)desc;
	vh_q.avail = (volatile struct vh_avail *)(uintptr_t)avail;
	vh_q.used = (volatile struct vh_used *)(uintptr_t)used;
	vh_q.size = size;
	vh_q.avail_idx = 0;
	vh_q.used_seen = 0;
	if (!vh_negotiate(features))
		return false;
	/* Zero the rings only after the reset: the device no longer touches them. */
	memset((void *)(uintptr_t)desc, 0, 16u * size);
	memset((void *)(uintptr_t)avail, 0, 6u + 2u * size);
	memset((void *)(uintptr_t)used, 0, 6u + 8u * size);
	vh_queue_program(size, desc, avail, used);
	vh_wr(R_QUEUE_READY, 1);
	vh_wr(R_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return vh_rd(R_QUEUE_READY) == 1 &&
	       (vh_rd(R_STATUS) & (ST_DRIVER_OK | ST_NEEDS_RESET | ST_FAILED)) == ST_DRIVER_OK;
}

bool vh_init(uint64_t features, uint16_t size)
{
	return vh_init_at(features, size, (uintptr_t)vh_mem.desc, (uintptr_t)&vh_mem.avail,
	                  (uintptr_t)&vh_mem.used);
}

void vh_set_desc(volatile struct vh_desc *table, unsigned i, uint64_t addr, uint32_t len,
                 uint16_t flags, uint16_t next)
{
	table[i].addr = addr;
	table[i].len = len;
	table[i].flags = flags;
	table[i].next = next;
}

void vh_publish(uint16_t head)
{
	vh_q.avail->ring[vh_q.avail_idx % vh_q.size] = head;
	/* The ring entry before the index (spec §2.7.13.3.1). */
	__asm__ volatile("fence w, w" : : : "memory");
	vh_q.avail_idx++;
	vh_q.avail->idx = vh_q.avail_idx;
}

void vh_kick(void)
{
	fence_rw();
	vh_wr(R_NOTIFY, 0);
}

enum vh_outcome vh_wait(uint16_t n, uint32_t ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);

	for (;;) {
		uint16_t done = (uint16_t)(vh_q.used->idx - vh_q.used_seen);
		if (done == n) {
			fence_rw(); /* the used element and data after the index */
			vh_q.used_seen = (uint16_t)(vh_q.used_seen + n);
			return VH_OK;
		}
		if (done > n)
			return VH_BADUSED;
		/* A register read is an exit: deferred device work runs before we come back. */
		if (vh_rd(R_STATUS) & ST_NEEDS_RESET) {
			if ((uint16_t)(vh_q.used->idx - vh_q.used_seen) == 0)
				return VH_BROKEN;
			continue;
		}
		/*
		 * Late, not lost: completions come asynchronously (the disk's interrupt), and
		 * on a loaded host this vCPU may be off its CPU for a while after the exit
		 * above; a completion in that gap still counts.
		 */
		if (rdtime() > end && (uint16_t)(vh_q.used->idx - vh_q.used_seen) == 0)
			return VH_DROPPED;
	}
}

enum vh_outcome vh_submit(uint16_t head, volatile uint8_t *status)
{
	uint16_t slot = vh_q.used_seen % vh_q.size;
	enum vh_outcome o;

	vh_publish(head);
	vh_kick();
	o = vh_wait(1, VH_WAIT_MS);
	if (o != VH_OK)
		return o;
	if (vh_q.used->ring[slot].id != head)
		return VH_BADUSED;
	return *status == S_OK ? VH_OK : VH_ERR;
}

uint16_t vh_build(unsigned first, unsigned slot, uint32_t type, uint64_t sector, uint64_t data,
                  uint32_t len, bool dev_writes)
{
	volatile struct vh_desc *t = vh_q.desc;
	unsigned i = first;

	vh_mem.hdr[slot].type = type;
	vh_mem.hdr[slot].reserved = 0;
	vh_mem.hdr[slot].sector = sector;
	vh_mem.status[slot] = VH_UNTOUCH;
	vh_set_desc(t, i, (uintptr_t)&vh_mem.hdr[slot], sizeof(struct vh_blk_hdr), D_NEXT,
	            (uint16_t)(i + 1));
	i++;
	if (len) {
		vh_set_desc(t, i, data, len, (uint16_t)(D_NEXT | (dev_writes ? D_WRITE : 0)),
		            (uint16_t)(i + 1));
		i++;
	}
	vh_set_desc(t, i, (uintptr_t)&vh_mem.status[slot], 1, D_WRITE, 0);
	return (uint16_t)first;
}

enum vh_outcome vh_rw(uint32_t type, uint64_t sector, void *buf, uint32_t len, uint8_t *st)
{
	uint16_t head = vh_build(0, 0, type, sector, (uintptr_t)buf, len, type != T_OUT);
	enum vh_outcome o = vh_submit(head, &vh_mem.status[0]);

	if (st)
		*st = vh_mem.status[0];
	return o;
}

const char *vh_outcome_name(unsigned o)
{
	switch (o) {
	case VH_OK:
		return "completed-ok";
	case VH_ERR:
		return "completed-error";
	case VH_BROKEN:
		return "needs-reset";
	case VH_DROPPED:
		return "dropped";
	case VH_BADUSED:
		return "bad-used-ring";
	default:
		return "?";
	}
}
