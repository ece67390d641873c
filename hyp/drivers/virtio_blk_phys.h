/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_BLK_PHYS_H
#define FV_DRIVERS_VIRTIO_BLK_PHYS_H

/*
 * Physical virtio-blk disk (VIRTIO 1.2 §5.2) on one synchronous virtio-mmio
 * queue (queue 0, driven with vphys_submit()). Sector size 512; no
 * device-specific features are negotiated. Data moves by DMA straight
 * to/from host physical buffers (for guests: their RAM), no bounce copy.
 *
 * Concurrency: any CPU may call; requests run one at a time (b->lock). A
 * request blocks its CPU until the device completes it, at most
 * VPHYS_TIMEOUT_NS; after a timeout the disk is broken and every request
 * fails with -FV_EIO at once.
 */
#include "drivers/virtio_mmio_phys.h"

#define VBLK_SECTOR  512ULL
#define VBLK_F_FLUSH 9
/* Data pieces per vectored request: the queue holds VPHYS_QSIZE descriptors with header and status.
 */
#define VBLK_MAX_VEC (VPHYS_QSIZE - 2)

/* One piece of a vectored transfer: host physical buffer, a multiple of 512 bytes. */
struct vblk_vec {
	hpa_t addr;
	uint32_t len;
};

struct vblk_phys {
	struct vphys_dev dev;
	uint64_t capacity;    /* sectors */
	struct spinlock lock; /* serialises requests: protects dma */
	void *dma;            /* one page: request header and status byte */
};

/*
 * Bring up the disk at a virtio-mmio slot. Boot CPU, before the disk is
 * shared. 0, -FV_ENOENT if the slot is empty or not a block device, else
 * the errors of vphys_init().
 */
int vblk_phys_init(struct vblk_phys *b, uintptr_t base);
/*
 * Read or write len bytes (multiple of 512, at most 2 GiB) at sector
 * from/to host physical memory buf. Checks the range against the disk.
 * 0 or -FV_EIO / -FV_ERANGE / -FV_EINVAL.
 */
int vblk_phys_rw(struct vblk_phys *b, bool write, uint64_t sector, hpa_t buf, uint64_t len);
/*
 * As vblk_phys_rw for @n (1..VBLK_MAX_VEC) pieces forming one contiguous
 * range of sectors from @sector, in a single device request.
 */
int vblk_phys_rwv(struct vblk_phys *b, bool write, uint64_t sector, const struct vblk_vec *v,
                  unsigned n);
/* Make completed writes durable (VIRTIO_BLK_T_FLUSH). 0 or -FV_EIO. */
int vblk_phys_flush(struct vblk_phys *b);

#endif
