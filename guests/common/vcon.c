// SPDX-License-Identifier: MIT
/*
 * Minimal polling driver for a virtio-mmio (version 2) virtio-console: queue
 * 0 receive, queue 1 transmit (VIRTIO 1.2 §5.3), VERSION_1 only, interrupts
 * unused. The device serves a transmit notification synchronously inside
 * the trapped QueueNotify store, so a write is complete when the store
 * returns; received bytes appear in the used ring whenever the hypervisor
 * flushes its queue (after each request, and every 10 ms).
 */
#include "vcon.h"
#include "printf.h"

#define R_MAGIC        0x000u
#define R_DEVICE_ID    0x008u
#define R_DRV_FEAT     0x020u
#define R_DRV_FEAT_SEL 0x024u
#define R_QUEUE_SEL    0x030u
#define R_QUEUE_NUMMAX 0x034u
#define R_QUEUE_NUM    0x038u
#define R_QUEUE_READY  0x044u
#define R_NOTIFY       0x050u
#define R_STATUS       0x070u
#define R_DESC_LO      0x080u
#define R_DESC_HI      0x084u
#define R_AVAIL_LO     0x090u
#define R_AVAIL_HI     0x094u
#define R_USED_LO      0x0a0u
#define R_USED_HI      0x0a4u

#define QSIZE   16u
#define RX_BUF  1024u
#define TX_BUF  4096u
#define D_WRITE 2u

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct ring {
	struct desc desc[QSIZE];
	struct {
		uint16_t flags, idx, ring[QSIZE], used_event;
	} avail __attribute__((aligned(4096)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[QSIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4096)));
};

static struct ring rq __attribute__((aligned(4096)));
static struct ring tq __attribute__((aligned(4096)));
static uint8_t rx_bufs[QSIZE][RX_BUF] __attribute__((aligned(4096)));
static uint8_t tx_buf[TX_BUF] __attribute__((aligned(4096)));
static uint16_t rx_seen, tx_seen;
static uint64_t dev;

static uint32_t rd(unsigned off)
{
	return *(volatile uint32_t *)(dev + off);
}

static void wr(unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(dev + off) = v;
}

static bool setup_queue(unsigned q, struct ring *r)
{
	wr(R_QUEUE_SEL, q);
	if (rd(R_QUEUE_NUMMAX) < QSIZE)
		return false;
	wr(R_QUEUE_NUM, QSIZE);
	uint64_t d = (uint64_t)(uintptr_t)r->desc, a = (uint64_t)(uintptr_t)&r->avail,
	         u = (uint64_t)(uintptr_t)&r->used;
	wr(R_DESC_LO, (uint32_t)d);
	wr(R_DESC_HI, (uint32_t)(d >> 32));
	wr(R_AVAIL_LO, (uint32_t)a);
	wr(R_AVAIL_HI, (uint32_t)(a >> 32));
	wr(R_USED_LO, (uint32_t)u);
	wr(R_USED_HI, (uint32_t)(u >> 32));
	wr(R_QUEUE_READY, 1);
	return rd(R_QUEUE_READY) == 1;
}

bool vcon_init(uint64_t base)
{
	dev = base;
	if (rd(R_MAGIC) != 0x74726976 || rd(R_DEVICE_ID) != 3)
		return false;
	wr(R_STATUS, 0);
	wr(R_STATUS, 1);
	wr(R_STATUS, 1 | 2);
	wr(R_DRV_FEAT_SEL, 1);
	wr(R_DRV_FEAT, 1); /* VIRTIO_F_VERSION_1 */
	wr(R_DRV_FEAT_SEL, 0);
	wr(R_DRV_FEAT, 0);
	wr(R_STATUS, 1 | 2 | 8);
	if (!(rd(R_STATUS) & 8))
		return false;
	if (!setup_queue(0, &rq) || !setup_queue(1, &tq))
		return false;
	/* Every receive buffer posted up front; each is re-posted once read. */
	for (uint16_t i = 0; i < QSIZE; i++) {
		rq.desc[i] = (struct desc){(uint64_t)(uintptr_t)rx_bufs[i], RX_BUF, D_WRITE, 0};
		rq.avail.ring[i] = i;
	}
	__sync_synchronize();
	rq.avail.idx = QSIZE;
	wr(R_STATUS, 1 | 2 | 8 | 4);
	wr(R_NOTIFY, 0);
	return rd(R_STATUS) == (1 | 2 | 8 | 4);
}

void vcon_write(const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		size_t k = n < TX_BUF ? n : TX_BUF;
		for (size_t i = 0; i < k; i++)
			tx_buf[i] = p[i];
		tq.desc[0] = (struct desc){(uint64_t)(uintptr_t)tx_buf, (uint32_t)k, 0, 0};
		tq.avail.ring[tq.avail.idx % QSIZE] = 0;
		__sync_synchronize();
		tq.avail.idx++;
		__sync_synchronize();
		wr(R_NOTIFY, 1);
		/* Served inside the notification; a budget overrun completes on later exits. */
		while (*(volatile uint16_t *)&tq.used.idx == tx_seen)
			(void)rd(R_STATUS);
		tx_seen++;
		p += k;
		n -= k;
	}
}

size_t vcon_read(uint8_t *buf, size_t cap)
{
	size_t got = 0;
	__sync_synchronize();
	while (*(volatile uint16_t *)&rq.used.idx != rx_seen) {
		uint32_t id = rq.used.ring[rx_seen % QSIZE].id,
		         len = rq.used.ring[rx_seen % QSIZE].len;
		if (id >= QSIZE || len > RX_BUF || len > cap - got)
			break; /* keep it for the next call (caller's buffer is full) */
		for (uint32_t i = 0; i < len; i++)
			buf[got + i] = rx_bufs[id][i];
		got += len;
		rx_seen++;
		rq.avail.ring[rq.avail.idx % QSIZE] = (uint16_t)id;
		__sync_synchronize();
		rq.avail.idx++;
		wr(R_NOTIFY, 0);
	}
	return got;
}
