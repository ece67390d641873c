/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk request handling (VIRTIO 1.2 §5.2). With an asynchronous
 * backend, IN/OUT/FLUSH requests are validated and handed over with the
 * guest's buffers (no copy) and completed later; otherwise requests are
 * served synchronously inside the queue notification (no copy unless a
 * segment splits a sector).
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

/* --- asynchronous backends -------------------------------------------------------------- */

enum async_result {
	ASYNC_NONE,   /* not for the backend: serve synchronously */
	ASYNC_DONE,   /* refused: complete now with *st, *written */
	ASYNC_QUEUED, /* the backend has it: virtio_blk_complete() follows */
	ASYNC_FULL,   /* no room: leave the chain in the available ring */
};

static int alloc_slot(const struct virtio_blk *b)
{
	for (unsigned i = 0; i < VIRTIO_BLK_SLOTS; i++)
		if (!b->slot[i].status)
			return (int)i;
	return -1;
}

static int submit_flush(struct virtio_blk *b, uint32_t tag)
{
	struct virtio_blk_io io = {VIRTIO_BLK_T_FLUSH, 0, NULL, 0, tag};
	return b->be->submit(b->be_ctx, &io);
}

/*
 * Validate request @c completely and hand it to the backend. Every value
 * that reaches the backend was checked here: the data pieces are the
 * chain's (inside the VM's RAM, virtq_pop), their total a multiple of 512,
 * the sector range inside the capacity (overflow-safe).
 */
static enum async_result start_async(struct virtio_blk *b, struct virtq *q,
                                     const struct virtq_chain *c, uint8_t *st, uint32_t *written)
{
	uint8_t hdr[VIRTIO_BLK_REQ_HDR];
	struct virtio_blk_vec v[VIRTIO_BLK_IO_VEC];
	struct data_span d = {NULL, 0, 0, 0};
	unsigned n = 0;

	if (!b->be->submit || c->write_len == 0)
		return ASYNC_NONE;
	if (virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return ASYNC_NONE; /* the synchronous path answers IOERR */
	uint32_t type = (uint32_t)get_le(hdr, 4);
	uint64_t sector = get_le(hdr + 8, 8);
	bool flush_after = false;
	*st = VIRTIO_BLK_S_IOERR;
	*written = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		d = (struct data_span){&c->seg[c->nread], c->nwrite, 0, c->write_len - 1u};
		break;
	case VIRTIO_BLK_T_OUT:
		d = (struct data_span){&c->seg[0], c->nread, VIRTIO_BLK_REQ_HDR,
		                       c->read_len - VIRTIO_BLK_REQ_HDR};
		*written = c->write_len == 1 ? 1 : 0;
		if (b->read_only)
			return ASYNC_DONE;
		flush_after = !virtio_mmio_has_feature(&b->mmio, VIRTIO_BLK_F_FLUSH);
		break;
	case VIRTIO_BLK_T_FLUSH:
		*written = c->write_len == 1 ? 1 : 0;
		sector = 0;
		break;
	default:
		return ASYNC_NONE; /* GET_ID, unsupported types */
	}
	if (d.len % SECTOR || sector > b->capacity || d.len / SECTOR > b->capacity - sector)
		return ASYNC_DONE;
	size_t skip = d.skip, pos = 0;
	for (unsigned i = 0; i < d.nseg && pos < d.len; i++) {
		size_t len = d.seg[i].len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		len = MIN(len - skip, d.len - pos);
		if (n == VIRTIO_BLK_IO_VEC)
			return ASYNC_DONE;
		v[n++] = (struct virtio_blk_vec){d.seg[i].hva + skip, len};
		pos += len;
		skip = 0;
	}
	if (pos != d.len)
		return ASYNC_DONE;
	if (type != VIRTIO_BLK_T_FLUSH && d.len == 0) {
		/* Nothing to move: done, as the synchronous path does it. */
		*st = VIRTIO_BLK_S_OK;
		*written = type == VIRTIO_BLK_T_IN ? c->write_len : *written;
		return ASYNC_DONE;
	}
	int tag = alloc_slot(b);
	if (tag < 0)
		return ASYNC_FULL;
	struct virtio_blk_io io = {type, sector, v, n, (uint32_t)tag};
	int ret = b->be->submit(b->be_ctx, &io);
	if (ret == -FV_EAGAIN)
		return ASYNC_FULL;
	if (ret)
		return ASYNC_DONE;
	const struct virtq_seg *last = &c->seg[c->nread + c->nwrite - 1u];
	b->slot[tag] = (struct virtio_blk_slot){
	    .status = last->hva + last->len - 1u,
	    .gen = q->gen,
	    .written = type == VIRTIO_BLK_T_IN ? c->write_len : *written,
	    .head = c->head,
	    .type = (uint8_t)type,
	    .flush_after = flush_after,
	    .len = (uint32_t)d.len,
	};
	b->inflight++;
	return ASYNC_QUEUED;
}

