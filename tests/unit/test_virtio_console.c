/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the emulated virtio-console device
 * (hyp/vdev/virtio_console.c) on the virtio-mmio transport and split
 * virtqueues, driven through MMIO by a fake guest driver (free list,
 * indirect tables for multi-segment buffers, event index for kicks and
 * interrupts) on both queues, with a host side that records every output()
 * call.
 *
 * Covered: probe, features and config space (cols/rows/max_nr_ports,
 * emerg_wr, resize notification), guest output through direct and indirect
 * chains reaching output() in order and in bounded chunks, input into
 * posted buffers (partial fill, several buffers, split buffers, no buffers),
 * rx_space and the rx_ready callback, echo from inside output(), buffers of
 * the wrong direction, oversized transmit buffers, interrupt and kick
 * suppression, hostile rings on either queue (device error state, recovery
 * by reset), reset and queue disable mid-stream, the per-call budgets
 * (including a guest that keeps refilling), and a fuzzer of ring memory,
 * registers and input with guard pages and a canary area right behind the
 * VM's RAM.
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

#include "vdev/virtio_console.h"

#define RAM_BASE  0x80000000ULL
#define RAM_SIZE  (2u << 20)
#define CANARY    (64u << 10)
#define GUARD     4096u
#define QMAX      64u
#define IND_SLOTS 16u

/* Guest layout relative to a driver's area: per queue rings, then data. */
#define Q_STRIDE 0x8000u
#define L_DESC   0x0000u
#define L_AVAIL  0x0400u
#define L_USED   0x0800u
#define L_IND    0x1000u /* QMAX tables of IND_SLOTS descriptors */
#define L_DATA   0x10000u
#define AREA     (RAM_BASE + 0x100000)
#define OUT_CAP  (1u << 20)

#define F(bit) VIRTIO_FEAT(bit)
#define ALL_FEATURES                                                                               \
	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) |               \
	 F(VIRTIO_CONSOLE_F_SIZE))

#define RXQ VIRTIO_CONSOLE_RXQ
#define TXQ VIRTIO_CONSOLE_TXQ

/* ---- one fake VM: RAM, device, driver, host sink ---- */

struct dq {
	uint64_t base; /* GPA of this queue's rings */
	uint16_t qsize;
	uint16_t free_head, num_free, avail_shadow, last_used, added;
	uint16_t next[QMAX];
	uint16_t ndesc[QMAX];
	bool busy[QMAX], done[QMAX];
	uint32_t used_len[QMAX];
	unsigned kicks, bogus;
};

struct vm {
	uint8_t *ram;
	struct virtio_console con;
	struct virtio_console_ops ops;
	uint64_t area;
	bool event_idx, indirect;
	struct dq q[2];
	bool level;
	unsigned raises, irqs;
	/* host side */
	uint8_t out[OUT_CAP];
	size_t out_len, max_chunk;
	unsigned out_calls, rx_ready;
	bool echo;       /* output() feeds its bytes back as input */
	unsigned refill; /* output() re-posts the last TX head this often */
	uint16_t refill_head;
};

struct sg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

static uint8_t *map_base;
static size_t map_len;
static struct vm the_vm;

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
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, off, 4, &v), 0);
	return (uint32_t)v;
}

static void mwr(struct vm *vm, uint32_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(&vm->con.mmio, off, 4, v), 0);
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

static uint64_t data_gpa(struct vm *vm, uint32_t off)
{
	return vm->area + L_DATA + off;
}

static uint16_t used_idx(struct vm *vm, unsigned qi)
{
	return r16(vm, vm->q[qi].base + L_USED + 2);
}

/* avail ring slot write + idx bump, as the driver publishes a head */
static void publish(struct vm *vm, unsigned qi, uint16_t head)
{
	struct dq *d = &vm->q[qi];

	w16(vm, d->base + L_AVAIL + 4 + 2u * (d->avail_shadow & (d->qsize - 1)), head);
	d->avail_shadow++;
	w16(vm, d->base + L_AVAIL + 2, d->avail_shadow);
	d->added++;
}

/* ---- host side callbacks ---- */

static void host_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct vm *vm = ctx;

	assert_true(len > 0 && len <= VIRTIO_CONSOLE_CHUNK);
	assert_true(len <= OUT_CAP - vm->out_len);
	/* the device hands us hypervisor memory, never guest RAM */
	assert_true(buf + len <= map_base || buf >= map_base + map_len);
	memcpy(vm->out + vm->out_len, buf, len);
	vm->out_len += len;
	vm->out_calls++;
	if (len > vm->max_chunk)
		vm->max_chunk = len;
	if (vm->echo)
		virtio_console_input(&vm->con, buf, len);
	if (vm->refill && vm->out_calls % vm->refill == 0)
		publish(vm, TXQ, vm->refill_head);
}

static void host_rx_ready(void *ctx)
{
	struct vm *vm = ctx;

	vm->rx_ready++;
}

static void vm_create(struct vm *vm)
{
	vm->ram = map_base + GUARD;
	vm->ops = (struct virtio_console_ops){.output = host_output, .rx_ready = host_rx_ready};
	vm->level = false;
	vm->raises = 0;
	vm->out_len = 0;
	vm->out_calls = 0;
	vm->max_chunk = 0;
	vm->echo = false;
	vm->refill = 0;
	assert_int_equal(virtio_console_init(&vm->con, &vm->ops, vm, &host_ops, vm), 0);
}

static void out_clear(struct vm *vm)
{
	vm->out_len = 0;
}

/* ---- the fake driver ---- */

static void queue_setup(struct vm *vm, unsigned qi, uint16_t qsize)
{
	struct dq *d = &vm->q[qi];

	memset(d, 0, sizeof(*d));
	d->base = vm->area + Q_STRIDE * qi;
	d->qsize = qsize;
	memset(hva(vm, d->base), 0, Q_STRIDE);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, qi);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX) >= qsize);
	mwr(vm, VIRTIO_MMIO_QUEUE_NUM, qsize);
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(d->base + L_DESC));
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((d->base + L_DESC) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(d->base + L_AVAIL));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((d->base + L_AVAIL) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(d->base + L_USED));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((d->base + L_USED) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 1);
	for (unsigned i = 0; i < qsize; i++)
		d->next[i] = (uint16_t)(i + 1);
	d->num_free = qsize;
}

static uint64_t read_features(struct vm *vm)
{
	uint64_t f;

	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES);
}

