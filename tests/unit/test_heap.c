/* SPDX-License-Identifier: MIT */
/* Unit tests for hyp/core/heap.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/heap.h"

/* Region header (32) + end marker (16). */
#define REGION_OVERHEAD 48

static struct heap_stats stats(const struct heap *h)
{
	struct heap_stats st;

	heap_stats(h, &st);
	assert_int_equal(st.bytes_total, st.bytes_used + st.bytes_free);
	assert_true(st.largest_free <= st.bytes_free);
	assert_true(st.peak_used >= st.bytes_used);
	assert_int_equal(heap_check(h), 0);
	return st;
}

/* A heap over one fresh region of size bytes (16-byte aligned). */
static void *setup(struct heap *h, size_t size)
{
	void *mem = aligned_alloc(PAGE_SIZE, size);

	assert_non_null(mem);
	heap_init(h);
	assert_int_equal(heap_add_region(h, mem, size), 0);
	return mem;
}

static void test_empty_heap(void **state)
{
	struct heap h;
	struct heap_stats st;

	(void)state;
	heap_init(&h);
	assert_null(heap_alloc(&h, 8, 0));
	assert_null(heap_alloc(&h, 0, 0)); /* size 0: NULL, not a failure */
	heap_free(&h, NULL);
	assert_int_equal(heap_free_checked(&h, NULL), 0);
	st = stats(&h);
	assert_int_equal(st.bytes_total, 0);
	assert_int_equal(st.alloc_calls, 1);
	assert_int_equal(st.alloc_failures, 1);
	assert_int_equal(st.bad_frees, 0);
}

static void test_add_region(void **state)
{
	struct heap h;
	char *mem = aligned_alloc(16, 8192);
	struct heap_stats st;

	(void)state;
	assert_non_null(mem);
	heap_init(&h);
	assert_int_equal(heap_add_region(&h, NULL, 4096), -FV_EINVAL);
	assert_int_equal(heap_add_region(&h, mem, 79), -FV_EINVAL);
	/* Unaligned start and end: trimmed to 16 bytes. */
	assert_int_equal(heap_add_region(&h, mem + 3, 4096 - 3), 0);
	st = stats(&h);
	assert_int_equal(st.bytes_total, 4096 - 16 - REGION_OVERHEAD);
	assert_int_equal(st.largest_free, st.bytes_total);
	assert_int_equal(heap_add_region(&h, mem + 4000, 1000), -FV_EEXIST);
	assert_int_equal(heap_add_region(&h, mem, 128), -FV_EEXIST);
	/* Smallest useful region: header + one 32-byte block + end marker. */
	assert_int_equal(heap_add_region(&h, mem + 4096, 80), 0);
	st = stats(&h);
	assert_int_equal(st.bytes_total, 4096 - 16 - REGION_OVERHEAD + 32);
	assert_int_equal(heap_add_region(&h, mem + 4096 + 80, 8192 - 4096 - 80), 0);
	stats(&h);
	free(mem);
}

static void test_alignment(void **state)
{
	struct heap h;
	void *mem = setup(&h, 256 * 1024);
	void *ptrs[64];
	int n = 0;

	(void)state;
	for (size_t align = 1; align <= PAGE_SIZE; align <<= 1) {
		for (size_t size = 1; size < 300; size += 97) {
			unsigned char *p = heap_alloc(&h, size, align);

			assert_non_null(p);
			assert_true(((uintptr_t)p % (align < 16 ? 16 : align)) == 0);
			memset(p, 0xa5, size);
			ptrs[n++] = p;
		}
	}
	assert_true(IS_ALIGNED((uintptr_t)heap_alloc(&h, 1, 0), 16));
	stats(&h);
	/* Not a power of two, or above a page: refused. */
	assert_null(heap_alloc(&h, 16, 24));
	assert_null(heap_alloc(&h, 16, 2 * PAGE_SIZE));
	assert_int_equal(stats(&h).alloc_failures, 2);
	for (int i = 0; i < n; i++)
		assert_int_equal(heap_free_checked(&h, ptrs[i]), 0);
	assert_int_equal(stats(&h).live_allocs, 1);
	free(mem);
}

