/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the emulated virtio-net device (hyp/vdev/virtio_net.c) on
 * the virtio-mmio transport, driven through MMIO by a fake guest driver with
 * a receive and a transmit queue (free lists, indirect tables for
 * multi-segment buffers, event index for kicks and interrupts).
 *
 * Covered: probe, feature offer and config space (MAC, link status, zeroes
 * past the meaningful fields, ignored writes, link change notification);
 * transmit with arbitrary descriptor splits (header split, byte-sized
 * segments, indirect and direct chains), malformed transmit chains (short
 * header, runt/oversized frames, device-writable descriptors); receive into
 * posted buffers (header contents, num_buffers = 1, split buffers, exact
 * fit), no buffer (-FV_EAGAIN then rx_ready), too small buffers, interrupt
 * suppression; the device stopped (before DRIVER_OK, link down, needs
 * reset); hostile rings on both queues (device error state, recovery by
 * reset); reset with buffers in flight; the per-call budget; avail index
 * wrap-around; loopback from inside the transmit callback; a fuzzer of
 * ring memory and registers confined to its VM's RAM; and two devices
 * joined by a struct vswitch exchanging a broadcast and unicast frames.
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

#include "vdev/virtio_net.h"
#include "vdev/vswitch.h"

#define RAM_BASE  0x80000000ULL
#define RAM_SIZE  (2u << 20)
#define GUARD     4096u
#define QMAX      256u
#define IND_SLOTS 16u /* indirect descriptors per buffer */
#define HDR       VIRTIO_NET_HDR_LEN

/* Guest layout (GPAs). Each queue area: desc, avail, used, indirect pool. */
#define SCRATCH  (RAM_BASE + 0x00000u) /* free-form data for hostile chains */
#define TXBUF    (RAM_BASE + 0x40000u) /* 2 KiB per TX head */
#define AREA_RX  (RAM_BASE + 0x100000u)
#define AREA_TX  (RAM_BASE + 0x120000u)
#define RXBUF    (RAM_BASE + 0x140000u) /* 2 KiB per RX head */
#define L_DESC   0x0000u
#define L_AVAIL  0x1000u
#define L_USED   0x2000u
#define L_IND    0x3000u /* QMAX tables of IND_SLOTS descriptors */
#define AREA_LEN 0x13000u
#define SLOT     2048u

#define F(bit) VIRTIO_FEAT(bit)
#define ALL_FEATURES                                                                               \
	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_EVENT_IDX) | F(VIRTIO_F_INDIRECT_DESC) |               \
	 F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS))
#define NET_F_MRG_RXBUF 15
#define NET_F_CSUM      0
#define NET_F_CTRL_VQ   17

#define TXLOG 16u

/* ---- one fake VM: RAM, device, driver, owner ---- */

struct dq {
	unsigned idx;  /* queue index */
	uint64_t area; /* GPA of the rings */
	uint16_t qsize;
	uint16_t free_head, num_free, avail_shadow, last_used, added;
	uint16_t next[QMAX];
	uint16_t ndesc[QMAX];
	bool busy[QMAX], done[QMAX];
	uint32_t used_len[QMAX];
	unsigned kicks, completed;
};

struct vm {
	const char *name;
	uint8_t *ram;
	struct virtio_net net;
	struct dq rx, tx;
	bool event_idx, indirect;
	bool level;
	unsigned raises, irqs, bogus;
	/* owner side */
	unsigned ntx, rx_ready_calls;
	size_t txlen[TXLOG];
	uint8_t txdata[TXLOG][VIRTIO_NET_MAX_FRAME];
	bool loopback; /* ops->tx delivers the frame back into this device */
	bool scribble; /* ops->tx: the "guest" rewrites its buffer before the owner copies it */
	int loop_rc;
	/* switch port */
	struct vswitch *sw;
	unsigned port;
	struct vswitch_pktq inbox;
	struct vswitch_pkt_slot slots[8];
};

struct sg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

static uint8_t *map_base;
static size_t map_len;
static struct vm vma, vmb; /* vmb's RAM follows vma's directly in host memory */
static struct vm *port_vm[VSWITCH_MAX_PORTS];
static uint64_t clock_now;

static const uint8_t MAC_A[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[6] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

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

static void drain_inbox(struct vm *vm)
{
	const uint8_t *f;
	size_t len;

	while (vswitch_pktq_peek(&vm->inbox, &f, &len)) {
		if (virtio_net_rx(&vm->net, f, len) == -FV_EAGAIN)
			break; /* keep it until the guest posts buffers */
		vswitch_pktq_pop(&vm->inbox);
	}
}

static void owner_tx(void *ctx, const struct virtio_net_txf *f)
{
	struct vm *vm = ctx;
	static uint8_t frame[VIRTIO_NET_MAX_FRAME];
	size_t len = f->len;

	assert_true(len >= VIRTIO_NET_MIN_FRAME && len <= VIRTIO_NET_MAX_FRAME);
	assert_int_equal(f->peek_len, MIN(len, (size_t)VIRTIO_NET_TXF_PEEK));
	if (vm->scribble) /* another vCPU of the sender rewrites the whole chain meanwhile */
		for (unsigned i = 0; i < f->chain->nread; i++)
			memset(f->chain->seg[i].hva, 0x5a, f->chain->seg[i].len);
	assert_int_equal(virtio_net_txf_copy(f, frame), len);
	/* The private header copy is what the guest's buffer held at pop time. */
	assert_memory_equal(frame, f->peek, f->peek_len);
	if (vm->ntx < TXLOG) {
		vm->txlen[vm->ntx] = len;
		memcpy(vm->txdata[vm->ntx], frame, len);
	}
	vm->ntx++;
	if (vm->loopback)
		vm->loop_rc = virtio_net_rx(&vm->net, frame, len);
	if (vm->sw) {
		uint32_t mask = vswitch_forward(vm->sw, vm->port, frame, len, clock_now);
		for (unsigned p = 0; p < VSWITCH_MAX_PORTS; p++) {
			if (!(mask & (1u << p)))
				continue;
			assert_non_null(port_vm[p]);
			vswitch_pktq_push(&port_vm[p]->inbox, frame, len);
			drain_inbox(port_vm[p]);
		}
	}
}

static void owner_rx_ready(void *ctx)
{
	struct vm *vm = ctx;

	vm->rx_ready_calls++;
	if (vm->sw)
		drain_inbox(vm);
}

static const struct virtio_net_ops owner_ops = {.tx = owner_tx, .rx_ready = owner_rx_ready};

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
	assert_int_equal(virtio_mmio_read(&vm->net.mmio, off, 4, &v), 0);
	return (uint32_t)v;
}

static uint64_t mrdw(struct vm *vm, uint32_t off, unsigned width)
{
	uint64_t v;
	assert_int_equal(virtio_mmio_read(&vm->net.mmio, off, width, &v), 0);
	return v;
}

static void mwr(struct vm *vm, uint32_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_write(&vm->net.mmio, off, 4, v), 0);
}

static void vm_create(struct vm *vm, const char *name, uint8_t *ram, const uint8_t *mac)
{
	memset(vm, 0, sizeof(*vm));
	vm->name = name;
	vm->ram = ram;
	assert_int_equal(virtio_net_init(&vm->net, mac, &owner_ops, vm, &host_ops, vm), 0);
	assert_int_equal(vswitch_pktq_init(&vm->inbox, vm->slots, 8), 0);
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

/* ---- the fake driver ---- */

static void dq_setup(struct vm *vm, struct dq *q, unsigned idx, uint64_t area, uint16_t qsize)
{
	memset(q, 0, sizeof(*q));
	q->idx = idx;
	q->area = area;
	q->qsize = qsize;
	memset(hva(vm, area), 0, AREA_LEN);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, idx);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_NET_QUEUE_MAX);
	mwr(vm, VIRTIO_MMIO_QUEUE_NUM, qsize);
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(area + L_DESC));
	mwr(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)((area + L_DESC) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)(area + L_AVAIL));
	mwr(vm, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)((area + L_AVAIL) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)(area + L_USED));
	mwr(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)((area + L_USED) >> 32));
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_READY), 1);
	for (unsigned i = 0; i < qsize; i++)
		q->next[i] = (uint16_t)(i + 1);
	q->num_free = qsize;
}

