/* SPDX-License-Identifier: MIT */
/*
 * Bitmap physical page allocator. See page_alloc.h for the model.
 *
 * Searches scan 64-bit words and skip all-busy / all-free words at once, so
 * an 8 GiB span (2 Mi pages, 32 Ki words per bitmap) is scanned in tens of
 * microseconds in the worst case. No compiler builtins for ctz/popcount:
 * without Zbb they become libgcc calls, and the hypervisor links no libgcc.
 */
#include "core/page_alloc.h"

#include "lib/string.h"

#define BITS_PER_WORD 64U
/* Largest accepted alignment: 2^32 pages (16 TiB) keeps ALIGN_UP far from wrapping. */
#define MAX_ALIGN_PAGES (1ULL << 32)

static unsigned ctz64(uint64_t x)
{
	unsigned n = 0;

	/* Caller guarantees x != 0. */
	if ((x & 0xffffffffULL) == 0) {
		n += 32;
		x >>= 32;
	}
	if ((x & 0xffffULL) == 0) {
		n += 16;
		x >>= 16;
	}
	if ((x & 0xffULL) == 0) {
		n += 8;
		x >>= 8;
	}
	if ((x & 0xfULL) == 0) {
		n += 4;
		x >>= 4;
	}
	if ((x & 0x3ULL) == 0) {
		n += 2;
		x >>= 2;
	}
	if ((x & 0x1ULL) == 0)
		n += 1;
	return n;
}

static uint64_t popcount64(uint64_t x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	/* Sum the bytes by shifting rather than multiplying: no libgcc needed anywhere. */
	x += x >> 8;
	x += x >> 16;
	x += x >> 32;
	return x & 0x7f;
}

/*
 * Bits of word w that fall inside the page index range [from, to). Callers
 * only pass words that overlap the range, so both shifts are below 64.
 */
static uint64_t word_mask(uint64_t w, uint64_t from, uint64_t to)
{
	uint64_t lo = w * BITS_PER_WORD;
	uint64_t m = ~0ULL;

	if (from > lo)
		m &= ~0ULL << (from - lo);
	if (to - lo < BITS_PER_WORD)
		m &= ~(~0ULL << (to - lo));
	return m;
}

static uint64_t bm_count(const uint64_t *bm, uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	if (from >= to)
		return 0;
	for (uint64_t w = from / BITS_PER_WORD; w <= (to - 1) / BITS_PER_WORD; w++) {
		uint64_t x = bm[w] & word_mask(w, from, to);
		/*
		 * Most words of a large range are empty (or full): skip the
		 * popcount then. At boot the allocator counts all of RAM a few
		 * times, a word at a time (docs/performance.md, boot path).
		 */
		if (x)
			n += x == ~0ULL ? BITS_PER_WORD : popcount64(x);
	}
	return n;
}

static void bm_assign(uint64_t *bm, uint64_t from, uint64_t to, bool set)
{
	if (from >= to)
		return;
	uint64_t first = from / BITS_PER_WORD, last = (to - 1) / BITS_PER_WORD;
	uint64_t m = word_mask(first, from, to);

	bm[first] = set ? bm[first] | m : bm[first] & ~m;
	if (last == first)
		return;
	/* Whole words in between: one store each (boot marks all of RAM). */
	for (uint64_t w = first + 1; w < last; w++)
		bm[w] = set ? ~0ULL : 0;
	m = word_mask(last, from, to);
	bm[last] = set ? bm[last] | m : bm[last] & ~m;
}

/*
 * First index in [from, to) whose bit equals want, or to if none. Words
 * holding nothing of interest are skipped whole.
 */
static uint64_t bm_find(const uint64_t *bm, uint64_t from, uint64_t to, bool want)
{
	uint64_t w, word;

	if (from >= to)
		return to;
	w = from / BITS_PER_WORD;
	word = (want ? bm[w] : ~bm[w]) & word_mask(w, from, to);
	while (word == 0) {
		w++;
		if (w * BITS_PER_WORD >= to)
			return to;
		word = want ? bm[w] : ~bm[w];
	}
	w = w * BITS_PER_WORD + ctz64(word);
	return w < to ? w : to;
}

/* Smallest index >= i whose physical page number is a multiple of align. */
static uint64_t align_index(const struct page_alloc *pa, uint64_t i, uint64_t align)
{
	uint64_t pfn = (pa->base >> PAGE_SHIFT) + i;

	return ALIGN_UP(pfn, align) - (pa->base >> PAGE_SHIFT);
}