static void test_coalescing(void **state)
{
	struct heap h;
	void *mem = setup(&h, 4096);
	struct heap_stats st0, st;
	void *a, *b, *c, *d;

	(void)state;
	st0 = stats(&h);
	a = heap_alloc(&h, 100, 0);
	b = heap_alloc(&h, 100, 0);
	c = heap_alloc(&h, 100, 0);
	d = heap_alloc(&h, 100, 0);
	assert_true(a && b && c && d);
	st = stats(&h);
	/* 100 bytes + 16 header rounded to 16 = 128 per block. */
	assert_int_equal(st.bytes_used, 4 * 128);
	assert_int_equal(st.live_allocs, 4);

	/* Free b then c: one 256-byte hole that a 240-byte request fits exactly. */
	heap_free(&h, b);
	heap_free(&h, c);
	st = stats(&h);
	assert_int_equal(st.bytes_used, 2 * 128);
	b = heap_alloc(&h, 240, 0);
	assert_non_null(b);
	heap_free(&h, b);
	/* Free a: merges forwards. Free d: merges both ways into one block. */
	heap_free(&h, a);
	heap_free(&h, d);
	st = stats(&h);
	assert_int_equal(st.bytes_used, 0);
	assert_int_equal(st.largest_free, st0.largest_free);
	assert_int_equal(st.peak_used, 4 * 128);
	assert_int_equal(st.free_calls, 5);
	/* Everything can be handed out again as one block. */
	a = heap_alloc(&h, st0.largest_free - HEAP_HDR_SIZE, 0);
	assert_non_null(a);
	assert_null(heap_alloc(&h, 1, 0));
	heap_free(&h, a);
	free(mem);
}

static void test_exhaustion(void **state)
{
	struct heap h;
	void *mem = setup(&h, 64 * 1024);
	struct heap_stats st0 = stats(&h), st;
	void *ptrs[2048];
	size_t n = 0;

	(void)state;
	while ((ptrs[n] = heap_alloc(&h, 48, 0)) != NULL)
		n++;
	/* 64 bytes per block: all but the leftover (< 64 bytes) is used. */
	assert_int_equal(n, st0.bytes_total / 64);
	st = stats(&h);
	assert_int_equal(st.alloc_failures, 1);
	assert_int_equal(st.live_allocs, n);
	assert_null(heap_alloc(&h, 16 * 1024 * 1024, 0));
	assert_null(heap_alloc(&h, SIZE_MAX, 0));
	assert_null(heap_alloc(&h, SIZE_MAX - 8, 16));
	/* Free in an interleaved order to exercise all merge cases. */
	for (size_t i = 0; i < n; i += 2)
		heap_free(&h, ptrs[i]);
	for (size_t i = 1; i < n; i += 2)
		heap_free(&h, ptrs[i]);
	st = stats(&h);
	assert_int_equal(st.bytes_used, 0);
	assert_int_equal(st.largest_free, st0.bytes_total);
	assert_int_equal(st.live_allocs, 0);
	free(mem);
}

static void test_bad_frees(void **state)
{
	struct heap h, other;
	void *mem = setup(&h, 8192);
	void *omem = setup(&other, 8192);
	struct heap_stats before, after;
	char *a, *b, *c, *o;
	int local;

	(void)state;
	a = heap_alloc(&h, 64, 0);
	b = heap_alloc(&h, 64, 0);
	c = heap_alloc(&h, 64, 0);
	o = heap_alloc(&other, 64, 0);
	assert_true(a && b && c && o);
	assert_int_equal(heap_free_checked(&h, b), 0);
	before = stats(&h);

	assert_int_equal(heap_free_checked(&h, b), -FV_ENOENT);                  /* double free */
	assert_int_equal(heap_free_checked(&h, &local), -FV_EINVAL);             /* foreign */
	assert_int_equal(heap_free_checked(&h, o), -FV_EINVAL);                  /* other heap */
	assert_int_equal(heap_free_checked(&h, a + 16), -FV_EINVAL);             /* interior */
	assert_int_equal(heap_free_checked(&h, a + 1), -FV_EINVAL);              /* misaligned */
	assert_int_equal(heap_free_checked(&h, mem), -FV_EINVAL);                /* region header */
	assert_int_equal(heap_free_checked(&h, (char *)mem + 8192), -FV_EINVAL); /* past end */
	heap_free(&h, a + 32);

	after = stats(&h);
	assert_int_equal(after.bad_frees, before.bad_frees + 8);
	after.bad_frees = before.bad_frees;
	assert_memory_equal(&before, &after, sizeof(before));

	/* Once b has merged with a neighbour its header is gone: still refused. */
	heap_free(&h, a);
	assert_int_equal(heap_free_checked(&h, b), -FV_EINVAL);
	assert_int_equal(heap_free_checked(&h, a), -FV_ENOENT);
	heap_free(&h, c);
	assert_int_equal(heap_free_checked(&h, c), -FV_EINVAL);
	assert_int_equal(stats(&h).bytes_used, 0);
	assert_int_equal(heap_free_checked(&other, o), 0);
	free(mem);
	free(omem);
}

static void test_header_corruption(void **state)
{
	struct heap h;
	void *mem = setup(&h, 8192);
	char *a, *b;

	(void)state;
	a = heap_alloc(&h, 32, 0);
	b = heap_alloc(&h, 32, 0);
	assert_true(a && b);
	/* Overflow a into b's header: b's free is refused, the check notices. */
	a[32 + 4] ^= 0x40;
	assert_int_equal(heap_free_checked(&h, b), -FV_EINVAL);
	assert_int_equal(heap_check(&h), -FV_EIO);
	/* a's successor is corrupt too: freeing a is refused rather than merging garbage. */
	assert_int_equal(heap_free_checked(&h, a), -FV_EINVAL);
	a[32 + 4] ^= 0x40;
	assert_int_equal(heap_check(&h), 0);
	assert_int_equal(heap_free_checked(&h, b), 0);
	assert_int_equal(heap_free_checked(&h, a), 0);
	free(mem);
}

