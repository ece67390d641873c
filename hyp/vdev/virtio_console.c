/* SPDX-License-Identifier: MIT */
/*
 * virtio-console, single port (VIRTIO 1.2 §5.3). Guest output is copied out
 * of the transmitq synchronously inside the queue notification; host input
 * goes straight into the buffers the driver posted on the receiveq. No
 * chain is held between calls, so the state never points into guest memory.
 */
#include "vdev/virtio_console.h"
#include "lib/string.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Hand the readable part of a transmit buffer to ops->output() in chunks,
 * at most VIRTIO_CONSOLE_TX_CHAIN_MAX bytes of it. Returns the bytes output.
 */
static uint32_t output_chain(struct virtio_console *c, const struct virtq_chain *ch)
{
	uint8_t buf[VIRTIO_CONSOLE_CHUNK];
	uint32_t total = MIN(ch->read_len, VIRTIO_CONSOLE_TX_CHAIN_MAX), off = 0;

	while (off < total) {
		size_t k = virtq_chain_read(ch, off, buf, MIN(total - off, VIRTIO_CONSOLE_CHUNK));

		/* Only short if the chain is inconsistent: stop rather than spin. */
		if (k == 0)
			break;
		c->ops->output(c->ops_ctx, buf, k);
		off += (uint32_t)k;
	}
	c->bytes_out += off;
	if (ch->read_len > off) {
		c->dropped += ch->read_len - off;
		c->errors++;
	}
	return off;
}

bool virtio_console_process_tx(struct virtio_console *c)
{
	struct virtq *q = virtio_mmio_queue(&c->mmio, VIRTIO_CONSOLE_TXQ);
	struct virtq_chain ch;
	uint32_t bytes = 0;
	unsigned bufs = 0;
	bool pushed = false, more = false;
	int ret = 0;

	if (!q || !virtio_mmio_running(&c->mmio)) {
		c->backlog = false;
		return false;
	}
	for (;;) {
		/* output() may have fed input that broke the receiveq: stop too. */
		if (!virtio_mmio_running(&c->mmio))
			break;
		if (bufs >= VIRTIO_CONSOLE_BUDGET_CHAINS || bytes >= VIRTIO_CONSOLE_BUDGET_BYTES) {
			more = true;
			break;
		}
		ret = virtq_pop(q, &ch);
		if (ret <= 0)
			break;
		/* Transmit buffers are device-readable only (spec §5.3.6). */
		if (ch.nwrite)
			c->errors++;
		else
			bytes += output_chain(c, &ch);
		c->tx_bufs++;
		bufs++;
		if (virtq_push_chain(q, &ch, 0) == 0)
			pushed = true;
	}
	/*
	 * A queue that broke after some completions can no longer read the
	 * driver's suppression wishes: interrupt anyway (spurious ones are
	 * allowed), then report the error.
	 */
	if (pushed && (ret < 0 || virtq_should_notify(q)))
		virtio_mmio_used_irq(&c->mmio);
	if (ret < 0) {
		virtio_mmio_needs_reset(&c->mmio);
		more = false;
	}
	c->backlog = more;
	if (bytes && c->ops->output_done)
		c->ops->output_done(c->ops_ctx);
	return more;
}

size_t virtio_console_input(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	struct virtq *q = virtio_mmio_queue(&c->mmio, VIRTIO_CONSOLE_RXQ);
	struct virtq_chain ch;
	size_t done = 0;
	bool pushed = false;
	int ret = 0;

	if (!q || !len || !virtio_mmio_running(&c->mmio))
		return 0;
	for (unsigned n = 0; done < len && n < VIRTIO_CONSOLE_BUDGET_CHAINS; n++) {
		size_t k = 0;

		ret = virtq_pop(q, &ch);
		if (ret <= 0)
			break;
		/* Receive buffers are device-writable only (spec §5.3.6). */
		if (ch.nread || !ch.write_len)
			c->errors++;
		else
			k = virtq_chain_write(&ch, 0, buf + done,
			                      MIN(len - done, (size_t)ch.write_len));
		c->rx_bufs++;
		if (virtq_push_chain(q, &ch, (uint32_t)k) == 0) {
			pushed = true;
			done += k;
		}
	}
	if (pushed && (ret < 0 || virtq_should_notify(q)))
		virtio_mmio_used_irq(&c->mmio);
	if (ret < 0)
		virtio_mmio_needs_reset(&c->mmio);
	c->bytes_in += done;
	return done;
}