/* Probe and set up both queues; returns the negotiated features (0 if refused). */
static uint64_t drv_init(struct vm *vm, uint64_t area, uint16_t qsize, uint64_t want)
{
	uint64_t f;

	vm->area = area;
	assert_int_equal(mrd(vm, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	f = read_features(vm) & want;
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FEATURES_OK);
	if (!(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return 0;
	vm->event_idx = (f & F(VIRTIO_F_EVENT_IDX)) != 0;
	vm->indirect = (f & F(VIRTIO_F_INDIRECT_DESC)) != 0;
	queue_setup(vm, RXQ, qsize);
	queue_setup(vm, TXQ, qsize);
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_mmio_running(&vm->con.mmio));
	return f;
}

/* Add a buffer (like virtqueue_add_split); returns the head or -1 if full. */
static int drv_add(struct vm *vm, unsigned qi, const struct sg *sg, unsigned n)
{
	struct dq *d = &vm->q[qi];
	bool ind = vm->indirect && n > 1 && n <= IND_SLOTS;
	unsigned need = ind ? 1 : n;
	uint16_t head = d->free_head, i = head;

	if (n == 0 || d->num_free < need)
		return -1;
	if (ind) {
		uint64_t table = d->base + L_IND + 16u * IND_SLOTS * head;
		for (unsigned k = 0; k < n; k++)
			put_desc(vm, table + 16u * k, sg[k].gpa, sg[k].len,
			         (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			                    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			         (uint16_t)(k + 1));
		put_desc(vm, d->base + L_DESC + 16u * head, table, 16u * n, VIRTQ_DESC_F_INDIRECT,
		         0);
		i = d->next[head];
	} else {
		for (unsigned k = 0; k < n; k++) {
			put_desc(vm, d->base + L_DESC + 16u * i, sg[k].gpa, sg[k].len,
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
	publish(vm, qi, head);
	return head;
}

/* virtqueue_kick_prepare + notify */
static void drv_kick(struct vm *vm, unsigned qi)
{
	struct dq *d = &vm->q[qi];
	uint16_t now = d->avail_shadow, old = (uint16_t)(now - d->added);
	bool need;

	d->added = 0;
	if (vm->event_idx) {
		uint16_t ev = r16(vm, d->base + L_USED + 4 + 8u * d->qsize);
		need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	} else {
		need = !(r16(vm, d->base + L_USED) & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (need) {
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
		d->kicks++;
	}
}

static void reap(struct vm *vm, unsigned qi)
{
	struct dq *d = &vm->q[qi];

	for (;;) {
		while (d->last_used != used_idx(vm, qi)) {
			uint64_t e = d->base + L_USED + 4 + 8u * (d->last_used & (d->qsize - 1));
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
		if (vm->event_idx)
			w16(vm, d->base + L_AVAIL + 4 + 2u * d->qsize, d->last_used);
		if (d->last_used == used_idx(vm, qi))
			break;
	}
}

/* Interrupt handler: ack, then reap both queues. */
static void drv_irq(struct vm *vm)
{
	if (!vm->level)
		return;
	vm->irqs++;
	mwr(vm, VIRTIO_MMIO_INTERRUPT_ACK, mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS));
	reap(vm, RXQ);
	reap(vm, TXQ);
}

/* Guest writes @len bytes at data offset @off as one buffer of @nseg pieces. */
static int tx_add(struct vm *vm, uint32_t off, uint32_t len, unsigned nseg)
{
	struct sg sg[IND_SLOTS];
	uint32_t pos = 0;

	assert_true(nseg >= 1 && nseg <= IND_SLOTS && nseg <= len);
	for (unsigned k = 0; k < nseg; k++) {
		uint32_t n = (k + 1 == nseg) ? len - pos : len / nseg;
		sg[k] = (struct sg){data_gpa(vm, off + pos), n, false};
		pos += n;
	}
	return drv_add(vm, TXQ, sg, nseg);
}

/* Post a receive buffer of @len bytes at data offset @off, in @nseg pieces. */
static int rx_post(struct vm *vm, uint32_t off, uint32_t len, unsigned nseg)
{
	struct sg sg[IND_SLOTS];
	uint32_t pos = 0;

	for (unsigned k = 0; k < nseg; k++) {
		uint32_t n = (k + 1 == nseg) ? len - pos : len / nseg;
		sg[k] = (struct sg){data_gpa(vm, off + pos), n, true};
		pos += n;
	}
	return drv_add(vm, RXQ, sg, nseg);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7919) >> 3);
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static int setup(void **state)
{
	(void)state;
	map_len = GUARD + RAM_SIZE + CANARY + GUARD;
	map_base = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map_base == MAP_FAILED)
		return -1;
	mprotect(map_base, GUARD, PROT_NONE);
	mprotect(map_base + map_len - GUARD, GUARD, PROT_NONE);
	for (size_t i = 0; i < CANARY; i++)
		map_base[GUARD + RAM_SIZE + i] = (uint8_t)(i ^ 0xa5);
	vm_create(&the_vm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(map_base, map_len);
	return 0;
}

static int per_test(void **state)
{
	(void)state;
	vm_create(&the_vm);
	return 0;
}

/* ---- functional tests ---- */

static void test_probe_config(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	uint64_t v;

	assert_int_equal(mrd(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	assert_int_equal(read_features(vm), ALL_FEATURES);
	for (unsigned q = 0; q < 3; q++) {
		mwr(vm, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX),
		                 q < 2 ? VIRTIO_CONSOLE_QUEUE_MAX : 0);
	}
	/* MULTIPORT / EMERG_WRITE are not offered: asking for them is refused */
	for (unsigned bit = VIRTIO_CONSOLE_F_MULTIPORT; bit <= VIRTIO_CONSOLE_F_EMERG_WRITE;
	     bit++) {
		mwr(vm, VIRTIO_MMIO_STATUS, 0);
		mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, 1);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, 1u << bit | 1u << VIRTIO_CONSOLE_F_SIZE);
		mwr(vm, VIRTIO_MMIO_STATUS,
		    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		assert_false(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	}
	/* SIZE is optional for the driver */
	assert_int_equal(drv_init(vm, AREA, 16, F(VIRTIO_F_VERSION_1)), F(VIRTIO_F_VERSION_1));
	assert_int_equal(drv_init(vm, AREA, 16, ALL_FEATURES), ALL_FEATURES);

	/* config space: every width */
	uint32_t gen = mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION);
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, 0x100 + VIRTIO_CONSOLE_CFG_COLS, 2, &v),
	                 0);
	assert_int_equal(v, 80);
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, 0x100 + VIRTIO_CONSOLE_CFG_ROWS, 2, &v),
	                 0);
	assert_int_equal(v, 25);
	assert_int_equal(mrd(vm, 0x100), 80u | 25u << 16);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS), 1);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_CONSOLE_CFG_EMERG_WR), 0);
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, 0x100, 8, &v), 0);
	assert_int_equal(v, 80u | 25u << 16 | 1ULL << 32);
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, 0x101, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(virtio_mmio_read(&vm->con.mmio, 0x10a, 8, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mrd(vm, 0x100 + 12), 0); /* past the struct */
	/* writes (emerg_wr without EMERG_WRITE, cols) change and output nothing */
	mwr(vm, 0x100 + VIRTIO_CONSOLE_CFG_EMERG_WR, 'x');
	mwr(vm, 0x100, 0xffffffff);
	assert_int_equal(mrd(vm, 0x100), 80u | 25u << 16);
	assert_int_equal(mrd(vm, 0x100 + VIRTIO_CONSOLE_CFG_EMERG_WR), 0);
	assert_int_equal(vm->out_calls, 0);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	assert_false(vm->level);

	/* resize: new values, generation bump, configuration change interrupt */
	virtio_console_set_size(&vm->con, 132, 43);
	assert_int_equal(mrd(vm, 0x100), 132u | 43u << 16);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	assert_true(vm->level);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	drv_irq(vm);
	assert_false(vm->level);
	virtio_console_set_size(&vm->con, 132, 43); /* unchanged: nothing */
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	assert_false(vm->level);
	/* a device reset keeps the host's size */
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(mrd(vm, 0x100), 132u | 43u << 16);
	/* before DRIVER_OK: generation only */
	virtio_console_set_size(&vm->con, 80, 25);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen + 2);
	assert_false(vm->level);

	/* init without output(): refused, inert */
	struct virtio_console bad;
	struct virtio_console_ops noout = {.output = NULL, .rx_ready = host_rx_ready};
	assert_int_equal(virtio_console_init(&bad, &noout, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_console_init(&bad, NULL, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_mmio_read(&bad.mmio, VIRTIO_MMIO_DEVICE_ID, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_false(virtio_console_process_tx(&bad));
	assert_int_equal(virtio_console_input(&bad, (const uint8_t *)"x", 1), 0);
	assert_false(virtio_console_rx_space(&bad));
}

static void test_tx_order(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	uint8_t *src = hva(vm, data_gpa(vm, 0));
	const uint32_t total = 40000;

	fill(src, total, 3);
	for (unsigned combo = 0; combo < 8; combo++) {
		uint64_t want = F(VIRTIO_F_VERSION_1);
		if (combo & 1)
			want |= F(VIRTIO_F_EVENT_IDX);
		if (combo & 2)
			want |= F(VIRTIO_F_INDIRECT_DESC);
		uint16_t qsize = (combo & 4) ? 64 : 16;
		assert_int_equal(drv_init(vm, AREA, qsize, want), want);
		out_clear(vm);
		uint64_t bufs = vm->con.tx_bufs, bytes = vm->con.bytes_out;
		unsigned raises = vm->raises;

		/* one byte, then a 3-piece buffer, one kick each */
		int h = tx_add(vm, 0, 1, 1);
		drv_kick(vm, TXQ);
		assert_int_equal(vm->out_len, 1);
		drv_irq(vm);
		assert_true(vm->q[TXQ].done[h]);
		assert_int_equal(vm->q[TXQ].used_len[h], 0);
		h = tx_add(vm, 1, 299, 3);
		drv_kick(vm, TXQ);
		drv_irq(vm);
		assert_true(vm->q[TXQ].done[h]);
		assert_int_equal(vm->out_len, 300);
		assert_int_equal(vm->raises, raises + 2);

		/* a batch of buffers of varied framing with one kick, in order */
		unsigned kicks = vm->q[TXQ].kicks, nbuf = 0;
		uint32_t off = 300;
		for (unsigned i = 0; off < total && i < qsize / 4; i++) {
			uint32_t len = MIN(total - off, 100u + 997u * i);
			unsigned nseg = MIN(1 + i % 4, len);
			assert_true(tx_add(vm, off, len, nseg) >= 0);
			off += len;
			nbuf++;
		}
		drv_kick(vm, TXQ);
		assert_int_equal(vm->q[TXQ].kicks, kicks + 1);
		drv_irq(vm);
		assert_int_equal(vm->q[TXQ].num_free, qsize);
		assert_int_equal(vm->out_len, off);
		assert_memory_equal(vm->out, src, off);
		assert_true(vm->max_chunk <= VIRTIO_CONSOLE_CHUNK);
		assert_int_equal(vm->con.bytes_out, bytes + off);
		assert_int_equal(vm->con.tx_bufs - bufs, 2 + nbuf);
		assert_int_equal(vm->q[TXQ].bogus, 0);
		assert_false(vm->con.backlog);
	}
	/* one big buffer is split into full chunks */
	out_clear(vm);
	vm->max_chunk = 0;
	unsigned calls = vm->out_calls;
	tx_add(vm, 0, 10 * VIRTIO_CONSOLE_CHUNK + 1, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->out_calls - calls, 11);
	assert_int_equal(vm->max_chunk, VIRTIO_CONSOLE_CHUNK);
	assert_memory_equal(vm->out, src, 10 * VIRTIO_CONSOLE_CHUNK + 1);
	assert_int_equal(vm->con.errors, 0);
	/* buffers made available before DRIVER_OK are output once it is set */
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mwr(vm, VIRTIO_MMIO_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	vm->indirect = vm->event_idx = false;
	queue_setup(vm, RXQ, 16);
	queue_setup(vm, TXQ, 16);
	out_clear(vm);
	tx_add(vm, 0, 10, 1);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_int_equal(vm->out_len, 0);
	assert_false(virtio_console_process_tx(&vm->con));
	assert_int_equal(vm->out_len, 0);
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vm->out_len, 10);
	assert_memory_equal(vm->out, src, 10);
}

static void test_rx_input(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	uint8_t in[256];

	fill(in, sizeof(in), 9);
	for (unsigned combo = 0; combo < 4; combo++) {
		uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_CONSOLE_F_SIZE);
		if (combo & 1)
			want |= F(VIRTIO_F_EVENT_IDX);
		if (combo & 2)
			want |= F(VIRTIO_F_INDIRECT_DESC);
		/* not running yet: nothing accepted */
		mwr(vm, VIRTIO_MMIO_STATUS, 0);
		assert_int_equal(virtio_console_input(&vm->con, in, 10), 0);
		assert_false(virtio_console_rx_space(&vm->con));
		assert_int_equal(drv_init(vm, AREA, 16, want), want);
		uint64_t bytes_in = vm->con.bytes_in, bufs = vm->con.rx_bufs;
		/* nothing posted */
		assert_false(virtio_console_rx_space(&vm->con));
		assert_int_equal(virtio_console_input(&vm->con, in, 10), 0);
		assert_false(vm->level);

		memset(hva(vm, data_gpa(vm, 0)), 0xee, 4096);
		int b1 = rx_post(vm, 0, 8, 1);
		int b2 = rx_post(vm, 1024, 16, 2); /* split in two descriptors */
		int b3 = rx_post(vm, 2048, 4, 1);
		drv_kick(vm, RXQ);
		assert_true(virtio_console_rx_space(&vm->con));
		/* len 0 takes no buffer */
		assert_int_equal(virtio_console_input(&vm->con, in, 0), 0);
		assert_int_equal(used_idx(vm, RXQ), 0);
		/* partial fill of the first buffer */
		assert_int_equal(virtio_console_input(&vm->con, in, 5), 5);
		assert_true(vm->level);
		drv_irq(vm);
		assert_true(vm->q[RXQ].done[b1]);
		assert_int_equal(vm->q[RXQ].used_len[b1], 5);
		assert_memory_equal(hva(vm, data_gpa(vm, 0)), in, 5);
		assert_int_equal(*hva(vm, data_gpa(vm, 5)), 0xee);
		/* spans the remaining buffers; the rest is left to the caller */
		assert_int_equal(virtio_console_input(&vm->con, in + 5, 30), 20);
		drv_irq(vm);
		assert_int_equal(vm->q[RXQ].used_len[b2], 16);
		assert_int_equal(vm->q[RXQ].used_len[b3], 4);
		assert_memory_equal(hva(vm, data_gpa(vm, 1024)), in + 5, 16);
		assert_memory_equal(hva(vm, data_gpa(vm, 2048)), in + 21, 4);
		assert_int_equal(*hva(vm, data_gpa(vm, 2052)), 0xee);
		assert_false(virtio_console_rx_space(&vm->con));
		assert_int_equal(virtio_console_input(&vm->con, in + 25, 10), 0);
		assert_int_equal(vm->con.bytes_in - bytes_in, 25);
		assert_int_equal(vm->con.rx_bufs - bufs, 3);
		assert_int_equal(vm->q[RXQ].num_free, 16);
		/* many one-byte buffers: one per byte */
		for (unsigned i = 0; i < 16; i++)
			rx_post(vm, 4096 + i, 1, 1);
		drv_kick(vm, RXQ);
		assert_int_equal(virtio_console_input(&vm->con, in, sizeof(in)), 16);
		drv_irq(vm);
		assert_memory_equal(hva(vm, data_gpa(vm, 4096)), in, 16);
		assert_int_equal(vm->q[RXQ].num_free, 16);
		assert_int_equal(vm->q[RXQ].bogus, 0);
		assert_int_equal(vm->con.errors, 0);
	}
	/* the whole queue in one call (64 buffers = the per-call budget) */
	drv_init(vm, AREA, 64, ALL_FEATURES);
	for (unsigned i = 0; i < 64; i++)
		rx_post(vm, i, 1, 1);
	drv_kick(vm, RXQ);
	assert_int_equal(virtio_console_input(&vm->con, in, sizeof(in)), 64);
	assert_memory_equal(hva(vm, data_gpa(vm, 0)), in, 64);
	drv_irq(vm);
	assert_int_equal(vm->q[RXQ].num_free, 64);
}

static void test_rx_ready_and_echo(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	unsigned ready = vm->rx_ready;
	/* posting receive buffers notifies the host (first kick is always sent) */
	int b = rx_post(vm, 0, 64, 1);
	drv_kick(vm, RXQ);
	assert_int_equal(vm->rx_ready, ready + 1);
	/* output into the transmitq, echoed back inside output() */
	vm->echo = true;
	memcpy(hva(vm, data_gpa(vm, 4096)), "hello", 5);
	int t = drv_add(vm, TXQ, &(struct sg){data_gpa(vm, 4096), 5, false}, 1);
	drv_kick(vm, TXQ);
	vm->echo = false;
	drv_irq(vm);
	assert_true(vm->q[TXQ].done[t]);
	assert_true(vm->q[RXQ].done[b]);
	assert_int_equal(vm->q[RXQ].used_len[b], 5);
	assert_memory_equal(hva(vm, data_gpa(vm, 0)), "hello", 5);
	/* queue empty: with event index the device asked for a kick at the next buffer */
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"x", 1), 0);
	assert_int_equal(r16(vm, vm->q[RXQ].base + L_USED + 4 + 8u * 16), vm->q[RXQ].avail_shadow);
	ready = vm->rx_ready;
	rx_post(vm, 0, 64, 1);
	drv_kick(vm, RXQ);
	assert_int_equal(vm->rx_ready, ready + 1);
	/* a kick of an unknown queue is ignored */
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	assert_int_equal(vm->rx_ready, ready + 1);
	/* no rx_ready callback: a kick just does nothing */
	vm->ops.rx_ready = NULL;
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, RXQ);
	vm->ops.rx_ready = host_rx_ready;
	assert_int_equal(vm->rx_ready, ready + 1);
	assert_true(virtio_mmio_running(&vm->con.mmio));
}

