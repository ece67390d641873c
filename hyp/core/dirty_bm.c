// SPDX-License-Identifier: MIT
/* Dirty-page bitmap (contracts in dirty_bm.h). Pure: no allocation, no locking. */
#include "core/dirty_bm.h"

/* Set bits of a word (no libgcc in the hypervisor: no __builtin_popcountll). */
static unsigned pop64(uint64_t v)
{
	unsigned n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

void dirty_bm_set_range(uint64_t *bm, uint64_t first, uint64_t last)
{
	for (uint64_t p = first; p <= last;) {
		/* Whole words where the range covers them. */
		if (p % 64 == 0 && last - p >= 63) {
			bm[p / 64] = ~0ull;
			p += 64;
			continue;
		}
		dirty_bm_set(bm, p);
		if (p == last)
			break;
		p++;
	}
}

uint64_t dirty_bm_take(uint64_t *live, uint64_t *out, uint64_t first, uint64_t n, uint64_t total)
{
	/* The window must lie inside the bitmap; no sum that can wrap. */
	if (n == 0 || first >= total || n > total - first)
		return UINT64_MAX;
	uint64_t count = 0;
	size_t words = dirty_bm_words(n);
	for (size_t w = 0; w < words; w++)
		out[w] = 0;
	for (uint64_t i = 0; i < n;) {
		uint64_t p = first + i;
		/* Whole aligned words at a time where the window allows. */
		if (p % 64 == 0 && i % 64 == 0 && n - i >= 64) {
			uint64_t v = live[p / 64];
			live[p / 64] = 0;
			out[i / 64] = v;
			count += pop64(v);
			i += 64;
			continue;
		}
		if (dirty_bm_test(live, p)) {
			live[p / 64] &= ~(1ull << (p % 64));
			dirty_bm_set(out, i);
			count++;
		}
		i++;
	}
	return count;
}

uint64_t dirty_bm_next_run(const uint64_t *bm, uint64_t from, uint64_t end, uint64_t *len)
{
	while (from < end && !dirty_bm_test(bm, from)) {
		/* Skip empty words whole. */
		if (from % 64 == 0 && bm[from / 64] == 0)
			from += 64;
		else
			from++;
	}
	if (from >= end) {
		*len = 0;
		return end;
	}
	uint64_t to = from;
	while (to < end && dirty_bm_test(bm, to))
		to++;
	*len = to - from;
	return from;
}

uint64_t dirty_bm_count(const uint64_t *bm, uint64_t n)
{
	uint64_t c = 0;
	for (uint64_t w = 0; w < n / 64; w++)
		c += pop64(bm[w]);
	for (uint64_t p = n / 64 * 64; p < n; p++)
		c += dirty_bm_test(bm, p);
	return c;
}