bool virtio_console_rx_space(const struct virtio_console *c)
{
	const struct virtq *q;
	const uint8_t *avail;

	if (!virtio_mmio_running(&c->mmio) || VIRTIO_CONSOLE_RXQ >= c->mmio.nqueues)
		return false;
	q = &c->mmio.vq[VIRTIO_CONSOLE_RXQ];
	if (!virtq_is_ready(q) || !q->gpa_to_hva)
		return false;
	/* avail->flags and avail->idx; virtq_enable() checked the alignment. */
	avail = q->gpa_to_hva(q->mem_ctx, q->avail_gpa, 4);
	if (!avail)
		return false;
	return *(const volatile uint16_t *)(const void *)(avail + 2) != q->last_avail;
}

void virtio_console_set_size(struct virtio_console *c, uint16_t cols, uint16_t rows)
{
	if (c->cols == cols && c->rows == rows)
		return;
	c->cols = cols;
	c->rows = rows;
	virtio_mmio_config_changed(&c->mmio);
}

static void con_notify(void *ctx, unsigned queue)
{
	struct virtio_console *c = ctx;

	if (queue == VIRTIO_CONSOLE_TXQ)
		virtio_console_process_tx(c);
	else if (queue == VIRTIO_CONSOLE_RXQ && c->ops->rx_ready)
		c->ops->rx_ready(c->ops_ctx);
}

static void con_reset(void *ctx)
{
	struct virtio_console *c = ctx;

	c->backlog = false;
}

static void con_config_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	const struct virtio_console *c = ctx;
	uint8_t cfg[VIRTIO_CONSOLE_CONFIG_SIZE];

	memset(cfg, 0, sizeof(cfg));
	put16(cfg + VIRTIO_CONSOLE_CFG_COLS, c->cols);
	put16(cfg + VIRTIO_CONSOLE_CFG_ROWS, c->rows);
	put32(cfg + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 1);
	/* emerg_wr is write-only (and unused without EMERG_WRITE): reads 0 */
	if (off < sizeof(cfg))
		memcpy(buf, cfg + off, MIN((size_t)len, sizeof(cfg) - off));
}

static const struct virtio_dev_ops con_ops = {
    .config_read = con_config_read,
    .notify = con_notify,
    .reset = con_reset,
};

int virtio_console_init(struct virtio_console *c, const struct virtio_console_ops *ops,
                        void *ops_ctx, const struct virtio_mmio_host *host, void *host_ctx)
{
	const struct virtio_dev_info info = {
	    .device_id = VIRTIO_ID_CONSOLE,
	    .features = VIRTIO_FEAT(VIRTIO_F_EVENT_IDX) | VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC) |
	                VIRTIO_FEAT(VIRTIO_CONSOLE_F_SIZE),
	    .nqueues = 2,
	    .queue_max = VIRTIO_CONSOLE_QUEUE_MAX,
	    .config_size = VIRTIO_CONSOLE_CONFIG_SIZE,
	};

	memset(c, 0, sizeof(*c));
	if (!ops || !ops->output) {
		virtio_mmio_init(&c->mmio, NULL, NULL, NULL, host, host_ctx);
		return -FV_EINVAL;
	}
	c->ops = ops;
	c->ops_ctx = ops_ctx;
	c->cols = VIRTIO_CONSOLE_DEFAULT_COLS;
	c->rows = VIRTIO_CONSOLE_DEFAULT_ROWS;
	return virtio_mmio_init(&c->mmio, &info, &con_ops, c, host, host_ctx);
}
