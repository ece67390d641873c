/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_HEAP_H
#define FV_CORE_HEAP_H

/*
 * Hypervisor heap: small objects (VM and vCPU structs, buffers) carved from
 * memory regions handed in by the caller, typically pages from the page
 * allocator.
 *
 * Every block carries a 16-byte header (magic, own size, size of the
 * physically previous block, check word), so allocations cost 16 bytes plus
 * rounding to 16. Free blocks sit on one first-fit list and are coalesced
 * with both physical neighbours on free (boundary tags, O(1)). Allocation is
 * O(free blocks). Payloads are 16-byte aligned unless more is asked for.
 *
 * heap_free_checked() rejects pointers that are not live allocations of this
 * heap (foreign, interior, double free, smashed header) before touching any
 * memory outside the heap's regions; heap_free() does the same checks but
 * drops the error. Either way a rejected free changes nothing but the
 * stats.bad_frees counter.
 *
 * Concurrency: no locking inside. The caller serialises every call on one
 * struct heap.
 */
#include "lib/types.h"

struct heap_region;
struct heap_block;

struct heap {
	struct heap_region *regions; /* singly linked, newest first */
	struct heap_block *free_list;
	uint64_t bytes_total; /* bytes in blocks (headers included) */
	uint64_t bytes_used;  /* bytes in allocated blocks (headers included) */
	uint64_t peak_used;
	uint64_t live;
	uint64_t alloc_calls;
	uint64_t free_calls;
	uint64_t failures;
	uint64_t bad_frees;
};

struct heap_stats {
	uint64_t bytes_total;    /* managed bytes: bytes_used + bytes_free */
	uint64_t bytes_used;     /* in live blocks, 16-byte headers and rounding included */
	uint64_t bytes_free;     /* in free blocks, headers included */
	uint64_t largest_free;   /* largest free block, header included (scans the free list) */
	uint64_t peak_used;      /* highest bytes_used seen */
	uint64_t live_allocs;    /* allocations not yet freed */
	uint64_t alloc_calls;    /* heap_alloc/heap_zalloc calls with size > 0 */
	uint64_t free_calls;     /* successful frees */
	uint64_t alloc_failures; /* allocations that returned NULL */
	uint64_t bad_frees;      /* rejected frees (foreign pointer, double free...) */
};

/* Bytes of overhead per allocation (the block header). */
#define HEAP_HDR_SIZE 16U

/* Initialise an empty heap. Any context, before other use of h. */
void heap_init(struct heap *h);

/*
 * Give [mem, mem + size) to the heap for good. The range is trimmed to
 * 16-byte alignment; about 48 bytes of it go to bookkeeping. Caller holds
 * h's lock. Errors: -FV_EINVAL if the range is NULL, wraps or is too small
 * to hold one block, -FV_EEXIST if it overlaps a region already added.
 */
int heap_add_region(struct heap *h, void *mem, size_t size);

/*
 * Allocate size bytes aligned to align (a power of two, at most PAGE_SIZE;
 * 0 means 16). Contents are undefined. Returns NULL when size is 0, the
 * alignment is bad, or no free block fits (the latter two count as
 * failures). Caller holds h's lock.
 */
void *heap_alloc(struct heap *h, size_t size, size_t align);

/* heap_alloc() then zero the size bytes. Same contract. */
void *heap_zalloc(struct heap *h, size_t size, size_t align);

/*
 * Free ptr, an allocation of h, coalescing with free neighbours. NULL is
 * accepted and ignored. Caller holds h's lock.
 * Errors (heap unchanged but for stats.bad_frees; nothing outside h's regions
 * is read): -FV_EINVAL if ptr is not the payload start of a block in one of
 * h's regions or a header around it is corrupted; -FV_ENOENT if the block is
 * already free. A double free reports -FV_ENOENT while the freed block still
 * stands alone and -FV_EINVAL once it has merged into a neighbour (its header
 * is wiped on merge).
 */
int heap_free_checked(struct heap *h, void *ptr);

/*
 * heap_free_checked() that drops the error: a bad pointer is ignored and
 * counted in stats.bad_frees. Caller holds h's lock.
 */
void heap_free(struct heap *h, void *ptr);

/*
 * Walk every block of every region and the free list and verify headers,
 * tiling, coalescing and counters. Returns 0 if consistent, -FV_EIO at the
 * first inconsistency. O(blocks): for tests and debug shells, not hot
 * paths. Caller holds h's lock.
 */
int heap_check(const struct heap *h);

/* Fill *st. Cost: one walk of the free list. Caller holds h's lock. */
void heap_stats(const struct heap *h, struct heap_stats *st);

#endif
