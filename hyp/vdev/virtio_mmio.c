/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio version 2 transport, device side (VIRTIO 1.2 §4.2). Register
 * semantics and the device status / feature negotiation rules are described
 * in virtio_mmio.h; the queues themselves live in virtq.c.
 */
#include "vdev/virtio_mmio.h"
#include "lib/string.h"

#define LOW32  0xffffffffULL
#define HIGH32 (LOW32 << 32)

/* Status bits the driver may set (DEVICE_NEEDS_RESET is the device's). */
#define DRIVER_STATUS_BITS                                                                         \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |              \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED)

static unsigned nqueues(const struct virtio_mmio *t)
{
	return MIN(t->nqueues, VIRTIO_MMIO_MAX_QUEUES);
}

static struct virtq *selected_queue(struct virtio_mmio *t)
{
	return t->queue_sel < nqueues(t) ? &t->vq[t->queue_sel] : NULL;
}

static void irq_sync(struct virtio_mmio *t)
{
	bool level = t->isr != 0;

	if (level == t->irq_level)
		return;
	t->irq_level = level;
	if (t->host && t->host->irq_update)
		t->host->irq_update(t->host_ctx, level);
}

static bool info_valid(const struct virtio_dev_info *info)
{
	return info && info->device_id != 0 && info->nqueues >= 1 &&
	       info->nqueues <= VIRTIO_MMIO_MAX_QUEUES && info->queue_max >= 1 &&
	       info->queue_max <= VIRTQ_SIZE_MAX &&
	       (info->queue_max & (info->queue_max - 1)) == 0 &&
	       info->config_size <= VIRTIO_MMIO_CONFIG_MAX;
}

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_info *info,
                     const struct virtio_dev_ops *ops, void *ctx,
                     const struct virtio_mmio_host *host, void *host_ctx)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->ctx = ctx;
	t->host = host;
	t->host_ctx = host_ctx;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		virtq_init(&t->vq[i], host ? host->gpa_to_hva : NULL, host_ctx);
		virtq_set_dirty(&t->vq[i], host ? host->dirty : NULL);
	}
	if (!info_valid(info))
		return -FV_EINVAL;
	t->device_id = info->device_id;
	t->nqueues = info->nqueues;
	t->queue_max = info->queue_max;
	t->config_size = info->config_size;
	/* A version 2 (non-legacy) device always offers VIRTIO_F_VERSION_1. */
	t->device_features = info->features | VIRTIO_FEAT(VIRTIO_F_VERSION_1);
	return 0;
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->driver_features = 0;
	t->dev_features_sel = 0;
	t->drv_features_sel = 0;
	t->queue_sel = 0;
	t->isr = 0;
	/* spec §4.2.2.1: reset clears InterruptStatus and every QueueReady */
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->vq[i]);
	if (t->ops && t->ops->reset)
		t->ops->reset(t->ctx);
	irq_sync(t);
}

struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned idx)
{
	return idx < nqueues(t) ? &t->vq[idx] : NULL;
}

bool virtio_mmio_running(const struct virtio_mmio *t)
{
	return (t->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(t->status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_DEVICE_NEEDS_RESET));
}

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit)
{
	return (t->status & VIRTIO_STATUS_FEATURES_OK) && bit < 64 &&
	       (t->driver_features & (1ULL << bit)) != 0;
}

