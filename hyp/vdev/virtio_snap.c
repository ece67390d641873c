// SPDX-License-Identifier: MIT
/*
 * virtio-mmio transport and split-queue state as bytes (contract in
 * virtio_snap.h; layout in docs/snapshot-format.md, section DEVICE).
 *
 * Transport head (48 bytes): device ID, queue count, status, interrupt
 * status, config generation, queue selector, device and driver feature
 * selectors (u32 each), offered features, negotiated features (u64 each).
 * Queue (48 bytes each, VIRTIO_MMIO_MAX_QUEUES of them, unused ones zero):
 * descriptor, driver and device area addresses (u64), size, flags,
 * last_avail, used_idx, signal_used (u16), reserved u16, unsignalled (u32),
 * reserved (u32).
 */
#include "vdev/virtio_snap.h"
#include "lib/fv_err.h"
#include "lib/string.h"

_Static_assert(VIRTIO_SNAP_HEAD == 48 && VIRTIO_SNAP_QUEUE == 48, "layout of the doc");

#define STATUS_KNOWN                                                                               \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |              \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED)
#define ISR_KNOWN (VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG)

void virtio_snap_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void virtio_snap_put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void virtio_snap_put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t virtio_snap_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t virtio_snap_get32(const uint8_t *p)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

uint64_t virtio_snap_get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static unsigned nq(const struct virtio_mmio *t)
{
	return t->nqueues < VIRTIO_MMIO_MAX_QUEUES ? t->nqueues : VIRTIO_MMIO_MAX_QUEUES;
}

bool virtio_snap_quiet(const struct virtio_mmio *t)
{
	for (unsigned i = 0; i < nq(t); i++)
		if (t->vq[i].inflight ||
		    (virtq_is_ready(&t->vq[i]) && t->vq[i].last_avail != t->vq[i].used_idx))
			return false;
	return true;
}

void virtio_snap_put(const struct virtio_mmio *t, uint8_t *p)
{
	memset(p, 0, VIRTIO_SNAP_LEN);
	virtio_snap_put32(p, t->device_id);
	virtio_snap_put32(p + 4, nq(t));
	virtio_snap_put32(p + 8, t->status);
	virtio_snap_put32(p + 12, t->isr);
	virtio_snap_put32(p + 16, t->config_gen);
	virtio_snap_put32(p + 20, t->queue_sel);
	virtio_snap_put32(p + 24, t->dev_features_sel);
	virtio_snap_put32(p + 28, t->drv_features_sel);
	virtio_snap_put64(p + 32, t->device_features);
	virtio_snap_put64(p + 40, t->driver_features);
	for (unsigned i = 0; i < nq(t); i++) {
		const struct virtq *q = &t->vq[i];
		uint8_t *e = p + VIRTIO_SNAP_HEAD + i * VIRTIO_SNAP_QUEUE;
		virtio_snap_put64(e, q->desc_gpa);
		virtio_snap_put64(e + 8, q->avail_gpa);
		virtio_snap_put64(e + 16, q->used_gpa);
		virtio_snap_put16(e + 24, q->size);
		virtio_snap_put16(e + 26, (uint16_t)((q->ready ? VIRTIO_SNAP_Q_READY : 0) |
		                                     (q->event_idx ? VIRTIO_SNAP_Q_EVENT_IDX : 0) |
		                                     (q->indirect ? VIRTIO_SNAP_Q_INDIRECT : 0) |
		                                     (q->broken ? VIRTIO_SNAP_Q_BROKEN : 0)));
		virtio_snap_put16(e + 28, q->last_avail);
		virtio_snap_put16(e + 30, q->used_idx);
		virtio_snap_put16(e + 32, q->signal_used);
		virtio_snap_put32(e + 36, q->unsignalled);
	}
}

static bool zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The transport head against the device this build made; NULL or why not. */
static const char *check_head(const struct virtio_mmio *t, const uint8_t *p)
{
	uint32_t status = virtio_snap_get32(p + 8);
	uint64_t drv = virtio_snap_get64(p + 40);
	if (virtio_snap_get32(p) != t->device_id || virtio_snap_get32(p + 4) != nq(t))
		return "not the same kind of device";
	if (virtio_snap_get64(p + 32) != t->device_features)
		return "offered features differ from this build's device";
	if (status & ~STATUS_KNOWN)
		return "unknown status bits";
	if (virtio_snap_get32(p + 12) & ~ISR_KNOWN)
		return "unknown interrupt status bits";
	if (drv & ~t->device_features)
		return "negotiated features the device does not offer";
	/* spec §3.1.1: FEATURES_OK needs VERSION_1, DRIVER_OK needs FEATURES_OK. */
	if ((status & VIRTIO_STATUS_FEATURES_OK) && !(drv & VIRTIO_FEAT(VIRTIO_F_VERSION_1)))
		return "FEATURES_OK without VIRTIO_F_VERSION_1";
	if ((status & VIRTIO_STATUS_DRIVER_OK) && !(status & VIRTIO_STATUS_FEATURES_OK))
		return "DRIVER_OK without FEATURES_OK";
	return NULL;
}

