/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the emulated virtio-blk device (hyp/vdev/virtio_blk.c) on
 * the virtio-mmio transport and split virtqueues, driven through MMIO by a
 * fake guest driver that builds rings the way Linux's virtio_ring does (free
 * list, indirect tables for multi-segment requests, event index for kicks
 * and interrupts), over a RAM-disk backend that fails the test on any
 * out-of-range access.
 *
 * Covered: probe and config space, read/write/flush/get-id round trips under
 * every feature combination, arbitrary descriptor framing (split header,
 * segments that are not sector multiples, data and status in one buffer),
 * request errors (range, overflow, length, type, read-only, backend errors,
 * no status byte), durability without negotiated FLUSH, interrupt and kick
 * suppression, hostile rings (device error state, recovery by reset), reset
 * with requests in flight, the per-call work budget, and a 1M-operation
 * fuzzer of ring memory and registers in one VM while a second VM does
 * verified I/O: no access may leave the hostile VM's RAM (guard pages and a
 * canary area of the neighbour's RAM right behind it) or its disk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vdev/virtio_blk.h"

#define RAM_BASE  0x80000000ULL
#define RAM_SIZE  (2u << 20)
#define GUARD     4096u
#define QMAX      256u
#define IND_SLOTS 16u /* indirect descriptors per request */

/* Guest layout, relative to a driver's area: rings, pools, then data. */
#define L_DESC   0x0000u
#define L_AVAIL  0x1000u
#define L_USED   0x2000u
#define L_IND    0x3000u /* QMAX tables of IND_SLOTS descriptors */
#define L_HDR    0x13000u
#define L_STATUS 0x14000u
#define L_DATA   0x20000u
#define AREA_LEN 0x80000u

#define F(bit) VIRTIO_FEAT(bit)
#define ALL_FEATURES                                                                               \
	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) |               \
	 F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE))

/* ---- one fake VM: RAM, RAM disk, device, driver ---- */

struct ramdisk {
	uint8_t *data;
	uint64_t sectors;
	unsigned reads, writes, flushes, vecs;
	int fail;       /* next backend call returns this */
	int fail_flush; /* next flush returns this */
};

struct drv {
	uint64_t area; /* GPA of the driver's rings and buffers */
	uint16_t qsize;
	bool event_idx, indirect;
	uint16_t free_head, num_free, avail_shadow, last_used, added;
	uint16_t next[QMAX];
	uint16_t ndesc[QMAX];
	bool busy[QMAX], done[QMAX];
	uint32_t used_len[QMAX];
	unsigned kicks, irqs, bogus;
};

struct vm {
	uint8_t *ram;
	struct ramdisk disk;
	struct virtio_blk_backend be;
	struct virtio_blk blk;
	struct drv d;
	bool level;
	unsigned raises;
};

struct sg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

static uint8_t *map_base;
static size_t map_len;
static struct vm vma, vmb; /* vmb's RAM follows vma's directly in host memory */

static void *vm_xlate(void *ctx, uint64_t gpa, uint64_t len)
{
	struct vm *vm = ctx;

	if (gpa < RAM_BASE)
		return NULL;
	uint64_t off = gpa - RAM_BASE;
	if (off >= RAM_SIZE || len > RAM_SIZE - off)
		return NULL;
	return vm->ram + off;
}

static void vm_irq(void *ctx, bool level)
{
	struct vm *vm = ctx;

	assert_int_not_equal(level, vm->level);
	vm->level = level;
	vm->raises += level;
}

static const struct virtio_mmio_host host_ops = {.gpa_to_hva = vm_xlate, .irq_update = vm_irq};

static void check_range(const struct ramdisk *d, uint64_t sector, size_t len)
{
	/* the device must never send the backend outside the disk */
	assert_true(len > 0 && len % 512 == 0);
	assert_true(sector < d->sectors && len / 512 <= d->sectors - sector);
}

static int rd_read(void *ctx, uint64_t sector, void *buf, size_t len)
{
	struct ramdisk *d = ctx;
	int ret = d->fail;

	check_range(d, sector, len);
	d->reads++;
	d->fail = 0;
	if (!ret)
		memcpy(buf, d->data + sector * 512, len);
	return ret;
}

static int rd_write(void *ctx, uint64_t sector, const void *buf, size_t len)
{
	struct ramdisk *d = ctx;
	int ret = d->fail;

	check_range(d, sector, len);
	d->writes++;
	d->fail = 0;
	if (!ret)
		memcpy(d->data + sector * 512, buf, len);
	return ret;
}

/* Vectored backend: one call per request, pieces must be whole sectors and consecutive. */
static int rd_rwv(void *ctx, bool write, uint64_t sector, const struct virtio_blk_vec *v,
                  unsigned n)
{
	struct ramdisk *d = ctx;
	int ret = d->fail;
	size_t total = 0;

	assert_true(n >= 1 && n <= VIRTIO_BLK_SEG_MAX);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(v[i].len % 512, 0);
		total += v[i].len;
	}
	check_range(d, sector, total);
	d->vecs++;
	d->fail = 0;
	for (unsigned i = 0; i < n && !ret; i++) {
		if (write)
			memcpy(d->data + sector * 512, v[i].buf, v[i].len);
		else
			memcpy(v[i].buf, d->data + sector * 512, v[i].len);
		sector += v[i].len / 512;
	}
	return ret;
}

static int rd_flush(void *ctx)
{
	struct ramdisk *d = ctx;
	int ret = d->fail ? d->fail : d->fail_flush;

	d->flushes++;
	d->fail = 0;
	d->fail_flush = 0;
	return ret;
}

static uint8_t *hva(struct vm *vm, uint64_t gpa)
{
	return vm->ram + (gpa - RAM_BASE);
}

static void w16(struct vm *vm, uint64_t gpa, uint16_t v)
{
	memcpy(hva(vm, gpa), &v, 2);
}

static uint16_t r16(struct vm *vm, uint64_t gpa)
{
	uint16_t v;
	memcpy(&v, hva(vm, gpa), 2);
	return v;
}

