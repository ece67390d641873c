// SPDX-License-Identifier: MIT
/* Physical virtio console, single port, polled (VIRTIO 1.2 §5.3.6). */
#include "drivers/virtio_console_phys.h"
#include "core/mem.h"
#include "lib/string.h"

#define RXQ     0
#define TXQ     1
#define NO_SLOT 0xff

_Static_assert(VCON_PHYS_RX_BUFS + VCON_PHYS_TX_BUFS < NO_SLOT, "slot ids fit");

static hpa_t pa_of(const void *p)
{
	return (hpa_t)(uintptr_t)p;
}

static int post_rx(struct vcon_phys *c, unsigned slot)
{
	struct vphys_seg seg = {pa_of(c->rx_buf + (size_t)slot * VCON_PHYS_BUF), VCON_PHYS_BUF,
	                        true};
	uint16_t head;
	int ret = vphys_post(&c->dev, RXQ, &seg, 1, &head);
	if (ret == 0)
		c->rx_slot[head] = (uint8_t)slot;
	return ret;
}

int vcon_phys_init(struct vcon_phys *c, uintptr_t base)
{
	memset(c, 0, sizeof(*c));
	memset(c->rx_slot, NO_SLOT, sizeof(c->rx_slot));
	memset(c->tx_slot, NO_SLOT, sizeof(c->tx_slot));
	c->cur_slot = -1;
	/* No feature bits: one port, no size or emergency-write fields. */
	int ret = vphys_init(&c->dev, base, VIRTIO_ID_CONSOLE, 0, 2);
	if (ret)
		return ret;
	c->nr_rx = (uint16_t)MIN(VCON_PHYS_RX_BUFS, c->dev.q[RXQ].size);
	c->nr_tx = (uint16_t)MIN(VCON_PHYS_TX_BUFS, c->dev.q[TXQ].size);
	size_t pages = ((size_t)(c->nr_rx + c->nr_tx) * VCON_PHYS_BUF + PAGE_SIZE - 1) / PAGE_SIZE;
	hpa_t pa;
	if (mem_alloc_pages(pages, 1, &pa) != 0) {
		vphys_shutdown(&c->dev);
		return -FV_ENOMEM;
	}
	c->rx_buf = mem_phys_to_virt(pa);
	c->tx_buf = c->rx_buf + (size_t)c->nr_rx * VCON_PHYS_BUF;
	for (unsigned i = 0; i < c->nr_tx; i++)
		c->tx_free[i] = (uint8_t)i;
	c->tx_nfree = c->nr_tx;
	for (unsigned i = 0; i < c->nr_rx; i++) {
		ret = post_rx(c, i);
		if (ret) {
			vphys_shutdown(&c->dev);
			mem_free_pages(pa, pages);
			return ret;
		}
	}
	vphys_notify(&c->dev, RXQ);
	return 0;
}

size_t vcon_phys_read(struct vcon_phys *c, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	bool reposted = false;
	while (n < cap) {
		if (c->cur_slot < 0) {
			uint16_t head;
			uint32_t len;
			if (vphys_harvest(&c->dev, RXQ, &head, &len) <= 0)
				break;
			/* The transport only hands back heads in flight; each has a slot. */
			uint8_t slot = c->rx_slot[head];
			c->rx_slot[head] = NO_SLOT;
			if (slot >= c->nr_rx)
				continue;
			c->cur_slot = slot;
			c->cur_len = len; /* at most VCON_PHYS_BUF: vphys checks the capacity */
			c->cur_off = 0;
		}
		size_t take = MIN(cap - n, (size_t)(c->cur_len - c->cur_off));
		memcpy(buf + n, c->rx_buf + (size_t)c->cur_slot * VCON_PHYS_BUF + c->cur_off, take);
		n += take;
		c->cur_off += (uint32_t)take;
		if (c->cur_off == c->cur_len) {
			post_rx(c, (unsigned)c->cur_slot);
			c->cur_slot = -1;
			reposted = true;
		}
	}
	if (reposted)
		vphys_notify(&c->dev, RXQ);
	c->rx_bytes += n;
	return n;
}

static void reclaim_tx(struct vcon_phys *c)
{
	uint16_t head;
	uint32_t len;
	while (vphys_harvest(&c->dev, TXQ, &head, &len) > 0) {
		uint8_t slot = c->tx_slot[head];
		c->tx_slot[head] = NO_SLOT;
		if (slot < c->nr_tx)
			c->tx_free[c->tx_nfree++] = slot;
	}
}

void vcon_phys_write(struct vcon_phys *c, const uint8_t *buf, size_t len)
{
	bool posted = false;
	reclaim_tx(c);
	while (len) {
		if (c->tx_nfree == 0) {
			c->tx_dropped += len;
			break;
		}
		size_t n = MIN(len, (size_t)VCON_PHYS_BUF);
		uint8_t slot = c->tx_free[--c->tx_nfree];
		uint8_t *dst = c->tx_buf + (size_t)slot * VCON_PHYS_BUF;
		memcpy(dst, buf, n);
		struct vphys_seg seg = {pa_of(dst), (uint32_t)n, false};
		uint16_t head;
		if (vphys_post(&c->dev, TXQ, &seg, 1, &head) != 0) {
			c->tx_free[c->tx_nfree++] = slot;
			c->tx_dropped += len;
			break;
		}
		c->tx_slot[head] = slot;
		c->tx_bytes += n;
		posted = true;
		buf += n;
		len -= n;
	}
	if (posted)
		vphys_notify(&c->dev, TXQ);
}

size_t vcon_phys_tx_room(struct vcon_phys *c)
{
	reclaim_tx(c);
	return (size_t)c->tx_nfree * VCON_PHYS_BUF;
}
