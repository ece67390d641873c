/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_MMIO_PHYS_H
#define FV_DRIVERS_VIRTIO_MMIO_PHYS_H

/*
 * Driver side of physical virtio-mmio devices (VIRTIO 1.2 §4.2, version 2
 * "modern" register layout; QEMU needs -global virtio-mmio.force-legacy=false)
 * with up to VPHYS_MAX_QUEUES split virtqueues (§2.7) per device.
 *
 * A queue is driven asynchronously: vphys_post() adds chains without
 * waiting, vphys_notify() kicks the device once for a batch, and
 * vphys_harvest() takes completed chains (head id, bytes written) without
 * blocking (NIC, console, and the disk with many requests in flight).
 *
 * Buffers are host physical addresses (the hypervisor is identity-mapped),
 * so guest RAM can be the DMA target directly. Queues start with used-buffer
 * interrupts suppressed (VIRTQ_AVAIL_F_NO_INTERRUPT) for pollers;
 * interrupt-driven users turn them on (vphys_set_interrupts).
 *
 * The device is not trusted blindly: all driver bookkeeping (free list,
 * chain lengths, writable capacity) lives outside the DMA-visible rings, and
 * a used entry with an unknown id, a length beyond the chain's writable
 * capacity or a used index that jumps past the ring marks the device broken.
 * So does a driver that sees the device stall (vphys_mark_broken). A broken
 * device is never touched again (its chains may still be in use): every
 * later call fails fast with -FV_EIO.
 *
 * Concurrency: each queue has its own lock (any CPU may call any function;
 * calls on one queue serialise, calls on different queues do not). The
 * broken flag is shared and accessed atomically. Nothing here sleeps; the
 * hypervisor runs with interrupts masked; no call here waits for the device.
 */
#include "lib/types.h"
#include "core/spinlock.h"

#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2

#define VPHYS_QSIZE      256 /* descriptors per queue at most (power of two) */
#define VPHYS_MAX_QUEUES 4
#define VPHYS_TIMEOUT_NS 5000000000ULL

/* Feature bits (VIRTIO 1.2 §6) as masks for struct vphys_dev.features. */
#define VPHYS_FEAT(bit)   (1ULL << (bit))
#define VPHYS_F_VERSION_1 VPHYS_FEAT(32)
/* Bits 24..40 belong to the transport and ring layout; this driver implements none but VERSION_1.
 */
#define VPHYS_F_TRANSPORT (((1ULL << 41) - 1) & ~((1ULL << 24) - 1))

struct vphys_seg {
	hpa_t addr;
	uint32_t len;       /* > 0 */
	bool device_writes; /* VIRTQ_DESC_F_WRITE */
};

struct vphys_vq_desc;
struct vphys_vq_avail;
struct vphys_vq_used;

struct vphys_queue {
	struct spinlock lock; /* protects this queue: rings and every field below */
	uint16_t size;        /* descriptors, a power of two; 0 = queue not set up */
	uint16_t avail_idx;   /* next avail->idx we publish */
	uint16_t last_used;   /* next used entry to harvest */
	uint16_t free_head;   /* first free descriptor (VPHYS_QSIZE = none) */
	uint16_t num_free;
	struct vphys_vq_desc *desc; /* ring memory (DMA, one block) */
	struct vphys_vq_avail *avail;
	struct vphys_vq_used *used;
	/* Private shadow of the descriptor links: the device may scribble the DMA copy. */
	uint16_t next[VPHYS_QSIZE];
	uint16_t chain_len[VPHYS_QSIZE]; /* per head in flight: descriptors; 0 = not a head */
	uint32_t wcap[VPHYS_QSIZE];      /* per head in flight: device-writable bytes */
	uint64_t posted, completed;      /* chains */
};

struct vphys_dev {
	uintptr_t base;
	uint32_t device_id;
	uint64_t features; /* negotiated, VPHYS_F_VERSION_1 included */
	unsigned nr_queues;
	uint32_t broken; /* atomic 0/1, word-sized for AMOs: timed out or broke the protocol */
	uint64_t errors; /* atomic: requests that failed on the device side */
	struct vphys_queue q[VPHYS_MAX_QUEUES];
};

/*
 * DeviceID of the virtio-mmio slot at base without touching its state: 0 if
 * the slot is empty or not virtio-mmio at all. Any CPU, any time.
 */
uint32_t vphys_device_id(uintptr_t base);

