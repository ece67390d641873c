/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_MMIO_H
#define FV_CORE_MMIO_H

/*
 * Per-VM table of emulated MMIO regions. A guest access to an unmapped GPA
 * that falls in a region goes to its device; anything else is a guest
 * error (the arch layer injects an access fault).
 */
#include "lib/types.h"

#define MMIO_MAX_REGIONS 16

struct vcpu;

struct mmio_ops {
	/* offset is relative to the region base; width is 1, 2, 4 or 8 */
	int (*read)(void *dev, struct vcpu *vcpu, uint64_t offset, unsigned width, uint64_t *val);
	int (*write)(void *dev, struct vcpu *vcpu, uint64_t offset, unsigned width, uint64_t val);
};

struct mmio_region {
	gpa_t base;
	uint64_t size;
	const struct mmio_ops *ops;
	void *dev;
	const char *name;
	uint64_t accesses;
};

struct mmio_bus {
	unsigned count;
	struct mmio_region regions[MMIO_MAX_REGIONS];
	/*
	 * Index of the region the last lookup found: a guest polling one
	 * register (a UART's LSR) hits it first. Only a hint, read and written
	 * relaxed by the VM's vCPUs on any CPU; mmio_bus_find checks the range
	 * of whatever it names, and regions are only added, never moved.
	 */
	unsigned last;
};

/* Written to avoid overflow with guest-chosen gpa near 2^64. */
static inline bool mmio_region_holds(const struct mmio_region *r, gpa_t gpa, unsigned width)
{
	return gpa >= r->base && gpa - r->base < r->size && width <= r->size - (gpa - r->base);
}

/*
 * The region holding [gpa, gpa+width), NULL if none: mmio_bus_find's body,
 * inline for the exit paths (mmio_bus_dispatch).
 */
static inline struct mmio_region *mmio_bus_lookup(struct mmio_bus *bus, gpa_t gpa, unsigned width)
{
	unsigned hint = __atomic_load_n(&bus->last, __ATOMIC_RELAXED);
	unsigned count = __atomic_load_n(&bus->count, __ATOMIC_ACQUIRE);
	if (hint < count && mmio_region_holds(&bus->regions[hint], gpa, width))
		return &bus->regions[hint];
	for (unsigned i = 0; i < count; i++) {
		struct mmio_region *r = &bus->regions[i];
		if (mmio_region_holds(r, gpa, width)) {
			__atomic_store_n(&bus->last, i, __ATOMIC_RELAXED);
			return r;
		}
	}
	return NULL;
}

/*
 * mmio_bus_access's body, inline: an arch exit path that emulates MMIO
 * without a call frame per layer (docs/performance.md, issue #15).
 * Same contract and results as mmio_bus_access.
 */
static inline __attribute__((always_inline)) int mmio_bus_dispatch(struct mmio_bus *bus,
                                                                   struct vcpu *vcpu, gpa_t gpa,
                                                                   unsigned width, bool is_write,
                                                                   uint64_t *val)
{
	/* 1, 2, 4 or 8: one bit of 0x116 each. */
	if (width > 8 || !((0x116u >> width) & 1))
		return -FV_EINVAL;
	struct mmio_region *r = mmio_bus_lookup(bus, gpa, width);
	if (!r)
		return -FV_ENOENT;
	r->accesses++;
	uint64_t off = gpa - r->base;
	if (is_write)
		return r->ops->write ? r->ops->write(r->dev, vcpu, off, width, *val) : 0;
	*val = 0;
	return r->ops->read ? r->ops->read(r->dev, vcpu, off, width, val) : 0;
}

/* Add a region; -FV_EEXIST on overlap, -FV_ENOMEM when the table is full. */
int mmio_bus_add(struct mmio_bus *bus, gpa_t base, uint64_t size, const struct mmio_ops *ops,
                 void *dev, const char *name);
/* Find the region holding [gpa, gpa+width); NULL if none (or straddling). */
struct mmio_region *mmio_bus_find(struct mmio_bus *bus, gpa_t gpa, unsigned width);
/*
 * Dispatch one guest access. Returns 0, -FV_ENOENT when no device claims the
 * address, or the device's negative error (guest is then faulted).
 */
int mmio_bus_access(struct mmio_bus *bus, struct vcpu *vcpu, gpa_t gpa, unsigned width,
                    bool is_write, uint64_t *val);

#endif