static uint32_t r32(struct vm *vm, uint64_t gpa)
{
	uint32_t v;
	memcpy(&v, hva(vm, gpa), 4);
	return v;
}

static uint32_t mrd(struct vm *vm, uint32_t off)
{
	uint64_t v;
	assert_int_equal(virtio_mmio_read(&vm->blk.mmio, off, 4, &v), 0);
	return (uint32_t)v;
}

static void mwr(struct vm *vm, uint32_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(&vm->blk.mmio, off, 4, v), 0);
}

static void vm_create(struct vm *vm, uint8_t *ram, uint64_t sectors, bool ro, const char *id)
{
	vm->ram = ram;
	free(vm->disk.data);
	memset(&vm->disk, 0, sizeof(vm->disk));
	vm->disk.data = calloc(sectors, 512);
	assert_non_null(vm->disk.data);
	vm->disk.sectors = sectors;
	vm->be = (struct virtio_blk_backend){
	    .read = rd_read,
	    .write = rd_write,
	    .flush = rd_flush,
	    .capacity_sectors = sectors,
	    .read_only = ro,
	};
	vm->level = false;
	vm->raises = 0;
	assert_int_equal(virtio_blk_init(&vm->blk, &vm->be, &vm->disk, &host_ops, vm, id), 0);
}

static void put_desc(struct vm *vm, uint64_t gpa, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
	uint8_t *p = hva(vm, gpa);
	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

/* ---- the fake driver (modelled on Linux virtio_mmio + virtio_ring) ---- */

static uint64_t drv_gpa(const struct drv *d, uint32_t off)
{
	return d->area + off;
}

/* Probe and set up; returns the negotiated features (0 if refused). */
static uint64_t drv_init(struct vm *vm, uint64_t area, uint16_t qsize, uint64_t want)
{
	struct drv *d = &vm->d;
	uint64_t f;

	memset(d, 0, sizeof(*d));
	d->area = area;
	d->qsize = qsize;
	assert_int_equal(mrd(vm, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	f |= mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	f &= want;
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
	if (!(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return 0;
	memset(hva(vm, area), 0, L_HDR);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX) >= qsize);
	mwr(vm, VIRTIO_MMIO_QUEUE_NUM, qsize);
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)drv_gpa(d, L_DESC));
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(drv_gpa(d, L_DESC) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)drv_gpa(d, L_AVAIL));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(drv_gpa(d, L_AVAIL) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)drv_gpa(d, L_USED));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(drv_gpa(d, L_USED) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	for (unsigned i = 0; i < qsize; i++)
		d->next[i] = (uint16_t)(i + 1);
	d->num_free = qsize;
	d->event_idx = (f & F(VIRTIO_F_EVENT_IDX)) != 0;
	d->indirect = (f & F(VIRTIO_F_INDIRECT_DESC)) != 0;
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	return f;
}

/* Add a buffer (virtqueue_add_split); returns the head or -1 if full. */
static int drv_add(struct vm *vm, const struct sg *sg, unsigned n)
{
	struct drv *d = &vm->d;
	bool ind = d->indirect && n > 1 && n <= IND_SLOTS;
	unsigned need = ind ? 1 : n;
	uint16_t head = d->free_head, i = head;

	if (n == 0 || d->num_free < need)
		return -1;
	if (ind) {
		uint64_t table = drv_gpa(d, L_IND) + 16u * IND_SLOTS * head;
		for (unsigned k = 0; k < n; k++)
			put_desc(vm, table + 16u * k, sg[k].gpa, sg[k].len,
			         (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			                    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			         (uint16_t)(k + 1));
		put_desc(vm, drv_gpa(d, L_DESC) + 16u * head, table, 16u * n, VIRTQ_DESC_F_INDIRECT,
		         0);
		i = d->next[head];
	} else {
		for (unsigned k = 0; k < n; k++) {
			put_desc(vm, drv_gpa(d, L_DESC) + 16u * i, sg[k].gpa, sg[k].len,
			         (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			                    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			         d->next[i]);
			i = d->next[i];
		}
	}
	d->free_head = i;
	d->num_free = (uint16_t)(d->num_free - need);
	d->ndesc[head] = (uint16_t)need;
	d->busy[head] = true;
	d->done[head] = false;
	w16(vm, drv_gpa(d, L_AVAIL) + 4 + 2u * (d->avail_shadow & (d->qsize - 1)), head);
	d->avail_shadow++;
	w16(vm, drv_gpa(d, L_AVAIL) + 2, d->avail_shadow);
	d->added++;
	return head;
}

/* virtqueue_kick_prepare + notify */
static void drv_kick(struct vm *vm)
{
	struct drv *d = &vm->d;
	uint16_t now = d->avail_shadow, old = (uint16_t)(now - d->added);
	bool need;

	d->added = 0;
	if (d->event_idx) {
		uint16_t ev = r16(vm, drv_gpa(d, L_USED) + 4 + 8u * d->qsize);
		need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	} else {
		need = !(r16(vm, drv_gpa(d, L_USED)) & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (need) {
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		d->kicks++;
	}
}

/* Interrupt handler: ack, then virtqueue_get_buf until empty, re-arm. */
static void drv_irq(struct vm *vm)
{
	struct drv *d = &vm->d;

	if (!vm->level)
		return;
	d->irqs++;
	mwr(vm, VIRTIO_MMIO_INTERRUPT_ACK, mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS));
	for (;;) {
		while (d->last_used != r16(vm, drv_gpa(d, L_USED) + 2)) {
			uint64_t e = drv_gpa(d, L_USED) + 4 + 8u * (d->last_used & (d->qsize - 1));
			uint32_t id = r32(vm, e), len = r32(vm, e + 4);
			d->last_used++;
			if (id >= d->qsize || !d->busy[id]) {
				d->bogus++; /* only possible when the guest scribbled */
				continue;
			}
			uint16_t last = (uint16_t)id;
			for (unsigned k = 1; k < d->ndesc[id]; k++)
				last = d->next[last];
			d->next[last] = d->free_head;
			d->free_head = (uint16_t)id;
			d->num_free = (uint16_t)(d->num_free + d->ndesc[id]);
			d->busy[id] = false;
			d->done[id] = true;
			d->used_len[id] = len;
		}
		if (d->event_idx)
			w16(vm, drv_gpa(d, L_AVAIL) + 4 + 2u * d->qsize, d->last_used);
		if (d->last_used == r16(vm, drv_gpa(d, L_USED) + 2))
			break;
	}
}

/* ---- virtio-blk requests ---- */

static int blk_add(struct vm *vm, uint32_t type, uint64_t sector, const struct sg *data, unsigned n,
                   bool split_hdr)
{
	struct drv *d = &vm->d;
	struct sg sg[IND_SLOTS + 2];
	uint64_t hdr = drv_gpa(d, L_HDR) + 16u * d->free_head;
	uint64_t st = drv_gpa(d, L_STATUS) + d->free_head;
	unsigned k = 0;

	memcpy(hva(vm, hdr), &type, 4);
	memset(hva(vm, hdr + 4), 0, 4);
	memcpy(hva(vm, hdr + 8), &sector, 8);
	*hva(vm, st) = 0xee;
	if (split_hdr) {
		sg[k++] = (struct sg){hdr, 8, false};
		sg[k++] = (struct sg){hdr + 8, 8, false};
	} else {
		sg[k++] = (struct sg){hdr, 16, false};
	}
	for (unsigned i = 0; i < n && k < IND_SLOTS + 1; i++)
		sg[k++] = data[i];
	sg[k++] = (struct sg){st, 1, true};
	return drv_add(vm, sg, k);
}

static uint8_t status_of(struct vm *vm, int head)
{
	return *hva(vm, drv_gpa(&vm->d, L_STATUS) + (unsigned)head);
}

/* Submit one request, kick, take the interrupt; returns the status byte. */
static uint8_t blk_do(struct vm *vm, uint32_t type, uint64_t sector, const struct sg *data,
                      unsigned n, uint32_t *used_len)
{
	int head = blk_add(vm, type, sector, data, n, false);

	assert_true(head >= 0);
	drv_kick(vm);
	drv_irq(vm);
	assert_true(vm->d.done[head]);
	if (used_len)
		*used_len = vm->d.used_len[head];
	return status_of(vm, head);
}

static uint64_t data_gpa(struct vm *vm, uint32_t off)
{
	return drv_gpa(&vm->d, L_DATA) + off;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7919) >> 3);
}

static int setup(void **state)
{
	(void)state;
	map_len = GUARD + 2u * RAM_SIZE + GUARD;
	map_base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map_base == MAP_FAILED)
		return -1;
	mprotect(map_base, GUARD, PROT_NONE);
	mprotect(map_base + map_len - GUARD, GUARD, PROT_NONE);
	vm_create(&vma, map_base + GUARD, 256, false, "ferrovisor-disk-0001");
	vm_create(&vmb, map_base + GUARD + RAM_SIZE, 256, false, "vm-b");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(vma.disk.data);
	free(vmb.disk.data);
	vma.disk.data = vmb.disk.data = NULL;
	munmap(map_base, map_len);
	return 0;
}

