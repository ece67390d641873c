/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_HOSTDEV_H
#define FV_CORE_HOSTDEV_H

/*
 * The machine's physical virtio-mmio devices (QEMU's virtio-mmio slots
 * stand in for real disks and NICs), probed once at boot and handed to
 * their owners: a NIC to a virtual switch (its uplink), a disk to one VM
 * disk or, sliced, to several VM disks that each get their own range of
 * its sectors. The configuration parser guarantees that no slot has two
 * owners unless they are non-overlapping slices of one disk;
 * hostdev_claim_*() enforce it again at run time, disks against their real
 * size.
 *
 * Concurrency: probe and claims run on the boot CPU while VMs and switches
 * are created, before any other CPU starts; no lock. The drivers handed
 * out are safe to use from any CPU (hyp/drivers).
 */
#include "lib/types.h"
#include "core/platform.h"

struct vblk_phys;
struct vnet_phys;
struct vcon_phys;

enum hostdev_kind {
	HOSTDEV_NONE = 0, /* empty slot or not probed */
	HOSTDEV_DISK,
	HOSTDEV_NIC,
	HOSTDEV_OTHER,   /* a device type Ferrovisor has no driver for */
	HOSTDEV_BROKEN,  /* probe failed (legacy device, refused features ...) */
	HOSTDEV_CONSOLE, /* virtio console: the hypervisor's gdb channel */
};

/* Probe every virtio-mmio slot of @p and print one line per populated slot. */
void hostdev_probe(const struct platform *p);

/*
 * Take sectors start .. start + *sectors - 1 of the disk in slot @slot for
 * @owner (a name kept for messages). *sectors 0 means to the end of the
 * disk, and (0, 0) the whole disk, which no other claim may share. Every
 * other claim is a slice: it must lie inside the disk and overlap no other
 * claim of the slot (config_slice_resolve(), config_sectors_overlap()).
 * Returns the driver instance with *sectors resolved, or NULL with *why
 * set to a reason fit for a log line (the slot is empty, of another kind,
 * the slice is outside the disk or already owned). *why may point to a
 * buffer that the next claim overwrites.
 */
struct vblk_phys *hostdev_claim_disk(unsigned slot, const char *owner, uint64_t start,
                                     uint64_t *sectors, const char **why);

/*
 * Give back the claim hostdev_claim_disk(slot, owner, start, ...) made (same owner pointer and
 * start), e.g. when the VM's creation fails after it; a later claim may take the range.
 * Boot CPU, like the claims. No-op if there is no such claim.
 */
void hostdev_release_disk(unsigned slot, const char *owner, uint64_t start);

/* Take the NIC in slot @slot for @owner; NULL with *why as above if it cannot be had. */
struct vnet_phys *hostdev_claim_nic(unsigned slot, const char *owner, const char **why);

/*
 * One line per physical disk (slot, size, number of claims) and one per claim (owner and
 * sectors), for the shell's `disks`. The claims only change on the boot CPU before the
 * shell runs, so no lock.
 */
void hostdev_describe_disks(void (*out)(const char *line));

/*
 * Take the first unowned physical virtio console for @owner (the gdb
 * channel); NULL if the machine has none. Boot CPU, like the other claims.
 */
struct vcon_phys *hostdev_claim_console(const char *owner);

/*
 * Finish requests the disks' interrupts have not (yet) reported: the
 * polling fallback, and all there is for a disk without an interrupt. Any
 * CPU, no lock held (completions take VM device locks); the console tick.
 */
void hostdev_poll_disks(void);

/*
 * Take the physical virtio console in slot @slot for @owner (the dump channel, whose slot
 * the bundle names); NULL if that slot holds no free console. Boot CPU, before
 * hostdev_claim_console() so the gdb channel gets the other console.
 */
struct vcon_phys *hostdev_claim_console_slot(unsigned slot, const char *owner);

/* The slot's interrupt line on the host interrupt controller; 0 if none or no such slot. */
uint32_t hostdev_irq(unsigned slot);

#endif
