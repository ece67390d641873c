/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, device side (VIRTIO 1.2 §2.7).
 *
 * Layout of the three areas (all fields little-endian):
 *   Descriptor Area: struct virtq_desc[size]    {le64 addr, le32 len, le16 flags, le16 next}
 *   Driver Area:     le16 flags, le16 idx, le16 ring[size], le16 used_event
 *   Device Area:     le16 flags, le16 idx, {le32 id, le32 len}[size], le16 avail_event
 *
 * Every area is re-translated on each use instead of caching a host
 * pointer: the translation is a couple of compares, and it keeps the state
 * free of pointers into guest memory (snapshot-friendly, and a queue can
 * never outlive the RAM mapping it was validated against).
 */
#include "vdev/virtq.h"
#include "lib/string.h"

#ifdef __BYTE_ORDER__
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtq.c assumes a little-endian host (virtio rings are little-endian)"
#endif
#endif

#define AVAIL_RING 4u /* offset of avail->ring[] and used->ring[] */
#define USED_ELEM  8u

/* A descriptor, copied out of guest memory once. */
struct vdesc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/*
 * Guest memory accessors for the ring areas, whose guest and host addresses
 * virtq_enable() checked for natural alignment; volatile makes each a single
 * access the compiler cannot repeat or tear.
 */
static inline uint16_t ld16(const uint8_t *p)
{
	return *(const volatile uint16_t *)(const void *)p;
}

static inline void st16(uint8_t *p, uint16_t v)
{
	*(volatile uint16_t *)(void *)p = v;
}

static inline void st32(uint8_t *p, uint32_t v)
{
	*(volatile uint32_t *)(void *)p = v;
}

static bool size_ok(uint32_t size)
{
	return size != 0 && size <= VIRTQ_SIZE_MAX && (size & (size - 1)) == 0;
}

static uint64_t desc_bytes(uint32_t size)
{
	return (uint64_t)VIRTQ_DESC_SIZE * size;
}

static uint64_t avail_bytes(uint32_t size)
{
	return 6u + 2u * (uint64_t)size;
}

static uint64_t used_bytes(uint32_t size)
{
	return 6u + (uint64_t)USED_ELEM * size;
}

static uint8_t *xlate(const struct virtq *q, uint64_t gpa, uint64_t len)
{
	if (!q->gpa_to_hva)
		return NULL;
	return q->gpa_to_hva(q->mem_ctx, gpa, len);
}

static int fail(struct virtq *q, enum virtq_error why)
{
	if (!q->broken)
		q->error = (uint8_t)why;
	q->broken = true;
	return -FV_EIO;
}

/*
 * Indirect tables have no alignment rule in the spec (Linux kmallocs them,
 * which gives 8 bytes at least), so fall back to byte loads when needed.
 */
