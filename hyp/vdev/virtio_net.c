/* SPDX-License-Identifier: MIT */
/*
 * virtio-net frame handling (VIRTIO 1.2 §5.1). Transmit chains are copied
 * by the owner straight from the guest's buffers to each destination
 * (virtio_net_txf_copy), whatever the guest's descriptor layout; received
 * frames are scattered straight into the guest's buffers.
 */
#include "vdev/virtio_net.h"
#include "lib/string.h"

static bool mac_ok(const uint8_t *mac)
{
	uint8_t acc = 0;

	for (unsigned i = 0; i < 6; i++)
		acc |= mac[i];
	/* a device address must be unicast (I/G bit clear) and not all-zero */
	return acc != 0 && !(mac[0] & 1u);
}

/*
 * Describe the frame of TX chain @c in @f (its first bytes copied). Returns
 * its length, or 0 if the chain is to be dropped (see the rules in
 * virtio_net.h).
 */
static size_t tx_frame(const struct virtio_net *n, const struct virtq_chain *c,
                       struct virtio_net_txf *f)
{
	size_t len;

	/* spec §5.1.6.2: transmit buffers are device-readable only */
	if (c->nwrite || c->read_len < VIRTIO_NET_HDR_LEN)
		return 0;
	len = (size_t)c->read_len - VIRTIO_NET_HDR_LEN;
	if (len < VIRTIO_NET_MIN_FRAME || len > VIRTIO_NET_MAX_FRAME || !n->link_up)
		return 0;
	f->chain = c;
	f->len = len;
	f->peek_len = MIN(len, (size_t)VIRTIO_NET_TXF_PEEK);
	if (virtq_chain_read(c, VIRTIO_NET_HDR_LEN, f->peek, f->peek_len) != f->peek_len)
		return 0;
	return len;
}

size_t virtio_net_txf_copy(const struct virtio_net_txf *f, uint8_t *dst)
{
	size_t got = virtq_chain_read(f->chain, VIRTIO_NET_HDR_LEN, dst, f->len);
	/* read_len covered header + len when the chain was popped: got == len. */
	memcpy(dst, f->peek, MIN(f->peek_len, got));
	return got;
}

bool virtio_net_process_tx(struct virtio_net *n)
{
	struct virtq *q = virtio_mmio_queue(&n->mmio, VIRTIO_NET_TXQ);
	struct virtq_chain *c = &n->tx_chain;
	struct virtio_net_txf f;
	uint64_t bytes = 0;
	unsigned frames = 0;
	bool pushed = false, more = false;
	int ret = 0;

	if (n->in_tx)
		return false;
	if (!q || !virtio_mmio_running(&n->mmio)) {
		n->backlog = false;
		return false;
	}
	n->in_tx = true;
	/* The callback may stop the device (e.g. a broken receive queue): re-check. */
	while (virtio_mmio_running(&n->mmio)) {
		if (frames >= VIRTIO_NET_BUDGET_FRAMES || bytes >= VIRTIO_NET_BUDGET_BYTES) {
			more = true;
			break;
		}
		ret = virtq_pop(q, c);
		if (ret <= 0)
			break;
		size_t len = tx_frame(n, c, &f);
		frames++;
		/* cost of a dropped chain: its walk and at most one frame's worth */
		bytes += MIN((uint64_t)c->read_len + c->write_len,
		             (uint64_t)VIRTIO_NET_HDR_LEN + VIRTIO_NET_MAX_FRAME);
		if (len == 0) {
			n->stats.tx_drops++;
		} else {
			n->stats.tx_frames++;
			n->stats.tx_bytes += len;
			/*
			 * The owner copies the frame out of the guest's buffers (one copy per
			 * destination, no bounce buffer here): they go back only afterwards.
			 */
			n->ops->tx(n->ops_ctx, &f);
		}
		if (virtq_push_chain(q, c, 0) == 0)
			pushed = true;
	}
	/*
	 * A queue that broke after some completions can no longer read the
	 * driver's suppression wishes: interrupt anyway (spurious ones are
	 * allowed), then report the error.
	 */
	if (pushed && (ret < 0 || virtq_should_notify(q)))
		virtio_mmio_used_irq(&n->mmio);
	if (ret < 0) {
		virtio_mmio_needs_reset(&n->mmio);
		more = false;
	}
	n->in_tx = false;
	n->backlog = more;
	return more;
}