/* Probe and set up both queues; returns the negotiated features (0 if refused). */
static uint64_t drv_init(struct vm *vm, uint16_t rxsize, uint16_t txsize, uint64_t want)
{
	uint64_t f;

	assert_int_equal(mrd(vm, VIRTIO_MMIO_MAGIC_VALUE), VIRTIO_MMIO_MAGIC);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	assert_false(vm->level);
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
	dq_setup(vm, &vm->rx, VIRTIO_NET_RXQ, AREA_RX, rxsize);
	dq_setup(vm, &vm->tx, VIRTIO_NET_TXQ, AREA_TX, txsize);
	vm->event_idx = (f & F(VIRTIO_F_EVENT_IDX)) != 0;
	vm->indirect = (f & F(VIRTIO_F_INDIRECT_DESC)) != 0;
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_mmio_running(&vm->net.mmio));
	return f;
}

/* Add a buffer (virtqueue_add_split); returns the head or -1 if full. */
static int drv_add(struct vm *vm, struct dq *q, const struct sg *sg, unsigned n)
{
	bool ind = vm->indirect && n > 1 && n <= IND_SLOTS;
	unsigned need = ind ? 1 : n;
	uint16_t head = q->free_head, i = head;

	if (n == 0 || q->num_free < need)
		return -1;
	if (ind) {
		uint64_t table = q->area + L_IND + 16u * IND_SLOTS * head;
		for (unsigned k = 0; k < n; k++)
			put_desc(vm, table + 16u * k, sg[k].gpa, sg[k].len,
			         (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			                    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			         (uint16_t)(k + 1));
		put_desc(vm, q->area + L_DESC + 16u * head, table, 16u * n, VIRTQ_DESC_F_INDIRECT,
		         0);
		i = q->next[head];
	} else {
		for (unsigned k = 0; k < n; k++) {
			put_desc(vm, q->area + L_DESC + 16u * i, sg[k].gpa, sg[k].len,
			         (uint16_t)((sg[k].write ? VIRTQ_DESC_F_WRITE : 0) |
			                    (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			         q->next[i]);
			i = q->next[i];
		}
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - need);
	q->ndesc[head] = (uint16_t)need;
	q->busy[head] = true;
	q->done[head] = false;
	w16(vm, q->area + L_AVAIL + 4 + 2u * (q->avail_shadow & (q->qsize - 1)), head);
	q->avail_shadow++;
	w16(vm, q->area + L_AVAIL + 2, q->avail_shadow);
	q->added++;
	return head;
}

/* virtqueue_kick_prepare + notify */
static void drv_kick(struct vm *vm, struct dq *q)
{
	uint16_t now = q->avail_shadow, old = (uint16_t)(now - q->added);
	bool need;

	q->added = 0;
	if (vm->event_idx) {
		uint16_t ev = r16(vm, q->area + L_USED + 4 + 8u * q->qsize);
		need = (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	} else {
		need = !(r16(vm, q->area + L_USED) & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (need) {
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, q->idx);
		q->kicks++;
	}
}

/* virtqueue_get_buf until empty, then re-arm */
static void drv_collect(struct vm *vm, struct dq *q)
{
	for (;;) {
		while (q->last_used != r16(vm, q->area + L_USED + 2)) {
			uint64_t e = q->area + L_USED + 4 + 8u * (q->last_used & (q->qsize - 1));
			uint32_t id = r32(vm, e), len = r32(vm, e + 4);
			q->last_used++;
			if (id >= q->qsize || !q->busy[id]) {
				vm->bogus++; /* only possible when the guest scribbled */
				continue;
			}
			uint16_t last = (uint16_t)id;
			for (unsigned k = 1; k < q->ndesc[id]; k++)
				last = q->next[last];
			q->next[last] = q->free_head;
			q->free_head = (uint16_t)id;
			q->num_free = (uint16_t)(q->num_free + q->ndesc[id]);
			q->busy[id] = false;
			q->done[id] = true;
			q->used_len[id] = len;
			q->completed++;
		}
		if (vm->event_idx)
			w16(vm, q->area + L_AVAIL + 4 + 2u * q->qsize, q->last_used);
		if (q->last_used == r16(vm, q->area + L_USED + 2))
			break;
	}
}

/* Interrupt handler: ack, then collect both queues. */
static void drv_irq(struct vm *vm)
{
	if (!vm->level)
		return;
	vm->irqs++;
	mwr(vm, VIRTIO_MMIO_INTERRUPT_ACK, mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS));
	drv_collect(vm, &vm->rx);
	drv_collect(vm, &vm->tx);
}

/* ---- frames ---- */

static void mk_frame(uint8_t *p, const uint8_t *dst, const uint8_t *src, size_t len, unsigned seed)
{
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	p[12] = 0x08;
	p[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		p[i] = (uint8_t)((i * 31 + seed * 17) ^ (i >> 8));
}

/*
 * Queue a frame for transmission: header + frame laid out contiguously in
 * the head's TX slot and cut into descriptors at @cuts (increasing offsets
 * into header + frame). Returns the head, -1 if the ring is full.
 */
static int tx_add(struct vm *vm, const uint8_t *frame, size_t len, const uint32_t *cuts,
                  unsigned ncuts)
{
	struct dq *q = &vm->tx;
	uint64_t buf = TXBUF + (uint64_t)SLOT * q->free_head;
	struct sg sg[64];
	uint32_t total = (uint32_t)(HDR + len), start = 0;
	unsigned n = 0;

	assert_true(total <= SLOT);
	memset(hva(vm, buf), 0, HDR);
	memcpy(hva(vm, buf + HDR), frame, len);
	for (unsigned k = 0; k <= ncuts; k++) {
		uint32_t end = (cuts && k < ncuts) ? cuts[k] : total;
		assert_true(end >= start && end <= total && n < 64);
		sg[n++] = (struct sg){buf + start, end - start, false};
		start = end;
	}
	return drv_add(vm, q, sg, n);
}

/* Send one frame, kick, take the interrupt; checks it completed with length 0. */
static void tx_one(struct vm *vm, const uint8_t *frame, size_t len, const uint32_t *cuts,
                   unsigned ncuts)
{
	int head = tx_add(vm, frame, len, cuts, ncuts);

	assert_true(head >= 0);
	drv_kick(vm, &vm->tx);
	drv_irq(vm);
	assert_true(vm->tx.done[head]);
	assert_int_equal(vm->tx.used_len[head], 0);
}

/* Post a receive buffer of @n pieces of the given sizes in the head's RX slot. */
static int rx_post(struct vm *vm, const uint32_t *sizes, unsigned n)
{
	struct dq *q = &vm->rx;
	uint64_t buf = RXBUF + (uint64_t)SLOT * q->free_head, off = 0;
	struct sg sg[IND_SLOTS];

	assert_true(n <= IND_SLOTS);
	memset(hva(vm, buf), 0xaa, SLOT);
	for (unsigned k = 0; k < n; k++) {
		sg[k] = (struct sg){buf + off, sizes[k], true};
		off += sizes[k];
	}
	assert_true(off <= SLOT);
	return drv_add(vm, q, sg, n);
}

static int rx_post1(struct vm *vm, uint32_t size)
{
	return rx_post(vm, &size, 1);
}

/* The RX buffer @head holds header (num_buffers 1) + @frame. */
static void rx_check(struct vm *vm, int head, const uint8_t *frame, size_t len)
{
	static const uint8_t hdr[HDR] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};
	const uint8_t *buf = hva(vm, RXBUF + (uint64_t)SLOT * (unsigned)head);

	assert_true(head >= 0);
	assert_true(vm->rx.done[head]);
	assert_int_equal(vm->rx.used_len[head], HDR + len);
	assert_memory_equal(buf, hdr, HDR);
	assert_memory_equal(buf + HDR, frame, len);
	assert_int_equal(buf[HDR + len], 0xaa); /* nothing written past it */
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
	vm_create(&vma, "A", map_base + GUARD, MAC_A);
	vm_create(&vmb, "B", map_base + GUARD + RAM_SIZE, MAC_B);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(map_base, map_len);
	return 0;
}

/* Every test starts from fresh devices. */
static int fresh(void **state)
{
	(void)state;
	vm_create(&vma, "A", map_base + GUARD, MAC_A);
	vm_create(&vmb, "B", map_base + GUARD + RAM_SIZE, MAC_B);
	return 0;
}

/* ---- functional tests ---- */

static void test_probe_config(void **state)
{
	(void)state;
	struct vm *vm = &vma;

	assert_int_equal(mrd(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t f = mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	mwr(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f |= (uint64_t)mrd(vm, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	assert_int_equal(f, ALL_FEATURES);
	/* MRG_RXBUF, CSUM or CTRL_VQ are not offered: a driver insisting is refused */
	const unsigned extra[] = {NET_F_MRG_RXBUF, NET_F_CSUM, NET_F_CTRL_VQ};
	for (unsigned i = 0; i < 3; i++) {
		uint64_t f2 = ALL_FEATURES | F(extra[i]);
		mwr(vm, VIRTIO_MMIO_STATUS, 0);
		mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f2 >> 32));
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f2);
		mwr(vm, VIRTIO_MMIO_STATUS,
		    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
		assert_false(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	}
	/* a minimal driver (VERSION_1 only) works */
	assert_int_equal(drv_init(vm, 16, 16, F(VIRTIO_F_VERSION_1)), F(VIRTIO_F_VERSION_1));
	assert_int_equal(drv_init(vm, 16, 16, ALL_FEATURES), ALL_FEATURES);
	/* two queues, a third selects nothing */
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	/* config space, byte by byte and wider */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(mrdw(vm, 0x100 + i, 1), MAC_A[i]);
	assert_int_equal(mrd(vm, 0x100), 0x00005452u);
	assert_int_equal(mrdw(vm, 0x100 + VIRTIO_NET_CFG_STATUS, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(mrdw(vm, 0x100 + VIRTIO_NET_CFG_MAX_VQP, 2), 1);
	assert_int_equal(mrdw(vm, 0x100 + VIRTIO_NET_CFG_MTU, 2), 0);
	assert_int_equal(mrdw(vm, 0x104, 8), 0x0000000100010a00ULL);
	for (unsigned off = 12; off < 0x100; off += 4)
		assert_int_equal(mrd(vm, 0x100 + off), 0);
	/* writes are ignored and do not disturb the device */
	uint32_t gen = mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION);
	for (unsigned off = 0; off < 24; off++)
		assert_int_equal(virtio_mmio_write(&vm->net.mmio, 0x100 + off, 1, 0x77), 0);
	assert_int_equal(virtio_mmio_write(&vm->net.mmio, 0x100, 8, ~0ULL), 0);
	assert_int_equal(mrdw(vm, 0x100, 1), MAC_A[0]);
	assert_int_equal(mrdw(vm, 0x105, 1), MAC_A[5]);
	assert_int_equal(mrdw(vm, 0x106, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	assert_true(virtio_mmio_running(&vm->net.mmio));
	/* link down / up: status bit and a configuration change notification */
	virtio_net_set_link(&vm->net, false);
	assert_int_equal(mrdw(vm, 0x106, 2), 0);
	assert_int_not_equal(mrd(vm, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	assert_true(vm->level);
	assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	mwr(vm, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	virtio_net_set_link(&vm->net, false); /* no change, no notification */
	assert_false(vm->level);
	virtio_net_set_link(&vm->net, true);
	assert_int_equal(mrdw(vm, 0x106, 2), VIRTIO_NET_S_LINK_UP);
	assert_true(vm->level);
	drv_irq(vm);
	/* bad init arguments */
	struct virtio_net bad;
	const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1}, zero[6] = {0};
	const struct virtio_net_ops notx = {.rx_ready = owner_rx_ready};
	assert_int_equal(virtio_net_init(&bad, mcast, &owner_ops, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_net_init(&bad, zero, &owner_ops, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_net_init(&bad, BCAST, &owner_ops, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_net_init(&bad, NULL, &owner_ops, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_net_init(&bad, MAC_A, NULL, vm, &host_ops, vm), -FV_EINVAL);
	assert_int_equal(virtio_net_init(&bad, MAC_A, &notx, vm, &host_ops, vm), -FV_EINVAL);
	uint64_t v;
	assert_int_equal(virtio_mmio_read(&bad.mmio, VIRTIO_MMIO_DEVICE_ID, 4, &v), 0);
	assert_int_equal(v, 0);
	/* rx_ready is optional */
	const struct virtio_net_ops txonly = {.tx = owner_tx};
	assert_int_equal(virtio_net_init(&bad, MAC_A, &txonly, vm, &host_ops, vm), 0);
}

static void test_tx(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[VIRTIO_NET_MAX_FRAME];
	const size_t lens[] = {14, 60, 61, 1514, 1518};
	static const uint64_t opt[] = {F(VIRTIO_F_EVENT_IDX), F(VIRTIO_F_INDIRECT_DESC)};

	for (unsigned combo = 0; combo < 4; combo++) {
		uint64_t want = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC);
		for (unsigned i = 0; i < 2; i++)
			if (combo & (1u << i))
				want |= opt[i];
		assert_int_equal(drv_init(vm, 64, 64, want), want);
		vm->ntx = 0;
		unsigned raises = vm->raises;
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			mk_frame(fr, MAC_B, MAC_A, lens[i], (unsigned)i + combo);
			tx_one(vm, fr, lens[i], NULL, 0);
			assert_int_equal(vm->ntx, i + 1);
			assert_int_equal(vm->txlen[i], lens[i]);
			assert_memory_equal(vm->txdata[i], fr, lens[i]);
		}
		assert_int_equal(vm->raises, raises + 5);
		/* header contents are ignored (no offload negotiated) */
		int head = tx_add(vm, fr, 100, NULL, 0);
		uint8_t *h = hva(vm, TXBUF + (uint64_t)SLOT * (unsigned)head);
		memset(h, 0xff, HDR);
		drv_kick(vm, &vm->tx);
		drv_irq(vm);
		assert_int_equal(vm->ntx, 6);
		assert_int_equal(vm->txlen[5], 100);
		assert_memory_equal(vm->txdata[5], fr, 100);
		/* a batch with one kick */
		unsigned kicks = vm->tx.kicks;
		for (int i = 0; i < 8; i++)
			assert_true(tx_add(vm, fr, 60, NULL, 0) >= 0);
		drv_kick(vm, &vm->tx);
		drv_irq(vm);
		assert_int_equal(vm->tx.kicks, kicks + 1);
		assert_int_equal(vm->ntx, 14);
		assert_int_equal(vm->tx.num_free, 64);
		assert_int_equal(vm->bogus, 0);
	}
	assert_int_equal(vm->net.stats.tx_drops, 0);
	assert_true(vm->net.stats.tx_frames >= 4 * 14);
}

static void test_tx_split(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[VIRTIO_NET_MAX_FRAME];
	static const struct {
		unsigned n;
		uint32_t cut[15];
	} splits[] = {
	    {1, {HDR}},                  /* header, frame */
	    {1, {5}},                    /* header split, rest with frame */
	    {2, {3, 7}},                 /* header in three pieces */
	    {2, {HDR, HDR + 6}},         /* header, dst MAC, rest */
	    {3, {1, HDR + 1, HDR + 13}}, /* odd cuts everywhere */
	    {4, {HDR, HDR + 100, HDR + 101, HDR + 1000}},
	    {15, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}}, /* byte segments */
	    {3, {0, HDR, HDR}}, /* zero-length descriptors are skipped */
	};
	static const uint64_t opt[] = {ALL_FEATURES, ALL_FEATURES & ~F(VIRTIO_F_INDIRECT_DESC)};

	for (unsigned o = 0; o < 2; o++) {
		drv_init(vm, 64, 64, opt[o]);
		vm->ntx = 0;
		for (unsigned i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
			size_t len = 1200 + i;
			mk_frame(fr, MAC_B, MAC_A, len, i * 3 + o);
			tx_one(vm, fr, len, splits[i].cut, splits[i].n);
			assert_int_equal(vm->txlen[i], len);
			assert_memory_equal(vm->txdata[i], fr, len);
		}
	}
	/* more descriptors than an indirect table here: a long direct chain */
	drv_init(vm, 64, 64, ALL_FEATURES);
	uint32_t cut[40];
	for (unsigned i = 0; i < 40; i++)
		cut[i] = 7 + 37u * i;
	vm->ntx = 0;
	mk_frame(fr, MAC_B, MAC_A, 1518, 99);
	tx_one(vm, fr, 1518, cut, 40);
	assert_int_equal(vm->txlen[0], 1518);
	assert_memory_equal(vm->txdata[0], fr, 1518);
	assert_int_equal(vm->net.stats.tx_drops, 0);
}

static void test_tx_drops(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[SLOT];
	uint64_t buf = SCRATCH;

	drv_init(vm, 16, 16, ALL_FEATURES);
	vm->ntx = 0;
	mk_frame(fr, MAC_B, MAC_A, sizeof(fr), 1);
	/* runt and oversized frames */
	tx_one(vm, fr, 13, NULL, 0);
	tx_one(vm, fr, 0, NULL, 0);
	tx_one(vm, fr, 1519, NULL, 0);
	tx_one(vm, fr, SLOT - HDR, NULL, 0);
	assert_int_equal(vm->ntx, 0);
	assert_int_equal(vm->net.stats.tx_drops, 4);
	/* header shorter than 12 bytes */
	struct sg shorthdr = {buf, 8, false};
	int head = drv_add(vm, &vm->tx, &shorthdr, 1);
	drv_kick(vm, &vm->tx);
	drv_irq(vm);
	assert_true(vm->tx.done[head]);
	assert_int_equal(vm->tx.used_len[head], 0);
	/* a device-writable descriptor in a TX chain: dropped, nothing written */
	memset(hva(vm, buf), 0x11, 4096);
	struct sg wr[2] = {{buf, HDR + 60, false}, {buf + 2048, 64, true}};
	head = drv_add(vm, &vm->tx, wr, 2);
	drv_kick(vm, &vm->tx);
	drv_irq(vm);
	assert_true(vm->tx.done[head]);
	assert_int_equal(vm->tx.used_len[head], 0);
	assert_int_equal(*hva(vm, buf + 2048), 0x11);
	struct sg onlywr = {buf, HDR + 60, true};
	head = drv_add(vm, &vm->tx, &onlywr, 1);
	drv_kick(vm, &vm->tx);
	drv_irq(vm);
	assert_true(vm->tx.done[head]);
	assert_int_equal(*hva(vm, buf), 0x11);
	/* a large but well-formed chain (64 KiB in RAM): dropped, not an error */
	struct sg big = {buf, 65536, false};
	head = drv_add(vm, &vm->tx, &big, 1);
	drv_kick(vm, &vm->tx);
	drv_irq(vm);
	assert_true(vm->tx.done[head]);
	assert_int_equal(vm->ntx, 0);
	assert_int_equal(vm->net.stats.tx_drops, 8);
	/* link down: frames are consumed and dropped */
	virtio_net_set_link(&vm->net, false);
	drv_irq(vm);
	tx_one(vm, fr, 60, NULL, 0);
	assert_int_equal(vm->ntx, 0);
	assert_int_equal(vm->net.stats.tx_drops, 9);
	virtio_net_set_link(&vm->net, true);
	drv_irq(vm);
	/* and the device keeps working */
	assert_true(virtio_mmio_running(&vm->net.mmio));
	tx_one(vm, fr, 60, NULL, 0);
	assert_int_equal(vm->ntx, 1);
	assert_int_equal(vm->tx.num_free, 16);
}

static void test_rx(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[VIRTIO_NET_MAX_FRAME];
	static const uint64_t opt[] = {ALL_FEATURES, ALL_FEATURES & ~F(VIRTIO_F_INDIRECT_DESC),
	                               ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX)};

	for (unsigned o = 0; o < 3; o++) {
		drv_init(vm, 64, 64, opt[o]);
		int heads[4];
		for (int i = 0; i < 4; i++)
			heads[i] = rx_post1(vm, 1526 + 2 * (uint32_t)i);
		drv_kick(vm, &vm->rx);
		unsigned raises = vm->raises;
		const size_t lens[] = {14, 60, 1514, 1518};
		for (int i = 0; i < 4; i++) {
			mk_frame(fr, MAC_A, MAC_B, lens[i], (unsigned)i + 10 * o);
			assert_int_equal(virtio_net_rx(&vm->net, fr, lens[i]), 0);
			assert_true(vm->level);
			drv_irq(vm);
			rx_check(vm, heads[i], fr, lens[i]);
		}
		assert_int_equal(vm->raises, raises + 4);
		/* split receive buffers: header alone, header split, many pieces */
		const uint32_t s1[2] = {HDR, 1514};
		const uint32_t s2[3] = {5, 7, 1514};
		const uint32_t s3[8] = {1, 2, 3, 100, 300, 500, 620, 100};
		const uint32_t *ss[3] = {s1, s2, s3};
		const unsigned sn[3] = {2, 3, 8};
		for (int i = 0; i < 3; i++) {
			int head = rx_post(vm, ss[i], sn[i]);
			drv_kick(vm, &vm->rx);
			mk_frame(fr, MAC_A, MAC_B, 1514, 77u + (unsigned)i);
			assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), 0);
			drv_irq(vm);
			rx_check(vm, head, fr, 1514);
		}
		/* exact fit */
		int head = rx_post1(vm, HDR + 200);
		drv_kick(vm, &vm->rx);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 200), 0);
		drv_irq(vm);
		assert_int_equal(vm->rx.used_len[head], HDR + 200);
		assert_memory_equal(hva(vm, RXBUF + (uint64_t)SLOT * (unsigned)head + HDR), fr,
		                    200);
		assert_int_equal(vm->rx.num_free, 64);
		assert_int_equal(vm->bogus, 0);
	}
	assert_int_equal(vm->net.stats.rx_drops, 0);
	assert_int_equal(vm->net.stats.rx_frames, 3 * 8);
}

static void test_rx_no_buffer(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[1514];

	mk_frame(fr, MAC_A, MAC_B, 1514, 5);
	for (int ev = 0; ev < 2; ev++) {
		drv_init(vm, 16, 16, ev ? ALL_FEATURES : ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX));
		unsigned ready = vm->rx_ready_calls;
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), -FV_EAGAIN);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), -FV_EAGAIN);
		assert_false(vm->level);
		/* the device asked to be kicked when a buffer arrives */
		int head = rx_post1(vm, 2048);
		drv_kick(vm, &vm->rx);
		assert_int_equal(vm->rx_ready_calls, ready + 1);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), 0);
		drv_irq(vm);
		rx_check(vm, head, fr, 1514);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), -FV_EAGAIN);
		/* after having drained the ring, the next post is kicked again */
		head = rx_post1(vm, 2048);
		drv_kick(vm, &vm->rx);
		assert_int_equal(vm->rx_ready_calls, ready + 2);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
		drv_irq(vm);
		rx_check(vm, head, fr, 60);
	}
	assert_int_equal(vm->net.stats.rx_drops, 0);
	/* DRIVER_OK also signals rx_ready (buffers may have been posted before it) */
	unsigned ready = vm->rx_ready_calls;
	drv_init(vm, 16, 16, ALL_FEATURES);
	assert_int_equal(vm->rx_ready_calls, ready + 1);
}

