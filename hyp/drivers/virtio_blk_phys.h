/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_BLK_PHYS_H
#define FV_DRIVERS_VIRTIO_BLK_PHYS_H

/*
 * Physical virtio-blk disk (VIRTIO 1.2 §5.2) on the synchronous virtio-mmio
 * transport. Sector size 512. Data moves by DMA straight to/from host
 * physical buffers (for guests: their RAM), no bounce copy.
 */
#include "drivers/virtio_mmio_phys.h"

#define VBLK_SECTOR 512ULL

struct vblk_phys {
	struct vphys_dev dev;
	uint64_t capacity; /* sectors */
	void *dma;         /* one page: request header and status byte */
};

/* Bring up the disk at a virtio-mmio slot; -FV_ENOENT if it is not a block device. */
int vblk_phys_init(struct vblk_phys *b, uintptr_t base);
/*
 * Read or write len bytes (multiple of 512) at sector from/to host
 * physical memory buf. Checks the range against the disk. 0 or -FV_EIO /
 * -FV_ERANGE / -FV_EINVAL.
 */
int vblk_phys_rw(struct vblk_phys *b, bool write, uint64_t sector, hpa_t buf, uint64_t len);
/* Make completed writes durable (VIRTIO_BLK_T_FLUSH). */
int vblk_phys_flush(struct vblk_phys *b);

#endif
