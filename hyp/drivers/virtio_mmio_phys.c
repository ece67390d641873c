// SPDX-License-Identifier: MIT
/*
 * Physical virtio-mmio transport, modern interface (VIRTIO 1.2 §4.2), with
 * several split virtqueues (§2.7) per device.
 */
#include "drivers/virtio_mmio_phys.h"
#include "arch/barrier.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/timer.h"
#include "lib/string.h"

#define REG_MAGIC         0x000
#define REG_VERSION       0x004
#define REG_DEVICE_ID     0x008
#define REG_DEV_FEAT      0x010
#define REG_DEV_FEAT_SEL  0x014
#define REG_DRV_FEAT      0x020
#define REG_DRV_FEAT_SEL  0x024
#define REG_QUEUE_SEL     0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM     0x038
#define REG_QUEUE_READY   0x044
#define REG_QUEUE_NOTIFY  0x050
#define REG_INT_STATUS    0x060
#define REG_INT_ACK       0x064
#define REG_STATUS        0x070
#define REG_DESC_LO       0x080
#define REG_DRIVER_LO     0x090
#define REG_DEVICE_LO     0x0a0
#define REG_CONFIG_GEN    0x0fc
#define REG_CONFIG        0x100

#define MAGIC_VIRT     0x74726976U
#define ST_ACK         1U
#define ST_DRIVER      2U
#define ST_DRIVER_OK   4U
#define ST_FEATURES_OK 8U
#define ST_FAILED      128U

#define DESC_F_NEXT          1U
#define DESC_F_WRITE         2U
#define AVAIL_F_NO_INTERRUPT 1U /* §2.7.7 */
#define USED_F_NO_NOTIFY     1U /* §2.7.10 */
#define NO_DESC              VPHYS_QSIZE
#define CONFIG_GEN_RETRIES   100

/* Ordering between the CPU and a DMA-ing device (the notify is an MMIO write). */
#define dma_mb()  arch_dma_mb()
#define dma_wmb() arch_dma_wmb()
#define dma_rmb() arch_dma_rmb()

/* Ring layouts, VIRTIO 1.2 §2.7.5, §2.7.6, §2.7.8 (little-endian host). */
struct vphys_vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vphys_vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vphys_vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[];
};

/* One block per queue: descriptor table, then available ring, then used ring (4-aligned). */
#define AVAIL_OFF(n)  (16UL * (n))
#define USED_OFF(n)   ALIGN_UP(AVAIL_OFF(n) + 6 + 2UL * (n), 4)
#define RING_BYTES(n) (USED_OFF(n) + 6 + 8UL * (n))
#define RING_PAGES(n) (ALIGN_UP(RING_BYTES(n), PAGE_SIZE) / PAGE_SIZE)