/* ---- functional tests ---- */

#define AREA (RAM_BASE + 0x100000)

static void test_probe_config(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	uint64_t v;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t f = mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	assert_int_equal(f, ALL_FEATURES);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_BLK_QUEUE_MAX);
	uint32_t gen = mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_BLK_CFG_CAPACITY), 256);
	assert_int_equal(mrd(vm, 0x104 + VIRTIO_BLK_CFG_CAPACITY), 0);
	assert_int_equal(virtio_mmio_read(&vm->blk.mmio, 0x100, 8, &v), 0);
	assert_int_equal(v, 256);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_BLK_CFG_SEG_MAX), VIRTIO_BLK_SEG_MAX);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_BLK_CFG_BLK_SIZE), 512);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_BLK_CFG_SIZE_MAX), 0);
	assert_int_equal(mrd(vm, 0x100 + 92), 0);   /* last word of the struct */
	assert_int_equal(mrd(vm, 0x100 + 0x60), 0); /* beyond it */
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	mwr(vm, 0x100, 0xffffffff); /* config is read-only for blk */
	assert_int_equal(mrd(vm, 0x100), 256);
	assert_true(virtio_mmio_running(&vm->blk.mmio));
	/* no read/write callback: refused */
	struct virtio_blk bad;
	struct virtio_blk_backend nobe = {0};
	assert_int_equal(virtio_blk_init(&bad, &nobe, NULL, &host_ops, vm, NULL), -FV_EINVAL);
	assert_int_equal(virtio_blk_init(&bad, NULL, NULL, &host_ops, vm, NULL), -FV_EINVAL);
	assert_int_equal(virtio_mmio_read(&bad.mmio, VIRTIO_MMIO_DEVICE_ID, 4, &v), 0);
	assert_int_equal(v, 0);
}

