/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_HOSTDEV_H
#define FV_CORE_HOSTDEV_H

/*
 * The machine's physical virtio-mmio devices (QEMU's virtio-mmio slots
 * stand in for real disks and NICs), probed once at boot and handed to
 * their single owner: a VM's virtio-blk (a disk) or a virtual switch's
 * uplink (a NIC). The configuration parser guarantees that no slot has two
 * owners; hostdev_claim() enforces it again at run time.
 */
#include "lib/types.h"
#include "core/platform.h"

struct vblk_phys;
struct vnet_phys;

enum hostdev_kind {
	HOSTDEV_NONE = 0, /* empty slot or not probed */
	HOSTDEV_DISK,
	HOSTDEV_NIC,
	HOSTDEV_OTHER,  /* a device type Ferrovisor has no driver for */
	HOSTDEV_BROKEN, /* probe failed (legacy device, refused features ...) */
};

/* Probe every virtio-mmio slot of @p and print one line per populated slot. */
void hostdev_probe(const struct platform *p);

/*
 * Take ownership of slot @slot as a disk / NIC for @owner (a name kept for
 * messages). Returns the driver instance, or NULL (with *why set to a
 * reason fit for a log line) if the slot is empty, of another kind or
 * already owned.
 */
struct vblk_phys *hostdev_claim_disk(unsigned slot, const char *owner, const char **why);
struct vnet_phys *hostdev_claim_nic(unsigned slot, const char *owner, const char **why);

/* Base address of the slot's registers (for messages); 0 if no such slot. */
uint64_t hostdev_base(unsigned slot);

#endif