static void test_rx_small_buffer(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[1518];

	drv_init(vm, 16, 16, ALL_FEATURES);
	mk_frame(fr, MAC_A, MAC_B, 1518, 6);
	int small = rx_post1(vm, 100);
	int one_short = rx_post1(vm, HDR + 199);
	const uint32_t two[2] = {6, 4}; /* not even a header */
	int tiny = rx_post(vm, two, 2);
	int good = rx_post1(vm, 2048);
	drv_kick(vm, &vm->rx);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 200), -FV_ERANGE);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 200), -FV_ERANGE);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 200), -FV_ERANGE);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 200), 0);
	drv_irq(vm);
	const int bad[3] = {small, one_short, tiny};
	for (int i = 0; i < 3; i++) {
		assert_true(vm->rx.done[bad[i]]);
		assert_int_equal(vm->rx.used_len[bad[i]], 0);
		/* nothing was written into them */
		assert_int_equal(*hva(vm, RXBUF + (uint64_t)SLOT * (unsigned)bad[i]), 0xaa);
	}
	rx_check(vm, good, fr, 200);
	assert_int_equal(vm->net.stats.rx_drops, 3);
	/* a receive chain with readable descriptors only has no room */
	struct sg ro = {SCRATCH, 2048, false};
	int head = drv_add(vm, &vm->rx, &ro, 1);
	drv_kick(vm, &vm->rx);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ERANGE);
	drv_irq(vm);
	assert_true(vm->rx.done[head]);
	assert_int_equal(vm->rx.used_len[head], 0);
	/* bad frame lengths from the owner: refused, nothing consumed */
	head = rx_post1(vm, 2048);
	drv_kick(vm, &vm->rx);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 13), -FV_EINVAL);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 0), -FV_EINVAL);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 1519), -FV_EINVAL);
	assert_int_equal(virtio_net_rx(&vm->net, NULL, 60), -FV_EINVAL);
	assert_false(vm->rx.done[head]);
	assert_int_equal(vm->net.stats.rx_drops, 8);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 1518), 0);
	drv_irq(vm);
	rx_check(vm, head, fr, 1518);
	assert_true(virtio_mmio_running(&vm->net.mmio));
}

