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

struct mmio_region *mmio_bus_find(struct mmio_bus *bus, gpa_t gpa, unsigned width)
{
	return mmio_bus_lookup(bus, gpa, width);
}

int mmio_bus_access(struct mmio_bus *bus, struct vcpu *vcpu, gpa_t gpa, unsigned width,
                    bool is_write, uint64_t *val)
{
	return mmio_bus_dispatch(bus, vcpu, gpa, width, is_write, val);
}
