/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PAGE_ALLOC_H
#define FV_CORE_PAGE_ALLOC_H

/*
 * Physical page allocator: a bitmap over one contiguous span of host
 * physical memory, one bit per 4 KiB page.
 *
 * The span is usually [lowest RAM base, highest RAM end) from the device
 * tree. Every page starts out *reserved*; boot code then declares RAM with
 * page_alloc_add_free() and punches out firmware, the hypervisor image, the
 * DTB, the boot bundle and the bitmap itself with page_alloc_reserve().
 * Holes between RAM banks simply stay reserved. Starting reserved means a
 * forgotten add_free() wastes memory, whereas a forgotten reserve() in an
 * "all free" design would hand firmware memory to a guest.
 *
 * Each page is in exactly one state: free, used (handed out by
 * page_alloc_alloc) or reserved. Two bitmaps hold it: "busy" (used or
 * reserved) and "reserved"; the second lets page_alloc_free() refuse to free
 * reserved memory. The bitmap storage comes from the caller, sized by
 * page_alloc_bitmap_bytes().
 *
 * Concurrency: no locking inside. The caller serialises every call on one
 * struct page_alloc (one lock for the allocator as a whole).
 */
#include "lib/types.h"

struct page_alloc {
	uint64_t *busy;   /* bit set: page used or reserved */
	uint64_t *rsv;    /* bit set: page reserved */
	hpa_t base;       /* span start, page aligned */
	uint64_t npages;  /* pages in the span */
	uint64_t next;    /* next-fit hint: page index to search from */
	uint64_t nr_free; /* pages currently free */
	uint64_t nr_used; /* pages currently allocated */
	uint64_t nr_rsv;  /* pages currently reserved */
	uint64_t alloc_calls;
	uint64_t free_calls;
	uint64_t alloc_failures;
};

struct page_alloc_stats {
	uint64_t total_pages;      /* pages in the span (= free + used + reserved) */
	uint64_t free_pages;       /* pages available to page_alloc_alloc() */
	uint64_t used_pages;       /* pages allocated and not yet freed */
	uint64_t reserved_pages;   /* firmware, images, holes between RAM banks */
	uint64_t largest_free_run; /* longest run of contiguous free pages */
	uint64_t alloc_calls;      /* page_alloc_alloc() calls, failed ones included */
	uint64_t alloc_failures;   /* page_alloc_alloc() calls that returned an error */
	uint64_t free_calls;       /* successful page_alloc_free() calls */
};

/*
 * Bytes of bitmap memory page_alloc_init() needs for a span of span_size
 * bytes (rounded up to whole pages). Always a multiple of 8. Pure; any
 * context.
 */
size_t page_alloc_bitmap_bytes(uint64_t span_size);

/*
 * Set up pa over the span [base, base + size) with every page reserved.
 * bitmap_mem must be 8-byte aligned, at least page_alloc_bitmap_bytes(size)
 * bytes, and stay valid for the allocator's lifetime; if it lies inside the
 * span, reserve it afterwards. Boot CPU only, before any other call on pa.
 * Errors: -FV_EINVAL for NULL arguments, unaligned base/size/bitmap, empty or
 * wrapping span, or a bitmap that is too small.
 */
int page_alloc_init(struct page_alloc *pa, void *bitmap_mem, size_t bitmap_bytes, hpa_t base,
                    uint64_t size);

/*
 * Declare [base, base + size) as free RAM. The range is shrunk inwards to
 * whole pages and clipped to the span; reserved pages in it become free.
 * Caller holds pa's lock. Errors (pa unchanged): -FV_ERANGE if no whole page
 * of the range lies in the span, -FV_EBUSY if a page in it is allocated.
 */
int page_alloc_add_free(struct page_alloc *pa, hpa_t base, uint64_t size);

/*
 * Reserve [base, base + size) so it is never allocated. The range is grown
 * outwards to whole pages and clipped to the span (parts outside it are
 * ignored); reserving reserved pages is a no-op, so this is idempotent.
 * Caller holds pa's lock. Errors (pa unchanged): -FV_EBUSY if a page in the
 * range is currently allocated.
 */
int page_alloc_reserve(struct page_alloc *pa, hpa_t base, uint64_t size);

/*
 * Allocate npages contiguous free pages whose start address is aligned to
 * align_pages pages (a power of two; 0 means 1). Next-fit: the search starts
 * after the previous allocation and wraps once. Stores the start address in
 * *out; the pages are not cleared. Caller holds pa's lock.
 * Errors: -FV_EINVAL for npages == 0 or a bad alignment, -FV_ENOMEM if no
 * such run exists.
 */
int page_alloc_alloc(struct page_alloc *pa, size_t npages, size_t align_pages, hpa_t *out);

/*
 * As page_alloc_alloc(), but lowest-address fit: the run starting at the
 * lowest suitable page, without moving the next-fit hint. For long-lived
 * large blocks allocated and freed at run time (dynamic VMs' RAM): they
 * pack at the bottom and a freed block is the first one reused, so the
 * large free runs above them survive. Caller holds pa's lock.
 * Errors: as page_alloc_alloc().
 */
int page_alloc_alloc_low(struct page_alloc *pa, size_t npages, size_t align_pages, hpa_t *out);

/*
 * Free npages pages starting at hpa. Any allocated pages may be freed in any
 * grouping (the allocator does not remember allocation boundaries). Caller
 * holds pa's lock. Errors (pa unchanged): -FV_EINVAL for an unaligned hpa or
 * npages == 0, -FV_ERANGE if the range leaves the span, -FV_ENOENT if any page
 * in the range is free (double free) or reserved.
 */
int page_alloc_free(struct page_alloc *pa, hpa_t hpa, size_t npages);

/*
 * Fill *st with counters. largest_free_run costs a scan of the bitmap
 * (a few hundred microseconds for 8 GiB). Caller holds pa's lock.
 */
void page_alloc_stats(const struct page_alloc *pa, struct page_alloc_stats *st);

#endif