/* Slot @tag is over: status and used element unless the queue was reset since. */
static void finish_slot(struct virtio_blk *b, struct virtq *q, uint32_t tag, uint8_t st)
{
	struct virtio_blk_slot *sl = &b->slot[tag];
	if (q && sl->gen == q->gen && virtq_is_ready(q)) {
		/* The chain is still this driver's: its status byte is in the VM's RAM. */
		*sl->status = st;
		uint32_t written =
		    st == VIRTIO_BLK_S_OK || sl->type != VIRTIO_BLK_T_IN ? sl->written : 0;
		if (virtq_push_gen(q, sl->head, sl->gen, written) == 0)
			b->pushed = true;
		if (st != VIRTIO_BLK_S_OK)
			b->errors++;
		else if (sl->type == VIRTIO_BLK_T_IN)
			b->bytes_read += sl->len;
		else if (sl->type == VIRTIO_BLK_T_OUT)
			b->bytes_written += sl->len;
	}
	*sl = (struct virtio_blk_slot){0};
	b->inflight--;
}

void virtio_blk_complete(struct virtio_blk *b, uint32_t tag, uint8_t status)
{
	struct virtq *q = virtio_mmio_queue(&b->mmio, 0);
	if (tag >= VIRTIO_BLK_SLOTS || !b->slot[tag].status || b->slot[tag].flush_queued)
		return;
	struct virtio_blk_slot *sl = &b->slot[tag];
	if (status > VIRTIO_BLK_S_UNSUPP)
		status = VIRTIO_BLK_S_IOERR;
	if (status == VIRTIO_BLK_S_OK && sl->flush_after && q && sl->gen == q->gen) {
		/* §5.2.6.2: without FLUSH negotiated a completed write is stable. */
		sl->flush_after = false;
		int ret = submit_flush(b, tag);
		if (ret == 0) {
			b->kick = true;
			return;
		}
		if (ret == -FV_EAGAIN) {
			sl->flush_queued = true;
			b->flushes_queued++;
			b->waiting = true;
			return;
		}
		status = VIRTIO_BLK_S_IOERR;
	}
	finish_slot(b, q, tag, status);
}

void virtio_blk_complete_end(struct virtio_blk *b)
{
	struct virtq *q = virtio_mmio_queue(&b->mmio, 0);
	if (b->kick && b->be->kick)
		b->be->kick(b->be_ctx);
	b->kick = false;
	if (b->pushed && q && virtq_should_notify(q))
		virtio_mmio_used_irq(&b->mmio);
	b->pushed = false;
}

/* Flushes that found no room before: retry them first. false if still no room. */
static bool retry_flushes(struct virtio_blk *b, struct virtq *q)
{
	for (uint32_t t = 0; t < VIRTIO_BLK_SLOTS && b->flushes_queued; t++) {
		struct virtio_blk_slot *sl = &b->slot[t];
		if (!sl->status || !sl->flush_queued)
			continue;
		int ret = submit_flush(b, t);
		if (ret == -FV_EAGAIN)
			return false;
		sl->flush_queued = false;
		b->flushes_queued--;
		if (ret == 0)
			b->kick = true;
		else
			finish_slot(b, q, t, VIRTIO_BLK_S_IOERR);
	}
	return true;
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
		b->waiting = false;
		return false;
	}
	b->waiting = false;
	if (!retry_flushes(b, q)) {
		b->waiting = true;
		ret = 0;
		goto out;
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
		enum async_result a = start_async(b, q, &c, &st, &written);
		if (a == ASYNC_FULL) {
			/* The guest's request stays where it is until the backend has room. */
			virtq_unpop(q, &c);
			b->waiting = true;
			ret = 0;
			break;
		}
		reqs++;
		bytes += (uint64_t)c.read_len + c.write_len;
		if (a == ASYNC_QUEUED) {
			b->requests++;
			b->kick = true;
			continue;
		}
		if (a == ASYNC_DONE)
			virtq_chain_write(&c, c.write_len - 1u, &st, 1);
		else if (c.write_len) {
			st = handle(b, &c, &written);
			virtq_chain_write(&c, c.write_len - 1u, &st, 1);
		}
		if (st != VIRTIO_BLK_S_OK)
			b->errors++;
		b->requests++;
		if (virtq_push_chain(q, &c, written) == 0)
			pushed = true;
	}
out:
	if (b->kick && b->be->kick)
		b->be->kick(b->be_ctx);
	b->kick = false;
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
	b->waiting = false;
	b->pushed = false;
	/*
	 * Chains still with the backend finish later and are dropped then (their
	 * generation is old); the owner drains the backend before the driver can
	 * reuse their buffers. Flushes never submitted end here.
	 */
	for (uint32_t t = 0; t < VIRTIO_BLK_SLOTS && b->flushes_queued; t++) {
		if (b->slot[t].status && b->slot[t].flush_queued) {
			b->slot[t] = (struct virtio_blk_slot){0};
			b->inflight--;
			b->flushes_queued--;
		}
	}
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
	if (!be || (!be->submit && (!be->read || !be->write))) {
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
