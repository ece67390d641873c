/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_GUEST_LAYOUT_H
#define FV_CORE_GUEST_LAYOUT_H

/*
 * The guest-physical map of a VM and the one check of it that the tool
 * (`ferrovisor validate`, tools/resolve.c), the hypervisor's VM setup
 * (hyp/core/main.c, before vm_create) and the guest device tree builder
 * (hyp/arch/<isa>/) share: every window valid and aligned, no two
 * windows sharing a byte. A VM's windows are its RAM, its UART (unless it
 * has none), the interrupt controller, its RTC (unless it has none) and one virtio-mmio window per
 * paravirtual device, at the places the architecture's map (core/guest_map.h) gives.
 *
 * Pure code: no allocation, no globals; compiles on the host unchanged.
 */
#include "lib/types.h"
#include "core/config.h"
#include "core/guest_map.h"

/* Window sizes every map shares; where the windows go is the map's. */
#define GUEST_VIRTIO_SIZE 0x200ULL
#define GUEST_UART_SIZE   0x100ULL
#define GUEST_RAM_ALIGN   (2ULL << 20)
/*
 * Room the hypervisor keeps for a VM's device tree: it goes just below the
 * initrd (which goes to the top of RAM), page aligned, above the kernel.
 */
#define GUEST_DTB_ROOM  (64ULL << 10)
#define GUEST_PAGE_SIZE 4096ULL
/* RAM, UART, interrupt controller, RTC and CFG_MAX_VIRTIO virtio windows. */
#define GUEST_MAX_WINDOWS (4 + CFG_MAX_VIRTIO)

/* What a window is; RAM and UART are the ones a configuration places. */
enum guest_win_kind {
	GUEST_WIN_RAM,
	GUEST_WIN_UART,
	GUEST_WIN_IRQCHIP,
	GUEST_WIN_VIRTIO,
	GUEST_WIN_OTHER, /* any further device window a caller checks */
	GUEST_WIN_RTC,
};

struct guest_window {
	enum guest_win_kind kind;
	unsigned index; /* virtio: device number j; else 0 */
	uint64_t base;
	uint64_t size;
};

/* What is wrong with a layout: window bad, and for an overlap the window other. */
struct guest_layout_error {
	int code; /* -FV_ERANGE: bad alone; -FV_EEXIST: overlaps other; -FV_ENOSPC: RAM too small */
	unsigned bad;   /* index into the windows checked */
	unsigned other; /* -FV_EEXIST only */
	char what[160]; /* "UART (0x...-0x...) overlaps virtio-mmio window 0 (0x...-0x...)" */
};

/*
 * Check n windows: each non-empty, not wrapping past 2^64, and no two
 * overlapping. For an overlap, bad is the window the operator should move
 * (a RAM or UART window; of two, the later one) and other the one it hits.
 * Returns 0, or a negative fv_err with *err filled.
 */
int guest_layout_check(const struct guest_window *w, unsigned n, struct guest_layout_error *err);

/*
 * The windows of configured VM vm, in the order RAM, UART (if it has one),
 * interrupt controller, RTC (if it has one), virtio device 0..; returns how many (at most
 * GUEST_MAX_WINDOWS), at the places map gives. Window j of the virtio
 * devices is at map->virtio_base + j * map->virtio_stride.
 */
unsigned guest_layout_of(const struct guest_map *map, const struct vm_config *vm,
                         struct guest_window *w);

/*
 * The whole check of a configured VM against map: RAM 2 MiB aligned, at or
 * above map->ram_min and below map->gpa_limit, UART 256-byte aligned and
 * inside [map->uart_lo, map->uart_hi), at most CFG_MAX_VIRTIO virtio
 * devices, then guest_layout_check() of guest_layout_of(); last, if the VM
 * has a kernel (kernel_size != 0), that kernel, device tree and initrd fit
 * in RAM where the hypervisor places them (-FV_ENOSPC, bad = RAM). Returns
 * 0 or a negative fv_err with *err filled (bad/other index
 * guest_layout_of()'s windows).
 */
int guest_layout_check_vm(const struct guest_map *map, const struct vm_config *vm,
                          struct guest_layout_error *err);

/*
 * Is map itself sound? Its fixed windows (interrupt controller, RTC, every
 * virtio slot, the default UART) valid and apart, all below ram_min (when
 * set) and below the default RAM base, which is 2 MiB aligned, at or above
 * ram_min and below gpa_limit; the default UART inside its allowed range;
 * virtio slots (all of them, not only the CFG_MAX_VIRTIO a VM uses) at least
 * GUEST_VIRTIO_SIZE apart, CFG_MAX_VIRTIO to GUEST_MAP_MAX_SLOTS of them. Returns 0, or -FV_EINVAL
 * with the first problem in what. Called once at boot (core/main.c) and by the unit tests for every
 * table.
 */
#define GUEST_MAP_MAX_SLOTS 64U
int guest_map_check(const struct guest_map *map, char *what, size_t len);

/* "2 TiB", "512 GiB", "0x..." for messages: a GPA limit in words. */
void guest_layout_size_name(uint64_t bytes, char *buf, size_t len);

/* "guest RAM", "UART", "interrupt controller", "virtio-mmio window 3": a window's name. */
void guest_layout_name(const struct guest_window *w, char *buf, size_t len);

#endif