void virtio_mmio_used_irq(struct virtio_mmio *t)
{
	/* No used buffer notifications before DRIVER_OK (spec §3.1.2). */
	if (!(t->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	t->isr |= VIRTIO_MMIO_INT_VRING;
	irq_sync(t);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_gen++;
	if (!(t->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	t->isr |= VIRTIO_MMIO_INT_CONFIG;
	irq_sync(t);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
	if (t->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		return;
	t->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	/* spec §2.1.2: with DRIVER_OK, tell the driver by a config change */
	if (t->status & VIRTIO_STATUS_DRIVER_OK) {
		t->isr |= VIRTIO_MMIO_INT_CONFIG;
		irq_sync(t);
	}
}

/* spec §2.2.1 / §3.1.1: may FEATURES_OK be accepted for these features? */
static bool features_acceptable(const struct virtio_mmio *t)
{
	uint64_t f = t->driver_features;

	if (f & ~t->device_features)
		return false;
	if (!(f & VIRTIO_FEAT(VIRTIO_F_VERSION_1)))
		return false;
	if (t->ops && t->ops->features_ok && !t->ops->features_ok(t->ctx, f))
		return false;
	return true;
}

static void notify_queue(struct virtio_mmio *t, unsigned idx)
{
	if (idx < nqueues(t) && virtio_mmio_running(t) && virtq_is_ready(&t->vq[idx]) && t->ops &&
	    t->ops->notify)
		t->ops->notify(t->ctx, idx);
}

static void write_status(struct virtio_mmio *t, uint32_t val)
{
	uint32_t add;

	if (val == 0) {
		virtio_mmio_reset(t);
		return;
	}
	val &= 0xffu; /* the status is a byte; higher bits are ignored */
	/* The driver never clears bits (spec §2.1.1): only additions count. */
	add = val & DRIVER_STATUS_BITS & ~t->status;
	if ((add & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(t))
		add &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((add & VIRTIO_STATUS_DRIVER_OK) && !((t->status | add) & VIRTIO_STATUS_FEATURES_OK))
		add &= ~VIRTIO_STATUS_DRIVER_OK;
	t->status |= add;
	/* Buffers may have been made available before DRIVER_OK: look now. */
	if (add & VIRTIO_STATUS_DRIVER_OK) {
		for (unsigned i = 0; i < nqueues(t); i++)
			notify_queue(t, i);
	}
}

static void queue_ready(struct virtio_mmio *t, struct virtq *q, uint32_t val)
{
	uint64_t f = t->driver_features & t->device_features;

	if (!(val & 1u)) {
		virtq_disable(q);
		return;
	}
	if (q->ready)
		return;
	if (virtq_enable(q, q->size, q->desc_gpa, q->avail_gpa, q->used_gpa,
	                 (uint16_t)MIN(t->queue_max, VIRTQ_SIZE_MAX),
	                 (f & VIRTIO_FEAT(VIRTIO_F_EVENT_IDX)) != 0,
	                 (f & VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC)) != 0))
		virtio_mmio_needs_reset(t);
}

static void set_half(uint64_t *reg, bool high, uint32_t val)
{
	if (high)
		*reg = (*reg & LOW32) | (uint64_t)val << 32;
	else
		*reg = (*reg & HIGH32) | val;
}

static uint32_t read_reg(struct virtio_mmio *t, uint32_t off)
{
	struct virtq *q = selected_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->dev_features_sel > 1)
			return 0;
		return (uint32_t)(t->device_features >> (32 * t->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return t->isr;
	case VIRTIO_MMIO_STATUS:
		return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		/* No shared memory regions: length -1, base ~0 (spec §4.2.2). */
		return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_gen;
	default:
		/* write-only, reserved, legacy and QueueReset (no RING_RESET) */
		return 0;
	}
}

static void write_reg(struct virtio_mmio *t, uint32_t off, uint32_t val)
{
	struct virtq *q = selected_queue(t);
	/* spec §4.2.2.3: queue layout registers only while not ready */
	struct virtq *idle = (q && !q->ready) ? q : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Frozen once FEATURES_OK was accepted. */
		if (!(t->status & VIRTIO_STATUS_FEATURES_OK) && t->drv_features_sel <= 1)
			set_half(&t->driver_features, t->drv_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Oversized values become 0, which virtq_enable() refuses. */
		if (idle)
			idle->size = val <= 0xffffu ? (uint16_t)val : 0;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (q)
			queue_ready(t, q, val);
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Without VIRTIO_F_NOTIFICATION_DATA the value is the index. */
		notify_queue(t, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		t->isr &= ~val;
		irq_sync(t);
		break;
	case VIRTIO_MMIO_STATUS:
		write_status(t, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (idle)
			set_half(&idle->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		if (idle)
			set_half(&idle->avail_gpa, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		if (idle)
			set_half(&idle->used_gpa, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH, val);
		break;
	default:
		/* read-only, reserved, legacy, SHMSel and QueueReset */
		break;
	}
}

/* Config space: any width 1/2/4/8 at any offset, little-endian. */
static void config_access(struct virtio_mmio *t, uint32_t off, unsigned width, bool write,
                          uint64_t *val)
{
	uint32_t size = t->config_size;
	uint8_t buf[8] = {0};
	uint32_t n;

	if (size > VIRTIO_MMIO_CONFIG_MAX)
		size = VIRTIO_MMIO_CONFIG_MAX;

	if (off >= size) {
		if (!write)
			*val = 0;
		return;
	}
	n = MIN((uint32_t)width, size - off);
	if (write) {
		for (unsigned i = 0; i < n; i++)
			buf[i] = (uint8_t)(*val >> (8 * i));
		if (t->ops && t->ops->config_write)
			t->ops->config_write(t->ctx, off, buf, n);
		return;
	}
	if (t->ops && t->ops->config_read)
		t->ops->config_read(t->ctx, off, buf, n);
	*val = 0;
	for (unsigned i = 0; i < width; i++)
		*val |= (uint64_t)buf[i] << (8 * i);
}

/* Common access checks; returns 0 or the error for virtio_mmio_read/write. */
static int check_access(uint64_t offset, unsigned width)
{
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -FV_EINVAL;
	if (offset >= VIRTIO_MMIO_SIZE || width > VIRTIO_MMIO_SIZE - offset)
		return -FV_ERANGE;
	if (offset < VIRTIO_MMIO_CONFIG && (width != 4 || (offset & 3u)))
		return -FV_EINVAL;
	return 0;
}

int virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned width, uint64_t *val)
{
	int ret = check_access(offset, width);

	*val = 0;
	if (ret)
		return ret;
	if (offset >= VIRTIO_MMIO_CONFIG)
		config_access(t, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), width, false, val);
	else
		*val = read_reg(t, (uint32_t)offset);
	return 0;
}

int virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned width, uint64_t val)
{
	int ret = check_access(offset, width);

	if (ret)
		return ret;
	if (offset >= VIRTIO_MMIO_CONFIG)
		config_access(t, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), width, true, &val);
	else
		write_reg(t, (uint32_t)offset, (uint32_t)val);
	return 0;
}
