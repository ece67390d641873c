/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_RESOLVE_H
#define FV_TOOLS_RESOLVE_H

/*
 * The resolver completes a loaded configuration and checks everything the
 * loader cannot see alone: image files (present, readable, of a bootable
 * kind, fitting in guest memory), CPU numbers against the host's CPUs,
 * names used twice, disk images used twice (allowed only as non-overlapping
 * slices inside the image, which then share one drive), the network
 * (every interface on a switch, a switch made for each name host.switches
 * does not list, at most one uplink per switch, taps, ports and MACs used
 * once), the virtio budgets (8 devices per VM; 8 physical slots for all
 * disk images and uplinks) and
 * whether all guest RAM fits in host memory. It fills in defaults that
 * depend on other keys (kernel_offset and command_line for Linux Images,
 * console focus, host memory, MAC addresses, virtio slots).
 *
 * Every VM has its own guest-physical address space, so memory_base values
 * of different VMs may coincide; only the host RAM they all need is checked.
 */
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "model.h"

/* Host RAM kept for firmware, the hypervisor, its heap and page tables. */
#define RESOLVE_HYP_RESERVE (64ULL << 20)

struct resolve_opts {
	uint64_t cpus;   /* `run --smp`: replaces host.cpus (0 = keep) */
	uint64_t memory; /* `run --mem`: replaces host.memory (0 = keep) */
	bool no_files;   /* never touch the file system (fuzzing): images count as 1 byte */
	/*
	 * RAM of the machine QEMU will run on, in bytes (resolve_host_ram()):
	 * host memory (host.memory, --mem, or the automatic figure) above it is
	 * refused, since QEMU cannot allocate it. 0 = do not check (ls,
	 * console, fuzzing: nothing is started).
	 */
	uint64_t host_ram;
	/*
	 * The architecture of the hypervisor the configuration goes to, when the
	 * tool knows it (`vm create` asks the daemon): the default for host.arch,
	 * and a host.arch that differs is an error. NULL = unknown (riscv64 default).
	 */
	const char *arch;
};

/* This machine's physical RAM in bytes (sysconf), or 0 if unknown. */
uint64_t resolve_host_ram(void);

/* Resolve and check m in place. Returns 0, or -1 with the first error in d. */
int resolve_model(struct model *m, const struct resolve_opts *o, struct diag *d);

/*
 * Whether the VMs of m fit in host_mem bytes of host RAM with a boot
 * bundle of bundle bytes, modelling where QEMU and the hypervisor place
 * things (guest RAM is one contiguous block per VM). Pure.
 */
bool resolve_placement_fits(const struct model *m, uint64_t host_mem, uint64_t bundle);

#endif