static void test_wrong_direction(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	uint8_t *src = hva(vm, data_gpa(vm, 0));

	for (unsigned ind = 0; ind < 2; ind++) {
		drv_init(vm, AREA, 16, ind ? ALL_FEATURES : F(VIRTIO_F_VERSION_1));
		fill(src, 4096, 1);
		out_clear(vm);
		uint64_t errors = vm->con.errors;
		/* TX: writable-only, then readable + writable, then a good one */
		int h1 = drv_add(vm, TXQ, &(struct sg){data_gpa(vm, 0), 16, true}, 1);
		struct sg mixed[2] = {{data_gpa(vm, 0), 16, false}, {data_gpa(vm, 64), 16, true}};
		int h2 = drv_add(vm, TXQ, mixed, 2);
		int h3 = tx_add(vm, 100, 10, 1);
		drv_kick(vm, TXQ);
		drv_irq(vm);
		assert_true(vm->q[TXQ].done[h1] && vm->q[TXQ].done[h2] && vm->q[TXQ].done[h3]);
		assert_int_equal(vm->q[TXQ].used_len[h1], 0);
		assert_int_equal(vm->q[TXQ].used_len[h2], 0);
		assert_int_equal(vm->out_len, 10);
		assert_memory_equal(vm->out, src + 100, 10);
		assert_int_equal(vm->con.errors, errors + 2);
		/* nothing written into the guest's "writable" TX buffers */
		uint8_t ref[80];
		fill(ref, sizeof(ref), 1);
		assert_memory_equal(src, ref, sizeof(ref));

		/* RX: readable-only, readable + writable, empty, then a good one */
		uint8_t *dst = hva(vm, data_gpa(vm, 8192));
		memset(dst, 0xee, 256);
		int r1 = drv_add(vm, RXQ, &(struct sg){data_gpa(vm, 8192), 16, false}, 1);
		struct sg rmixed[2] = {{data_gpa(vm, 8192 + 16), 16, false},
		                       {data_gpa(vm, 8192 + 32), 16, true}};
		int r2 = drv_add(vm, RXQ, rmixed, 2);
		struct sg empty[2] = {{data_gpa(vm, 8192 + 48), 0, true},
		                      {data_gpa(vm, 8192 + 48), 0, true}};
		int r3 = drv_add(vm, RXQ, empty, 2);
		int r4 = rx_post(vm, 8192 + 128, 16, 1);
		drv_kick(vm, RXQ);
		assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"abc", 3), 3);
		drv_irq(vm);
		assert_int_equal(vm->q[RXQ].used_len[r1], 0);
		assert_int_equal(vm->q[RXQ].used_len[r2], 0);
		assert_int_equal(vm->q[RXQ].used_len[r3], 0);
		assert_int_equal(vm->q[RXQ].used_len[r4], 3);
		assert_memory_equal(dst + 128, "abc", 3);
		for (unsigned i = 0; i < 128; i++)
			assert_int_equal(dst[i], 0xee);
		assert_int_equal(vm->con.errors, errors + 5);
		/* only refused buffers posted: the input is not accepted */
		drv_add(vm, RXQ, &(struct sg){data_gpa(vm, 8192), 16, false}, 1);
		drv_kick(vm, RXQ);
		assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"abc", 3), 0);
		assert_true(vm->level); /* the refused buffer was still returned */
		drv_irq(vm);
		assert_int_equal(vm->q[RXQ].num_free, 16);
		assert_int_equal(vm->q[TXQ].num_free, 16);
		assert_true(virtio_mmio_running(&vm->con.mmio));
	}
}