/* Look for n free pages, aligned, starting in [from, to). */
static bool find_run(const struct page_alloc *pa, uint64_t from, uint64_t to, uint64_t n,
                     uint64_t align, uint64_t *found)
{
	uint64_t i = align_index(pa, from, align);

	while (i < to && to - i >= n) {
		uint64_t b = bm_find(pa->busy, i, i + n, true);
		uint64_t z;

		if (b == i + n) {
			*found = i;
			return true;
		}
		/* Page b is busy: no run can start at or before it; restart after it. */
		z = bm_find(pa->busy, b + 1, to, false);
		if (z >= to)
			return false;
		i = align_index(pa, z, align);
	}
	return false;
}

size_t page_alloc_bitmap_bytes(uint64_t span_size)
{
	uint64_t npages = (span_size >> PAGE_SHIFT) + ((span_size & (PAGE_SIZE - 1)) != 0);
	uint64_t nwords = (npages + BITS_PER_WORD - 1) / BITS_PER_WORD;

	/* Two bitmaps: busy and reserved. */
	return (size_t)(2 * nwords * sizeof(uint64_t));
}

int page_alloc_init(struct page_alloc *pa, void *bitmap_mem, size_t bitmap_bytes, hpa_t base,
                    uint64_t size)
{
	uint64_t nwords;

	if (!pa || !bitmap_mem || size == 0 || !IS_ALIGNED(base, PAGE_SIZE) ||
	    !IS_ALIGNED(size, PAGE_SIZE) || base + size < base ||
	    !IS_ALIGNED((uintptr_t)bitmap_mem, sizeof(uint64_t)) ||
	    bitmap_bytes < page_alloc_bitmap_bytes(size))
		return -FV_EINVAL;

	memset(pa, 0, sizeof(*pa));
	pa->npages = size >> PAGE_SHIFT;
	nwords = (pa->npages + BITS_PER_WORD - 1) / BITS_PER_WORD;
	pa->busy = bitmap_mem;
	pa->rsv = pa->busy + nwords;
	pa->base = base;
	/* All reserved, including the padding bits of the last word (never searched). */
	memset(bitmap_mem, 0xff, (size_t)(2 * nwords * sizeof(uint64_t)));
	pa->nr_rsv = pa->npages;
	return 0;
}

/* Round up to a page, saturating at the last page boundary instead of wrapping. */
static uint64_t page_up_sat(uint64_t x)
{
	return x > ALIGN_DOWN(UINT64_MAX, PAGE_SIZE) ? ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)
	                                             : ALIGN_UP(x, PAGE_SIZE);
}

/* base + size, saturating at UINT64_MAX. */
static uint64_t end_sat(uint64_t base, uint64_t size)
{
	return base + size < base ? UINT64_MAX : base + size;
}

/*
 * Clip [s, e) (byte addresses, page aligned) to the span and convert to page
 * indexes. Returns false if nothing is left.
 */
static bool clip_to_span(const struct page_alloc *pa, uint64_t s, uint64_t e, uint64_t *from,
                         uint64_t *to)
{
	uint64_t span_end = pa->base + (pa->npages << PAGE_SHIFT);

	if (s < pa->base)
		s = pa->base;
	if (e > span_end)
		e = span_end;
	if (s >= e)
		return false;
	*from = (s - pa->base) >> PAGE_SHIFT;
	*to = (e - pa->base) >> PAGE_SHIFT;
	return true;
}

/* Allocated pages in [from, to): busy but not reserved (reserved is a subset of busy). */
static uint64_t used_in(const struct page_alloc *pa, uint64_t from, uint64_t to)
{
	/* nr_used counts exactly the busy, unreserved pages: none anywhere, none here (boot). */
	if (pa->nr_used == 0)
		return 0;
	return bm_count(pa->busy, from, to) - bm_count(pa->rsv, from, to);
}

int page_alloc_add_free(struct page_alloc *pa, hpa_t base, uint64_t size)
{
	uint64_t from, to, nrsv;

	/* Only whole pages are usable: shrink inwards. */
	if (!clip_to_span(pa, page_up_sat(base), ALIGN_DOWN(end_sat(base, size), PAGE_SIZE), &from,
	                  &to))
		return -FV_ERANGE;
	if (used_in(pa, from, to) != 0)
		return -FV_EBUSY;

	/* nr_rsv counts the reserved bits of [0, npages): the whole span needs no count. */
	nrsv = from == 0 && to == pa->npages ? pa->nr_rsv : bm_count(pa->rsv, from, to);
	bm_assign(pa->rsv, from, to, false);
	bm_assign(pa->busy, from, to, false);
	pa->nr_rsv -= nrsv;
	pa->nr_free += nrsv;
	return 0;
}

