/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_DIRTY_BM_H
#define FV_CORE_DIRTY_BM_H

/*
 * The dirty-page bitmap of a live migration (docs/snapshots.md, "Live
 * migration"): bit p = page p of the VM's RAM (4 KiB pages from its base) was
 * written since the bitmap was last taken. Pure C11 (host unit test
 * tests/unit/test_dirty_bm.c); the locking and the stage-2 side are in
 * dirty_log.c. Words are plain uint64_t: the caller serialises (the VM's
 * mem_lock).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Words of a bitmap for @npages pages. */
static inline size_t dirty_bm_words(uint64_t npages)
{
	return (size_t)((npages + 63) / 64);
}

static inline void dirty_bm_set(uint64_t *bm, uint64_t page)
{
	bm[page / 64] |= 1ull << (page % 64);
}

static inline bool dirty_bm_test(const uint64_t *bm, uint64_t page)
{
	return (bm[page / 64] >> (page % 64)) & 1;
}

/* Set the bits of pages @first..@last (inclusive; @first <= @last, inside the bitmap). */
void dirty_bm_set_range(uint64_t *bm, uint64_t first, uint64_t last);

/*
 * Read and clear the window [@first, @first + @n) of @live (a bitmap of
 * @total pages) into @out (bit i = page @first + i; dirty_bm_words(@n) words,
 * overwritten). Returns the number of pages taken, or UINT64_MAX (nothing
 * changed) when the window is empty or not inside the bitmap.
 */
uint64_t dirty_bm_take(uint64_t *live, uint64_t *out, uint64_t first, uint64_t n, uint64_t total);

/*
 * The first run of set bits at or after @from and before @end in @bm: its
 * first page (returned; @end if there is none) and its length in *@len.
 */
uint64_t dirty_bm_next_run(const uint64_t *bm, uint64_t from, uint64_t end, uint64_t *len);

/* Set bits of @bm among its first @n pages. */
uint64_t dirty_bm_count(const uint64_t *bm, uint64_t n);

#endif