static void test_rw_roundtrip(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static const uint64_t opt[] = {F(VIRTIO_F_EVENT_IDX), F(VIRTIO_F_INDIRECT_DESC),
	                               F(VIRTIO_BLK_F_FLUSH)};
	uint32_t len;

	for (unsigned combo = 0; combo < 16; combo++) {
		uint64_t want = F(VIRTIO_F_VERSION_1);
		for (unsigned i = 0; i < 3; i++)
			if (combo & (1u << i))
				want |= opt[i];
		uint16_t qsize = (combo & 8) ? 256 : 32;
		assert_int_equal(drv_init(vm, AREA, qsize, want), want);
		unsigned raises = vm->raises;
		fill(hva(vm, data_gpa(vm, 0)), 4096, combo);
		struct sg w = {data_gpa(vm, 0), 4096, false};
		assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 8, &w, 1, &len), VIRTIO_BLK_S_OK);
		assert_int_equal(len, 1);
		assert_memory_equal(vm->disk.data + 8 * 512, hva(vm, data_gpa(vm, 0)), 4096);
		memset(hva(vm, data_gpa(vm, 8192)), 0, 4096);
		struct sg r[2] = {{data_gpa(vm, 8192), 1024, true},
		                  {data_gpa(vm, 9216), 3072, true}};
		assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 8, r, 2, &len), VIRTIO_BLK_S_OK);
		assert_int_equal(len, 4097);
		assert_memory_equal(hva(vm, data_gpa(vm, 8192)), hva(vm, data_gpa(vm, 0)), 4096);
		assert_int_equal(vm->raises, raises + 2);
		/* a batch of requests with one kick */
		unsigned kicks = vm->d.kicks;
		int heads[6];
		for (int i = 0; i < 6; i++) {
			struct sg one = {data_gpa(vm, 16384 + 512u * i), 512, true};
			heads[i] = blk_add(vm, VIRTIO_BLK_T_IN, (uint64_t)i, &one, 1, false);
			assert_true(heads[i] >= 0);
		}
		drv_kick(vm);
		drv_irq(vm);
		assert_int_equal(vm->d.kicks, kicks + 1);
		for (int i = 0; i < 6; i++) {
			assert_true(vm->d.done[heads[i]]);
			assert_int_equal(status_of(vm, heads[i]), VIRTIO_BLK_S_OK);
			assert_memory_equal(hva(vm, data_gpa(vm, 16384 + 512u * i)),
			                    vm->disk.data + 512 * i, 512);
		}
		assert_int_equal(vm->d.num_free, qsize);
		assert_int_equal(vm->d.bogus, 0);
	}
}

/* With a vectored backend, a request of whole-sector pieces is one backend call. */
static void test_vectored_backend(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	uint32_t len;

	vm_create(vm, vm->ram, 256, false, "ferrovisor-disk-0001");
	vm->be.rwv = rd_rwv;
	uint64_t want = F(VIRTIO_F_VERSION_1);
	assert_int_equal(drv_init(vm, AREA, 64, want), want);
	fill(hva(vm, data_gpa(vm, 0)), 8192, 7);
	struct sg w[3] = {{data_gpa(vm, 0), 1024, false},
	                  {data_gpa(vm, 1024), 4096, false},
	                  {data_gpa(vm, 5120), 3072, false}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 100, w, 3, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(vm->disk.vecs, 1);
	assert_int_equal(vm->disk.writes, 0);
	assert_memory_equal(vm->disk.data + 100 * 512, hva(vm, data_gpa(vm, 0)), 8192);
	/* Read back into differently split buffers: still one call. */
	memset(hva(vm, data_gpa(vm, 16384)), 0, 8192);
	struct sg r[2] = {{data_gpa(vm, 16384), 512, true}, {data_gpa(vm, 16896), 7680, true}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 100, r, 2, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 8193);
	assert_int_equal(vm->disk.vecs, 2);
	assert_memory_equal(hva(vm, data_gpa(vm, 16384)), hva(vm, data_gpa(vm, 0)), 8192);
	/* A piece that is not whole sectors: the per-segment path with its bounce buffer. */
	memset(hva(vm, data_gpa(vm, 16384)), 0, 8192);
	struct sg o[2] = {{data_gpa(vm, 16384), 700, true}, {data_gpa(vm, 17084), 7492, true}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 100, o, 2, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(vm->disk.vecs, 2);
	assert_true(vm->disk.reads > 0);
	assert_memory_equal(hva(vm, data_gpa(vm, 16384)), hva(vm, data_gpa(vm, 0)), 8192);
	/* Beyond the capacity: refused before the backend is called. */
	struct sg big = {data_gpa(vm, 0), 4096, true};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 254, &big, 1, &len), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vm->disk.vecs, 2);
	/* Backend error: IOERR. */
	vm->disk.fail = -FV_EIO;
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 0, w, 3, &len), VIRTIO_BLK_S_IOERR);
	vm->be.rwv = NULL;
}

static void test_odd_framing(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	uint32_t len;

	drv_init(vm, AREA, 32, ALL_FEATURES & ~F(VIRTIO_F_INDIRECT_DESC));
	/* write through segments that split sectors */
	fill(hva(vm, data_gpa(vm, 0)), 2048, 77);
	struct sg w[5] = {{data_gpa(vm, 0), 100, false},
	                  {data_gpa(vm, 100), 412, false},
	                  {data_gpa(vm, 512), 1000, false},
	                  {data_gpa(vm, 1512), 24, false},
	                  {data_gpa(vm, 1536), 512, false}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 20, w, 5, NULL), VIRTIO_BLK_S_OK);
	assert_memory_equal(vm->disk.data + 20 * 512, hva(vm, data_gpa(vm, 0)), 2048);
	/* read back through other odd segments */
	memset(hva(vm, data_gpa(vm, 4096)), 0, 2048);
	struct sg r[4] = {{data_gpa(vm, 4096), 7, true},
	                  {data_gpa(vm, 4103), 505, true},
	                  {data_gpa(vm, 4608), 1, true},
	                  {data_gpa(vm, 4609), 1535, true}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 20, r, 4, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 2049);
	assert_memory_equal(hva(vm, data_gpa(vm, 4096)), hva(vm, data_gpa(vm, 0)), 2048);
	/* header split in two descriptors */
	struct sg one = {data_gpa(vm, 8192), 512, true};
	int head = blk_add(vm, VIRTIO_BLK_T_IN, 21, &one, 1, true);
	drv_kick(vm);
	drv_irq(vm);
	assert_int_equal(status_of(vm, head), VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(vm, data_gpa(vm, 8192)), vm->disk.data + 21 * 512, 512);
	/* data and status in one buffer; header and data in one buffer */
	uint64_t hdr = data_gpa(vm, 16384), buf = data_gpa(vm, 20480);
	uint32_t type = VIRTIO_BLK_T_IN;
	uint64_t sector = 20;
	memcpy(hva(vm, hdr), &type, 4);
	memcpy(hva(vm, hdr + 8), &sector, 8);
	struct sg sg2[2] = {{hdr, 16, false}, {buf, 513, true}};
	head = drv_add(vm, sg2, 2);
	drv_kick(vm);
	drv_irq(vm);
	assert_int_equal(vm->d.used_len[head], 513);
	assert_int_equal(*hva(vm, buf + 512), VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(vm, buf), vm->disk.data + 20 * 512, 512);
	type = VIRTIO_BLK_T_OUT;
	sector = 30;
	memcpy(hva(vm, hdr), &type, 4);
	memcpy(hva(vm, hdr + 8), &sector, 8);
	fill(hva(vm, hdr + 16), 512, 5);
	struct sg sg3[2] = {{hdr, 16 + 512, false}, {buf, 1, true}};
	head = drv_add(vm, sg3, 2);
	drv_kick(vm);
	drv_irq(vm);
	assert_int_equal(*hva(vm, buf), VIRTIO_BLK_S_OK);
	assert_memory_equal(vm->disk.data + 30 * 512, hva(vm, hdr + 16), 512);
}