static void test_oversized_tx(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	const uint32_t len = 200u << 10;
	uint8_t *src = hva(vm, data_gpa(vm, 0));

	drv_init(vm, AREA, 16, ALL_FEATURES);
	fill(src, len, 4);
	out_clear(vm);
	uint64_t errors = vm->con.errors, dropped = vm->con.dropped;
	/* legal chain (in RAM, under VIRTQ_MAX_CHAIN_LEN) but over the per-buffer cap */
	int h = tx_add(vm, 0, len, 3);
	int h2 = tx_add(vm, 0, 7, 1);
	drv_kick(vm, TXQ);
	/* the big one used up this call's byte budget */
	assert_true(vm->con.backlog);
	assert_int_equal(vm->out_len, VIRTIO_CONSOLE_TX_CHAIN_MAX);
	assert_false(virtio_console_process_tx(&vm->con));
	drv_irq(vm);
	assert_true(vm->q[TXQ].done[h] && vm->q[TXQ].done[h2]);
	assert_int_equal(vm->out_len, VIRTIO_CONSOLE_TX_CHAIN_MAX + 7);
	assert_memory_equal(vm->out, src, VIRTIO_CONSOLE_TX_CHAIN_MAX);
	assert_memory_equal(vm->out + VIRTIO_CONSOLE_TX_CHAIN_MAX, src, 7);
	assert_int_equal(vm->con.dropped - dropped, len - VIRTIO_CONSOLE_TX_CHAIN_MAX);
	assert_int_equal(vm->con.errors - errors, 1);
	/* a whole-RAM buffer: still bounded */
	out_clear(vm);
	drv_add(vm, TXQ, &(struct sg){RAM_BASE, RAM_SIZE, false}, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->out_len, VIRTIO_CONSOLE_TX_CHAIN_MAX);
	drv_irq(vm);
	assert_true(virtio_mmio_running(&vm->con.mmio));
}