static void load_desc(const uint8_t *p, struct vdesc *d)
{
	if (((uintptr_t)p & 7u) == 0) {
		d->addr = *(const volatile uint64_t *)(const void *)p;
		d->len = *(const volatile uint32_t *)(const void *)(p + 8);
		d->flags = *(const volatile uint16_t *)(const void *)(p + 12);
		d->next = *(const volatile uint16_t *)(const void *)(p + 14);
		return;
	}
	uint8_t b[VIRTQ_DESC_SIZE];
	for (unsigned i = 0; i < VIRTQ_DESC_SIZE; i++)
		b[i] = ((const volatile uint8_t *)p)[i];
	d->addr = 0;
	for (unsigned i = 0; i < 8; i++)
		d->addr |= (uint64_t)b[i] << (8 * i);
	d->len =
	    (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 | (uint32_t)b[11] << 24;
	d->flags = (uint16_t)(b[12] | b[13] << 8);
	d->next = (uint16_t)(b[14] | b[15] << 8);
}

void virtq_init(struct virtq *q, virtq_gpa_to_hva_fn fn, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->gpa_to_hva = fn;
	q->mem_ctx = ctx;
}

void virtq_set_dirty(struct virtq *q, virtq_dirty_fn fn)
{
	q->dirty = fn;
}

static void clear_run_state(struct virtq *q)
{
	q->ready = false;
	q->broken = false;
	q->error = VIRTQ_OK;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signal_used = 0;
	q->unsignalled = 0;
	q->inflight = 0;
	q->gen++;
}

void virtq_reset(struct virtq *q)
{
	clear_run_state(q);
	q->desc_gpa = 0;
	q->avail_gpa = 0;
	q->used_gpa = 0;
	q->size = 0;
	q->event_idx = false;
	q->indirect = false;
}

void virtq_disable(struct virtq *q)
{
	clear_run_state(q);
}

/*
 * A ring area must be aligned (spec §2.7) and entirely in RAM. The host
 * address is checked too, so the ring accessors stay aligned even if a VM's
 * RAM were mapped at an odd host address.
 */
static bool area_ok(const struct virtq *q, uint64_t gpa, uint64_t len, unsigned align)
{
	const uint8_t *p;

	if (!IS_ALIGNED(gpa, align))
		return false;
	p = xlate(q, gpa, len);
	return p && IS_ALIGNED((uintptr_t)p, align);
}

int virtq_enable(struct virtq *q, uint16_t size, gpa_t desc, gpa_t avail, gpa_t used,
                 uint16_t max_size, bool event_idx, bool indirect)
{
	clear_run_state(q);
	q->size = size;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	q->event_idx = event_idx;
	q->indirect = indirect;
	if (!size_ok(size) || size > max_size ||
	    !area_ok(q, desc, desc_bytes(size), VIRTQ_DESC_ALIGN) ||
	    !area_ok(q, avail, avail_bytes(size), VIRTQ_AVAIL_ALIGN) ||
	    !area_ok(q, used, used_bytes(size), VIRTQ_USED_ALIGN)) {
		fail(q, VIRTQ_ERR_RING);
		return -FV_EINVAL;
	}
	q->ready = true;
	return 0;
}

/* What walk() does with each non-indirect descriptor; VIRTQ_OK to go on. */
typedef enum virtq_error (*desc_visit_fn)(const struct virtq *q, void *arg, const struct vdesc *d);

/* Append one non-indirect descriptor to the chain @arg. Returns 0 or an enum virtq_error. */
static enum virtq_error add_seg(const struct virtq *q, void *arg, const struct vdesc *d)
{
	struct virtq_chain *c = arg;
	uint32_t total = c->read_len + c->write_len;
	uint8_t *hva;

	/* Zero-length buffers carry nothing: accept and skip them. */
	if (d->len == 0)
		return VIRTQ_OK;
	if (d->len > VIRTQ_MAX_CHAIN_LEN - total)
		return VIRTQ_ERR_LEN;
	hva = xlate(q, d->addr, d->len);
	if (!hva)
		return VIRTQ_ERR_ADDR;
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		c->seg[c->nread + c->nwrite].hva = hva;
		c->seg[c->nread + c->nwrite].len = d->len;
		c->nwrite++;
		c->write_len += d->len;
		return VIRTQ_OK;
	}
	/* spec §2.7.4.2: device-writable elements come after readable ones */
	if (c->nwrite)
		return VIRTQ_ERR_ORDER;
	c->seg[c->nread].hva = hva;
	c->seg[c->nread].len = d->len;
	c->nread++;
	c->read_len += d->len;
	return VIRTQ_OK;
}

/*
 * Follow the chain at @head (spec §2.7.5, §2.7.5.3), handing each descriptor
 * to @visit. Termination: every step either counts against the current
 * table's length (a longer chain must loop) or against VIRTQ_MAX_SEGS, and
 * at most one indirect table is entered.
 */
static enum virtq_error walk(const struct virtq *q, uint16_t head, desc_visit_fn visit, void *arg)
{
	const uint8_t *table = xlate(q, q->desc_gpa, desc_bytes(q->size));
	uint32_t table_len = q->size;
	uint32_t idx = head, steps = 0, ndesc = 0;
	bool in_indirect = false;
	struct vdesc d;
	enum virtq_error err;

