/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VIRTIO_SNAP_H
#define FV_VDEV_VIRTIO_SNAP_H

/*
 * The guest-visible state of a virtio-mmio transport and its split queues
 * as bytes, for VM snapshots (docs/snapshot-format.md, section DEVICE):
 * registers (status, negotiated features, selectors, interrupt status,
 * config generation) and per queue its size, readiness, ring addresses and
 * device-side indices. Pure (no hypervisor state), shared by the hypervisor
 * and the host unit tests.
 *
 * The saver only takes quiesced devices (no chain popped and not yet
 * returned); the loader refuses anything else. A snapshot is hostile input:
 * virtio_snap_get() checks every value against the device as this build
 * creates it (same device ID, queue count and offered features) and the
 * VM's RAM (ready queues go through virtq_enable(): sizes a power of two
 * and at most QueueNumMax, rings aligned and inside RAM) before it changes
 * anything but the transport it was given.
 */
#include "lib/types.h"
#include "vdev/virtio_mmio.h"

#define VIRTIO_SNAP_HEAD  48u /* transport registers */
#define VIRTIO_SNAP_QUEUE 48u /* one queue */
#define VIRTIO_SNAP_LEN   (VIRTIO_SNAP_HEAD + VIRTIO_MMIO_MAX_QUEUES * VIRTIO_SNAP_QUEUE)

/* Queue flags in the encoding */
#define VIRTIO_SNAP_Q_READY     0x1u
#define VIRTIO_SNAP_Q_EVENT_IDX 0x2u
#define VIRTIO_SNAP_Q_INDIRECT  0x4u
#define VIRTIO_SNAP_Q_BROKEN    0x8u
#define VIRTIO_SNAP_Q_KNOWN     0xfu

/* Little-endian field helpers (also for the callers' own fields). */
void virtio_snap_put16(uint8_t *p, uint16_t v);
void virtio_snap_put32(uint8_t *p, uint32_t v);
void virtio_snap_put64(uint8_t *p, uint64_t v);
uint16_t virtio_snap_get16(const uint8_t *p);
uint32_t virtio_snap_get32(const uint8_t *p);
uint64_t virtio_snap_get64(const uint8_t *p);

/*
 * Whether @t has nothing in flight: no queue holds a chain popped and not yet
 * returned to the driver (what a save requires). Pure.
 */
bool virtio_snap_quiet(const struct virtio_mmio *t);

/* Encode @t into @p (VIRTIO_SNAP_LEN bytes). The caller serialises access to @t. */
void virtio_snap_put(const struct virtio_mmio *t, uint8_t *p);

/*
 * Load @p (VIRTIO_SNAP_LEN bytes) into @t, a transport initialised for the
 * same kind of device and not in use by a guest yet. Every field is checked
 * first; on error @t is left reset and *why says what was wrong. Does not
 * touch guest memory and calls no callback (the interrupt line is the
 * caller's: virtio_mmio_irq_pending() tells its level). 0 or -FV_EINVAL.
 */
int virtio_snap_get(struct virtio_mmio *t, const uint8_t *p, const char **why);

#endif
