/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk request handling (VIRTIO 1.2 §5.2). Requests are served
 * synchronously inside the queue notification, straight between the guest's
 * buffers and the backend (no copy unless a segment splits a sector).
 */
#include "vdev/virtio_blk.h"
#include "lib/string.h"

#define SECTOR VIRTIO_BLK_SECTOR_SIZE

/* The data part of a request: a byte range of a chain's segments. */
struct data_span {
	const struct virtq_seg *seg; /* first segment */
	unsigned nseg;
	size_t skip; /* bytes to skip at the start (the header for OUT) */
	size_t len;  /* data bytes, a multiple of SECTOR */
};

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int backend_io(struct virtio_blk *b, bool write, uint64_t sector, uint8_t *buf, size_t len)
{
	/* Callers stay inside the validated range; re-check so the backend never sees more. */
	if (sector > b->capacity || len / SECTOR > b->capacity - sector || len % SECTOR)
		return -FV_ERANGE;
	if (write)
		return b->be->write(b->be_ctx, sector, buf, len);
	return b->be->read(b->be_ctx, sector, buf, len);
}

/*
 * Move @d->len bytes between the guest segments and sectors from @sector.
 * Whole sectors go directly; a sector split across segments goes through a
 * bounce buffer (read once when its first piece is reached, written once
 * its last piece is in).
 */
/*
 * The whole span in one vectored backend call, if the backend has one and
 * every piece is whole sectors; false if the span does not qualify.
 */
static bool transfer_vec(struct virtio_blk *b, bool write, uint64_t sector,
                         const struct data_span *d, int *ret)
{
	struct virtio_blk_vec v[VIRTIO_BLK_SEG_MAX];
	unsigned n = 0;
	size_t skip = d->skip, pos = 0;

	if (!b->be->rwv)
		return false;
	for (unsigned i = 0; i < d->nseg && pos < d->len; i++) {
		size_t len = d->seg[i].len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		len = MIN(len - skip, d->len - pos);
		if (len % SECTOR || n == VIRTIO_BLK_SEG_MAX)
			return false;
		v[n].buf = d->seg[i].hva + skip;
		v[n++].len = len;
		pos += len;
		skip = 0;
	}
	if (n == 0 || pos != d->len)
		return false;
	/* Callers stay inside the validated range; re-check so the backend never sees more. */
	if (sector > b->capacity || d->len / SECTOR > b->capacity - sector)
		*ret = -FV_ERANGE;
	else
		*ret = b->be->rwv(b->be_ctx, write, sector, v, n);
	return true;
}

static int transfer(struct virtio_blk *b, bool write, uint64_t sector, const struct data_span *d)
{
	uint8_t bounce[SECTOR];
	size_t skip = d->skip, pos = 0;
	int ret = 0;

	if (transfer_vec(b, write, sector, d, &ret))
		return ret;

	for (unsigned i = 0; i < d->nseg && pos < d->len && !ret; i++) {
		uint8_t *p = d->seg[i].hva;
		size_t n = d->seg[i].len;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		p += skip;
		n = MIN(n - skip, d->len - pos);
		skip = 0;
		while (n && !ret) {
			size_t off = pos % SECTOR, k;
			uint64_t s = sector + pos / SECTOR;

			if (off == 0 && n >= SECTOR) {
				k = n - n % SECTOR;
				ret = backend_io(b, write, s, p, k);
			} else {
				k = MIN(SECTOR - off, n);
				if (!write && off == 0)
					ret = backend_io(b, false, s, bounce, SECTOR);
				if (!write)
					memcpy(p, bounce + off, k);
				else
					memcpy(bounce + off, p, k);
				if (write && off + k == SECTOR)
					ret = backend_io(b, true, s, bounce, SECTOR);
			}
			p += k;
			pos += k;
			n -= k;
		}
	}
	return ret;
}