static void test_flush_and_id(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	uint32_t len;
	struct sg w = {data_gpa(vm, 0), 512, false};

	drv_init(vm, AREA, 16, ALL_FEATURES);
	unsigned flushes = vm->disk.flushes;
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 1, &w, 1, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(vm->disk.flushes, flushes);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 1);
	assert_int_equal(vm->disk.flushes, flushes + 1);
	vm->disk.fail = -FV_EIO;
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL), VIRTIO_BLK_S_IOERR);
	/* FLUSH not negotiated: every write is made stable before completing */
	drv_init(vm, AREA, 16, ALL_FEATURES & ~F(VIRTIO_BLK_F_FLUSH));
	flushes = vm->disk.flushes;
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 1, &w, 1, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 2, &w, 1, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(vm->disk.flushes, flushes + 2);
	vm->disk.fail_flush = -FV_EIO; /* the write went through but is not stable */
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 2, &w, 1, NULL), VIRTIO_BLK_S_IOERR);
	/* GET_ID: 20 bytes, NUL-padded */
	struct sg id = {data_gpa(vm, 4096), 20, true};
	memset(hva(vm, id.gpa), 0xff, 32);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_GET_ID, 0, &id, 1, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 21);
	assert_memory_equal(hva(vm, id.gpa), "ferrovisor-disk-0001", 20);
	assert_int_equal(*hva(vm, id.gpa + 20), 0xff); /* nothing past the 20 bytes */
	struct sg shortid = {data_gpa(vm, 4096), 8, true};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_GET_ID, 0, &shortid, 1, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 9);
	struct sg longid = {data_gpa(vm, 4096), 100, true};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_GET_ID, 0, &longid, 1, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 20);
	drv_init(&vmb, AREA, 16, ALL_FEATURES);
	id.gpa = drv_gpa(&vmb.d, L_DATA);
	memset(hva(&vmb, id.gpa), 0xff, 20);
	assert_int_equal(blk_do(&vmb, VIRTIO_BLK_T_GET_ID, 0, &id, 1, NULL), VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(&vmb, id.gpa), "vm-b\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20);
}

static void test_request_errors(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static const struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
		uint8_t status;
	} cases[] = {
	    {VIRTIO_BLK_T_IN, 256, 512, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_IN, 255, 1024, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_OUT, 255, 1024, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_IN, ~0ULL, 512, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_OUT, ~0ULL - 1, 1024, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_IN, 1ULL << 55, 512, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_IN, 0, 511, VIRTIO_BLK_S_IOERR},
	    {VIRTIO_BLK_T_OUT, 0, 100, VIRTIO_BLK_S_IOERR},
	    {11, 0, 16, VIRTIO_BLK_S_UNSUPP}, /* DISCARD */
	    {13, 0, 16, VIRTIO_BLK_S_UNSUPP}, /* WRITE_ZEROES */
	    {0xffffffffu, 0, 512, VIRTIO_BLK_S_UNSUPP},
	    {VIRTIO_BLK_T_IN, 255, 512, VIRTIO_BLK_S_OK},
	    {VIRTIO_BLK_T_IN, 256, 0, VIRTIO_BLK_S_OK}, /* empty read at the end */
	};

	drv_init(vm, AREA, 16, ALL_FEATURES);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned io = vm->disk.reads + vm->disk.writes;
		bool in = cases[i].type != VIRTIO_BLK_T_OUT;
		struct sg d = {data_gpa(vm, 0), cases[i].len, in};
		uint32_t len;
		assert_int_equal(
		    blk_do(vm, cases[i].type, cases[i].sector, &d, cases[i].len ? 1 : 0, &len),
		    cases[i].status);
		if (cases[i].status != VIRTIO_BLK_S_OK) {
			assert_int_equal(vm->disk.reads + vm->disk.writes, io);
			assert_int_equal(len, in ? 0 : 1);
		}
	}
	/* backend failure */
	struct sg d = {data_gpa(vm, 0), 512, true};
	vm->disk.fail = -FV_EIO;
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 0, &d, 1, NULL), VIRTIO_BLK_S_IOERR);
	/* header shorter than 16 bytes */
	uint64_t st = data_gpa(vm, 8192);
	*hva(vm, st) = 0xee;
	struct sg shorthdr[2] = {{data_gpa(vm, 4096), 8, false}, {st, 1, true}};
	int head = drv_add(vm, shorthdr, 2);
	drv_kick(vm);
	drv_irq(vm);
	assert_true(vm->d.done[head]);
	assert_int_equal(*hva(vm, st), VIRTIO_BLK_S_IOERR);
	/* no device-writable byte: returned with length 0, device keeps going */
	struct sg nostatus = {drv_gpa(&vm->d, L_HDR), 16, false};
	head = drv_add(vm, &nostatus, 1);
	drv_kick(vm);
	drv_irq(vm);
	assert_true(vm->d.done[head]);
	assert_int_equal(vm->d.used_len[head], 0);
	/* zero-length descriptors in the middle are harmless */
	struct sg zl[2] = {{0, 0, false}, {data_gpa(vm, 0), 512, true}};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 3, zl, 2, NULL), VIRTIO_BLK_S_OK);
	assert_true(virtio_mmio_running(&vm->blk.mmio));
	assert_true(vm->blk.errors > 0);

	/* read-only backend */
	vm_create(vm, vm->ram, 256, true, "ro");
	memset(vm->disk.data, 0x5a, 512);
	uint64_t f = drv_init(vm, AREA, 16, ALL_FEATURES | F(VIRTIO_BLK_F_RO));
	assert_true(f & F(VIRTIO_BLK_F_RO));
	struct sg w = {data_gpa(vm, 0), 512, false};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, 0, &w, 1, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(vm->disk.writes, 0);
	assert_int_equal(vm->disk.data[0], 0x5a);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 0, &d, 1, NULL), VIRTIO_BLK_S_OK);
	vm_create(vm, vm->ram, 256, false, "ferrovisor-disk-0001");
}