/* Queue @i of the encoding into t->vq[i]; NULL or why not (the queue then reset). */
static const char *load_queue(struct virtio_mmio *t, unsigned i, const uint8_t *e)
{
	struct virtq *q = &t->vq[i];
	uint16_t size = virtio_snap_get16(e + 24), flags = virtio_snap_get16(e + 26);
	uint16_t last = virtio_snap_get16(e + 28), used = virtio_snap_get16(e + 30);
	bool ev = flags & VIRTIO_SNAP_Q_EVENT_IDX, ind = flags & VIRTIO_SNAP_Q_INDIRECT;
	if ((flags & ~VIRTIO_SNAP_Q_KNOWN) || virtio_snap_get16(e + 34) ||
	    virtio_snap_get32(e + 40) || virtio_snap_get32(e + 44))
		return "queue: unknown flags or reserved bits set";
	if (size > t->queue_max)
		return "queue: size above QueueNumMax";
	if ((flags & VIRTIO_SNAP_Q_READY) && (flags & VIRTIO_SNAP_Q_BROKEN))
		return "queue: ready and broken";
	virtq_reset(q);
	q->size = size;
	q->desc_gpa = virtio_snap_get64(e);
	q->avail_gpa = virtio_snap_get64(e + 8);
	q->used_gpa = virtio_snap_get64(e + 16);
	if (flags & VIRTIO_SNAP_Q_BROKEN) {
		/* Stays broken (no guest memory touched) until the driver resets it. */
		q->broken = true;
		q->error = VIRTQ_ERR_RING;
		return NULL;
	}
	if (!(flags & VIRTIO_SNAP_Q_READY))
		return last || used || ev || ind ? "queue: indices or flags on a queue not ready"
		                                 : NULL;
	/* What the queue does with the negotiated features is the transport's (QueueReady). */
	if (ev != virtio_mmio_has_feature(t, VIRTIO_F_EVENT_IDX) ||
	    ind != virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC))
		return "queue: event-index / indirect flags differ from the negotiated features";
	if (!(t->status & VIRTIO_STATUS_FEATURES_OK))
		return "queue: ready before FEATURES_OK";
	/* Nothing in flight: a save waits until the device returned every chain. */
	if (last != used)
		return "queue: a chain is in flight (last_avail != used_idx)";
	/* Power of two, <= QueueNumMax, rings aligned and inside the VM's RAM. */
	if (virtq_enable(q, size, q->desc_gpa, q->avail_gpa, q->used_gpa, (uint16_t)t->queue_max,
	                 ev, ind))
		return "queue: size or ring addresses invalid (outside RAM, misaligned)";
	q->last_avail = last;
	q->used_idx = used;
	q->signal_used = virtio_snap_get16(e + 32);
	q->unsignalled = virtio_snap_get32(e + 36);
	return NULL;
}

int virtio_snap_get(struct virtio_mmio *t, const uint8_t *p, const char **why)
{
	*why = check_head(t, p);
	if (*why)
		return -FV_EINVAL;
	/* The queue checks need the negotiated features and status in place. */
	t->status = virtio_snap_get32(p + 8);
	t->driver_features = virtio_snap_get64(p + 40);
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES && !*why; i++) {
		const uint8_t *e = p + VIRTIO_SNAP_HEAD + i * VIRTIO_SNAP_QUEUE;
		if (i >= nq(t))
			*why =
			    zero(e, VIRTIO_SNAP_QUEUE) ? NULL : "a queue the device does not have";
		else
			*why = load_queue(t, i, e);
	}
	if (*why) {
		t->status = 0;
		t->driver_features = 0;
		for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
			virtq_reset(&t->vq[i]);
		return -FV_EINVAL;
	}
	t->isr = virtio_snap_get32(p + 12);
	t->config_gen = virtio_snap_get32(p + 16);
	t->queue_sel = virtio_snap_get32(p + 20);
	t->dev_features_sel = virtio_snap_get32(p + 24);
	t->drv_features_sel = virtio_snap_get32(p + 28);
	return 0;
}