static void test_suppression(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	struct dq *t = &vm->q[TXQ], *r = &vm->q[RXQ];
	tx_add(vm, 0, 4, 1);
	drv_kick(vm, TXQ);
	drv_irq(vm);
	/* device drained the ring: it asked to be kicked at the next entry */
	assert_int_equal(r16(vm, t->base + L_USED + 4 + 8u * 16), t->avail_shadow);
	/* TX: interrupt only when the third next buffer is used */
	w16(vm, t->base + L_AVAIL + 4 + 2u * 16, (uint16_t)(t->last_used + 2));
	unsigned raises = vm->raises;
	for (int i = 0; i < 3; i++) {
		tx_add(vm, 0, 4, 1);
		drv_kick(vm, TXQ);
		assert_int_equal(vm->raises, raises + (i == 2));
	}
	drv_irq(vm);
	assert_int_equal(t->num_free, 16);
	/* RX: same with input */
	for (int i = 0; i < 4; i++)
		rx_post(vm, 64u * (unsigned)i, 8, 1);
	drv_kick(vm, RXQ);
	w16(vm, r->base + L_AVAIL + 4 + 2u * 16, (uint16_t)(r->last_used + 1));
	raises = vm->raises;
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"a", 1), 1);
	assert_int_equal(vm->raises, raises);
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"b", 1), 1);
	assert_int_equal(vm->raises, raises + 1);
	drv_irq(vm);
	/* without event index: NO_INTERRUPT on either queue */
	drv_init(vm, AREA, 16, ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX));
	w16(vm, t->base + L_AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	w16(vm, r->base + L_AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	raises = vm->raises;
	tx_add(vm, 0, 4, 1);
	drv_kick(vm, TXQ);
	rx_post(vm, 0, 8, 1);
	drv_kick(vm, RXQ);
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"c", 1), 1);
	assert_int_equal(vm->raises, raises);
	assert_int_equal(used_idx(vm, TXQ), 1);
	assert_int_equal(used_idx(vm, RXQ), 1);
	w16(vm, t->base + L_AVAIL, 0);
	tx_add(vm, 0, 4, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->raises, raises + 1);
	drv_irq(vm);
	assert_int_equal(t->num_free, 16);
	assert_int_equal(r->num_free, 16);
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