static void test_suppression(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	struct drv *d = &vm->d;
	struct sg one = {data_gpa(vm, 0), 512, true};

	drv_init(vm, AREA, 16, ALL_FEATURES);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 0, &one, 1, NULL), VIRTIO_BLK_S_OK);
	/* device drained the ring: it asked to be kicked at the next entry */
	assert_int_equal(r16(vm, drv_gpa(d, L_USED) + 4 + 8u * 16), d->avail_shadow);
	/* driver: interrupt me only when the third next buffer is used */
	w16(vm, drv_gpa(d, L_AVAIL) + 4 + 2u * 16, (uint16_t)(d->last_used + 2));
	unsigned raises = vm->raises;
	for (int i = 0; i < 3; i++) {
		int head = blk_add(vm, VIRTIO_BLK_T_IN, 1, &one, 1, false);
		drv_kick(vm);
		assert_int_equal(vm->raises, raises + (i == 2));
		assert_int_equal(status_of(vm, head), VIRTIO_BLK_S_OK);
	}
	drv_irq(vm);
	assert_int_equal(d->num_free, 16);
	/* without event index: VIRTQ_AVAIL_F_NO_INTERRUPT */
	drv_init(vm, AREA, 16, ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX));
	w16(vm, drv_gpa(d, L_AVAIL), VIRTQ_AVAIL_F_NO_INTERRUPT);
	raises = vm->raises;
	blk_add(vm, VIRTIO_BLK_T_IN, 1, &one, 1, false);
	drv_kick(vm);
	assert_int_equal(vm->raises, raises);
	assert_int_equal(r16(vm, drv_gpa(d, L_USED) + 2), 1);
	w16(vm, drv_gpa(d, L_AVAIL), 0);
	blk_add(vm, VIRTIO_BLK_T_IN, 1, &one, 1, false);
	drv_kick(vm);
	assert_int_equal(vm->raises, raises + 1);
	drv_irq(vm);
	assert_int_equal(d->num_free, 16);
}

/* ---- hostile rings through the whole device ---- */

enum hostile {
	H_LOOP,
	H_OOB,
	H_HEAD,
	H_NEXT,
	H_AVAIL_JUMP,
	H_HUGE_LEN,
	H_NESTED,
	H_IND_NEXT,
	H_IND_UNALIGNED_LEN,
	H_ORDER,
	H_SEGS,
	H_COUNT,
};

static void corrupt(struct vm *vm, enum hostile h)
{
	struct drv *d = &vm->d;
	/* descriptors 14/15 and their indirect slots: clear of the driver's own */
	uint64_t desc = drv_gpa(d, L_DESC) + 16 * 14, buf = data_gpa(vm, 0);
	uint64_t ind = drv_gpa(d, L_IND) + 16u * IND_SLOTS * 14;
	uint16_t head = 14, nflags = VIRTQ_DESC_F_NEXT;

	switch (h) {
	case H_LOOP:
		put_desc(vm, desc, buf, 16, nflags, 15);
		put_desc(vm, desc + 16, buf, 16, nflags, 14);
		break;
	case H_OOB:
		put_desc(vm, desc, RAM_BASE + RAM_SIZE - 8, 16, 0, 0);
		break;
	case H_HEAD:
		head = d->qsize;
		break;
	case H_NEXT:
		put_desc(vm, desc, buf, 16, nflags, 200);
		break;
	case H_AVAIL_JUMP:
		w16(vm, drv_gpa(d, L_AVAIL) + 2, (uint16_t)(d->avail_shadow + d->qsize + 1));
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		return;
	case H_HUGE_LEN:
		put_desc(vm, desc, buf, 0xfffffff0u, 0, 0);
		break;
	case H_NESTED:
		put_desc(vm, ind, ind + 256, 16, VIRTQ_DESC_F_INDIRECT, 0);
		put_desc(vm, desc, ind, 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case H_IND_NEXT:
		put_desc(vm, ind, buf, 16, 0, 0);
		put_desc(vm, desc, ind, 16, VIRTQ_DESC_F_INDIRECT | nflags, 15);
		break;
	case H_IND_UNALIGNED_LEN:
		put_desc(vm, desc, ind, 20, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case H_ORDER:
		put_desc(vm, desc, buf, 1, VIRTQ_DESC_F_WRITE | nflags, 15);
		put_desc(vm, desc + 16, buf, 16, 0, 0);
		break;
	default: /* H_SEGS: 65 descriptors in one indirect table */
		for (unsigned i = 0; i < 65; i++)
			put_desc(vm, ind + 16u * i, buf + i, 1, i < 64 ? nflags : 0,
			         (uint16_t)(i + 1));
		put_desc(vm, desc, ind, 65 * 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	}
	w16(vm, drv_gpa(d, L_AVAIL) + 4 + 2u * (d->avail_shadow & (d->qsize - 1)), head);
	w16(vm, drv_gpa(d, L_AVAIL) + 2, (uint16_t)(d->avail_shadow + 1));
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

static void test_hostile_rings(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	struct sg one = {data_gpa(vm, 0), 512, true};

	for (int h = 0; h < H_COUNT; h++) {
		drv_init(vm, AREA, 16, ALL_FEATURES);
		assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 0, &one, 1, NULL), VIRTIO_BLK_S_OK);
		drv_irq(vm);
		/* a good request first: it completes in the same batch as the bad one */
		int good = blk_add(vm, VIRTIO_BLK_T_IN, 0, &one, 1, false);
		unsigned io = vm->disk.reads + vm->disk.writes;
		uint16_t used = r16(vm, drv_gpa(&vm->d, L_USED) + 2);
		corrupt(vm, (enum hostile)h);
		uint32_t status = mrd(vm, VIRTIO_MMIO_STATUS);
		assert_true(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_true(vm->level);
		if (h == H_AVAIL_JUMP) {
			/* caught before anything was consumed */
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG);
			assert_int_equal(vm->disk.reads + vm->disk.writes, io);
		} else {
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG | VIRTIO_MMIO_INT_VRING);
			assert_int_equal(vm->disk.reads + vm->disk.writes, io + 1);
			used++;
			drv_irq(vm);
			assert_true(vm->d.done[good]);
			assert_int_equal(status_of(vm, good), VIRTIO_BLK_S_OK);
		}
		assert_int_equal(r16(vm, drv_gpa(&vm->d, L_USED) + 2), used);
		/* further kicks do nothing */
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		assert_false(virtio_blk_process(&vm->blk));
		assert_int_equal(r16(vm, drv_gpa(&vm->d, L_USED) + 2), used);
		/* the driver resets and the device works again */
		drv_init(vm, AREA, 16, ALL_FEATURES);
		assert_false(vm->level);
		assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 0, &one, 1, NULL), VIRTIO_BLK_S_OK);
	}
}