int virtio_net_rx(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	struct virtq *q = virtio_mmio_queue(&n->mmio, VIRTIO_NET_RXQ);
	struct virtq_chain *c = &n->rx_chain;
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	uint32_t written = 0;
	int ret;

	if (!frame || len < VIRTIO_NET_MIN_FRAME || len > VIRTIO_NET_MAX_FRAME) {
		n->stats.rx_drops++;
		return -FV_EINVAL;
	}
	/* §5.1.4.2: no frame over the reported MTU to a driver that took it (+ header, VLAN). */
	if (n->mtu && len > (size_t)n->mtu + 18u &&
	    virtio_mmio_has_feature(&n->mmio, VIRTIO_NET_F_MTU)) {
		n->stats.rx_drops++;
		return -FV_EINVAL;
	}
	if (!q || !virtio_mmio_running(&n->mmio) || !n->link_up)
		return -FV_ENODEV;
	ret = virtq_pop(q, c);
	if (ret < 0) {
		virtio_mmio_needs_reset(&n->mmio);
		return -FV_ENODEV;
	}
	if (ret == 0)
		return -FV_EAGAIN;
	if (c->write_len >= VIRTIO_NET_HDR_LEN + len) {
		/* spec §5.1.6.4: no offload info; num_buffers 1 without MRG_RXBUF */
		memset(hdr, 0, sizeof(hdr));
		hdr[VIRTIO_NET_HDR_NUM_BUFFERS] = 1;
		virtq_chain_write(c, 0, hdr, sizeof(hdr));
		virtq_chain_write(c, VIRTIO_NET_HDR_LEN, frame, len);
		written = (uint32_t)(VIRTIO_NET_HDR_LEN + len);
		n->stats.rx_frames++;
		n->stats.rx_bytes += len;
		ret = 0;
	} else {
		n->stats.rx_drops++;
		ret = -FV_ERANGE;
	}
	if (virtq_push_chain(q, c, written) == 0) {
		if (n->rx_batch)
			n->rx_pending = true;
		else if (virtq_should_notify(q))
			virtio_mmio_used_irq(&n->mmio);
	}
	return ret;
}

void virtio_net_rx_begin(struct virtio_net *n)
{
	n->rx_batch = true;
}

void virtio_net_rx_end(struct virtio_net *n)
{
	struct virtq *q = virtio_mmio_queue(&n->mmio, VIRTIO_NET_RXQ);

	n->rx_batch = false;
	if (!n->rx_pending)
		return;
	n->rx_pending = false;
	/* One decision for every buffer of the batch (the event index window covers them all). */
	if (q && virtq_should_notify(q))
		virtio_mmio_used_irq(&n->mmio);
}

void virtio_net_set_mtu(struct virtio_net *n, unsigned mtu)
{
	if (mtu < VIRTIO_NET_MIN_MTU || mtu > 1500u || !n->ops)
		return;
	n->mtu = (uint16_t)mtu;
	n->mmio.device_features |= VIRTIO_FEAT(VIRTIO_NET_F_MTU);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
	if (n->link_up == up)
		return;
	n->link_up = up;
	virtio_mmio_config_changed(&n->mmio);
}

static void net_notify(void *ctx, unsigned queue)
{
	struct virtio_net *n = ctx;

	if (queue == VIRTIO_NET_TXQ)
		virtio_net_process_tx(n);
	else if (queue == VIRTIO_NET_RXQ && n->ops->rx_ready)
		n->ops->rx_ready(n->ops_ctx);
}

static void net_reset(void *ctx)
{
	struct virtio_net *n = ctx;

	/* Popped chains belong to the old driver; the queues refuse them (gen). */
	n->backlog = false;
	n->in_tx = false; /* never set here (no MMIO from callbacks); for restored images */
	n->rx_batch = false;
	n->rx_pending = false;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void net_config_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	const struct virtio_net *n = ctx;
	uint8_t cfg[VIRTIO_NET_CONFIG_SIZE];

	memset(cfg, 0, sizeof(cfg));
	memcpy(cfg + VIRTIO_NET_CFG_MAC, n->mac, sizeof(n->mac));
	put16(cfg + VIRTIO_NET_CFG_STATUS, n->link_up ? VIRTIO_NET_S_LINK_UP : 0);
	put16(cfg + VIRTIO_NET_CFG_MAX_VQP, 1);
	put16(cfg + VIRTIO_NET_CFG_MTU, n->mtu);
	if (off < sizeof(cfg))
		memcpy(buf, cfg + off, MIN((size_t)len, sizeof(cfg) - off));
}

/* No config_write: every field is read-only for a non-legacy driver (§5.1.4.2). */
static const struct virtio_dev_ops net_ops = {
    .config_read = net_config_read,
    .notify = net_notify,
    .reset = net_reset,
};

int virtio_net_init(struct virtio_net *n, const uint8_t mac[6], const struct virtio_net_ops *ops,
                    void *ops_ctx, const struct virtio_mmio_host *host, void *host_ctx)
{
	struct virtio_dev_info info = {
	    .device_id = VIRTIO_ID_NET,
	    .features = VIRTIO_FEAT(VIRTIO_F_EVENT_IDX) | VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC) |
	                VIRTIO_FEAT(VIRTIO_NET_F_MAC) | VIRTIO_FEAT(VIRTIO_NET_F_STATUS),
	    .nqueues = 2,
	    .queue_max = VIRTIO_NET_QUEUE_MAX,
	    .config_size = VIRTIO_NET_CONFIG_SIZE,
	};

	memset(n, 0, sizeof(*n));
	if (!mac || !mac_ok(mac) || !ops || !ops->tx) {
		virtio_mmio_init(&n->mmio, NULL, NULL, NULL, host, host_ctx);
		return -FV_EINVAL;
	}
	memcpy(n->mac, mac, sizeof(n->mac));
	n->link_up = true;
	n->ops = ops;
	n->ops_ctx = ops_ctx;
	return virtio_mmio_init(&n->mmio, &info, &net_ops, n, host, host_ctx);
}
