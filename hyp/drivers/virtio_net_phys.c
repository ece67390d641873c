// SPDX-License-Identifier: MIT
/* Physical virtio-net: polled receive and transmit queues (VIRTIO 1.2 §5.1.6). */
#include "drivers/virtio_net_phys.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/timer.h"
#include "lib/string.h"

#define RXQ       0
#define TXQ       1
#define SLOT_SIZE 2048 /* one buffer: header + frame, two per page */
#define NO_SLOT   0xff

#define CFG_MAC    0 /* struct virtio_net_config (§5.1.4) */
#define CFG_STATUS 6
#define CFG_MTU    10
#define S_LINK_UP  1U
#define BATCH      VNET_PHYS_RX_BUFS

_Static_assert(VNET_PHYS_HDR_LEN + VNET_PHYS_RX_FRAME <= SLOT_SIZE, "RX buffer fits a slot");
_Static_assert(VNET_PHYS_HDR_LEN + VNET_PHYS_MAX_FRAME <= SLOT_SIZE, "TX frame fits a slot");
_Static_assert(VNET_PHYS_RX_BUFS < NO_SLOT && VNET_PHYS_TX_BUFS < NO_SLOT, "slot ids fit");

static hpa_t pa_of(const void *p)
{
	return (hpa_t)(uintptr_t)p;
}

/* rx_lock held (or init). 0 or the error of vphys_post(). */
static int post_rx(struct vnet_phys *n, unsigned slot)
{
	struct vphys_seg seg = {pa_of(n->rx_buf + (size_t)slot * SLOT_SIZE),
	                        VNET_PHYS_HDR_LEN + VNET_PHYS_RX_FRAME, true};
	uint16_t head;
	int ret = vphys_post(&n->dev, RXQ, &seg, 1, &head);
	if (ret == 0)
		n->rx_slot[head] = (uint8_t)slot;
	return ret;
}