static uint32_t rd(const struct vphys_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct vphys_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static void wr64(const struct vphys_dev *d, unsigned lo, uint64_t v)
{
	wr(d, lo, (uint32_t)v);
	wr(d, lo + 4, (uint32_t)(v >> 32));
}

/* Device-written ring fields: each is loaded exactly once, into a local. */
static uint16_t dma_ld16(const uint16_t *p)
{
	return *(const volatile uint16_t *)p;
}

static uint32_t dma_ld32(const uint32_t *p)
{
	return *(const volatile uint32_t *)p;
}

uint32_t vphys_device_id(uintptr_t base)
{
	if (*(volatile uint32_t *)(base + REG_MAGIC) != MAGIC_VIRT)
		return 0;
	return *(volatile uint32_t *)(base + REG_DEVICE_ID);
}

bool vphys_is_broken(const struct vphys_dev *d)
{
	return __atomic_load_n(&d->broken, __ATOMIC_ACQUIRE) != 0;
}

void vphys_mark_broken(struct vphys_dev *d, const char *why)
{
	if (__atomic_exchange_n(&d->broken, 1U, __ATOMIC_ACQ_REL))
		return;
	__atomic_fetch_add(&d->errors, 1, __ATOMIC_RELAXED);
	/*
	 * Reset so a device that still listens stops DMA into buffers its
	 * callers will reuse. The rings stay allocated: a device that ignores
	 * the reset may still write them.
	 */
	wr(d, REG_STATUS, 0);
	pr_err("virtio-mmio@0x%lx: %s; device disabled", (unsigned long)d->base, why);
}

/* §2.4.2: a driver-initiated reset is complete when Status reads 0. */
static int reset_device(const struct vphys_dev *d)
{
	wr(d, REG_STATUS, 0);
	for (uint64_t t0 = time_now_ns(); rd(d, REG_STATUS) != 0;) {
		if (time_now_ns() - t0 > VPHYS_TIMEOUT_NS)
			return -FV_EIO;
		arch_cpu_relax();
	}
	return 0;
}

static void free_queues(struct vphys_dev *d)
{
	for (unsigned i = 0; i < VPHYS_MAX_QUEUES; i++) {
		struct vphys_queue *vq = &d->q[i];
		if (vq->desc)
			mem_free_pages((hpa_t)(uintptr_t)vq->desc, RING_PAGES(vq->size));
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		vq->size = 0;
	}
	d->nr_queues = 0;
}

static int setup_queue(struct vphys_dev *d, unsigned idx)
{
	struct vphys_queue *vq = &d->q[idx];
	wr(d, REG_QUEUE_SEL, idx);
	if (rd(d, REG_QUEUE_READY) != 0)
		return -FV_EIO;
	uint32_t max = rd(d, REG_QUEUE_NUM_MAX);
	if (max == 0)
		return -FV_ENOTSUP;
	/* Split rings need a power of two (§2.7); the index arithmetic below relies on it. */
	uint16_t size = 1;
	while (size * 2U <= VPHYS_QSIZE && size * 2U <= max)
		size = (uint16_t)(size * 2U);
	hpa_t pa;
	if (mem_alloc_pages(RING_PAGES(size), 1, &pa) != 0)
		return -FV_ENOMEM;
	uint8_t *mem = mem_phys_to_virt(pa);
	memset(mem, 0, RING_PAGES(size) * PAGE_SIZE);
	vq->size = size;
	vq->desc = (struct vphys_vq_desc *)mem;
	vq->avail = (struct vphys_vq_avail *)(mem + AVAIL_OFF(size));
	vq->used = (struct vphys_vq_used *)(mem + USED_OFF(size));
	/* Pollers want no used-buffer interrupts; interrupt-driven users turn them on. */
	vq->avail->flags = AVAIL_F_NO_INTERRUPT;
	for (uint16_t i = 0; i < size; i++)
		vq->next[i] = (uint16_t)(i + 1 < size ? i + 1 : NO_DESC);
	vq->free_head = 0;
	vq->num_free = size;
	wr(d, REG_QUEUE_NUM, size);
	wr64(d, REG_DESC_LO, pa);
	wr64(d, REG_DRIVER_LO, pa + AVAIL_OFF(size));
	wr64(d, REG_DEVICE_LO, pa + USED_OFF(size));
	dma_mb(); /* ring contents before the device may look at them */
	wr(d, REG_QUEUE_READY, 1);
	return 0;
}

static int negotiate(struct vphys_dev *d, uint64_t features)
{
	wr(d, REG_DEV_FEAT_SEL, 0);
	uint64_t offered = rd(d, REG_DEV_FEAT);
	wr(d, REG_DEV_FEAT_SEL, 1);
	offered |= (uint64_t)rd(d, REG_DEV_FEAT) << 32;
	if (!(offered & VPHYS_F_VERSION_1))
		return -FV_ENOTSUP;
	/* No event index, no indirect descriptors, no packed ring: VERSION_1 only of 24..40. */
	uint64_t want = (features & ~VPHYS_F_TRANSPORT) | VPHYS_F_VERSION_1;
	d->features = offered & want;
	wr(d, REG_DRV_FEAT_SEL, 0);
	wr(d, REG_DRV_FEAT, (uint32_t)d->features);
	wr(d, REG_DRV_FEAT_SEL, 1);
	wr(d, REG_DRV_FEAT, (uint32_t)(d->features >> 32));
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd(d, REG_STATUS) & ST_FEATURES_OK))
		return -FV_ENOTSUP;
	return 0;
}