/* Publish a broken chain on queue @qi (descriptors 14/15, clear of the driver's). */
static void corrupt(struct vm *vm, unsigned qi, enum hostile h)
{
	struct dq *d = &vm->q[qi];
	uint64_t desc = d->base + L_DESC + 16 * 14, buf = data_gpa(vm, 0);
	uint64_t ind = d->base + L_IND + 16u * IND_SLOTS * 14;
	uint16_t head = 14, nflags = VIRTQ_DESC_F_NEXT, wr = qi == RXQ ? VIRTQ_DESC_F_WRITE : 0;

	switch (h) {
	case H_LOOP:
		put_desc(vm, desc, buf, 16, wr | nflags, 15);
		put_desc(vm, desc + 16, buf, 16, wr | nflags, 14);
		break;
	case H_OOB:
		put_desc(vm, desc, RAM_BASE + RAM_SIZE - 8, 16, wr, 0);
		break;
	case H_HEAD:
		head = d->qsize;
		break;
	case H_NEXT:
		put_desc(vm, desc, buf, 16, wr | nflags, 200);
		break;
	case H_AVAIL_JUMP:
		w16(vm, d->base + L_AVAIL + 2, (uint16_t)(d->avail_shadow + d->qsize + 1));
		return;
	case H_HUGE_LEN:
		put_desc(vm, desc, buf, 0xfffffff0u, wr, 0);
		break;
	case H_NESTED:
		put_desc(vm, ind, ind + 256, 16, VIRTQ_DESC_F_INDIRECT, 0);
		put_desc(vm, desc, ind, 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case H_IND_NEXT:
		put_desc(vm, ind, buf, 16, wr, 0);
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
			put_desc(vm, ind + 16u * i, buf + i, 1,
			         (uint16_t)(wr | (i < 64 ? nflags : 0)), (uint16_t)(i + 1));
		put_desc(vm, desc, ind, 65 * 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	}
	w16(vm, d->base + L_AVAIL + 4 + 2u * (d->avail_shadow & (d->qsize - 1)), head);
	w16(vm, d->base + L_AVAIL + 2, (uint16_t)(d->avail_shadow + 1));
}

static void test_hostile_tx(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;

	fill(hva(vm, data_gpa(vm, 0)), 64, 2);
	for (int h = 0; h < H_COUNT; h++) {
		drv_init(vm, AREA, 16, ALL_FEATURES);
		out_clear(vm);
		/* a good buffer first: it completes in the same batch as the bad one */
		int good = tx_add(vm, 0, 8, 1);
		uint16_t used = used_idx(vm, TXQ);
		corrupt(vm, TXQ, (enum hostile)h);
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
		assert_true(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_false(virtio_mmio_running(&vm->con.mmio));
		assert_true(vm->level);
		assert_false(vm->con.backlog);
		if (h == H_AVAIL_JUMP) {
			/* caught before anything was consumed */
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG);
			assert_int_equal(vm->out_len, 0);
		} else {
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG | VIRTIO_MMIO_INT_VRING);
			assert_int_equal(vm->out_len, 8);
			used++;
			drv_irq(vm);
			assert_true(vm->q[TXQ].done[good]);
		}
		assert_int_equal(used_idx(vm, TXQ), used);
		/* further kicks, input and processing do nothing */
		size_t out = vm->out_len;
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
		assert_false(virtio_console_process_tx(&vm->con));
		rx_post(vm, 0, 8, 1);
		assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"x", 1), 0);
		assert_false(virtio_console_rx_space(&vm->con));
		assert_int_equal(vm->out_len, out);
		assert_int_equal(used_idx(vm, TXQ), used);
		assert_int_equal(used_idx(vm, RXQ), 0);
		/* the driver resets and the device works again */
		drv_init(vm, AREA, 16, ALL_FEATURES);
		assert_false(vm->level);
		out_clear(vm);
		tx_add(vm, 0, 8, 2);
		drv_kick(vm, TXQ);
		assert_int_equal(vm->out_len, 8);
		assert_memory_equal(vm->out, hva(vm, data_gpa(vm, 0)), 8);
	}
}

static void test_hostile_rx(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	uint8_t *dst = hva(vm, data_gpa(vm, 4096));

	for (int h = 0; h < H_COUNT; h++) {
		drv_init(vm, AREA, 16, ALL_FEATURES);
		memset(dst, 0, 16);
		int good = rx_post(vm, 4096, 4, 1);
		drv_kick(vm, RXQ);
		corrupt(vm, RXQ, (enum hostile)h);
		drv_kick(vm, RXQ);
		/* the device sees the bad chain only when it needs a buffer */
		assert_true(virtio_mmio_running(&vm->con.mmio));
		size_t n = virtio_console_input(&vm->con, (const uint8_t *)"0123456789", 10);
		assert_true(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_true(vm->level);
		if (h == H_AVAIL_JUMP) {
			assert_int_equal(n, 0);
			assert_int_equal(used_idx(vm, RXQ), 0);
		} else {
			/* the good buffer was filled and returned before the break */
			assert_int_equal(n, 4);
			drv_irq(vm);
			assert_true(vm->q[RXQ].done[good]);
			assert_memory_equal(dst, "0123", 4);
			assert_int_equal(used_idx(vm, RXQ), 1);
		}
		assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"x", 1), 0);
		/* TX is stopped too (device-wide error state) */
		out_clear(vm);
		tx_add(vm, 0, 8, 1);
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
		assert_int_equal(vm->out_len, 0);
		drv_init(vm, AREA, 16, ALL_FEATURES);
		rx_post(vm, 4096, 4, 1);
		drv_kick(vm, RXQ);
		assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"ok", 2), 2);
		assert_memory_equal(dst, "ok", 2);
	}
}

