/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor heap: first-fit free list with boundary-tag coalescing.
 *
 * Region layout:
 *   [struct heap_region][block][block]...[end marker]
 * Blocks tile the region without gaps. Every block starts with a 16-byte
 * header holding its own size and the size of its physical predecessor, so
 * both neighbours are found in O(1) on free. A free block keeps its list
 * links in the first 16 bytes after its header, hence the 32-byte minimum.
 * The end marker is a header with zero size that is never free, so the last
 * block never tries to merge past the region.
 */
#include "core/heap.h"

#include "lib/string.h"

#define HEAP_ALIGN 16U
#define MIN_BLOCK  32U /* header + free-list links */

/* Header magics; the check word also mixes in the fields and the address. */
#define MAGIC_USED 0x55706548U /* "HepU" */
#define MAGIC_FREE 0x46706548U /* "HepF" */
#define MAGIC_END  0x45706548U /* "HepE" */
#define CHECK_SALT 0x9e3779b9U

/* Block sizes are stored in 16-byte units in 32 bits: cap a region at 32 GiB. */
#define REGION_MAX ((uint64_t)1 << 35)

struct heap_block {
	uint32_t magic;
	uint32_t units;      /* block size / 16, header included; 0 for the end marker */
	uint32_t prev_units; /* units of the physically previous block; 0 if first */
	uint32_t check;      /* hdr_check() of the above and the block's address */
};

struct heap_links {
	struct heap_block *next;
	struct heap_block *prev;
};

struct heap_region {
	struct heap_region *next;
	uintptr_t first; /* first block */
	uintptr_t end;   /* end marker */
	uintptr_t pad;
};

_Static_assert(sizeof(struct heap_block) == HEAP_HDR_SIZE, "heap header must be 16 bytes");
_Static_assert(sizeof(struct heap_region) % HEAP_ALIGN == 0, "region header keeps alignment");
_Static_assert(sizeof(struct heap_block) + sizeof(struct heap_links) <= MIN_BLOCK,
               "free block must fit its links");

static uint32_t hdr_check(const struct heap_block *b)
{
	uintptr_t a = (uintptr_t)b;

	return b->magic ^ b->units ^ (b->prev_units * 0x01000193U) ^ (uint32_t)a ^
	       (uint32_t)((uint64_t)a >> 32) ^ CHECK_SALT;
}

static void hdr_set(struct heap_block *b, uint32_t magic, uint32_t units, uint32_t prev_units)
{
	b->magic = magic;
	b->units = units;
	b->prev_units = prev_units;
	b->check = hdr_check(b);
}

/* Wipe a header that is being absorbed into a neighbour, so stale frees fail. */
static void hdr_scrub(struct heap_block *b)
{
	b->magic = 0;
	b->check = 0;
}

static uint64_t blk_bytes(const struct heap_block *b)
{
	return (uint64_t)b->units * HEAP_ALIGN;
}

static struct heap_block *blk_next(const struct heap_block *b)
{
	return (struct heap_block *)((uintptr_t)b + (uintptr_t)blk_bytes(b));
}

static struct heap_block *blk_prev(const struct heap_block *b)
{
	return (struct heap_block *)((uintptr_t)b - (uintptr_t)b->prev_units * HEAP_ALIGN);
}

static void blk_set_prev_units(struct heap_block *b, uint32_t prev_units)
{
	b->prev_units = prev_units;
	b->check = hdr_check(b);
}

static struct heap_links *blk_links(struct heap_block *b)
{
	return (struct heap_links *)(b + 1);
}

static void list_push(struct heap *h, struct heap_block *b)
{
	struct heap_links *l = blk_links(b);

	l->prev = NULL;
	l->next = h->free_list;
	if (h->free_list)
		blk_links(h->free_list)->prev = b;
	h->free_list = b;
}

static void list_remove(struct heap *h, struct heap_block *b)
{
	struct heap_links *l = blk_links(b);

	if (l->prev)
		blk_links(l->prev)->next = l->next;
	else
		h->free_list = l->next;
	if (l->next)
		blk_links(l->next)->prev = l->prev;
}

void heap_init(struct heap *h)
{
	memset(h, 0, sizeof(*h));
}

static bool overlaps(const struct heap *h, uintptr_t s, uintptr_t e)
{
	for (const struct heap_region *r = h->regions; r; r = r->next) {
		uintptr_t rs = (uintptr_t)r;
		uintptr_t re = r->end + sizeof(struct heap_block);

		if (s < re && rs < e)
			return true;
	}
	return false;
}

