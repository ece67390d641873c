/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_GUEST_MAP_H
#define FV_CORE_GUEST_MAP_H

/*
 * A VM's guest-physical map: where its RAM goes by default, where its
 * devices sit. The map is the architecture's (each follows the QEMU board its
 * guests know best), so core reads it only through arch_guest_map(); the
 * host tool links every architecture's table (hyp/arch/<isa>/guest_map.c)
 * and picks the one a configuration targets. guest_layout.c checks a VM's
 * windows against it.
 *
 * Pure data: no pointers but the names, so a table compiles on the host
 * unchanged.
 */
#include "lib/types.h"

struct guest_map {
	const char *arch;  /* ARCH_NAME of the architecture: the blob's and the YAML's `arch` */
	const char *board; /* the board the map follows, for messages and docs */
	/* RAM: default base; the lowest base allowed; every window ends below gpa_limit. */
	uint64_t ram_base;
	uint64_t ram_min;
	uint64_t gpa_limit; /* the stage-2 input address range */
	/* The emulated UART: default base; a UART window must lie in [uart_lo, uart_hi). */
	uint64_t uart_base;
	uint64_t uart_lo;
	uint64_t uart_hi;
	/* The interrupt controller's whole window (all its register frames). */
	uint64_t irqchip_base;
	uint64_t irqchip_size;
	/* The RTC's window (when a VM has one) and its model, for messages: "goldfish RTC". */
	const char *rtc_model;
	uint64_t rtc_base;
	uint64_t rtc_size;
	/* Virtio-mmio device j at virtio_base + j * virtio_stride, j < virtio_slots. */
	uint64_t virtio_base;
	uint64_t virtio_stride;
	unsigned virtio_slots;
};

/*
 * The running hypervisor's map (one const table per architecture, never
 * NULL). Any CPU, any time, no locks. Core's config parser takes its
 * defaults from it and VM setup checks every VM against it; the host tool
 * defines it as the map its configuration targets (tools/arch_map.c).
 */
const struct guest_map *arch_guest_map(void);

#endif