	if (!table)
		return VIRTQ_ERR_RING;
	for (;;) {
		if (steps++ >= table_len)
			return VIRTQ_ERR_LOOP;
		load_desc(table + (size_t)VIRTQ_DESC_SIZE * idx, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* spec §2.7.5.3.1: negotiated, one level, never with NEXT */
			if (!q->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return VIRTQ_ERR_INDIRECT;
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE)
				return VIRTQ_ERR_INDIRECT;
			table = xlate(q, d.addr, d.len);
			if (!table)
				return VIRTQ_ERR_ADDR;
			table_len = d.len / VIRTQ_DESC_SIZE;
			idx = 0;
			steps = 0;
			in_indirect = true;
			continue;
		}
		if (++ndesc > VIRTQ_MAX_SEGS)
			return VIRTQ_ERR_SEGS;
		err = visit(q, arg, &d);
		if (err != VIRTQ_OK)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= table_len)
			return VIRTQ_ERR_NEXT;
		idx = d.next;
	}
}

static enum virtq_error walk_chain(const struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	c->head = head;
	c->nread = 0;
	c->nwrite = 0;
	c->read_len = 0;
	c->write_len = 0;
	c->gen = q->gen;
	return walk(q, head, add_seg, c);
}

/* Report a device-writable descriptor's buffer as written (virtq_set_dirty). */
static enum virtq_error mark_seg(const struct virtq *q, void *arg, const struct vdesc *d)
{
	(void)arg;
	if (!(d->flags & VIRTQ_DESC_F_WRITE) || d->len == 0)
		return VIRTQ_OK;
	const uint8_t *hva = xlate(q, d->addr, d->len);
	if (!hva)
		return VIRTQ_ERR_ADDR;
	q->dirty(q->mem_ctx, hva, d->len);
	return VIRTQ_OK;
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint8_t *avail;
	uint16_t pending, head;
	enum virtq_error err;

	if (q->broken)
		return -FV_EIO;
	if (!q->ready)
		return 0;
	if (!size_ok(q->size))
		return fail(q, VIRTQ_ERR_RING);
	avail = xlate(q, q->avail_gpa, avail_bytes(q->size));
	if (!avail)
		return fail(q, VIRTQ_ERR_RING);
	pending = (uint16_t)(ld16(avail + 2) - q->last_avail);
	if (pending == 0 && q->event_idx) {
		/*
		 * Ask for a notification when the next entry arrives, then look
		 * again: the driver may have added one before it could see the
		 * new avail_event (store -> load ordering needs a full fence).
		 */
		uint8_t *used = xlate(q, q->used_gpa, used_bytes(q->size));
		if (!used)
			return fail(q, VIRTQ_ERR_RING);
		st16(used + AVAIL_RING + (size_t)USED_ELEM * q->size, q->last_avail);
		if (q->dirty)
			q->dirty(q->mem_ctx, used + AVAIL_RING + (size_t)USED_ELEM * q->size, 2);
		virtq_barrier();
		pending = (uint16_t)(ld16(avail + 2) - q->last_avail);
	}
	if (pending == 0)
		return 0;
	/* The driver never has more than size buffers outstanding (§2.7.13). */
	if (pending > q->size)
		return fail(q, VIRTQ_ERR_AVAIL_IDX);
	/* Read the ring entry and descriptors only after seeing idx. */
	virtq_rmb();
	head = ld16(avail + AVAIL_RING + 2u * (q->last_avail & (q->size - 1u)));
	if (head >= q->size)
		return fail(q, VIRTQ_ERR_HEAD);
	err = walk_chain(q, head, c);
	if (err != VIRTQ_OK)
		return fail(q, err);
	q->last_avail++;
	q->inflight++;
	return 1;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *used, *elem;