/* Add one region of at most REGION_MAX bytes; s and e are 16-byte aligned. */
static void add_one(struct heap *h, uintptr_t s, uintptr_t e)
{
	struct heap_region *r = (struct heap_region *)s;
	struct heap_block *b = (struct heap_block *)(s + sizeof(*r));
	struct heap_block *end = (struct heap_block *)(e - sizeof(struct heap_block));
	uint32_t units = (uint32_t)(((uintptr_t)end - (uintptr_t)b) / HEAP_ALIGN);

	r->first = (uintptr_t)b;
	r->end = (uintptr_t)end;
	r->pad = 0;
	r->next = h->regions;
	h->regions = r;

	hdr_set(b, MAGIC_FREE, units, 0);
	hdr_set(end, MAGIC_END, 0, units);
	list_push(h, b);
	h->bytes_total += blk_bytes(b);
}

int heap_add_region(struct heap *h, void *mem, size_t size)
{
	const uintptr_t min = sizeof(struct heap_region) + MIN_BLOCK + sizeof(struct heap_block);
	uintptr_t s = (uintptr_t)mem;
	uintptr_t e = s + size;

	if (!mem || e < s || s > UINTPTR_MAX - HEAP_ALIGN)
		return -FV_EINVAL;
	s = (uintptr_t)ALIGN_UP(s, HEAP_ALIGN);
	e = (uintptr_t)ALIGN_DOWN(e, HEAP_ALIGN);
	if (s >= e || e - s < min)
		return -FV_EINVAL;
	if (overlaps(h, s, e))
		return -FV_EEXIST;

	/* Huge ranges become several regions; a leftover too small to use is dropped. */
	while (e - s >= min) {
		uintptr_t chunk = e - s > REGION_MAX ? (uintptr_t)REGION_MAX : e - s;

		if (e - s - chunk != 0 && e - s - chunk < min)
			chunk -= min;
		add_one(h, s, s + chunk);
		s += chunk;
	}
	return 0;
}

/*
 * Split b (not on the free list) so it is exactly need bytes; a tail of at
 * least MIN_BLOCK bytes becomes a free block.
 */
static void split_tail(struct heap *h, struct heap_block *b, uint64_t need)
{
	uint64_t rest = blk_bytes(b) - need;
	struct heap_block *t, *n;

	if (rest < MIN_BLOCK)
		return;
	n = blk_next(b);
	b->units = (uint32_t)(need / HEAP_ALIGN);
	b->check = hdr_check(b);
	t = blk_next(b);
	hdr_set(t, MAGIC_FREE, (uint32_t)(rest / HEAP_ALIGN), b->units);
	blk_set_prev_units(n, t->units);
	list_push(h, t);
}

/*
 * Carve a used block of need bytes whose payload is aligned to align from
 * free block b, or return NULL if it does not fit.
 */
static struct heap_block *carve(struct heap *h, struct heap_block *b, uint64_t need, uint64_t align)
{
	uintptr_t bs = (uintptr_t)b;
	uintptr_t be = bs + (uintptr_t)blk_bytes(b);
	uintptr_t payload = bs + HEAP_HDR_SIZE;
	uintptr_t p = (uintptr_t)ALIGN_UP(payload, align);
	struct heap_block *c;

	/* A gap in front must be able to live as a free block of its own. */
	if (p != payload && p - payload < MIN_BLOCK)
		p += (uintptr_t)align;
	c = (struct heap_block *)(p - HEAP_HDR_SIZE);
	if ((uintptr_t)c > be || be - (uintptr_t)c < need)
		return NULL;

	if (c != b) {
		/* b keeps the gap and stays on the free list; c takes the rest. */
		struct heap_block *n = blk_next(b);
		uint32_t gap = (uint32_t)(((uintptr_t)c - bs) / HEAP_ALIGN);

		hdr_set(c, MAGIC_FREE, b->units - gap, gap);
		b->units = gap;
		b->check = hdr_check(b);
		blk_set_prev_units(n, c->units);
	} else {
		list_remove(h, b);
	}
	split_tail(h, c, need);
	c->magic = MAGIC_USED;
	c->check = hdr_check(c);
	return c;
}

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
	uint64_t a = align ? align : HEAP_ALIGN;
	uint64_t need;

	if (size == 0)
		return NULL;
	h->alloc_calls++;
	if ((a & (a - 1)) != 0 || a > PAGE_SIZE || size > REGION_MAX)
		goto fail;
	if (a < HEAP_ALIGN)
		a = HEAP_ALIGN;
	need = ALIGN_UP((uint64_t)size + HEAP_HDR_SIZE, HEAP_ALIGN);
	if (need < MIN_BLOCK)
		need = MIN_BLOCK;

	for (struct heap_block *b = h->free_list; b; b = blk_links(b)->next) {
		struct heap_block *c;

		if (blk_bytes(b) < need)
			continue;
		c = carve(h, b, need, a);
		if (!c)
			continue;
		h->bytes_used += blk_bytes(c);
		if (h->bytes_used > h->peak_used)
			h->peak_used = h->bytes_used;
		h->live++;
		return c + 1;
	}
fail:
	h->failures++;
	return NULL;
}

