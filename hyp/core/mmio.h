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