int vphys_init(struct vphys_dev *d, uintptr_t base, uint32_t device_id, uint64_t features,
               unsigned nr_queues)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	/* Unusable until fully up: a caller that ignores our error still fails fast. */
	d->broken = 1;
	for (unsigned i = 0; i < VPHYS_MAX_QUEUES; i++)
		spin_init(&d->q[i].lock);
	if (nr_queues == 0 || nr_queues > VPHYS_MAX_QUEUES)
		return -FV_EINVAL;
	if (rd(d, REG_MAGIC) != MAGIC_VIRT)
		return -FV_ENOENT;
	d->device_id = rd(d, REG_DEVICE_ID);
	if (d->device_id == 0 || d->device_id != device_id)
		return -FV_ENOENT;
	if (rd(d, REG_VERSION) != 2)
		return -FV_ENOTSUP;
	int ret = reset_device(d);
	if (ret)
		goto fail;
	wr(d, REG_STATUS, ST_ACK);
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER);
	ret = negotiate(d, features);
	if (ret)
		goto fail;
	for (unsigned i = 0; i < nr_queues; i++) {
		ret = setup_queue(d, i);
		if (ret)
			goto fail;
		d->nr_queues = i + 1;
	}
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	d->broken = 0;
	return 0;
fail:
	/* Reset first, so the device no longer looks at rings we free. */
	if (reset_device(d) == 0)
		free_queues(d);
	wr(d, REG_STATUS, ST_FAILED);
	return ret;
}

void vphys_shutdown(struct vphys_dev *d)
{
	/* A device that does not reset may still DMA: then its rings are leaked, not freed. */
	if (reset_device(d) == 0)
		free_queues(d);
	d->broken = 1;
}

uint8_t vphys_config_read8(const struct vphys_dev *d, unsigned offset)
{
	return *(volatile uint8_t *)(d->base + REG_CONFIG + offset);
}

uint16_t vphys_config_read16(const struct vphys_dev *d, unsigned offset)
{
	return *(volatile uint16_t *)(d->base + REG_CONFIG + offset);
}

uint32_t vphys_config_read32(const struct vphys_dev *d, unsigned offset)
{
	return rd(d, REG_CONFIG + offset);
}

void vphys_config_read(const struct vphys_dev *d, unsigned offset, void *buf, size_t len)
{
	uint8_t *p = buf;
	/* Bounded: a device whose generation never settles gets the last copy. */
	for (unsigned tries = 0; tries < CONFIG_GEN_RETRIES; tries++) {
		uint32_t gen = rd(d, REG_CONFIG_GEN);
		for (size_t i = 0; i < len; i++)
			p[i] = vphys_config_read8(d, offset + (unsigned)i);
		if (rd(d, REG_CONFIG_GEN) == gen)
			break;
	}
}

static struct vphys_queue *queue(struct vphys_dev *d, unsigned q)
{
	return q < d->nr_queues ? &d->q[q] : NULL;
}

void vphys_set_interrupts(struct vphys_dev *d, unsigned q, bool on)
{
	struct vphys_queue *vq = queue(d, q);
	if (!vq || !vq->avail)
		return;
	spin_lock(&vq->lock);
	vq->avail->flags = on ? 0 : AVAIL_F_NO_INTERRUPT;
	dma_mb(); /* the device reads the flag after its next used-ring update */
	spin_unlock(&vq->lock);
}

/* §2.7.4.2: readable segments before writable ones; the writable total must fit a used len. */
static bool segs_ok(const struct vphys_queue *vq, const struct vphys_seg *segs, unsigned nsegs)
{
	if (nsegs == 0 || nsegs > vq->size)
		return false;
	bool writable = false;
	uint64_t wcap = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		if (segs[i].len == 0 || (writable && !segs[i].device_writes))
			return false;
		writable = segs[i].device_writes;
		if (writable)
			wcap += segs[i].len;
	}
	return wcap <= UINT32_MAX;
}

/* Queue lock held, device not broken, segments checked. */
static int post_locked(struct vphys_queue *vq, const struct vphys_seg *segs, unsigned nsegs,
                       uint16_t *head)
{
	if (nsegs > vq->num_free)
		return -FV_EAGAIN;
	uint16_t h = vq->free_head, cur = h;
	uint32_t wcap = 0;
	for (unsigned i = 0; i < nsegs; i++) {
		struct vphys_vq_desc *ds = &vq->desc[cur];
		bool more = i + 1 < nsegs;
		ds->addr = segs[i].addr;
		ds->len = segs[i].len;
		ds->flags = (uint16_t)((segs[i].device_writes ? DESC_F_WRITE : 0) |
		                       (more ? DESC_F_NEXT : 0));
		ds->next = more ? vq->next[cur] : 0;
		if (segs[i].device_writes)
			wcap += segs[i].len;
		/* The chain keeps its links in next[] until it is freed. */
		cur = vq->next[cur];
	}
	vq->free_head = cur;
	vq->num_free = (uint16_t)(vq->num_free - nsegs);
	vq->chain_len[h] = (uint16_t)nsegs;
	vq->wcap[h] = wcap;
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = h;
	dma_wmb(); /* descriptors and ring slot before the index (§2.7.13) */
	vq->avail_idx++;
	*(volatile uint16_t *)&vq->avail->idx = vq->avail_idx;
	vq->posted++;
	*head = h;
	return 0;
}