/*
 * Bring up the device at base as described in VIRTIO 1.2 §3.1.1: reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues 0..nr_queues-1, DRIVER_OK.
 * Accepts VERSION_1 plus the bits of `features` the device offers (bits
 * 24..40 other than VERSION_1 are never accepted); the result is in
 * d->features, so the caller checks for bits it requires. Boot CPU, before
 * the device is shared. Errors: -FV_ENOENT if the slot is empty or holds
 * another device type than device_id (the device is then left untouched),
 * -FV_ENOTSUP for a legacy device, no VERSION_1, refused features or a
 * missing queue, -FV_EINVAL for a bad nr_queues, -FV_ENOMEM, -FV_EIO if the
 * device does not reset. On error the device is left reset (or FAILED),
 * nothing stays allocated and d counts as broken, so any later call on it
 * fails with -FV_EIO.
 */
int vphys_init(struct vphys_dev *d, uintptr_t base, uint32_t device_id, uint64_t features,
               unsigned nr_queues);

/*
 * Reset the device (it stops all DMA) and free the ring memory; d is broken
 * afterwards. For error paths of drivers and device hand-back; nobody may
 * use d concurrently. A device that does not reset keeps its rings (leaked).
 */
void vphys_shutdown(struct vphys_dev *d);

/* True once the device timed out or broke the protocol. Any CPU. */
bool vphys_is_broken(const struct vphys_dev *d);
/* Mark the device broken (a driver saw it stall); prints why once. Any CPU. */
void vphys_mark_broken(struct vphys_dev *d, const char *why);

/*
 * Device configuration space (little-endian, as is RISC-V). The 8-, 16- and
 * 32-bit reads are single accesses; vphys_config_read() copies len bytes
 * and retries until ConfigGeneration is stable (§4.2.2.2), as needed for
 * fields wider than 32 bits. Any CPU.
 */
uint8_t vphys_config_read8(const struct vphys_dev *d, unsigned offset);
uint16_t vphys_config_read16(const struct vphys_dev *d, unsigned offset);
uint32_t vphys_config_read32(const struct vphys_dev *d, unsigned offset);
void vphys_config_read(const struct vphys_dev *d, unsigned offset, void *buf, size_t len);

/*
 * Add one chain (device-readable segments first, then device-writable ones;
 * each len > 0) to queue q's available ring without notifying the device.
 * *head receives the chain's head id, which vphys_harvest() returns on
 * completion. Errors: -FV_EINVAL (bad queue or segments), -FV_EAGAIN (not
 * enough free descriptors now), -FV_EIO (device broken).
 */
int vphys_post(struct vphys_dev *d, unsigned q, const struct vphys_seg *segs, unsigned nsegs,
               uint16_t *head);

/*
 * Tell the device that queue q has new chains (after one or more
 * vphys_post()), unless the device asked not to be notified (§2.7.10).
 */
void vphys_notify(struct vphys_dev *d, unsigned q);

/* Notify the device of queue q even if it asked not to be (recovery from a stall). */
void vphys_kick_always(struct vphys_dev *d, unsigned q);

/*
 * Take one completed chain from queue q without waiting: 1 with *head and
 * *len (bytes the device wrote, at most the chain's writable capacity), 0 if
 * none is complete, -FV_EIO if the device is (or just proved) broken, or
 * -FV_EINVAL for a bad queue. The chain's descriptors are free again on
 * return; its buffers belong to the caller.
 */
int vphys_harvest(struct vphys_dev *d, unsigned q, uint16_t *head, uint32_t *len);

/*
 * Whether queue @q's used ring holds entries not harvested yet: a peek
 * without the queue lock, for pollers that want to skip the lock when the
 * device has finished nothing (false for a broken device or a bad queue).
 */
bool vphys_has_used(struct vphys_dev *d, unsigned q);

/*
 * Acknowledge the device's interrupt (InterruptStatus -> InterruptACK) so its
 * level line drops; returns the status bits that were set (0 if none or the
 * device is broken). For interrupt-driven users.
 */
uint32_t vphys_ack_interrupt(struct vphys_dev *d);

/*
 * Ask for (@on) or suppress used-buffer interrupts of queue @q (the
 * avail->flags hint of §2.7.7; queues start suppressed, as pollers want).
 */
void vphys_set_interrupts(struct vphys_dev *d, unsigned q, bool on);

#endif
