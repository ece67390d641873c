/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_MEM_H
#define FV_CORE_MEM_H

/*
 * The hypervisor's memory: one physical page allocator over host RAM and
 * one heap for small objects, both behind a lock. Guest RAM comes from the
 * page allocator in large aligned blocks; the heap grows from it.
 */
#include "lib/types.h"
#include "core/page_alloc.h"
#include "core/heap.h"

struct mem_range {
	hpa_t base;
	uint64_t size;
};

/*
 * Initialise from the host RAM banks minus the reserved ranges (firmware,
 * hypervisor image, DTB, config bundle). Boot CPU, once.
 */
int mem_init(const struct mem_range *ram, unsigned nr_ram, const struct mem_range *rsv,
             unsigned nr_rsv);
/* Contiguous, aligned physical pages; 0 or -FV_ENOMEM. Not zeroed. */
int mem_alloc_pages(size_t npages, size_t align_pages, hpa_t *out);
/* Same, lowest-address fit (page_alloc_alloc_low): run-time VM RAM and staged images. */
int mem_alloc_pages_low(size_t npages, size_t align_pages, hpa_t *out);
void mem_free_pages(hpa_t pa, size_t npages);
/* Heap allocation, zeroed; NULL when out of memory. */
void *mem_zalloc(size_t size);
void *mem_zalloc_aligned(size_t size, size_t align);
void mem_free(void *p);
void mem_stats(struct page_alloc_stats *pages, struct heap_stats *heap);
/* Pointer to the hypervisor mapping of a host physical address (identity today). */
static inline void *mem_phys_to_virt(hpa_t pa)
{
	return (void *)(uintptr_t)pa;
}

#endif