void *heap_zalloc(struct heap *h, size_t size, size_t align)
{
	void *p = heap_alloc(h, size, align);

	if (p)
		memset(p, 0, size);
	return p;
}

static const struct heap_region *find_region(const struct heap *h, uintptr_t p)
{
	for (const struct heap_region *r = h->regions; r; r = r->next)
		if (p >= r->first + HEAP_HDR_SIZE && p < r->end)
			return r;
	return NULL;
}

/*
 * Is b a well-formed block of region r? Reads only inside r: b, its
 * successor and its predecessor headers, each checked before use.
 */
static bool blk_valid(const struct heap_region *r, const struct heap_block *b)
{
	const struct heap_block *n, *pv;

	if (b->check != hdr_check(b) || (b->magic != MAGIC_USED && b->magic != MAGIC_FREE))
		return false;
	if (b->units < MIN_BLOCK / HEAP_ALIGN || blk_bytes(b) > r->end - (uintptr_t)b)
		return false;
	n = blk_next(b);
	if (n->check != hdr_check(n) || n->prev_units != b->units)
		return false;
	if (b->prev_units == 0)
		return (uintptr_t)b == r->first;
	if ((uintptr_t)b - r->first < (uint64_t)b->prev_units * HEAP_ALIGN)
		return false;
	pv = blk_prev(b);
	return pv->check == hdr_check(pv) && pv->units == b->prev_units;
}

int heap_free_checked(struct heap *h, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	const struct heap_region *r;
	struct heap_block *b, *n;

	if (!ptr)
		return 0;
	r = IS_ALIGNED(p, HEAP_ALIGN) ? find_region(h, p) : NULL;
	b = (struct heap_block *)(p - HEAP_HDR_SIZE);
	if (!r || !blk_valid(r, b)) {
		h->bad_frees++;
		return -FV_EINVAL;
	}
	if (b->magic == MAGIC_FREE) {
		h->bad_frees++;
		return -FV_ENOENT;
	}

	h->bytes_used -= blk_bytes(b);
	h->live--;
	h->free_calls++;

	n = blk_next(b);
	if (n->magic == MAGIC_FREE) {
		list_remove(h, n);
		b->units += n->units;
		hdr_scrub(n);
	}
	if (b->prev_units != 0 && blk_prev(b)->magic == MAGIC_FREE) {
		/* The predecessor is already on the free list: grow it over b. */
		struct heap_block *pv = blk_prev(b);

		pv->units += b->units;
		pv->check = hdr_check(pv);
		hdr_scrub(b);
		b = pv;
	} else {
		b->magic = MAGIC_FREE;
		b->check = hdr_check(b);
		list_push(h, b);
	}
	blk_set_prev_units(blk_next(b), b->units);
	return 0;
}

void heap_free(struct heap *h, void *ptr)
{
	(void)heap_free_checked(h, ptr);
}

int heap_check(const struct heap *h)
{
	uint64_t used = 0, total = 0, live = 0, nfree = 0, nlist = 0;

	for (const struct heap_region *r = h->regions; r; r = r->next) {
		const struct heap_block *b = (const struct heap_block *)r->first;
		bool prev_free = false;

		while ((uintptr_t)b != r->end) {
			if (!blk_valid(r, b))
				return -FV_EIO;
			if (b->magic == MAGIC_FREE) {
				/* Two free neighbours mean a missed coalesce. */
				if (prev_free)
					return -FV_EIO;
				nfree++;
			} else {
				used += blk_bytes(b);
				live++;
			}
			prev_free = b->magic == MAGIC_FREE;
			total += blk_bytes(b);
			b = blk_next(b);
		}
		if (b->magic != MAGIC_END || b->check != hdr_check(b))
			return -FV_EIO;
	}
	for (struct heap_block *b = h->free_list; b; b = blk_links(b)->next) {
		/* Bounded by the free-block count, so a cycle is caught too. */
		if (++nlist > nfree || b->magic != MAGIC_FREE)
			return -FV_EIO;
	}
	if (nlist != nfree || used != h->bytes_used || total != h->bytes_total || live != h->live)
		return -FV_EIO;
	return 0;
}

void heap_stats(const struct heap *h, struct heap_stats *st)
{
	uint64_t largest = 0;

	for (struct heap_block *b = h->free_list; b; b = blk_links(b)->next)
		if (blk_bytes(b) > largest)
			largest = blk_bytes(b);

	st->bytes_total = h->bytes_total;
	st->bytes_used = h->bytes_used;
	st->bytes_free = h->bytes_total - h->bytes_used;
	st->largest_free = largest;
	st->peak_used = h->peak_used;
	st->live_allocs = h->live;
	st->alloc_calls = h->alloc_calls;
	st->free_calls = h->free_calls;
	st->alloc_failures = h->failures;
	st->bad_frees = h->bad_frees;
}