/* Echo into a broken receiveq from inside output(): transmit stops there too. */
static void test_echo_into_broken_rxq(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	corrupt(vm, RXQ, H_LOOP);
	out_clear(vm);
	tx_add(vm, 0, 4, 1);
	tx_add(vm, 4, 4, 1);
	vm->echo = true;
	drv_kick(vm, TXQ);
	vm->echo = false;
	assert_true(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_int_equal(vm->out_len, 4);
	assert_int_equal(used_idx(vm, TXQ), 1);
	assert_false(vm->con.backlog);
	assert_false(virtio_console_process_tx(&vm->con));
	assert_int_equal(vm->out_len, 4);
}

static void test_reset_mid_stream(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	const uint64_t area2 = RAM_BASE + 0x40000;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	out_clear(vm);
	for (int i = 0; i < 4; i++)
		tx_add(vm, 64u * (unsigned)i, 64, 1);
	for (int i = 0; i < 4; i++)
		rx_post(vm, 4096 + 64u * (unsigned)i, 64, 1);
	/* the guest resets the device with buffers in flight on both queues */
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, TXQ);
	assert_false(virtio_console_process_tx(&vm->con));
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"x", 1), 0);
	assert_false(virtio_console_rx_space(&vm->con));
	assert_int_equal(vm->out_len, 0);
	assert_int_equal(used_idx(vm, TXQ), 0);
	assert_int_equal(used_idx(vm, RXQ), 0);
	uint8_t before[2 * Q_STRIDE + 0x2000];
	memcpy(before, hva(vm, AREA), sizeof(before));
	/* re-initialised elsewhere: the old rings and buffers are never touched again */
	drv_init(vm, area2, 16, ALL_FEATURES);
	fill(hva(vm, data_gpa(vm, 0)), 64, 5);
	tx_add(vm, 0, 64, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->out_len, 64);
	assert_memory_equal(vm->out, hva(vm, data_gpa(vm, 0)), 64);
	rx_post(vm, 4096, 8, 1);
	drv_kick(vm, RXQ);
	assert_int_equal(virtio_console_input(&vm->con, (const uint8_t *)"new", 3), 3);
	assert_memory_equal(hva(vm, data_gpa(vm, 4096)), "new", 3);
	assert_memory_equal(before, hva(vm, AREA), sizeof(before));

	/* reset while a transmit backlog is pending: the backlog is gone */
	drv_init(vm, AREA, 64, ALL_FEATURES);
	for (int i = 0; i < 32; i++)
		tx_add(vm, 0, 8192, 1);
	drv_kick(vm, TXQ);
	assert_true(vm->con.backlog);
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	assert_false(vm->con.backlog);
	out_clear(vm);
	assert_false(virtio_console_process_tx(&vm->con));
	assert_int_equal(vm->out_len, 0);
	/* transmitq disabled by the driver mid-stream */
	drv_init(vm, AREA, 64, ALL_FEATURES);
	for (int i = 0; i < 32; i++)
		tx_add(vm, 0, 8192, 1);
	drv_kick(vm, TXQ);
	assert_true(vm->con.backlog);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, TXQ);
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 0);
	out_clear(vm);
	assert_false(virtio_console_process_tx(&vm->con));
	assert_false(vm->con.backlog);
	assert_int_equal(vm->out_len, 0);
	/* host-side reset (VM reboot) */
	virtio_mmio_reset(&vm->con.mmio);
	assert_false(virtio_mmio_running(&vm->con.mmio));
	assert_false(vm->level);
	drv_init(vm, AREA, 16, ALL_FEATURES);
	tx_add(vm, 0, 3, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->out_len, 3);
}

static void test_budget(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;

	/* byte budget: 32 buffers of 8 KiB, 64 KiB per call */
	drv_init(vm, AREA, 64, ALL_FEATURES);
	fill(hva(vm, data_gpa(vm, 0)), 8192, 6);
	out_clear(vm);
	for (int i = 0; i < 32; i++)
		assert_true(tx_add(vm, 0, 8192, 1) >= 0);
	drv_kick(vm, TXQ);
	assert_true(vm->con.backlog);
	assert_int_equal(vm->out_len, VIRTIO_CONSOLE_BUDGET_BYTES);
	assert_int_equal(used_idx(vm, TXQ), VIRTIO_CONSOLE_BUDGET_BYTES / 8192);
	assert_true(vm->level);
	drv_irq(vm);
	/* not re-armed: further kicks are suppressed until the owner comes back */
	unsigned kicks = vm->q[TXQ].kicks;
	tx_add(vm, 0, 8192, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->q[TXQ].kicks, kicks);
	unsigned rounds = 0;
	while (virtio_console_process_tx(&vm->con))
		rounds++;
	assert_int_equal(rounds, 3);
	assert_false(vm->con.backlog);
	assert_int_equal(vm->out_len, 33u * 8192);
	for (unsigned i = 0; i < 33; i++)
		assert_memory_equal(vm->out + 8192u * i, hva(vm, data_gpa(vm, 0)), 8192);
	drv_irq(vm);
	assert_int_equal(vm->q[TXQ].num_free, 64);

	/* buffer budget: a guest that keeps re-posting the same buffer */
	out_clear(vm);
	int h = tx_add(vm, 0, 1, 1);
	vm->refill = 1;
	vm->refill_head = (uint16_t)h;
	uint64_t bufs = vm->con.tx_bufs;
	drv_kick(vm, TXQ);
	assert_true(vm->con.backlog);
	assert_int_equal(vm->con.tx_bufs - bufs, VIRTIO_CONSOLE_BUDGET_CHAINS);
	assert_true(virtio_console_process_tx(&vm->con));
	assert_int_equal(vm->con.tx_bufs - bufs, 2 * VIRTIO_CONSOLE_BUDGET_CHAINS);
	vm->refill = 0;
	assert_false(virtio_console_process_tx(&vm->con));
	assert_int_equal(vm->out_len, 2 * VIRTIO_CONSOLE_BUDGET_CHAINS + 1);
	/* the driver sees its buffer id many times: bogus completions only */
	assert_true(virtio_mmio_running(&vm->con.mmio));
}

