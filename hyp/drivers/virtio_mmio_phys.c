// SPDX-License-Identifier: MIT
/* Physical virtio-mmio transport, modern interface, one synchronous queue. */
#include "drivers/virtio_mmio_phys.h"
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
#define REG_DESC_HI       0x084
#define REG_DRIVER_LO     0x090
#define REG_DRIVER_HI     0x094
#define REG_DEVICE_LO     0x0a0
#define REG_DEVICE_HI     0x0a4
#define REG_CONFIG        0x100

#define MAGIC_VIRT     0x74726976U
#define ST_ACK         1U
#define ST_DRIVER      2U
#define ST_DRIVER_OK   4U
#define ST_FEATURES_OK 8U
#define ST_FAILED      128U
#define F_VERSION_1_HI 1U /* feature bit 32: word 1, bit 0 */

#define DESC_F_NEXT  1U
#define DESC_F_WRITE 2U

#define SUBMIT_TIMEOUT_NS 5000000000ULL

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VPHYS_QSIZE];
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vq_used_elem ring[VPHYS_QSIZE];
};

static uint32_t rd(const struct vphys_dev *d, unsigned off)
{
	return *(volatile uint32_t *)(d->base + off);
}

static void wr(const struct vphys_dev *d, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(d->base + off) = v;
}

static struct vq_desc *ring_desc(const struct vphys_dev *d)
{
	return d->ring_mem;
}

static struct vq_avail *ring_avail(const struct vphys_dev *d)
{
	return (struct vq_avail *)((uint8_t *)d->ring_mem + PAGE_SIZE);
}

static struct vq_used *ring_used(const struct vphys_dev *d)
{
	return (struct vq_used *)((uint8_t *)d->ring_mem + 2 * PAGE_SIZE);
}

static void wr64(const struct vphys_dev *d, unsigned lo, uint64_t v)
{
	wr(d, lo, (uint32_t)v);
	wr(d, lo + 4, (uint32_t)(v >> 32));
}

int vphys_probe(struct vphys_dev *d, uintptr_t base)
{
	memset(d, 0, sizeof(*d));
	d->base = base;
	spin_init(&d->lock);
	if (rd(d, REG_MAGIC) != MAGIC_VIRT)
		return -FV_ENOENT;
	d->device_id = rd(d, REG_DEVICE_ID);
	if (d->device_id == 0)
		return -FV_ENOENT;
	if (rd(d, REG_VERSION) != 2)
		return -FV_ENOTSUP;
	wr(d, REG_STATUS, 0); /* reset */
	wr(d, REG_STATUS, ST_ACK);
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER);
	wr(d, REG_DEV_FEAT_SEL, 1);
	if (!(rd(d, REG_DEV_FEAT) & F_VERSION_1_HI)) {
		wr(d, REG_STATUS, ST_FAILED);
		return -FV_ENOTSUP;
	}
	/* Only VERSION_1: no event index, no indirect, no device-specific features. */
	wr(d, REG_DRV_FEAT_SEL, 0);
	wr(d, REG_DRV_FEAT, 0);
	wr(d, REG_DRV_FEAT_SEL, 1);
	wr(d, REG_DRV_FEAT, F_VERSION_1_HI);
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(rd(d, REG_STATUS) & ST_FEATURES_OK)) {
		wr(d, REG_STATUS, ST_FAILED);
		return -FV_ENOTSUP;
	}
	wr(d, REG_QUEUE_SEL, 0);
	uint32_t max = rd(d, REG_QUEUE_NUM_MAX);
	if (max == 0 || rd(d, REG_QUEUE_READY) != 0) {
		wr(d, REG_STATUS, ST_FAILED);
		return -FV_EIO;
	}
	d->qsize = (uint16_t)(max < VPHYS_QSIZE ? max : VPHYS_QSIZE);
	hpa_t pa;
	if (mem_alloc_pages(3, 1, &pa) != 0)
		return -FV_ENOMEM;
	d->ring_mem = mem_phys_to_virt(pa);
	memset(d->ring_mem, 0, 3 * PAGE_SIZE);
	wr(d, REG_QUEUE_NUM, d->qsize);
	wr64(d, REG_DESC_LO, pa);
	wr64(d, REG_DRIVER_LO, pa + PAGE_SIZE);
	wr64(d, REG_DEVICE_LO, pa + 2 * PAGE_SIZE);
	wr(d, REG_QUEUE_READY, 1);
	wr(d, REG_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
	return 0;
}

uint32_t vphys_config_read32(const struct vphys_dev *d, unsigned offset)
{
	return rd(d, REG_CONFIG + offset);
}

long vphys_submit(struct vphys_dev *d, const struct vphys_seg *segs, unsigned nsegs)
{
	if (nsegs == 0 || nsegs > d->qsize)
		return -FV_EINVAL;
	spin_lock(&d->lock);
	if (d->broken) {
		spin_unlock(&d->lock);
		return -FV_EIO;
	}
	struct vq_desc *desc = ring_desc(d);
	/* One request in flight at a time: the chain always starts at descriptor 0. */
	for (unsigned i = 0; i < nsegs; i++) {
		desc[i].addr = segs[i].addr;
		desc[i].len = segs[i].len;
		desc[i].flags = (uint16_t)((segs[i].device_writes ? DESC_F_WRITE : 0) |
		                           (i + 1 < nsegs ? DESC_F_NEXT : 0));
		desc[i].next = (uint16_t)(i + 1 < nsegs ? i + 1 : 0);
	}
	struct vq_avail *avail = ring_avail(d);
	avail->ring[d->avail_idx % d->qsize] = 0;
	/* Descriptors and ring entry must be visible before the index moves. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail->idx = ++d->avail_idx;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr(d, REG_QUEUE_NOTIFY, 0);
	d->requests++;
	struct vq_used *used = ring_used(d);
	uint64_t t0 = time_now_ns();
	long ret = -FV_EIO;
	for (;;) {
		uint16_t idx = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
		if (idx != d->last_used) {
			ret = (long)used->ring[d->last_used % d->qsize].len;
			d->last_used++;
			break;
		}
		if (time_now_ns() - t0 > SUBMIT_TIMEOUT_NS) {
			/* The chain may still be in use: never reuse the ring. */
			pr_err("virtio-mmio@0x%lx: request timed out; device disabled",
			       (unsigned long)d->base);
			d->broken = true;
			break;
		}
		arch_cpu_relax();
	}
	/* We poll; acknowledge whatever the device signalled. */
	uint32_t is = rd(d, REG_INT_STATUS);
	if (is)
		wr(d, REG_INT_ACK, is);
	if (ret < 0)
		d->errors++;
	spin_unlock(&d->lock);
	return ret;
}