	if (!virtq_is_ready(q))
		return -FV_EIO;
	if (!size_ok(q->size))
		return fail(q, VIRTQ_ERR_RING);
	if (head >= q->size)
		return -FV_EINVAL;
	used = xlate(q, q->used_gpa, used_bytes(q->size));
	if (!used)
		return fail(q, VIRTQ_ERR_RING);
	elem = used + AVAIL_RING + (size_t)USED_ELEM * (q->used_idx & (q->size - 1u));
	st32(elem, head);
	st32(elem + 4, written);
	/* spec §2.7.8.2: the element (and the data) before used->idx */
	virtq_wmb();
	q->used_idx++;
	st16(used + 2, q->used_idx);
	/*
	 * A dirty log must see what went into guest RAM behind the guest's stage 2: the used
	 * element and index, and the chain's device-writable buffers (the device wrote them
	 * before it pushed). A chain the driver changed meanwhile is its own loss: the walk
	 * stops at the first bad descriptor and the queue is not failed for it.
	 */
	if (q->dirty && q->dirty(q->mem_ctx, elem, USED_ELEM)) {
		q->dirty(q->mem_ctx, used + 2, 2);
		(void)walk(q, head, mark_seg, NULL);
	}
	if (q->unsignalled < UINT32_MAX)
		q->unsignalled++;
	if (q->inflight)
		q->inflight--;
	return 0;
}

int virtq_push_chain(struct virtq *q, const struct virtq_chain *c, uint32_t written)
{
	if (c->gen != q->gen)
		return -FV_EBUSY;
	return virtq_push(q, c->head, MIN(written, c->write_len));
}

int virtq_push_gen(struct virtq *q, uint16_t head, uint32_t gen, uint32_t written)
{
	if (gen != q->gen)
		return -FV_EBUSY;
	return virtq_push(q, head, written);
}

void virtq_unpop(struct virtq *q, const struct virtq_chain *c)
{
	/* Only the last pop of this incarnation: older chains are not at last_avail - 1. */
	if (c->gen != q->gen || q->inflight == 0)
		return;
	q->last_avail--;
	q->inflight--;
}

bool virtq_should_notify(struct virtq *q)
{
	uint16_t old = q->signal_used, now = q->used_idx, event;
	uint32_t pushed = q->unsignalled;
	const uint8_t *avail;

	if (!virtq_is_ready(q) || !size_ok(q->size))
		return false;
	avail = xlate(q, q->avail_gpa, avail_bytes(q->size));
	if (!avail) {
		fail(q, VIRTQ_ERR_RING);
		return false;
	}
	q->signal_used = now;
	q->unsignalled = 0;
	if (pushed == 0)
		return false;
	/* Our used->idx store must be visible before we read the driver's wish. */
	virtq_barrier();
	if (!q->event_idx)
		return !(ld16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* More than 2^16 pushes: the 16-bit window cannot tell, so notify. */
	if (pushed > 0xffffu)
		return true;
	event = ld16(avail + AVAIL_RING + 2u * q->size);
	/* Notify iff used_event is one of the indices old .. now-1 (mod 2^16). */
	return (uint16_t)(now - event - 1u) < (uint16_t)(now - old);
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst, size_t len)
{
	uint8_t *out = dst;
	size_t done = 0;
	unsigned n = c->nread;

	/* Clamp: a chain is caller memory and might be garbage. */
	if (n > VIRTQ_MAX_SEGS)
		n = VIRTQ_MAX_SEGS;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg_len = c->seg[i].len;
		if (off >= seg_len) {
			off -= seg_len;
			continue;
		}
		size_t k = MIN(seg_len - off, len - done);
		memcpy(out + done, c->seg[i].hva + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off, const void *src, size_t len)
{
	const uint8_t *in = src;
	size_t done = 0;
	unsigned first = c->nread, end = (unsigned)c->nread + c->nwrite;

	if (end > VIRTQ_MAX_SEGS)
		end = VIRTQ_MAX_SEGS;

	for (unsigned i = first; i < end && done < len; i++) {
		size_t seg_len = c->seg[i].len;
		if (off >= seg_len) {
			off -= seg_len;
			continue;
		}
		size_t k = MIN(seg_len - off, len - done);
		memcpy(c->seg[i].hva + off, in + done, k);
		done += k;
		off = 0;
	}
	return done;
}