static void test_reset_mid_io(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	const uint64_t area2 = RAM_BASE + 0x40000;
	int heads[4];

	drv_init(vm, AREA, 16, ALL_FEATURES);
	unsigned reads = vm->disk.reads;
	for (int i = 0; i < 4; i++) {
		struct sg one = {data_gpa(vm, 512u * i), 512, true};
		heads[i] = blk_add(vm, VIRTIO_BLK_T_IN, (uint64_t)i, &one, 1, false);
	}
	/* the guest resets the device with four requests in flight */
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_false(virtio_blk_process(&vm->blk));
	assert_int_equal(vm->disk.reads, reads);
	assert_int_equal(r16(vm, drv_gpa(&vm->d, L_USED) + 2), 0);
	uint8_t before[L_HDR];
	memcpy(before, hva(vm, AREA), sizeof(before));
	/* re-initialised elsewhere: the old ring is never looked at again */
	drv_init(vm, area2, 16, ALL_FEATURES);
	struct sg one = {data_gpa(vm, 0), 512, true};
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 9, &one, 1, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(vm->disk.reads, reads + 1);
	assert_memory_equal(before, hva(vm, AREA), sizeof(before));
	for (int i = 0; i < 4; i++)
		assert_int_equal(*hva(vm, AREA + L_STATUS + (unsigned)heads[i]), 0xee);
	/* a queue disabled by the driver mid-I/O behaves the same */
	blk_add(vm, VIRTIO_BLK_T_IN, 1, &one, 1, false);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(vm->disk.reads, reads + 1);
	/* host-side reset (VM reboot) */
	virtio_mmio_reset(&vm->blk.mmio);
	assert_false(virtio_mmio_running(&vm->blk.mmio));
	drv_init(vm, AREA, 16, ALL_FEATURES);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, 9, &one, 1, NULL), VIRTIO_BLK_S_OK);
}

static void test_budget(void **state)
{
	(void)state;
	struct vm *vm = &vma;

	vm_create(vm, vm->ram, 65536, false, "big");
	drv_init(vm, RAM_BASE, 64, ALL_FEATURES);
	for (int i = 0; i < 20; i++) {
		struct sg mb = {data_gpa(vm, 0), 1u << 20, true};
		assert_true(blk_add(vm, VIRTIO_BLK_T_IN, 2048u * (unsigned)i, &mb, 1, false) >= 0);
	}
	drv_kick(vm);
	assert_true(vm->blk.backlog);
	assert_int_equal(r16(vm, drv_gpa(&vm->d, L_USED) + 2), 16);
	assert_true(vm->level);
	drv_irq(vm);
	assert_false(virtio_blk_process(&vm->blk));
	assert_false(vm->blk.backlog);
	assert_int_equal(r16(vm, drv_gpa(&vm->d, L_USED) + 2), 20);
	drv_irq(vm);
	assert_int_equal(vm->d.num_free, 64);
	vm_create(vm, vm->ram, 256, false, "ferrovisor-disk-0001");
}

/* ---- two VMs: one fuzzes its device, the other does verified I/O ---- */

static uint64_t rng = 0x853c49e6748fea9bULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

static uint64_t fuzz_addr(struct vm *vm)
{
	const uint64_t v[] = {
	    RAM_BASE,   RAM_BASE + RAM_SIZE - 1, RAM_BASE + RAM_SIZE,    RAM_BASE - 16, 0,
	    ~0ULL - 15, drv_gpa(&vm->d, L_IND),  drv_gpa(&vm->d, L_DESC)};
	if (rnd() % 2)
		return data_gpa(vm, (uint32_t)(rnd() % 0x60000));
	return pick(v, sizeof(v) / sizeof(v[0])) + rnd() % 32;
}

static uint32_t fuzz_len(void)
{
	const uint64_t v[] = {0, 1, 15, 16, 17, 511, 512, 4096, 65536, RAM_SIZE, 0xffffffffu};
	if (rnd() % 2)
		return (uint32_t)(rnd() % 4096);
	return (uint32_t)pick(v, sizeof(v) / sizeof(v[0]));
}

static void fuzz_request(struct vm *vm)
{
	const uint64_t types[] = {
	    VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, 11,
	    0x7fffffff};
	const uint64_t sectors[] = {0, 1, 200, 255, 256, 257, ~0ULL, ~0ULL - 7, 1ULL << 54};
	uint32_t type = (uint32_t)pick(types, 6);
	struct sg data[6];
	unsigned n = (unsigned)(rnd() % 6);

	for (unsigned i = 0; i < n; i++) {
		data[i].gpa = data_gpa(vm, (uint32_t)(rnd() % 0x50000));
		data[i].len =
		    (rnd() % 4) ? 512u * (uint32_t)(1 + rnd() % 8) : (uint32_t)(rnd() % 2048);
		data[i].write = type != VIRTIO_BLK_T_OUT;
	}
	blk_add(vm, type, (rnd() % 2) ? rnd() % 300 : pick(sectors, 9), data, n, rnd() % 8 == 0);
	if (rnd() % 2)
		drv_kick(vm);
}