static void notify_queue(struct vphys_dev *d, struct vphys_queue *vq, unsigned q)
{
	/* The new avail->idx must be visible before we read used->flags and kick (§2.7.13.4). */
	dma_mb();
	if (!(dma_ld16(&vq->used->flags) & USED_F_NO_NOTIFY))
		wr(d, REG_QUEUE_NOTIFY, q);
}

/* Queue lock held. 1 harvested, 0 nothing, -FV_EIO on a protocol violation. */
static int harvest_locked(struct vphys_dev *d, struct vphys_queue *vq, uint16_t *head,
                          uint32_t *len)
{
	uint16_t idx = dma_ld16(&vq->used->idx);
	if (idx == vq->last_used)
		return 0;
	if ((uint16_t)(idx - vq->last_used) > vq->size) {
		vphys_mark_broken(d, "used index ran past the ring");
		return -FV_EIO;
	}
	dma_rmb(); /* the entry after the index that published it (§2.7.14) */
	struct vq_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	uint32_t id = dma_ld32(&e->id);
	uint32_t l = dma_ld32(&e->len);
	if (id >= vq->size || vq->chain_len[id] == 0) {
		vphys_mark_broken(d, "used ring returned a descriptor that is not in flight");
		return -FV_EIO;
	}
	if (l > vq->wcap[id]) {
		vphys_mark_broken(d, "used length exceeds the buffer");
		return -FV_EIO;
	}
	uint16_t last = (uint16_t)id;
	for (unsigned i = 1; i < vq->chain_len[id]; i++)
		last = vq->next[last];
	vq->next[last] = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->num_free = (uint16_t)(vq->num_free + vq->chain_len[id]);
	vq->chain_len[id] = 0;
	vq->last_used++;
	vq->completed++;
	*head = (uint16_t)id;
	*len = l;
	return 1;
}

int vphys_post(struct vphys_dev *d, unsigned q, const struct vphys_seg *segs, unsigned nsegs,
               uint16_t *head)
{
	struct vphys_queue *vq = queue(d, q);
	if (!vq || !segs_ok(vq, segs, nsegs))
		return -FV_EINVAL;
	spin_lock(&vq->lock);
	int ret = vphys_is_broken(d) ? -FV_EIO : post_locked(vq, segs, nsegs, head);
	spin_unlock(&vq->lock);
	return ret;
}

bool vphys_has_used(struct vphys_dev *d, unsigned q)
{
	struct vphys_queue *vq = queue(d, q);
	if (!vq || vphys_is_broken(d))
		return false;
	/* Racy on last_used (owned by vq->lock): a stale answer only costs the caller one look. */
	return dma_ld16(&vq->used->idx) != __atomic_load_n(&vq->last_used, __ATOMIC_RELAXED);
}

uint32_t vphys_ack_interrupt(struct vphys_dev *d)
{
	if (vphys_is_broken(d))
		return 0;
	uint32_t is = rd(d, REG_INT_STATUS);
	if (is)
		wr(d, REG_INT_ACK, is);
	return is;
}

void vphys_notify(struct vphys_dev *d, unsigned q)
{
	struct vphys_queue *vq = queue(d, q);
	if (vq && !vphys_is_broken(d))
		notify_queue(d, vq, q);
}

void vphys_kick_always(struct vphys_dev *d, unsigned q)
{
	if (queue(d, q) && !vphys_is_broken(d)) {
		dma_mb();
		wr(d, REG_QUEUE_NOTIFY, q);
	}
}

int vphys_harvest(struct vphys_dev *d, unsigned q, uint16_t *head, uint32_t *len)
{
	struct vphys_queue *vq = queue(d, q);
	if (!vq)
		return -FV_EINVAL;
	spin_lock(&vq->lock);
	int ret = vphys_is_broken(d) ? -FV_EIO : harvest_locked(d, vq, head, len);
	spin_unlock(&vq->lock);
	return ret;
}
