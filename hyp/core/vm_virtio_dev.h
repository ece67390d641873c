/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VM_VIRTIO_DEV_H
#define FV_CORE_VM_VIRTIO_DEV_H

/*
 * A VM's virtio device as the VM layer holds it: shared by vm_virtio.c (the
 * devices at run time) and snap_virtio.c (their state in snapshots) only.
 */
#include "core/spinlock.h"
#include "core/vm_virtio.h"
#include "core/vnet.h"
#include "drivers/virtio_blk_phys.h"
#include "vdev/virtio_blk.h"
#include "vdev/virtio_console.h"
#include "vdev/virtio_net.h"

enum vdev_kind {
	VDEV_BLK = VM_VIRTIO_KIND_BLK,
	VDEV_NET = VM_VIRTIO_KIND_NET,
	VDEV_CONSOLE = VM_VIRTIO_KIND_CONSOLE,
	VDEV_CONTROL = VM_VIRTIO_KIND_CONTROL, /* the service VM's control channel (ctl.c) */
};

struct vm_vdev {
	struct spinlock lock; /* serialises the device model */
	struct vm *vm;
	enum vdev_kind kind;
	unsigned index; /* j: window and interrupt */
	uint32_t irq;
	gpa_t base;
	char name[16]; /* "vda", ... for messages */
	bool backlog;  /* budget ran out: vm_virtio_service() continues */
	bool frozen;   /* a snapshot is being taken: no guest RAM written (snap_virtio.c) */
	union {
		struct {
			struct virtio_blk dev;
			struct virtio_blk_backend be;
			struct vblk_phys *phys;
			struct vblk_client client; /* this device's requests on phys */
			unsigned slot;
			uint64_t start;   /* first sector of the slice on phys */
			uint64_t sectors; /* sectors of the slice = the device's capacity */
			bool sliced;      /* a slice, not the whole disk */
		} blk;
		struct {
			struct virtio_net dev;
			struct vnet_port port;
			bool port_up;
		} net;
		struct virtio_console con; /* VDEV_CONSOLE and VDEV_CONTROL */
	} u;
};

/* The device's virtio-mmio transport. */
struct virtio_mmio *vm_vdev_transport(struct vm_vdev *d);

/*
 * Stop (@frozen) or restart the device's traffic into guest RAM while its VM is saved: a NIC's
 * switch port is disabled (frames to it dropped), console input waits. The VM is paused, so
 * the guest itself writes nothing. Takes the device lock; no lock held.
 */
void vm_vdev_freeze(struct vm_vdev *d, bool frozen);
/*
 * After a restore (or a save): reconnect the NIC's port if its driver runs and have the
 * first vCPU process every queue once (buffers made available before the save). No lock held.
 */
void vm_vdev_kick(struct vm_vdev *d);
/*
 * A NIC whose driver runs announces its MAC on its switch (a broadcast RARP
 * frame from it, vswitch_rarp_frame): the switch, the uplink and the bridges
 * behind it learn where the VM is now. After a restore or an incoming
 * migration; no-op for other devices, a stopped driver or a frozen device.
 * No device lock held.
 */
void vm_vdev_announce(struct vm_vdev *d);

#endif