static void fuzz_one(struct vm *vm)
{
	struct drv *d = &vm->d;
	uint64_t v;

	switch (rnd() % 16) {
	case 0:
	case 1:
	case 2:
		fuzz_request(vm);
		break;
	case 3:
	case 4: {
		uint64_t table = (rnd() % 3) ? drv_gpa(d, L_DESC) : drv_gpa(d, L_IND);
		put_desc(vm, table + 16 * (rnd() % (d->qsize + 2u)), fuzz_addr(vm), fuzz_len(),
		         (uint16_t)(rnd() % 8), (uint16_t)(rnd() % (d->qsize + 2u)));
		break;
	}
	case 5:
		*hva(vm, d->area + rnd() % L_DATA) = (uint8_t)rnd();
		break;
	case 6:
		w16(vm, drv_gpa(d, L_AVAIL) + 2, (uint16_t)(d->avail_shadow + rnd() % 3));
		break;
	case 7:
		w16(vm, drv_gpa(d, L_AVAIL) + 4 + 2u * (d->avail_shadow & (d->qsize - 1)),
		    (uint16_t)(rnd() % (d->qsize + 2u)));
		d->avail_shadow++;
		w16(vm, drv_gpa(d, L_AVAIL) + 2, d->avail_shadow);
		break;
	case 8:
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, (rnd() % 4) ? 0 : (uint32_t)rnd());
		break;
	case 9:
	case 10:
		drv_irq(vm);
		break;
	case 11:
		virtio_mmio_write(&vm->blk.mmio, (rnd() % 2) ? 4 * (rnd() % 0x40) : rnd() % 0x210,
		                  (unsigned)(1u << (rnd() % 4)), (rnd() % 2) ? rnd() % 4 : rnd());
		break;
	case 12:
		virtio_mmio_read(&vm->blk.mmio, rnd() % 0x210, (unsigned)(1u << (rnd() % 4)), &v);
		break;
	case 13:
		if (!virtio_mmio_running(&vm->blk.mmio) || rnd() % 32 == 0) {
			uint64_t want = F(VIRTIO_F_VERSION_1) | (rnd() & ALL_FEATURES);
			drv_init(vm, AREA, (uint16_t)(1u << (rnd() % 9)), want);
		}
		break;
	case 14:
		virtio_blk_process(&vm->blk);
		break;
	default:
		drv_kick(vm);
		break;
	}
}

/* One verified write + read-back on VM B, checked against a shadow disk. */
static void vmb_io(uint8_t *shadow, unsigned n)
{
	struct vm *vm = &vmb;
	uint64_t sector = rnd() % 250;
	uint32_t len = 512u * (uint32_t)(1 + rnd() % 6);
	uint64_t src = data_gpa(vm, 0), dst = data_gpa(vm, 0x10000);
	struct sg w[2] = {{src, 100, false}, {src + 100, len - 100, false}};
	struct sg r = {dst, len, true};

	fill(hva(vm, src), len, n);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_OUT, sector, w, 2, NULL), VIRTIO_BLK_S_OK);
	memcpy(shadow + sector * 512, hva(vm, src), len);
	memset(hva(vm, dst), 0, len);
	assert_int_equal(blk_do(vm, VIRTIO_BLK_T_IN, sector, &r, 1, NULL), VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(vm, dst), hva(vm, src), len);
	assert_true(virtio_mmio_running(&vm->blk.mmio));
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static void test_two_vm_fuzz(void **state)
{
	(void)state;
	const char *env = getenv("FV_FUZZ_OPS");
	unsigned long ops = env ? strtoul(env, NULL, 0) : 1000000;
	uint8_t *canary = vmb.ram; /* right behind VM A's RAM in host memory */
	const size_t canary_len = AREA - RAM_BASE;
	uint8_t *shadow = calloc(256, 512);
	unsigned long broken = 0;

	assert_non_null(shadow);
	memcpy(shadow, vmb.disk.data, 256 * 512);
	for (size_t i = 0; i < canary_len; i++)
		canary[i] = (uint8_t)(i ^ 0x5c);
	const uint64_t canary_sum = checksum(canary, canary_len);
	drv_init(&vma, AREA, 16, ALL_FEATURES);
	drv_init(&vmb, AREA, 64, ALL_FEATURES);
	for (unsigned long n = 0; n < ops; n++) {
		broken += !virtio_mmio_running(&vma.blk.mmio);
		fuzz_one(&vma);
		if (n % 32 == 0)
			vmb_io(shadow, (unsigned)n);
		if (n % 65536 == 0)
			assert_true(checksum(canary, canary_len) == canary_sum);
	}
	assert_true(checksum(canary, canary_len) == canary_sum);
	assert_memory_equal(vmb.disk.data, shadow, 256 * 512);
	printf("two-VM fuzz: %lu ops on VM A (%lu with its device stopped): %llu requests, "
	       "%llu failed; VM B: %llu requests, all correct\n",
	       ops, broken, (unsigned long long)vma.blk.requests,
	       (unsigned long long)vma.blk.errors, (unsigned long long)vmb.blk.requests);
	assert_true(vma.blk.requests > 10000);
	free(shadow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_probe_config), cmocka_unit_test(test_rw_roundtrip),
	    cmocka_unit_test(test_odd_framing),  cmocka_unit_test(test_vectored_backend),
	    cmocka_unit_test(test_flush_and_id), cmocka_unit_test(test_request_errors),
	    cmocka_unit_test(test_suppression),  cmocka_unit_test(test_hostile_rings),
	    cmocka_unit_test(test_reset_mid_io), cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_two_vm_fuzz),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