static uint8_t do_rw(struct virtio_blk *b, bool write, uint64_t sector, const struct data_span *d)
{
	uint64_t nsect = d->len / SECTOR;

	if (d->len % SECTOR)
		return VIRTIO_BLK_S_IOERR;
	if (sector > b->capacity || nsect > b->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (write && b->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (d->len && transfer(b, write, sector, d))
		return VIRTIO_BLK_S_IOERR;
	/* Without negotiated FLUSH, completed writes must be stable (§5.2.6.2). */
	if (write && b->be->flush && !virtio_mmio_has_feature(&b->mmio, VIRTIO_BLK_F_FLUSH) &&
	    b->be->flush(b->be_ctx))
		return VIRTIO_BLK_S_IOERR;
	if (write)
		b->bytes_written += d->len;
	else
		b->bytes_read += d->len;
	return VIRTIO_BLK_S_OK;
}

/*
 * Serve one request. Returns the status byte; *written is the number of
 * bytes written from the start of the writable part (spec §2.7.8.2: a
 * prefix, so 0 unless all of it, status included, was written).
 */
static uint8_t handle(struct virtio_blk *b, const struct virtq_chain *c, uint32_t *written)
{
	uint8_t hdr[VIRTIO_BLK_REQ_HDR];
	uint32_t type;
	uint64_t sector;
	struct data_span d;
	uint8_t st;

	*written = 0;
	if (virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	type = (uint32_t)get_le(hdr, 4);
	sector = get_le(hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_IN:
		d.seg = &c->seg[c->nread];
		d.nseg = c->nwrite;
		d.skip = 0;
		d.len = c->write_len - 1u; /* the last writable byte is the status */
		st = do_rw(b, false, sector, &d);
		if (st == VIRTIO_BLK_S_OK)
			*written = c->write_len;
		return st;
	case VIRTIO_BLK_T_OUT:
		d.seg = &c->seg[0];
		d.nseg = c->nread;
		d.skip = VIRTIO_BLK_REQ_HDR;
		d.len = c->read_len - VIRTIO_BLK_REQ_HDR;
		st = do_rw(b, true, sector, &d);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = (b->be->flush && b->be->flush(b->be_ctx)) ? VIRTIO_BLK_S_IOERR
		                                               : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		/* spec: 20 bytes of data, NUL-padded, no terminator if full */
		size_t n = MIN((size_t)c->write_len - 1u, (size_t)VIRTIO_BLK_ID_LEN);
		virtq_chain_write(c, 0, b->id, n);
		*written = (n == c->write_len - 1u) ? c->write_len : (uint32_t)n;
		return VIRTIO_BLK_S_OK;
	}
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
	if (c->write_len == 1)
		*written = 1;
	return st;
}

bool virtio_blk_process(struct virtio_blk *b)
{
	struct virtq *q = virtio_mmio_queue(&b->mmio, 0);
	struct virtq_chain c;
	uint64_t bytes = 0;
	unsigned reqs = 0;
	bool pushed = false, more = false;
	int ret = 0;

	if (!q || !virtio_mmio_running(&b->mmio)) {
		b->backlog = false;
		return false;
	}
	for (;;) {
		if (reqs >= VIRTIO_BLK_BUDGET_REQS || bytes >= VIRTIO_BLK_BUDGET_BYTES) {
			more = true;
			break;
		}
		ret = virtq_pop(q, &c);
		if (ret <= 0)
			break;
		uint32_t written = 0;
		uint8_t st = VIRTIO_BLK_S_IOERR;
		if (c.write_len) {
			st = handle(b, &c, &written);
			virtq_chain_write(&c, c.write_len - 1u, &st, 1);
		}
		if (st != VIRTIO_BLK_S_OK)
			b->errors++;
		b->requests++;
		reqs++;
		bytes += (uint64_t)c.read_len + c.write_len;
		if (virtq_push_chain(q, &c, written) == 0)
			pushed = true;
	}
	/*
	 * A queue that broke after some completions can no longer read the
	 * driver's suppression wishes: interrupt anyway (spurious ones are
	 * allowed), then report the error.
	 */
	if (pushed && (ret < 0 || virtq_should_notify(q)))
		virtio_mmio_used_irq(&b->mmio);
	if (ret < 0) {
		virtio_mmio_needs_reset(&b->mmio);
		more = false;
	}
	b->backlog = more;
	return more;
}

static void blk_notify(void *ctx, unsigned queue)
{
	struct virtio_blk *b = ctx;

	if (queue == 0)
		virtio_blk_process(b);
}

static void blk_reset(void *ctx)
{
	struct virtio_blk *b = ctx;

	b->backlog = false;
}

static void blk_config_read(void *ctx, uint32_t off, void *buf, uint32_t len)
{
	const struct virtio_blk *b = ctx;
	uint8_t cfg[VIRTIO_BLK_CONFIG_SIZE];

	memset(cfg, 0, sizeof(cfg));
	put64(cfg + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
	put32(cfg + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
	put32(cfg + VIRTIO_BLK_CFG_BLK_SIZE, SECTOR);
	if (off < sizeof(cfg))
		memcpy(buf, cfg + off, MIN((size_t)len, sizeof(cfg) - off));
}

static const struct virtio_dev_ops blk_ops = {
    .config_read = blk_config_read,
    .notify = blk_notify,
    .reset = blk_reset,
};

int virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *be, void *be_ctx,
                    const struct virtio_mmio_host *host, void *host_ctx, const char *id)
{
	struct virtio_dev_info info = {
	    .device_id = VIRTIO_ID_BLOCK,
	    .features = VIRTIO_FEAT(VIRTIO_F_EVENT_IDX) | VIRTIO_FEAT(VIRTIO_F_INDIRECT_DESC) |
	                VIRTIO_FEAT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_FEAT(VIRTIO_BLK_F_BLK_SIZE) |
	                VIRTIO_FEAT(VIRTIO_BLK_F_FLUSH),
	    .nqueues = 1,
	    .queue_max = VIRTIO_BLK_QUEUE_MAX,
	    .config_size = VIRTIO_BLK_CONFIG_SIZE,
	};

	memset(b, 0, sizeof(*b));
	if (!be || !be->read || !be->write) {
		virtio_mmio_init(&b->mmio, NULL, NULL, NULL, host, host_ctx);
		return -FV_EINVAL;
	}
	b->be = be;
	b->be_ctx = be_ctx;
	b->capacity = be->capacity_sectors;
	b->read_only = be->read_only;
	if (b->read_only)
		info.features |= VIRTIO_FEAT(VIRTIO_BLK_F_RO);
	for (unsigned i = 0; id && i < VIRTIO_BLK_ID_LEN && id[i]; i++)
		b->id[i] = id[i];
	return virtio_mmio_init(&b->mmio, &info, &blk_ops, b, host, host_ctx);
}