static void test_not_running(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[60];

	mk_frame(fr, MAC_A, MAC_B, 60, 7);
	/* before any driver */
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
	assert_false(virtio_net_process_tx(&vm->net));
	/* queues set up and buffers posted, but no DRIVER_OK yet */
	drv_init(vm, 16, 16, ALL_FEATURES);
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mwr(vm, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mwr(vm, VIRTIO_MMIO_STATUS,
	    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	dq_setup(vm, &vm->rx, VIRTIO_NET_RXQ, AREA_RX, 16);
	dq_setup(vm, &vm->tx, VIRTIO_NET_TXQ, AREA_TX, 16);
	vm->event_idx = vm->indirect = false;
	int rxh = rx_post1(vm, 2048);
	int txh = tx_add(vm, fr, 60, NULL, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_RXQ);
	vm->ntx = 0;
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
	assert_false(virtio_net_process_tx(&vm->net));
	assert_int_equal(vm->ntx, 0);
	assert_int_equal(r16(vm, AREA_RX + L_USED + 2), 0);
	assert_int_equal(r16(vm, AREA_TX + L_USED + 2), 0);
	/* DRIVER_OK: the pending frame goes out, the buffer becomes usable */
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vm->ntx, 1);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
	drv_irq(vm);
	assert_true(vm->tx.done[txh]);
	rx_check(vm, rxh, fr, 60);
	/* link down: no delivery */
	rx_post1(vm, 2048);
	virtio_net_set_link(&vm->net, false);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
	virtio_net_set_link(&vm->net, true);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
	/* FAILED set by the driver */
	rx_post1(vm, 2048);
	mwr(vm, VIRTIO_MMIO_STATUS, mrd(vm, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
	assert_false(virtio_net_process_tx(&vm->net));
}

static void test_suppression(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[60];

	mk_frame(fr, MAC_A, MAC_B, 60, 8);
	drv_init(vm, 16, 16, ALL_FEATURES);
	for (int i = 0; i < 8; i++)
		rx_post1(vm, 2048);
	drv_kick(vm, &vm->rx);
	/* driver: interrupt me only when the third next RX buffer is used */
	w16(vm, AREA_RX + L_AVAIL + 4 + 2u * 16, (uint16_t)(vm->rx.last_used + 2));
	unsigned raises = vm->raises;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
		assert_int_equal(vm->raises, raises + (i == 2));
	}
	drv_irq(vm);
	assert_int_equal(vm->rx.completed, 3);
	/* TX completions with event index: one interrupt per batch */
	raises = vm->raises;
	for (int i = 0; i < 5; i++)
		tx_add(vm, fr, 60, NULL, 0);
	drv_kick(vm, &vm->tx);
	assert_int_equal(vm->raises, raises + 1);
	drv_irq(vm);
	/* without event index: VIRTQ_AVAIL_F_NO_INTERRUPT */
	drv_init(vm, 16, 16, ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX));
	w16(vm, AREA_RX + L_AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	w16(vm, AREA_TX + L_AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	rx_post1(vm, 2048);
	rx_post1(vm, 2048);
	raises = vm->raises;
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
	tx_add(vm, fr, 60, NULL, 0);
	drv_kick(vm, &vm->tx);
	assert_int_equal(vm->raises, raises);
	assert_int_equal(r16(vm, AREA_RX + L_USED + 2), 1);
	assert_int_equal(r16(vm, AREA_TX + L_USED + 2), 1);
	w16(vm, AREA_RX + L_AVAIL, 0);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
	assert_int_equal(vm->raises, raises + 1);
	drv_irq(vm);
	assert_int_equal(vm->rx.num_free, 16);
	assert_int_equal(vm->tx.num_free, 16);
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

/* Corrupt queue @q with descriptors 14/15 (clear of the driver's own) and publish it. */
static void corrupt(struct vm *vm, struct dq *q, enum hostile h)
{
	uint64_t desc = q->area + L_DESC + 16 * 14, buf = SCRATCH;
	uint64_t ind = q->area + L_IND + 16u * IND_SLOTS * 14;
	uint16_t head = 14, nflags = VIRTQ_DESC_F_NEXT;
	uint16_t wflag = q->idx == VIRTIO_NET_RXQ ? VIRTQ_DESC_F_WRITE : 0;

	switch (h) {
	case H_LOOP:
		put_desc(vm, desc, buf, 16, wflag | nflags, 15);
		put_desc(vm, desc + 16, buf, 16, wflag | nflags, 14);
		break;
	case H_OOB:
		put_desc(vm, desc, RAM_BASE + RAM_SIZE - 8, 16, wflag, 0);
		break;
	case H_HEAD:
		head = q->qsize;
		break;
	case H_NEXT:
		put_desc(vm, desc, buf, 16, wflag | nflags, 200);
		break;
	case H_AVAIL_JUMP:
		w16(vm, q->area + L_AVAIL + 2, (uint16_t)(q->avail_shadow + q->qsize + 1));
		return;
	case H_HUGE_LEN:
		put_desc(vm, desc, buf, 0xfffffff0u, wflag, 0);
		break;
	case H_NESTED:
		put_desc(vm, ind, ind + 256, 16, VIRTQ_DESC_F_INDIRECT, 0);
		put_desc(vm, desc, ind, 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	case H_IND_NEXT:
		put_desc(vm, ind, buf, 16, wflag, 0);
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
			put_desc(vm, ind + 16u * i, buf + i, 1, wflag | (i < 64 ? nflags : 0),
			         (uint16_t)(i + 1));
		put_desc(vm, desc, ind, 65 * 16, VIRTQ_DESC_F_INDIRECT, 0);
		break;
	}
	w16(vm, q->area + L_AVAIL + 4 + 2u * (q->avail_shadow & (q->qsize - 1)), head);
	w16(vm, q->area + L_AVAIL + 2, (uint16_t)(q->avail_shadow + 1));
}

/*
 * A guest that rewrites its transmit buffer while the owner copies it: the
 * owner's decision bytes (peek) are what arrives, the rest is whatever the
 * buffer held at copy time (the guest's own business).
 */
static void test_tx_rewrite(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[300];

	drv_init(vm, 16, 16, ALL_FEATURES);
	mk_frame(fr, MAC_B, MAC_A, sizeof(fr), 3);
	vm->scribble = true;
	tx_one(vm, fr, sizeof(fr), NULL, 0);
	vm->scribble = false;
	assert_int_equal(vm->ntx, 1);
	assert_int_equal(vm->txlen[0], sizeof(fr));
	assert_memory_equal(vm->txdata[0], fr, VIRTIO_NET_TXF_PEEK);
	for (size_t i = VIRTIO_NET_TXF_PEEK; i < sizeof(fr); i++)
		assert_int_equal(vm->txdata[0][i], 0x5a);
}

/* MTU offered after virtio_net_set_mtu(): config field, and no longer frames to a driver that took
 * it. */
static void test_mtu(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[1514];

	mk_frame(fr, MAC_A, MAC_B, sizeof(fr), 9);
	/* out of range: nothing offered */
	virtio_net_set_mtu(&vm->net, 67);
	virtio_net_set_mtu(&vm->net, 1501);
	assert_int_equal(drv_init(vm, 16, 16, ALL_FEATURES | F(VIRTIO_NET_F_MTU)), ALL_FEATURES);
	assert_int_equal(mrdw(vm, 0x100 + VIRTIO_NET_CFG_MTU, 2), 0);
	virtio_net_set_mtu(&vm->net, 1400);
	assert_int_equal(mrdw(vm, 0x100 + VIRTIO_NET_CFG_MTU, 2), 1400);
	for (int take = 0; take < 2; take++) {
		uint64_t want = ALL_FEATURES | (take ? F(VIRTIO_NET_F_MTU) : 0);
		assert_int_equal(drv_init(vm, 16, 16, want), want);
		int h1 = rx_post1(vm, 2048), h2 = rx_post1(vm, 2048);
		drv_kick(vm, &vm->rx);
		uint64_t drops = vm->net.stats.rx_drops;
		/* 1400 + 18 fits; 1514 only for a driver that did not take the MTU */
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1418), 0);
		drv_irq(vm);
		rx_check(vm, h1, fr, 1418);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 1514), take ? -FV_EINVAL : 0);
		assert_int_equal(vm->net.stats.rx_drops, drops + (uint64_t)take);
		drv_irq(vm);
		if (!take)
			rx_check(vm, h2, fr, 1514);
	}
}

/* Frames delivered between rx_begin and rx_end: one interrupt for the batch. */
static void test_rx_batch(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[5][200];
	int heads[5];

	for (int ev = 0; ev < 2; ev++) {
		drv_init(vm, 16, 16, ev ? ALL_FEATURES : ALL_FEATURES & ~F(VIRTIO_F_EVENT_IDX));
		for (int i = 0; i < 5; i++)
			heads[i] = rx_post1(vm, 2048);
		drv_kick(vm, &vm->rx);
		unsigned raises = vm->raises;
		virtio_net_rx_begin(&vm->net);
		for (int i = 0; i < 5; i++) {
			mk_frame(fr[i], MAC_A, MAC_B, sizeof(fr[i]), (unsigned)i);
			assert_int_equal(virtio_net_rx(&vm->net, fr[i], sizeof(fr[i])), 0);
			assert_int_equal(vm->raises, raises); /* held back */
		}
		/* a frame that finds no buffer ends nothing early */
		assert_int_equal(virtio_net_rx(&vm->net, fr[0], sizeof(fr[0])), -FV_EAGAIN);
		virtio_net_rx_end(&vm->net);
		assert_int_equal(vm->raises, raises + 1);
		assert_true(vm->level);
		drv_irq(vm);
		for (int i = 0; i < 5; i++)
			rx_check(vm, heads[i], fr[i], sizeof(fr[i]));
		/* an empty batch raises nothing */
		virtio_net_rx_begin(&vm->net);
		virtio_net_rx_end(&vm->net);
		assert_int_equal(vm->raises, raises + 1);
		/* outside a batch: one interrupt per frame again (no event index) */
		if (!ev) {
			rx_post1(vm, 2048);
			rx_post1(vm, 2048);
			drv_kick(vm, &vm->rx);
			assert_int_equal(virtio_net_rx(&vm->net, fr[1], sizeof(fr[1])), 0);
			drv_irq(vm);
			assert_int_equal(virtio_net_rx(&vm->net, fr[2], sizeof(fr[2])), 0);
			assert_int_equal(vm->raises, raises + 3);
			drv_irq(vm);
		}
	}
}

static void test_hostile_tx(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[60];

	mk_frame(fr, MAC_B, MAC_A, 60, 9);
	for (int h = 0; h < H_COUNT; h++) {
		drv_init(vm, 16, 16, ALL_FEATURES);
		vm->ntx = 0;
		tx_one(vm, fr, 60, NULL, 0);
		/* a good frame first: it completes in the same batch as the bad chain */
		int good = tx_add(vm, fr, 60, NULL, 0);
		uint16_t used = r16(vm, AREA_TX + L_USED + 2);
		corrupt(vm, &vm->tx, (enum hostile)h);
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
		uint32_t status = mrd(vm, VIRTIO_MMIO_STATUS);
		assert_true(status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_false(virtio_mmio_running(&vm->net.mmio));
		assert_true(vm->level);
		if (h == H_AVAIL_JUMP) {
			/* caught before anything was consumed */
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG);
			assert_int_equal(vm->ntx, 1);
		} else {
			assert_int_equal(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			                 VIRTIO_MMIO_INT_CONFIG | VIRTIO_MMIO_INT_VRING);
			assert_int_equal(vm->ntx, 2);
			used++;
			drv_irq(vm);
			assert_true(vm->tx.done[good]);
		}
		assert_int_equal(r16(vm, AREA_TX + L_USED + 2), used);
		/* further kicks and receives do nothing */
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
		assert_false(virtio_net_process_tx(&vm->net));
		rx_post1(vm, 2048);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
		assert_int_equal(r16(vm, AREA_TX + L_USED + 2), used);
		assert_int_equal(r16(vm, AREA_RX + L_USED + 2), 0);
		/* the driver resets and the device works again */
		drv_init(vm, 16, 16, ALL_FEATURES);
		assert_false(vm->level);
		tx_one(vm, fr, 60, NULL, 0);
		int head = rx_post1(vm, 2048);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
		drv_irq(vm);
		rx_check(vm, head, fr, 60);
	}
}

static void test_hostile_rx(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[60];

	mk_frame(fr, MAC_A, MAC_B, 60, 10);
	for (int h = 0; h < H_COUNT; h++) {
		drv_init(vm, 16, 16, ALL_FEATURES);
		int good = rx_post1(vm, 2048);
		static uint8_t before[AREA_LEN];
		corrupt(vm, &vm->rx, (enum hostile)h);
		/* the notification alone only reaches the owner */
		unsigned ready = vm->rx_ready_calls;
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_RXQ);
		assert_int_equal(vm->rx_ready_calls, ready + 1);
		assert_true(virtio_mmio_running(&vm->net.mmio));
		if (h == H_AVAIL_JUMP) {
			assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
			assert_false(vm->rx.done[good]);
		} else {
			assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
			assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
		}
		assert_true(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
		assert_true(mrd(vm, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
		assert_true(vm->level);
		drv_irq(vm);
		if (h != H_AVAIL_JUMP)
			rx_check(vm, good, fr, 60);
		/* the broken queue is never touched again */
		memcpy(before, hva(vm, AREA_RX), AREA_LEN);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
		tx_add(vm, fr, 60, NULL, 0);
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
		assert_memory_equal(before, hva(vm, AREA_RX), AREA_LEN);
		assert_int_equal(r16(vm, AREA_TX + L_USED + 2), 0);
		drv_init(vm, 16, 16, ALL_FEATURES);
		int head = rx_post1(vm, 2048);
		assert_int_equal(virtio_net_rx(&vm->net, fr, 60), 0);
		drv_irq(vm);
		rx_check(vm, head, fr, 60);
	}
}

static void test_reset_midway(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[60];

	mk_frame(fr, MAC_B, MAC_A, 60, 11);
	drv_init(vm, 16, 16, ALL_FEATURES);
	vm->ntx = 0;
	for (int i = 0; i < 4; i++) {
		tx_add(vm, fr, 60, NULL, 0);
		rx_post1(vm, 2048);
	}
	/* the guest resets the device with buffers in flight */
	mwr(vm, VIRTIO_MMIO_STATUS, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
	assert_false(virtio_net_process_tx(&vm->net));
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_ENODEV);
	assert_int_equal(vm->ntx, 0);
	assert_int_equal(r16(vm, AREA_TX + L_USED + 2), 0);
	assert_int_equal(r16(vm, AREA_RX + L_USED + 2), 0);
	/* re-initialised: the old buffers are gone, new ones work */
	drv_init(vm, 16, 16, ALL_FEATURES);
	assert_int_equal(virtio_net_rx(&vm->net, fr, 60), -FV_EAGAIN);
	tx_one(vm, fr, 60, NULL, 0);
	assert_int_equal(vm->ntx, 1);
	/* a queue disabled by the driver mid-way */
	tx_add(vm, fr, 60, NULL, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_NET_TXQ);
	mwr(vm, VIRTIO_MMIO_QUEUE_READY, 0);
	mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_TXQ);
	assert_false(virtio_net_process_tx(&vm->net));
	assert_int_equal(vm->ntx, 1);
	/* host-side reset (VM reboot) in the middle of a backlog */
	drv_init(vm, 256, 256, ALL_FEATURES);
	for (int i = 0; i < 200; i++)
		tx_add(vm, fr, 60, NULL, 0);
	drv_kick(vm, &vm->tx);
	assert_true(vm->net.backlog);
	virtio_mmio_reset(&vm->net.mmio);
	assert_false(vm->net.backlog);
	assert_false(virtio_net_process_tx(&vm->net));
	assert_int_equal(vm->ntx, 1 + VIRTIO_NET_BUDGET_FRAMES);
	drv_init(vm, 16, 16, ALL_FEATURES);
	tx_one(vm, fr, 60, NULL, 0);
	assert_int_equal(vm->ntx, 2 + VIRTIO_NET_BUDGET_FRAMES);
}

static void test_budget(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[1514];

	mk_frame(fr, MAC_B, MAC_A, 1514, 12);
	drv_init(vm, 256, 256, ALL_FEATURES);
	vm->ntx = 0;
	/* frame budget */
	for (int i = 0; i < 200; i++)
		assert_true(tx_add(vm, fr, 60, NULL, 0) >= 0);
	drv_kick(vm, &vm->tx);
	assert_true(vm->net.backlog);
	assert_int_equal(vm->ntx, VIRTIO_NET_BUDGET_FRAMES);
	assert_int_equal(r16(vm, AREA_TX + L_USED + 2), VIRTIO_NET_BUDGET_FRAMES);
	assert_true(vm->level);
	drv_irq(vm);
	assert_false(virtio_net_process_tx(&vm->net));
	assert_false(vm->net.backlog);
	assert_int_equal(vm->ntx, 200);
	drv_irq(vm);
	assert_int_equal(vm->tx.num_free, 256);
	/* byte budget: full-size frames stop earlier */
	unsigned per = HDR + 1514, expect = (VIRTIO_NET_BUDGET_BYTES + per - 1) / per;
	assert_true(expect < VIRTIO_NET_BUDGET_FRAMES);
	for (int i = 0; i < 200; i++)
		tx_add(vm, fr, 1514, NULL, 0);
	drv_kick(vm, &vm->tx);
	assert_int_equal(vm->ntx, 200 + expect);
	assert_true(virtio_net_process_tx(&vm->net));
	assert_false(virtio_net_process_tx(&vm->net));
	assert_int_equal(vm->ntx, 400);
	drv_irq(vm);
	assert_int_equal(vm->tx.num_free, 256);
	assert_int_equal(vm->net.stats.tx_frames, 400);
	assert_int_equal(vm->net.stats.tx_bytes, 200 * 60 + 200 * 1514);
}

static void test_index_wrap(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[64];

	/* more than 2^16 buffers through both queues: the 16-bit indices wrap */
	drv_init(vm, 64, 64, ALL_FEATURES);
	vm->ntx = 0;
	unsigned total = 0;
	while (total < 70000) {
		for (int i = 0; i < 48; i++, total++) {
			mk_frame(fr, MAC_B, MAC_A, 64, total);
			tx_add(vm, fr, 64, NULL, 0);
			rx_post1(vm, 128);
		}
		drv_kick(vm, &vm->tx);
		drv_kick(vm, &vm->rx);
		for (int i = 0; i < 48; i++)
			assert_int_equal(virtio_net_rx(&vm->net, fr, 64), 0);
		drv_irq(vm);
		assert_int_equal(vm->tx.num_free, 64);
		assert_int_equal(vm->rx.num_free, 64);
	}
	assert_int_equal(vm->ntx, total);
	assert_int_equal(vm->net.stats.rx_frames, total);
	assert_true(vm->tx.avail_shadow < 70000u - 65536u + 64u);
	assert_true(virtio_mmio_running(&vm->net.mmio));
	assert_int_equal(vm->bogus, 0);
}

static void test_loopback(void **state)
{
	(void)state;
	struct vm *vm = &vma;
	static uint8_t fr[1000];

	/* the owner delivers transmitted frames straight back (ops->tx -> rx) */
	drv_init(vm, 16, 16, ALL_FEATURES);
	vm->loopback = true;
	int rxh = rx_post1(vm, 2048);
	mk_frame(fr, MAC_A, MAC_A, 1000, 13);
	tx_one(vm, fr, 1000, (const uint32_t[]){HDR, 500}, 2);
	assert_int_equal(vm->loop_rc, 0);
	drv_irq(vm);
	rx_check(vm, rxh, fr, 1000);
	/* a receive queue that breaks inside the TX callback stops TX processing too */
	for (int i = 0; i < 3; i++)
		tx_add(vm, fr, 60, NULL, 0);
	corrupt(vm, &vm->rx, H_LOOP);
	unsigned ntx = vm->ntx;
	drv_kick(vm, &vm->tx);
	assert_int_equal(vm->loop_rc, -FV_ENODEV);
	assert_int_equal(vm->ntx, ntx + 1);
	assert_true(mrd(vm, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	vm->loopback = false;
}

/* ---- fuzzing: no access may leave VM A's RAM ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t fuzz_addr(void)
{
	const uint64_t v[] = {
	    RAM_BASE,   RAM_BASE + RAM_SIZE - 1, RAM_BASE + RAM_SIZE, RAM_BASE - 16, 0,
	    ~0ULL - 15, AREA_RX + L_IND,         AREA_TX + L_DESC};
	if (rnd() % 2)
		return SCRATCH + rnd() % 0x3f000;
	return v[rnd() % 8] + rnd() % 32;
}

static uint32_t fuzz_len(void)
{
	const uint32_t v[] = {0, 1, 11, 12, 13, 25, 26, 1530, 1531, 4096, RAM_SIZE, 0xffffffffu};
	if (rnd() % 2)
		return (uint32_t)(rnd() % 2048);
	return v[rnd() % 12];
}

static void fuzz_one(struct vm *vm)
{
	static uint8_t fr[1600];
	struct dq *q = (rnd() % 2) ? &vm->rx : &vm->tx;
	uint64_t v;

	switch (rnd() % 16) {
	case 0:
	case 1: {
		size_t len = (rnd() % 4) ? 14 + rnd() % 1505 : rnd() % 1530;
		uint32_t cut[3] = {(uint32_t)(rnd() % 20), 0, 0};
		cut[1] = cut[0] + (uint32_t)(rnd() % 40);
		cut[2] = cut[1] + (uint32_t)(rnd() % 500);
		unsigned n = (unsigned)(rnd() % 4);
		if (n && cut[n - 1] > HDR + len)
			n = 0;
		mk_frame(fr, MAC_B, MAC_A, len, (unsigned)rnd());
		tx_add(vm, fr, len, cut, n);
		if (rnd() % 2)
			drv_kick(vm, &vm->tx);
		break;
	}
	case 2: {
		uint32_t sz[2] = {(uint32_t)(rnd() % 1600), (uint32_t)(rnd() % 400)};
		rx_post(vm, sz, 1 + (unsigned)(rnd() % 2));
		if (rnd() % 2)
			drv_kick(vm, &vm->rx);
		break;
	}
	case 3: {
		size_t len = (rnd() % 8) ? 14 + rnd() % 1505 : rnd() % 1600;
		mk_frame(fr, MAC_A, MAC_B, 1600, (unsigned)rnd());
		int rc = virtio_net_rx(&vm->net, fr, len);
		assert_true(rc == 0 || rc == -FV_EAGAIN || rc == -FV_ENODEV || rc == -FV_EINVAL ||
		            rc == -FV_ERANGE);
		break;
	}
	case 4:
	case 5: {
		uint64_t table = (rnd() % 3) ? q->area + L_DESC : q->area + L_IND;
		put_desc(vm, table + 16 * (rnd() % (q->qsize + 2u)), fuzz_addr(), fuzz_len(),
		         (uint16_t)(rnd() % 8), (uint16_t)(rnd() % (q->qsize + 2u)));
		break;
	}
	case 6:
		*hva(vm, q->area + rnd() % AREA_LEN) = (uint8_t)rnd();
		break;
	case 7:
		w16(vm, q->area + L_AVAIL + 2, (uint16_t)(q->avail_shadow + rnd() % 3));
		break;
	case 8:
		mwr(vm, VIRTIO_MMIO_QUEUE_NOTIFY,
		    (rnd() % 4) ? (uint32_t)(rnd() % 2) : (uint32_t)rnd());
		break;
	case 9:
	case 10:
		drv_irq(vm);
		break;
	case 11:
		virtio_mmio_write(&vm->net.mmio, (rnd() % 2) ? 4 * (rnd() % 0x40) : rnd() % 0x210,
		                  (unsigned)(1u << (rnd() % 4)), (rnd() % 2) ? rnd() % 4 : rnd());
		break;
	case 12:
		virtio_mmio_read(&vm->net.mmio, rnd() % 0x210, (unsigned)(1u << (rnd() % 4)), &v);
		break;
	case 13:
		if (!virtio_mmio_running(&vm->net.mmio) || rnd() % 32 == 0) {
			uint64_t want = F(VIRTIO_F_VERSION_1) | (rnd() & ALL_FEATURES);
			drv_init(vm, (uint16_t)(1u << (rnd() % 9)), (uint16_t)(1u << (rnd() % 9)),
			         want);
		}
		break;
	case 14:
		virtio_net_process_tx(&vm->net);
		break;
	default:
		virtio_net_set_link(&vm->net, rnd() % 8 != 0);
		break;
	}
}

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static void test_fuzz(void **state)
{
	(void)state;
	const char *env = getenv("FV_FUZZ_OPS");
	unsigned long ops = env ? strtoul(env, NULL, 0) : 300000;
	uint8_t *canary = vmb.ram; /* right behind VM A's RAM in host memory */
	unsigned long stopped = 0;

	for (size_t i = 0; i < RAM_SIZE; i++)
		canary[i] = (uint8_t)(i ^ 0x5c);
	const uint64_t canary_sum = checksum(canary, RAM_SIZE);
	drv_init(&vma, 16, 16, ALL_FEATURES);
	for (unsigned long n = 0; n < ops; n++) {
		stopped += !virtio_mmio_running(&vma.net.mmio);
		fuzz_one(&vma);
	}
	assert_true(checksum(canary, RAM_SIZE) == canary_sum);
	printf("virtio-net fuzz: %lu ops (%lu with the device stopped): tx %llu frames, "
	       "%llu dropped; rx %llu frames, %llu dropped\n",
	       ops, stopped, (unsigned long long)vma.net.stats.tx_frames,
	       (unsigned long long)vma.net.stats.tx_drops,
	       (unsigned long long)vma.net.stats.rx_frames,
	       (unsigned long long)vma.net.stats.rx_drops);
	assert_true(vma.net.stats.tx_frames > 1000);
	assert_true(vma.net.stats.rx_frames > 1000);
}

/* ---- two VMs through a virtual switch ---- */

static void test_switch_e2e(void **state)
{
	(void)state;
	static struct vswitch sw;
	static uint8_t fr[1514];
	struct vm *a = &vma, *b = &vmb;

	vswitch_init(&sw, "br0", 300);
	memset(port_vm, 0, sizeof(port_vm));
	a->sw = b->sw = &sw;
	a->port = (unsigned)vswitch_add_port(&sw, false);
	b->port = (unsigned)vswitch_add_port(&sw, false);
	port_vm[a->port] = a;
	port_vm[b->port] = b;
	drv_init(a, 16, 16, ALL_FEATURES);
	drv_init(b, 16, 16, ALL_FEATURES & ~F(VIRTIO_F_INDIRECT_DESC));
	int arx = rx_post1(a, 2048);
	drv_kick(a, &a->rx);
	/* B has no receive buffer yet: the broadcast waits in its inbox */
	clock_now = 1;
	mk_frame(fr, BCAST, MAC_A, 60, 1);
	fr[12] = 0x08;
	fr[13] = 0x06; /* "ARP request" */
	tx_one(a, fr, 60, NULL, 0);
	assert_int_equal(vswitch_pktq_count(&b->inbox), 1);
	assert_false(a->rx.done[arx]); /* A does not hear its own broadcast */
	int brx = rx_post1(b, 2048);
	drv_kick(b, &b->rx); /* rx_ready: the owner drains the inbox */
	assert_int_equal(vswitch_pktq_count(&b->inbox), 0);
	assert_true(b->level);
	drv_irq(b);
	rx_check(b, brx, fr, 60);
	assert_int_equal(vswitch_fdb_lookup(&sw, MAC_A, clock_now), (int)a->port);
	/* B answers by unicast: only A receives it */
	clock_now = 2;
	uint64_t floods = sw.floods;
	brx = rx_post1(b, 2048);
	drv_kick(b, &b->rx);
	mk_frame(fr, MAC_A, MAC_B, 1514, 2);
	tx_one(b, fr, 1514, (const uint32_t[]){HDR}, 1);
	assert_int_equal(sw.floods, floods);
	drv_irq(a);
	rx_check(a, arx, fr, 1514);
	assert_false(b->rx.done[brx]);
	assert_int_equal(vswitch_fdb_lookup(&sw, MAC_B, clock_now), (int)b->port);
	/* A replies by unicast, no flood, split over three descriptors */
	clock_now = 3;
	mk_frame(fr, MAC_B, MAC_A, 700, 3);
	tx_one(a, fr, 700, (const uint32_t[]){4, HDR + 14}, 2);
	assert_int_equal(sw.floods, floods);
	drv_irq(b);
	rx_check(b, brx, fr, 700);
	/* statistics on both sides agree */
	assert_int_equal(a->net.stats.tx_frames, 2);
	assert_int_equal(b->net.stats.tx_frames, 1);
	assert_int_equal(a->net.stats.rx_frames, 1);
	assert_int_equal(b->net.stats.rx_frames, 2);
	assert_int_equal(sw.port[a->port].rx_frames, 2);
	assert_int_equal(sw.port[b->port].tx_frames, 2);
	assert_int_equal(sw.port[a->port].tx_frames, 1);
	assert_int_equal(sw.drops, 0);
	/* a frame spoofing a broadcast source is refused by the switch */
	mk_frame(fr, MAC_B, BCAST, 60, 4);
	brx = rx_post1(b, 2048);
	drv_kick(b, &b->rx);
	tx_one(a, fr, 60, NULL, 0);
	assert_false(b->rx.done[brx]);
	assert_int_equal(sw.port[a->port].drops, 1);
	a->sw = b->sw = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_probe_config, fresh),
	    cmocka_unit_test_setup(test_tx, fresh),
	    cmocka_unit_test_setup(test_tx_split, fresh),
	    cmocka_unit_test_setup(test_tx_drops, fresh),
	    cmocka_unit_test_setup(test_rx, fresh),
	    cmocka_unit_test_setup(test_rx_no_buffer, fresh),
	    cmocka_unit_test_setup(test_rx_small_buffer, fresh),
	    cmocka_unit_test_setup(test_not_running, fresh),
	    cmocka_unit_test_setup(test_suppression, fresh),
	    cmocka_unit_test_setup(test_tx_rewrite, fresh),
	    cmocka_unit_test_setup(test_rx_batch, fresh),
	    cmocka_unit_test_setup(test_mtu, fresh),
	    cmocka_unit_test_setup(test_hostile_tx, fresh),
	    cmocka_unit_test_setup(test_hostile_rx, fresh),
	    cmocka_unit_test_setup(test_reset_midway, fresh),
	    cmocka_unit_test_setup(test_budget, fresh),
	    cmocka_unit_test_setup(test_index_wrap, fresh),
	    cmocka_unit_test_setup(test_loopback, fresh),
	    cmocka_unit_test_setup(test_fuzz, fresh),
	    cmocka_unit_test_setup(test_switch_e2e, fresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