/* ---- fuzzer: random rings, registers and input; memory must stay inside RAM ---- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t fuzz_addr(struct vm *vm)
{
	const uint64_t v[] = {RAM_BASE,
	                      RAM_BASE + RAM_SIZE - 1,
	                      RAM_BASE + RAM_SIZE,
	                      RAM_BASE - 16,
	                      0,
	                      ~0ULL - 15,
	                      vm->q[rnd() % 2].base + L_IND,
	                      vm->q[rnd() % 2].base + L_DESC};
	if (rnd() % 2)
		return data_gpa(vm, (uint32_t)(rnd() % 0x60000));
	return v[rnd() % (sizeof(v) / sizeof(v[0]))] + rnd() % 32;
}

static uint32_t fuzz_len(void)
{
	const uint32_t v[] = {0,   1,    15,    16,    17,       255,
	                      256, 4096, 65536, 65537, RAM_SIZE, 0xffffffffu};
	if (rnd() % 2)
		return (uint32_t)(rnd() % 600);
	return v[rnd() % (sizeof(v) / sizeof(v[0]))];
}

static void fuzz_one(struct vm *vm)
{
	unsigned qi = (unsigned)(rnd() % 2);
	struct dq *d = &vm->q[qi];
	uint8_t in[300];
	uint64_t v;

	switch (rnd() % 16) {
	case 0:
	case 1:
	case 2: {
		struct sg sg[4];
		unsigned n = 1 + (unsigned)(rnd() % 4);
		for (unsigned i = 0; i < n; i++)
			sg[i] =
			    (struct sg){data_gpa(vm, (uint32_t)(rnd() % 0x60000)),
			                (uint32_t)(rnd() % 700), (rnd() % 8 == 0) != (qi == RXQ)};
		drv_add(vm, qi, sg, n);
		if (rnd() % 2)
			drv_kick(vm, qi);
		break;
	}
	case 3:
	case 4: {
		uint64_t table = (rnd() % 3) ? d->base + L_DESC : d->base + L_IND;
		put_desc(vm, table + 16 * (rnd() % (d->qsize + 2u)), fuzz_addr(vm), fuzz_len(),
		         (uint16_t)(rnd() % 8), (uint16_t)(rnd() % (d->qsize + 2u)));
		break;
	}
	case 5:
		*hva(vm, vm->area + rnd() % L_DATA) = (uint8_t)rnd();
		break;
	case 6:
		w16(vm, d->base + L_AVAIL + 2, (uint16_t)(d->avail_shadow + rnd() % 3));
		break;
	case 7:
		publish(vm, qi, (uint16_t)(rnd() % (d->qsize + 2u)));
		break;
	case 8:
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, (rnd() % 4) ? qi : (uint32_t)rnd());
		break;
	case 9:
		drv_irq(vm);
		break;
	case 10:
	case 11: {
		size_t n = (size_t)(rnd() % sizeof(in));
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)rnd();
		bool space = virtio_console_rx_space(&vm->con);
		size_t got = virtio_console_input(&vm->con, in, n);
		assert_true(got <= n);
		if (!space)
			assert_int_equal(got, 0);
		break;
	}
	case 12:
		virtio_mmio_write(&vm->con.mmio, (rnd() % 2) ? 4 * (rnd() % 0x40) : rnd() % 0x210,
		                  (unsigned)(1u << (rnd() % 4)), (rnd() % 2) ? rnd() % 4 : rnd());
		break;
	case 13:
		virtio_mmio_read(&vm->con.mmio, rnd() % 0x210, (unsigned)(1u << (rnd() % 4)), &v);
		break;
	case 14:
		if (!virtio_mmio_running(&vm->con.mmio) || rnd() % 32 == 0) {
			uint64_t want = F(VIRTIO_F_VERSION_1) | (rnd() & ALL_FEATURES);
			drv_init(vm, AREA, (uint16_t)(1u << (rnd() % 7)), want);
		}
		break;
	default:
		virtio_console_process_tx(&vm->con);
		if (vm->out_len > OUT_CAP / 2)
			out_clear(vm);
		break;
	}
}

static void test_fuzz(void **state)
{
	(void)state;
	struct vm *vm = &the_vm;
	const char *env = getenv("FV_FUZZ_OPS");
	unsigned long ops = env ? strtoul(env, NULL, 0) : 300000;
	const uint8_t *canary = map_base + GUARD + RAM_SIZE;
	const uint64_t canary_sum = checksum(canary, CANARY);
	unsigned long stopped = 0;

	drv_init(vm, AREA, 16, ALL_FEATURES);
	for (unsigned long n = 0; n < ops; n++) {
		stopped += !virtio_mmio_running(&vm->con.mmio);
		fuzz_one(vm);
		assert_true(vm->max_chunk <= VIRTIO_CONSOLE_CHUNK);
		if (n % 65536 == 0)
			assert_true(checksum(canary, CANARY) == canary_sum);
	}
	assert_true(checksum(canary, CANARY) == canary_sum);
	printf("fuzz: %lu ops (%lu with the device stopped): %llu tx / %llu rx buffers, "
	       "%llu bytes out, %llu in, %llu refused\n",
	       ops, stopped, (unsigned long long)vm->con.tx_bufs,
	       (unsigned long long)vm->con.rx_bufs, (unsigned long long)vm->con.bytes_out,
	       (unsigned long long)vm->con.bytes_in, (unsigned long long)vm->con.errors);
	assert_true(vm->con.tx_bufs > ops / 100 && vm->con.rx_bufs > ops / 100);
	/* whatever happened, a reset brings back a working device */
	drv_init(vm, AREA, 16, ALL_FEATURES);
	out_clear(vm);
	memcpy(hva(vm, data_gpa(vm, 0)), "alive", 5);
	tx_add(vm, 0, 5, 1);
	drv_kick(vm, TXQ);
	assert_int_equal(vm->out_len, 5);
	assert_memory_equal(vm->out, "alive", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_probe_config, per_test),
	    cmocka_unit_test_setup(test_tx_order, per_test),
	    cmocka_unit_test_setup(test_rx_input, per_test),
	    cmocka_unit_test_setup(test_rx_ready_and_echo, per_test),
	    cmocka_unit_test_setup(test_wrong_direction, per_test),
	    cmocka_unit_test_setup(test_oversized_tx, per_test),
	    cmocka_unit_test_setup(test_suppression, per_test),
	    cmocka_unit_test_setup(test_hostile_tx, per_test),
	    cmocka_unit_test_setup(test_hostile_rx, per_test),
	    cmocka_unit_test_setup(test_echo_into_broken_rxq, per_test),
	    cmocka_unit_test_setup(test_reset_mid_stream, per_test),
	    cmocka_unit_test_setup(test_budget, per_test),
	    cmocka_unit_test_setup(test_fuzz, per_test),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
