// SPDX-License-Identifier: MIT
/* Emulated MMIO region table (pure logic; unit-tested on the host). */
#include "core/mmio.h"

int mmio_bus_add(struct mmio_bus *bus, gpa_t base, uint64_t size, const struct mmio_ops *ops,
                 void *dev, const char *name)
{
	if (size == 0 || base + size < base || !ops)
		return -FV_EINVAL;
	for (unsigned i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];
		if (base < r->base + r->size && r->base < base + size)
			return -FV_EEXIST;
	}
	if (bus->count >= MMIO_MAX_REGIONS)
		return -FV_ENOMEM;
	struct mmio_region *r = &bus->regions[bus->count];
	r->base = base;
	r->size = size;
	r->ops = ops;
	r->dev = dev;
	r->name = name;
	r->accesses = 0;
	/* Publish the filled region: mmio_bus_find reads count with acquire. */
	__atomic_store_n(&bus->count, bus->count + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Written to avoid overflow with guest-chosen gpa near 2^64. */
static bool region_holds(const struct mmio_region *r, gpa_t gpa, unsigned width)
{
	return gpa >= r->base && gpa - r->base < r->size && width <= r->size - (gpa - r->base);
}

/* The lookup, inlined into mmio_bus_access (no call frame on the MMIO exit path). */
static inline struct mmio_region *bus_find(struct mmio_bus *bus, gpa_t gpa, unsigned width)
{
	unsigned hint = __atomic_load_n(&bus->last, __ATOMIC_RELAXED);
	unsigned count = __atomic_load_n(&bus->count, __ATOMIC_ACQUIRE);
	if (hint < count && region_holds(&bus->regions[hint], gpa, width))
		return &bus->regions[hint];
	for (unsigned i = 0; i < count; i++) {
		struct mmio_region *r = &bus->regions[i];
		if (region_holds(r, gpa, width)) {
			__atomic_store_n(&bus->last, i, __ATOMIC_RELAXED);
			return r;
		}
	}
	return NULL;
}

struct mmio_region *mmio_bus_find(struct mmio_bus *bus, gpa_t gpa, unsigned width)
{
	return bus_find(bus, gpa, width);
}

int mmio_bus_access(struct mmio_bus *bus, struct vcpu *vcpu, gpa_t gpa, unsigned width,
                    bool is_write, uint64_t *val)
{
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -FV_EINVAL;
	struct mmio_region *r = bus_find(bus, gpa, width);
	if (!r)
		return -FV_ENOENT;
	r->accesses++;
	uint64_t off = gpa - r->base;
	if (is_write)
		return r->ops->write ? r->ops->write(r->dev, vcpu, off, width, *val) : 0;
	*val = 0;
	return r->ops->read ? r->ops->read(r->dev, vcpu, off, width, val) : 0;
}