int vnet_phys_init(struct vnet_phys *n, uintptr_t base)
{
	memset(n, 0, sizeof(*n));
	spin_init(&n->rx_lock);
	spin_init(&n->tx_lock);
	memset(n->rx_slot, NO_SLOT, sizeof(n->rx_slot));
	memset(n->tx_slot, NO_SLOT, sizeof(n->tx_slot));
	int ret = vphys_init(&n->dev, base, VIRTIO_ID_NET,
	                     VNET_PHYS_F_MAC | VNET_PHYS_F_STATUS | VNET_PHYS_F_MTU, 2);
	if (ret)
		return ret;
	if (n->dev.features & VNET_PHYS_F_MAC) {
		vphys_config_read(&n->dev, CFG_MAC, n->mac, sizeof(n->mac));
	} else {
		/* §5.1.5: without F_MAC the driver picks one; locally administered, unicast. */
		uint64_t b = base >> 12;
		const uint8_t mac[6] = {
		    0x02, 0x46, 0x56, (uint8_t)(b >> 16), (uint8_t)(b >> 8), (uint8_t)b};
		memcpy(n->mac, mac, sizeof(mac));
	}
	if (n->dev.features & VNET_PHYS_F_MTU)
		n->mtu = vphys_config_read16(&n->dev, CFG_MTU);
	n->nr_rx = (uint16_t)MIN(VNET_PHYS_RX_BUFS, n->dev.q[RXQ].size);
	n->nr_tx = (uint16_t)MIN(VNET_PHYS_TX_BUFS, n->dev.q[TXQ].size);
	size_t pages = ((size_t)(n->nr_rx + n->nr_tx) * SLOT_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
	hpa_t pa;
	if (mem_alloc_pages(pages, 1, &pa) != 0) {
		vphys_shutdown(&n->dev);
		return -FV_ENOMEM;
	}
	n->rx_buf = mem_phys_to_virt(pa);
	n->tx_buf = n->rx_buf + (size_t)n->nr_rx * SLOT_SIZE;
	for (unsigned i = 0; i < n->nr_tx; i++)
		n->tx_free[i] = (uint8_t)i;
	n->tx_nfree = n->nr_tx;
	for (unsigned i = 0; i < n->nr_rx; i++) {
		ret = post_rx(n, i);
		if (ret) {
			vphys_shutdown(&n->dev);
			mem_free_pages(pa, pages);
			return ret;
		}
	}
	vphys_notify(&n->dev, RXQ);
	return 0;
}

void vnet_phys_mac(const struct vnet_phys *n, uint8_t mac[6])
{
	memcpy(mac, n->mac, sizeof(n->mac));
}

bool vnet_phys_link_up(const struct vnet_phys *n)
{
	if (!(n->dev.features & VNET_PHYS_F_STATUS))
		return true;
	return (vphys_config_read16(&n->dev, CFG_STATUS) & S_LINK_UP) != 0;
}

/* tx_lock held: return every completed transmit slot to the free stack. */
static void reclaim_tx(struct vnet_phys *n)
{
	uint16_t head;
	uint32_t len;
	while (vphys_harvest(&n->dev, TXQ, &head, &len) > 0) {
		/* The transport only returns heads in flight, and each has a slot. */
		uint8_t slot = n->tx_slot[head];
		BUG_ON(slot >= n->nr_tx);
		n->tx_slot[head] = NO_SLOT;
		n->tx_free[n->tx_nfree++] = slot;
		n->tx_stalled = false;
	}
}

/* Copy source of vnet_phys_send(): a linear frame. */
struct linear {
	const void *frame;
	size_t len;
};

static size_t linear_fill(const void *ctx, uint8_t *dst)
{
	const struct linear *l = ctx;
	memcpy(dst, l->frame, l->len);
	return l->len;
}

int vnet_phys_send(struct vnet_phys *n, const void *frame, size_t len)
{
	struct linear l = {frame, len};
	int ret = vnet_phys_send_fill(n, len, linear_fill, &l, false);
	vnet_phys_kick(n);
	return ret;
}

int vnet_phys_send_fill(struct vnet_phys *n, size_t len,
                        size_t (*fill)(const void *ctx, uint8_t *dst), const void *ctx, bool defer)
{
	int ret = 0;
	bool kick = false;
	spin_lock(&n->tx_lock);
	if (len < VNET_PHYS_MIN_FRAME || len > VNET_PHYS_MAX_FRAME || !fill) {
		ret = -FV_EINVAL;
		goto out;
	}
	if (vphys_is_broken(&n->dev)) {
		ret = -FV_EIO;
		goto out;
	}
	reclaim_tx(n);
	if (n->tx_nfree == 0) {
		uint64_t now = time_now_ns();
		if (!n->tx_stalled) {
			n->tx_stalled = true;
			n->tx_stall_since = now;
		} else if (now - n->tx_stall_since > VPHYS_TIMEOUT_NS) {
			vphys_mark_broken(&n->dev, "transmit queue stalled");
			ret = -FV_EIO;
			goto out;
		}
		n->stats.tx_drops++;
		/* Whatever waits unannounced must reach the device, or the slots never free. */
		kick = n->tx_unkicked != 0;
		n->tx_unkicked = 0;
		spin_unlock(&n->tx_lock);
		if (kick)
			vphys_notify(&n->dev, TXQ);
		return -FV_EAGAIN;
	}
	uint8_t slot = n->tx_free[--n->tx_nfree];
	uint8_t *buf = n->tx_buf + (size_t)slot * SLOT_SIZE;
	/*
	 * The one copy of a transmitted frame: from its source (a guest's transmit
	 * buffers, which go back to the guest when we return, or a linear frame)
	 * into this DMA slot, which only the device reads until it is reclaimed.
	 * No offloads negotiated: an all-zero header (flags 0, GSO_NONE).
	 */
	memset(buf, 0, VNET_PHYS_HDR_LEN);
	if (fill(ctx, buf + VNET_PHYS_HDR_LEN) != len) {
		n->tx_free[n->tx_nfree++] = slot;
		ret = -FV_EIO;
		goto out;
	}
	struct vphys_seg seg = {pa_of(buf), (uint32_t)(VNET_PHYS_HDR_LEN + len), false};
	uint16_t head;
	ret = vphys_post(&n->dev, TXQ, &seg, 1, &head);
	if (ret) {
		/* nr_tx <= queue size, so only a broken device gets here. */
		n->tx_free[n->tx_nfree++] = slot;
		goto out;
	}
	n->tx_slot[head] = slot;
	n->stats.tx_frames++;
	n->stats.tx_bytes += len;
	/* A batch is announced at its end (vnet_phys_kick), or every VNET_PHYS_TX_KICK frames. */
	if (++n->tx_unkicked >= VNET_PHYS_TX_KICK || !defer) {
		kick = true;
		n->tx_unkicked = 0;
		n->stats.tx_kicks++;
	}
out:
	if (ret)
		n->stats.tx_errors++;
	spin_unlock(&n->tx_lock);
	if (kick)
		vphys_notify(&n->dev, TXQ);
	return ret;
}

void vnet_phys_kick(struct vnet_phys *n)
{
	spin_lock(&n->tx_lock);
	bool kick = n->tx_unkicked != 0;
	n->tx_unkicked = 0;
	if (kick)
		n->stats.tx_kicks++;
	spin_unlock(&n->tx_lock);
	if (kick)
		vphys_notify(&n->dev, TXQ);
}

struct rx_done {
	uint8_t slot;
	uint16_t len; /* bytes the device wrote, header included */
};

/* Harvest up to max used RX buffers into done[]; rx_lock held. */
static unsigned harvest_rx(struct vnet_phys *n, struct rx_done *done, unsigned max)
{
	unsigned nb = 0;
	uint16_t head;
	uint32_t len;
	while (nb < max && vphys_harvest(&n->dev, RXQ, &head, &len) > 0) {
		uint8_t slot = n->rx_slot[head];
		BUG_ON(slot >= n->nr_rx);
		n->rx_slot[head] = NO_SLOT;
		/* The transport capped len at the buffer size, so it fits 16 bits. */
		done[nb].slot = slot;
		done[nb].len = (uint16_t)len;
		nb++;
	}
	return nb;
}

unsigned vnet_phys_poll(struct vnet_phys *n,
                        void (*rx)(void *ctx, const uint8_t *frame, size_t len), void *ctx,
                        unsigned budget)
{
	unsigned total = 0;
	while (total < budget) {
		struct rx_done done[BATCH];
		spin_lock(&n->rx_lock);
		unsigned nb = harvest_rx(n, done, MIN(budget - total, BATCH));
		spin_unlock(&n->rx_lock);
		if (nb == 0)
			break;
		/*
		 * The harvested buffers are ours alone until re-posted (neither in
		 * the ring nor reachable by another poller), so rx() runs unlocked.
		 */
		uint64_t frames = 0, bytes = 0, drops = 0, errors = 0;
		for (unsigned i = 0; i < nb; i++) {
			size_t flen =
			    done[i].len >= VNET_PHYS_HDR_LEN ? done[i].len - VNET_PHYS_HDR_LEN : 0;
			if (flen < VNET_PHYS_MIN_FRAME || !rx) {
				drops++;
				continue;
			}
			rx(ctx, n->rx_buf + (size_t)done[i].slot * SLOT_SIZE + VNET_PHYS_HDR_LEN,
			   flen);
			frames++;
			bytes += flen;
		}
		spin_lock(&n->rx_lock);
		for (unsigned i = 0; i < nb; i++)
			if (post_rx(n, done[i].slot) != 0)
				errors++; /* broken device: the buffer stays unused */
		n->stats.rx_frames += frames;
		n->stats.rx_bytes += bytes;
		n->stats.rx_drops += drops;
		n->stats.rx_errors += errors;
		spin_unlock(&n->rx_lock);
		vphys_notify(&n->dev, RXQ);
		total += nb;
	}
	return total;
}

void vnet_phys_stats(struct vnet_phys *n, struct vnet_phys_stats *out)
{
	spin_lock(&n->rx_lock);
	out->rx_frames = n->stats.rx_frames;
	out->rx_bytes = n->stats.rx_bytes;
	out->rx_drops = n->stats.rx_drops;
	out->rx_errors = n->stats.rx_errors;
	spin_unlock(&n->rx_lock);
	spin_lock(&n->tx_lock);
	out->tx_frames = n->stats.tx_frames;
	out->tx_bytes = n->stats.tx_bytes;
	out->tx_drops = n->stats.tx_drops;
	out->tx_errors = n->stats.tx_errors;
	out->tx_kicks = n->stats.tx_kicks;
	spin_unlock(&n->tx_lock);
}