int page_alloc_reserve(struct page_alloc *pa, hpa_t base, uint64_t size)
{
	uint64_t from, to, newly;

	if (size == 0)
		return 0;
	/* Any partially covered page is reserved whole: grow outwards. */
	if (!clip_to_span(pa, ALIGN_DOWN(base, PAGE_SIZE), page_up_sat(end_sat(base, size)), &from,
	                  &to))
		return 0;
	if (used_in(pa, from, to) != 0)
		return -FV_EBUSY;

	/* No page in range is used, so every not-yet-reserved page is free. */
	newly = (to - from) - bm_count(pa->rsv, from, to);
	bm_assign(pa->rsv, from, to, true);
	bm_assign(pa->busy, from, to, true);
	pa->nr_rsv += newly;
	pa->nr_free -= newly;
	return 0;
}

int page_alloc_alloc(struct page_alloc *pa, size_t npages, size_t align_pages, hpa_t *out)
{
	uint64_t n = npages;
	uint64_t align = align_pages ? align_pages : 1;
	uint64_t found;

	pa->alloc_calls++;
	if (n == 0 || (align & (align - 1)) != 0 || align > MAX_ALIGN_PAGES || !out) {
		pa->alloc_failures++;
		return -FV_EINVAL;
	}
	if (n > pa->nr_free || (!find_run(pa, pa->next, pa->npages, n, align, &found) &&
	                        !find_run(pa, 0, pa->npages, n, align, &found))) {
		pa->alloc_failures++;
		return -FV_ENOMEM;
	}

	bm_assign(pa->busy, found, found + n, true);
	pa->nr_free -= n;
	pa->nr_used += n;
	pa->next = found + n < pa->npages ? found + n : 0;
	*out = pa->base + (found << PAGE_SHIFT);
	return 0;
}

int page_alloc_alloc_low(struct page_alloc *pa, size_t npages, size_t align_pages, hpa_t *out)
{
	uint64_t n = npages;
	uint64_t align = align_pages ? align_pages : 1;
	uint64_t found;

	pa->alloc_calls++;
	if (n == 0 || (align & (align - 1)) != 0 || align > MAX_ALIGN_PAGES || !out) {
		pa->alloc_failures++;
		return -FV_EINVAL;
	}
	/* From the bottom, and the next-fit hint is left alone (see the header). */
	if (n > pa->nr_free || !find_run(pa, 0, pa->npages, n, align, &found)) {
		pa->alloc_failures++;
		return -FV_ENOMEM;
	}
	bm_assign(pa->busy, found, found + n, true);
	pa->nr_free -= n;
	pa->nr_used += n;
	*out = pa->base + (found << PAGE_SHIFT);
	return 0;
}

int page_alloc_free(struct page_alloc *pa, hpa_t hpa, size_t npages)
{
	uint64_t n = npages;
	uint64_t i;

	if (n == 0 || !IS_ALIGNED(hpa, PAGE_SIZE))
		return -FV_EINVAL;
	if (hpa < pa->base)
		return -FV_ERANGE;
	i = (hpa - pa->base) >> PAGE_SHIFT;
	if (i >= pa->npages || n > pa->npages - i)
		return -FV_ERANGE;
	/* Every page must be allocated: busy and not reserved. */
	if (bm_count(pa->busy, i, i + n) != n || bm_count(pa->rsv, i, i + n) != 0)
		return -FV_ENOENT;

	bm_assign(pa->busy, i, i + n, false);
	pa->nr_used -= n;
	pa->nr_free += n;
	pa->free_calls++;
	return 0;
}

void page_alloc_stats(const struct page_alloc *pa, struct page_alloc_stats *st)
{
	uint64_t best = 0;
	uint64_t i = bm_find(pa->busy, 0, pa->npages, false);

	while (i < pa->npages) {
		uint64_t j = bm_find(pa->busy, i, pa->npages, true);

		if (j - i > best)
			best = j - i;
		i = bm_find(pa->busy, j, pa->npages, false);
	}

	st->total_pages = pa->npages;
	st->free_pages = pa->nr_free;
	st->used_pages = pa->nr_used;
	st->reserved_pages = pa->nr_rsv;
	st->largest_free_run = best;
	st->alloc_calls = pa->alloc_calls;
	st->alloc_failures = pa->alloc_failures;
	st->free_calls = pa->free_calls;
}
