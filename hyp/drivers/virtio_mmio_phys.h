/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_VIRTIO_MMIO_PHYS_H
#define FV_DRIVERS_VIRTIO_MMIO_PHYS_H

/*
 * Driver for physical virtio-mmio devices (VIRTIO 1.2 §4.2, version 2
 * "modern" register layout; QEMU needs -global virtio-mmio.force-legacy=false).
 * One split virtqueue per device, driven synchronously: the caller submits a
 * descriptor chain and polls the used ring. Buffers are host physical
 * addresses (the hypervisor is identity-mapped), so guest RAM can be the
 * DMA target directly.
 */
#include "lib/types.h"
#include "core/spinlock.h"

#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2
#define VPHYS_QSIZE     64

struct vphys_seg {
	hpa_t addr;
	uint32_t len;
	bool device_writes; /* VIRTQ_DESC_F_WRITE */
};

struct vphys_dev {
	uintptr_t base;
	uint32_t device_id;
	uint16_t qsize;
	uint16_t avail_idx;
	uint16_t last_used;
	void *ring_mem;       /* desc table, avail and used rings (one page each) */
	struct spinlock lock; /* serialises requests on this device */
	uint64_t requests, errors;
	bool broken; /* a request timed out: no further use */
};

/*
 * Probe a virtio-mmio slot: 0 with the device reset, negotiated (VERSION_1
 * only) and queue 0 live; -FV_ENOENT if the slot is empty (DeviceID 0),
 * -FV_ENOTSUP for legacy (version 1) devices or refused features.
 */
int vphys_probe(struct vphys_dev *d, uintptr_t base);
/* Read device config space (little-endian as on RISC-V). */
uint32_t vphys_config_read32(const struct vphys_dev *d, unsigned offset);
/*
 * Submit one chain (readable segments first, then device-writable ones)
 * on queue 0 and wait for its completion. Returns bytes the device wrote,
 * or a negative fv_err (-FV_EIO on a device error or timeout).
 */
long vphys_submit(struct vphys_dev *d, const struct vphys_seg *segs, unsigned nsegs);

#endif
