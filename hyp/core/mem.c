// SPDX-License-Identifier: MIT
/* Global page allocator and heap, serialised by one lock each. */
#include "core/mem.h"
#include "core/console.h"
#include "core/spinlock.h"
#include "lib/string.h"

#define HEAP_GROW_PAGES 64 /* 256 KiB per heap extension */

static struct page_alloc pages;
static struct heap heap;
static struct spinlock pages_lock = SPINLOCK_INIT; /* protects pages */
static struct spinlock heap_lock = SPINLOCK_INIT;  /* protects heap */

int mem_init(const struct mem_range *ram, unsigned nr_ram, const struct mem_range *rsv,
             unsigned nr_rsv)
{
	if (nr_ram == 0)
		return -FV_EINVAL;
	/* One span covering every bank; holes stay reserved. */
	hpa_t lo = UINT64_MAX, hi = 0;
	for (unsigned i = 0; i < nr_ram; i++) {
		lo = MIN(lo, ALIGN_UP(ram[i].base, PAGE_SIZE));
		hi = MAX(hi, ALIGN_DOWN(ram[i].base + ram[i].size, PAGE_SIZE));
	}
	size_t bm_bytes = page_alloc_bitmap_bytes(hi - lo);
	/*
	 * Place the bitmap in the first free spot of the first bank that does
	 * not collide with a reserved range.
	 */
	hpa_t bm = 0;
	for (unsigned i = 0; i < nr_ram && !bm; i++) {
		hpa_t cand = ALIGN_UP(ram[i].base, PAGE_SIZE);
		hpa_t end = ram[i].base + ram[i].size;
		bool moved = true;
		while (moved && cand + bm_bytes <= end) {
			moved = false;
			for (unsigned r = 0; r < nr_rsv; r++) {
				if (cand < rsv[r].base + rsv[r].size &&
				    rsv[r].base < cand + bm_bytes) {
					cand = ALIGN_UP(rsv[r].base + rsv[r].size, PAGE_SIZE);
					moved = true;
				}
			}
		}
		if (cand + bm_bytes <= end)
			bm = cand;
	}
	if (!bm)
		return -FV_ENOMEM;
	/* page_alloc_init sets every word of the bitmaps (all reserved): no clearing first. */
	int ret = page_alloc_init(&pages, mem_phys_to_virt(bm), bm_bytes, lo, hi - lo);
	if (ret)
		return ret;
	for (unsigned i = 0; i < nr_ram; i++)
		page_alloc_add_free(&pages, ALIGN_UP(ram[i].base, PAGE_SIZE),
		                    ALIGN_DOWN(ram[i].base + ram[i].size, PAGE_SIZE) -
		                        ALIGN_UP(ram[i].base, PAGE_SIZE));
	for (unsigned r = 0; r < nr_rsv; r++)
		page_alloc_reserve(&pages, ALIGN_DOWN(rsv[r].base, PAGE_SIZE),
		                   ALIGN_UP(rsv[r].base + rsv[r].size, PAGE_SIZE) -
		                       ALIGN_DOWN(rsv[r].base, PAGE_SIZE));
	page_alloc_reserve(&pages, bm, ALIGN_UP(bm_bytes, PAGE_SIZE));
	heap_init(&heap);
	return 0;
}

int mem_alloc_pages(size_t npages, size_t align_pages, hpa_t *out)
{
	spin_lock(&pages_lock);
	int ret = page_alloc_alloc(&pages, npages, align_pages, out);
	spin_unlock(&pages_lock);
	return ret;
}

int mem_alloc_pages_low(size_t npages, size_t align_pages, hpa_t *out)
{
	spin_lock(&pages_lock);
	int ret = page_alloc_alloc_low(&pages, npages, align_pages, out);
	spin_unlock(&pages_lock);
	return ret;
}

void mem_free_pages(hpa_t pa, size_t npages)
{
	spin_lock(&pages_lock);
	int ret = page_alloc_free(&pages, pa, npages);
	spin_unlock(&pages_lock);
	BUG_ON(ret != 0);
}

void *mem_zalloc_aligned(size_t size, size_t align)
{
	spin_lock(&heap_lock);
	void *p = heap_zalloc(&heap, size, align);
	if (!p) {
		/* Grow by at least the request (plus header slack). */
		size_t np =
		    MAX((size_t)HEAP_GROW_PAGES, (size + align + 64 + PAGE_SIZE - 1) / PAGE_SIZE);
		hpa_t pa;
		if (mem_alloc_pages(np, 1, &pa) == 0) {
			heap_add_region(&heap, mem_phys_to_virt(pa), np * PAGE_SIZE);
			p = heap_zalloc(&heap, size, align);
		}
	}
	spin_unlock(&heap_lock);
	return p;
}

void *mem_zalloc(size_t size)
{
	return mem_zalloc_aligned(size, 16);
}

void mem_free(void *p)
{
	if (!p)
		return;
	spin_lock(&heap_lock);
	int ret = heap_free_checked(&heap, p);
	spin_unlock(&heap_lock);
	BUG_ON(ret != 0);
}

void mem_stats(struct page_alloc_stats *ps, struct heap_stats *hs)
{
	spin_lock(&pages_lock);
	page_alloc_stats(&pages, ps);
	spin_unlock(&pages_lock);
	spin_lock(&heap_lock);
	heap_stats(&heap, hs);
	spin_unlock(&heap_lock);
}
