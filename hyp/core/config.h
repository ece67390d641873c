/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CONFIG_H
#define FV_CORE_CONFIG_H

/*
 * The hypervisor's configuration, read at boot from a configuration blob
 * (a flattened device tree, see docs/config-blob.md) instead of being
 * compiled in. Parsing is pure logic and unit-tested on the host; the blob
 * is treated as untrusted input (every field is validated).
 */
#include "lib/types.h"

#define VM_NAME_MAX      32
#define VM_MAX_VCPUS     8
#define CFG_MAX_VMS      8
#define CFG_BOOTARGS_MAX 512
#define CFG_MAX_VIRTIO   8            /* virtio devices per VM (guest slots) */
#define CFG_PHYS_SLOTS   8            /* physical virtio-mmio slots (QEMU virt) */
#define CFG_MAX_SWITCHES 4            /* virtual switches */
#define CFG_SWITCH_NAME  16           /* switch name incl. NUL */
#define CFG_SECTOR_LIMIT (1ULL << 55) /* slices end below 2^64 bytes */

struct vm_config {
	char name[VM_NAME_MAX];
	unsigned vcpus;
	gpa_t mem_base;             /* default 0x80000000 */
	uint64_t mem_size;          /* bytes, multiple of 2 MiB */
	uint32_t weight;            /* scheduler weight, default 256 */
	uint64_t affinity;          /* physical CPUs allowed for every vCPU; 0 = any */
	int vcpu_pin[VM_MAX_VCPUS]; /* physical CPU per vCPU, -1 = not pinned */
	/*
	 * Image bytes inside the blob. NULL when the blob gives only `kernel-size`
	 * (images streamed separately, see vm_stage.h): such a VM can only be
	 * created by vm_create_dynamic() with staged images of those sizes.
	 */
	const uint8_t *kernel;
	uint64_t kernel_size;
	uint64_t kernel_offset; /* load offset from mem_base; entry point */
	const uint8_t *initrd;
	uint64_t initrd_size;
	char bootargs[CFG_BOOTARGS_MAX];
	bool autostart;
	/*
	 * A template (property `template`): not created at boot; `vm create` (or the
	 * control channel) makes instances of it at run time (vm_create_dynamic).
	 */
	bool is_template;
	bool has_uart;
	gpa_t uart_base;
	bool has_rtc; /* a goldfish RTC at the map's rtc_base (default; `no-rtc` turns it off) */
	/*
	 * Paravirtual devices. In the guest they sit at the map's virtio_base + j *
	 * virtio_stride (core/guest_map.h) with interrupt 1 + j, j counting disks first, then
	 * NICs, then the console; nr_disks + nr_nics + virtio_console <= CFG_MAX_VIRTIO.
	 */
	unsigned nr_disks;
	uint32_t disk_slot[CFG_MAX_VIRTIO]; /* physical virtio-mmio slot backing disk k */
	/*
	 * The part of that physical disk that is disk k, in 512-byte sectors:
	 * disk_start[k] .. disk_start[k] + disk_sectors[k] - 1. disk_sectors[k]
	 * 0 = to the end of the disk, so (0, 0) is the whole disk (also what a
	 * blob without virtio-blk-slices gives). The end is below CFG_SECTOR_LIMIT.
	 */
	uint64_t disk_start[CFG_MAX_VIRTIO];
	uint64_t disk_sectors[CFG_MAX_VIRTIO];
	unsigned nr_nics;
	uint32_t nic_switch[CFG_MAX_VIRTIO]; /* index into hyp_config.switches */
	uint8_t nic_mac[CFG_MAX_VIRTIO][6];  /* unicast, locally administered or not */
	bool virtio_console;                 /* a virtio-console (hvc0) beside the UART */
	/*
	 * role = "service": the VM that manages the others over the control channel
	 * (docs/control-protocol.md), a virtio-console placed after every other
	 * virtio device; it counts against CFG_MAX_VIRTIO. At most one per host.
	 */
	bool service;
};

/* A virtual switch connecting VM NICs; optionally uplinked to a physical NIC. */
struct switch_config {
	char name[CFG_SWITCH_NAME];
	int uplink_slot; /* physical virtio-mmio slot of the uplink NIC, -1 = none */
};

struct hyp_config {
	unsigned nr_vms;
	struct vm_config vms[CFG_MAX_VMS];
	char focus[VM_NAME_MAX]; /* VM that gets console input at boot ("" = shell) */
	uint64_t slice_us;       /* scheduler time slice */
	unsigned nr_switches;
	struct switch_config switches[CFG_MAX_SWITCHES];
	/*
	 * Boot the VMs that can be set up even if others cannot. Without it a
	 * configuration boots whole or not at all: one autostart VM failing
	 * setup starts none.
	 */
	bool best_effort;
	/* VM whose gdb stub gets the physical gdb channel (`ferrovisor run --gdb`), "" = none. */
	char gdb_vm[VM_NAME_MAX];
	/*
	 * virtio-mmio slot of the dump channel (`ferrovisor run --dump-dir`, host/dump-slot),
	 * plus one; 0 = none.
	 */
	uint32_t dump_slot1;
};

/*
 * Parse and validate a configuration blob. On error returns a negative
 * fv_err and writes a one-line message naming the node and property into
 * err. The parsed config points into blob (images are not copied).
 */
int config_parse(const void *blob, size_t size, struct hyp_config *out, char *err, size_t errlen);

/* Parse a size string like "64M", "1G", "4096" (also used by tools). */
int config_parse_size(const char *s, uint64_t *out);
/*
 * A valid VM name: 1..VM_NAME_MAX-1 characters of letters, digits, '-', '_', '.', and not
 * "hyp" (the hypervisor's console tag). Used by the parser and by run-time VM creation.
 */
bool config_vm_name_ok(const char *n);

/*
 * Whether two sector ranges of one disk overlap: [a_start, a_start +
 * a_sectors) and the same for b, where a count of 0 means "to the end of
 * the disk". Overflow-safe for any values. Pure; used by the parser and,
 * with the real disk size, again by hostdev at run time.
 */
bool config_sectors_overlap(uint64_t a_start, uint64_t a_sectors, uint64_t b_start,
                            uint64_t b_sectors);

/*
 * Resolve a slice (start, *sectors) of a disk against the disk's real size
 * (capacity, in sectors), known only once the disk is probed: a count of 0
 * ("to the end") becomes the sectors left, and (0, 0) is the whole disk,
 * whatever its size. Returns 0 with *sectors resolved, -FV_ERANGE if a
 * slice starts at or after the end of the disk, -FV_ENOSPC if it runs past
 * the end (*sectors untouched on error). Pure, overflow-safe.
 */
int config_slice_resolve(uint64_t capacity, uint64_t start, uint64_t *sectors);

#endif