static void test_zalloc(void **state)
{
	struct heap h;
	void *mem = setup(&h, 8192);
	unsigned char *p;

	(void)state;
	p = heap_alloc(&h, 1000, 0);
	assert_non_null(p);
	memset(p, 0xff, 1000);
	heap_free(&h, p);
	p = heap_zalloc(&h, 1000, 64);
	assert_non_null(p);
	assert_true(IS_ALIGNED((uintptr_t)p, 64));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(p[i], 0);
	assert_null(heap_zalloc(&h, 100000, 0));
	heap_free(&h, p);
	free(mem);
}

static void test_multiple_regions(void **state)
{
	struct heap h;
	void *m1 = aligned_alloc(16, 4096), *m2 = aligned_alloc(16, 4096);
	void *p, *q;
	struct heap_stats st;

	(void)state;
	assert_true(m1 && m2);
	heap_init(&h);
	assert_int_equal(heap_add_region(&h, m1, 4096), 0);
	assert_int_equal(heap_add_region(&h, m2, 4096), 0);
	st = stats(&h);
	assert_int_equal(st.bytes_total, 2 * (4096 - REGION_OVERHEAD));
	/* No block spans regions. */
	assert_null(heap_alloc(&h, 5000, 0));
	p = heap_alloc(&h, 4096 - REGION_OVERHEAD - HEAP_HDR_SIZE, 0);
	q = heap_alloc(&h, 4096 - REGION_OVERHEAD - HEAP_HDR_SIZE, 0);
	assert_true(p && q);
	assert_null(heap_alloc(&h, 1, 0));
	heap_free(&h, p);
	heap_free(&h, q);
	assert_int_equal(stats(&h).bytes_used, 0);
	free(m1);
	free(m2);
}

/* ---- Randomised stress against a shadow model ---- */

struct live {
	unsigned char *p;
	size_t size;
	unsigned char fill;
};

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_fill(const struct live *l)
{
	for (size_t k = 0; k < l->size; k++)
		assert_int_equal(l->p[k], l->fill);
}

static void test_random_stress(void **state)
{
	enum { MAXLIVE = 512, REGION = 256 * 1024 };
	struct heap h;
	unsigned char *mem = setup(&h, REGION);
	struct live *live = calloc(MAXLIVE, sizeof(*live));
	size_t nlive = 0, shadow_payload = 0;
	unsigned nok = 0, nfail = 0;

	(void)state;
	assert_non_null(live);
	for (int iter = 0; iter < 50000; iter++) {
		bool do_alloc = nlive == 0 || (nlive < MAXLIVE && rnd() % 100 < 55);

		if (do_alloc) {
			size_t size = 1 + rnd() % (rnd() % 8 == 0 ? 4000 : 200);
			size_t align = (size_t)1 << (rnd() % 13);
			unsigned char *p = heap_alloc(&h, size, align);

			if (!p) {
				nfail++;
				continue;
			}
			nok++;
			assert_true(IS_ALIGNED((uintptr_t)p, align));
			assert_true(p >= mem && p + size <= mem + REGION);
			/* A fill pattern per block: any overlap shows up on free. */
			live[nlive] = (struct live){p, size, (unsigned char)(rnd() | 1)};
			memset(p, live[nlive].fill, size);
			shadow_payload += size;
			nlive++;
		} else {
			size_t i = rnd() % nlive;

			check_fill(&live[i]);
			assert_int_equal(heap_free_checked(&h, live[i].p), 0);
			shadow_payload -= live[i].size;
			live[i] = live[--nlive];
		}
		if (iter % 128 == 0) {
			struct heap_stats st = stats(&h);

			assert_int_equal(st.live_allocs, nlive);
			assert_true(st.bytes_used >= shadow_payload + nlive * HEAP_HDR_SIZE);
		}
	}
	assert_true(nok > 10000 && nfail > 100);
	while (nlive) {
		check_fill(&live[nlive - 1]);
		heap_free(&h, live[--nlive].p);
	}
	{
		struct heap_stats st = stats(&h);

		assert_int_equal(st.bytes_used, 0);
		assert_int_equal(st.largest_free, st.bytes_total);
		assert_int_equal(st.bad_frees, 0);
		assert_int_equal(st.alloc_calls - st.alloc_failures, st.free_calls);
	}
	free(live);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_heap),        cmocka_unit_test(test_add_region),
	    cmocka_unit_test(test_alignment),         cmocka_unit_test(test_coalescing),
	    cmocka_unit_test(test_exhaustion),        cmocka_unit_test(test_bad_frees),
	    cmocka_unit_test(test_header_corruption), cmocka_unit_test(test_zalloc),
	    cmocka_unit_test(test_multiple_regions),  cmocka_unit_test(test_random_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
