/* SPDX-License-Identifier: MIT */
/* Unit tests for hyp/core/page_alloc.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/page_alloc.h"

#define MIB (1024ULL * 1024)
#define GIB (1024ULL * MIB)

/* A span plus its bitmap; freed by pa_teardown. */
struct fixture {
	struct page_alloc pa;
	void *bm;
};

static void pa_setup(struct fixture *f, hpa_t base, uint64_t size)
{
	size_t bytes = page_alloc_bitmap_bytes(size);

	f->bm = malloc(bytes);
	assert_non_null(f->bm);
	assert_int_equal(page_alloc_init(&f->pa, f->bm, bytes, base, size), 0);
}

static void pa_teardown(struct fixture *f)
{
	free(f->bm);
	f->bm = NULL;
}

static struct page_alloc_stats stats(const struct page_alloc *pa)
{
	struct page_alloc_stats st;

	page_alloc_stats(pa, &st);
	assert_int_equal(st.total_pages, st.free_pages + st.used_pages + st.reserved_pages);
	assert_true(st.largest_free_run <= st.free_pages);
	return st;
}

static void test_bitmap_bytes(void **state)
{
	(void)state;
	assert_int_equal(page_alloc_bitmap_bytes(PAGE_SIZE), 16);
	assert_int_equal(page_alloc_bitmap_bytes(1), 16);
	assert_int_equal(page_alloc_bitmap_bytes(64 * PAGE_SIZE), 16);
	assert_int_equal(page_alloc_bitmap_bytes(65 * PAGE_SIZE), 32);
	/* 8 GiB = 2 Mi pages = 32 Ki words per bitmap, two bitmaps. */
	assert_int_equal(page_alloc_bitmap_bytes(8 * GIB), 2 * 32768 * 8);
}

static void test_init_errors(void **state)
{
	struct page_alloc pa;
	uint64_t bm[8];

	(void)state;
	assert_int_equal(page_alloc_init(NULL, bm, sizeof(bm), 0x80000000, MIB), -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, NULL, sizeof(bm), 0x80000000, MIB), -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, bm, sizeof(bm), 0x80000800, MIB), -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, bm, sizeof(bm), 0x80000000, MIB + 1), -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, bm, sizeof(bm), 0x80000000, 0), -FV_EINVAL);
	/* 1 MiB = 256 pages = 4 words x 2 = 64 bytes: exactly enough. */
	assert_int_equal(page_alloc_init(&pa, bm, 63, 0x80000000, MIB), -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, (char *)bm + 4, 60, 0x80000000, PAGE_SIZE),
	                 -FV_EINVAL);
	/* Wrapping span. */
	assert_int_equal(page_alloc_init(&pa, bm, sizeof(bm), 0xfffffffffff00000ULL, 2 * MIB),
	                 -FV_EINVAL);
	assert_int_equal(page_alloc_init(&pa, bm, 64, 0x80000000, MIB), 0);
}

static void test_starts_reserved(void **state)
{
	struct fixture f;
	struct page_alloc_stats st;
	hpa_t out;

	(void)state;
	pa_setup(&f, 0x80000000, 16 * MIB);
	st = stats(&f.pa);
	assert_int_equal(st.total_pages, 4096);
	assert_int_equal(st.reserved_pages, 4096);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.largest_free_run, 0);
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), -FV_ENOMEM);
	st = stats(&f.pa);
	assert_int_equal(st.alloc_calls, 1);
	assert_int_equal(st.alloc_failures, 1);
	pa_teardown(&f);
}

static void test_add_free_and_reserve(void **state)
{
	struct fixture f;
	struct page_alloc_stats st;
	const hpa_t base = 0x80000000;

	(void)state;
	pa_setup(&f, base, 64 * MIB);
	/* Two RAM banks with a 16 MiB hole between them. */
	assert_int_equal(page_alloc_add_free(&f.pa, base, 32 * MIB), 0);
	assert_int_equal(page_alloc_add_free(&f.pa, base + 48 * MIB, 16 * MIB), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 12288);
	assert_int_equal(st.reserved_pages, 4096);
	assert_int_equal(st.largest_free_run, 8192);

	/* Firmware: first 2 MiB. Reserve twice: idempotent. */
	assert_int_equal(page_alloc_reserve(&f.pa, base, 2 * MIB), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, base, 2 * MIB), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 12288 - 512);
	assert_int_equal(st.reserved_pages, 4096 + 512);

	/* Unaligned DTB covering parts of 3 pages: all 3 reserved. */
	assert_int_equal(page_alloc_reserve(&f.pa, base + 4 * MIB + 0x800, 2 * PAGE_SIZE), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 12288 - 512 - 3);

	/* Partly outside the span: clipped. Entirely outside: nothing, no error. */
	assert_int_equal(page_alloc_reserve(&f.pa, base - MIB, MIB + PAGE_SIZE), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, base + 63 * MIB, 4 * MIB), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, 0x10000000, MIB), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, base + 8 * MIB, 0), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, 0xfffffffffffff000ULL, 0x10000), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 12288 - 512 - 3 - 256);

	/* add_free shrinks inwards: an unaligned range of < 2 pages frees 1 page. */
	assert_int_equal(page_alloc_add_free(&f.pa, base + 40 * MIB - 0x800, PAGE_SIZE + 0x1000),
	                 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 12288 - 512 - 3 - 256 + 1);
	/* Nothing usable in the span. */
	assert_int_equal(page_alloc_add_free(&f.pa, 0x10000000, MIB), -FV_ERANGE);
	assert_int_equal(page_alloc_add_free(&f.pa, base + 0x800, 0x800), -FV_ERANGE);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 0), -FV_ERANGE);
	/* Clipped at both ends. */
	assert_int_equal(page_alloc_add_free(&f.pa, 0, UINT64_MAX), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 16384);
	assert_int_equal(st.reserved_pages, 0);
	pa_teardown(&f);
}

static void test_alloc_alignment(void **state)
{
	struct fixture f;
	/* Span base only 4 KiB aligned: alignment is of the physical address. */
	const hpa_t base = 0x80001000;
	hpa_t out;

	(void)state;
	pa_setup(&f, base, 32 * MIB);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 32 * MIB), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), 0);
	assert_int_equal(out, base);
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 512, &out), 0);
	assert_true(IS_ALIGNED(out, 2 * MIB));
	assert_int_equal(out, 0x80200000);
	assert_int_equal(page_alloc_alloc(&f.pa, 4, 4, &out), 0);
	assert_true(IS_ALIGNED(out, 4 * PAGE_SIZE));
	assert_int_equal(page_alloc_alloc(&f.pa, 3, 0, &out), 0); /* 0 means 1 */
	assert_int_equal(page_alloc_alloc(&f.pa, 1024, 1024, &out), 0);
	assert_true(IS_ALIGNED(out, 4 * MIB));
	/* Bad arguments. */
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 3, &out), -FV_EINVAL);
	assert_int_equal(page_alloc_alloc(&f.pa, 0, 1, &out), -FV_EINVAL);
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, NULL), -FV_EINVAL);
	assert_int_equal(page_alloc_alloc(&f.pa, 1, (size_t)1 << 40, &out), -FV_EINVAL);
	/* An alignment no page in the span satisfies. */
	assert_int_equal(page_alloc_alloc(&f.pa, 1, (size_t)1 << 20, &out), -FV_ENOMEM);
	pa_teardown(&f);
}

static void test_exhaustion(void **state)
{
	struct fixture f;
	struct page_alloc_stats st;
	const hpa_t base = 0x80000000;
	/* 100 pages: the last bitmap word is partial. */
	const uint64_t n = 100;
	hpa_t out, prev = 0;

	(void)state;
	pa_setup(&f, base, n * PAGE_SIZE);
	assert_int_equal(page_alloc_add_free(&f.pa, base, n * PAGE_SIZE), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, n + 1, 1, &out), -FV_ENOMEM);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), 0);
		assert_true(out >= base && out < base + n * PAGE_SIZE);
		if (i)
			assert_int_equal(out, prev + PAGE_SIZE); /* next-fit: in order */
		prev = out;
	}
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), -FV_ENOMEM);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, 0);
	assert_int_equal(st.used_pages, n);
	/* Free all at once even though allocated one by one. */
	assert_int_equal(page_alloc_free(&f.pa, base, n), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, n, 1, &out), 0);
	assert_int_equal(out, base);
	st = stats(&f.pa);
	assert_int_equal(st.alloc_calls, n + 3);
	assert_int_equal(st.alloc_failures, 2);
	assert_int_equal(st.free_calls, 1);
	pa_teardown(&f);
}

static void test_fragmentation(void **state)
{
	struct fixture f;
	struct page_alloc_stats st;
	const hpa_t base = 0x80000000;
	const uint64_t n = 256;
	hpa_t out;

	(void)state;
	pa_setup(&f, base, n * PAGE_SIZE);
	assert_int_equal(page_alloc_add_free(&f.pa, base, n * PAGE_SIZE), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, n, 1, &out), 0);
	for (uint64_t i = 0; i < n; i += 2)
		assert_int_equal(page_alloc_free(&f.pa, base + i * PAGE_SIZE, 1), 0);
	st = stats(&f.pa);
	assert_int_equal(st.free_pages, n / 2);
	assert_int_equal(st.largest_free_run, 1);
	assert_int_equal(page_alloc_alloc(&f.pa, 2, 1, &out), -FV_ENOMEM);
	/* Freeing page 101 joins 100..102 into a run of 3. */
	assert_int_equal(page_alloc_free(&f.pa, base + 101 * PAGE_SIZE, 1), 0);
	st = stats(&f.pa);
	assert_int_equal(st.largest_free_run, 3);
	assert_int_equal(page_alloc_alloc(&f.pa, 3, 1, &out), 0);
	assert_int_equal(out, base + 100 * PAGE_SIZE);
	assert_int_equal(page_alloc_alloc(&f.pa, 2, 1, &out), -FV_ENOMEM);
	/* Single pages still fit in the holes. */
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), 0);
	assert_true(((out - base) / PAGE_SIZE) % 2 == 0);
	pa_teardown(&f);
}

/*
 * Run-time VM RAM (page_alloc_alloc_low): 2 MiB-aligned blocks pack at the
 * bottom, a destroyed VM's block is the first reused (the same pages), the
 * next-fit hint of ordinary allocations is not moved, and a request larger
 * than any free run fails without changing anything.
 */
static void test_alloc_low_reuse(void **state)
{
	struct fixture f;
	struct page_alloc_stats before, after;
	const hpa_t base = 0x80000000;
	const size_t vm_pages = (2 * MIB) / PAGE_SIZE, align = (2 * MIB) / PAGE_SIZE;
	hpa_t a, b, c, small, again;

	(void)state;
	pa_setup(&f, base, 16 * MIB);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 16 * MIB), 0);
	/* An ordinary allocation moves the next-fit hint past page 0. */
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &small), 0);
	assert_int_equal(small, base);
	assert_int_equal(page_alloc_alloc_low(&f.pa, vm_pages, align, &a), 0);
	assert_int_equal(a, base + 2 * MIB); /* lowest 2 MiB-aligned run */
	assert_int_equal(page_alloc_alloc_low(&f.pa, vm_pages, align, &b), 0);
	assert_int_equal(b, base + 4 * MIB);
	assert_int_equal(page_alloc_alloc_low(&f.pa, 2 * vm_pages, align, &c), 0);
	assert_int_equal(c, base + 6 * MIB);
	/* Destroy the first VM: the next VM of its size gets exactly its pages. */
	assert_int_equal(page_alloc_free(&f.pa, a, vm_pages), 0);
	assert_int_equal(page_alloc_alloc_low(&f.pa, vm_pages, align, &again), 0);
	assert_int_equal(again, a);
	/* The next-fit hint still points after the first small page. */
	assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &small), 0);
	assert_int_equal(small, base + PAGE_SIZE);
	/* Too big for any free run (6 MiB free at the top, 8 asked): no change. */
	before = stats(&f.pa);
	assert_int_equal(page_alloc_alloc_low(&f.pa, 4 * vm_pages, align, &a), -FV_ENOMEM);
	after = stats(&f.pa);
	assert_int_equal(after.free_pages, before.free_pages);
	assert_int_equal(after.alloc_failures, before.alloc_failures + 1);
	/* Bad arguments. */
	assert_int_equal(page_alloc_alloc_low(&f.pa, 0, 1, &a), -FV_EINVAL);
	assert_int_equal(page_alloc_alloc_low(&f.pa, 1, 3, &a), -FV_EINVAL);
	assert_int_equal(page_alloc_alloc_low(&f.pa, 1, 1, NULL), -FV_EINVAL);
	pa_teardown(&f);
}

static void test_bad_frees(void **state)
{
	struct fixture f;
	struct page_alloc_stats before, after;
	const hpa_t base = 0x80000000;
	hpa_t a, b;

	(void)state;
	pa_setup(&f, base, 4 * MIB);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 4 * MIB), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, base, 64 * PAGE_SIZE), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, 8, 1, &a), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, 8, 1, &b), 0);
	assert_int_equal(page_alloc_free(&f.pa, a, 8), 0);
	before = stats(&f.pa);

	assert_int_equal(page_alloc_free(&f.pa, a, 8), -FV_ENOENT); /* double free */
	assert_int_equal(page_alloc_free(&f.pa, a + 4 * PAGE_SIZE, 8), -FV_ENOENT); /* half */
	assert_int_equal(page_alloc_free(&f.pa, b + 4 * PAGE_SIZE, 8), -FV_ENOENT); /* past b */
	assert_int_equal(page_alloc_free(&f.pa, base, 1), -FV_ENOENT);              /* reserved */
	assert_int_equal(page_alloc_free(&f.pa, b + 1, 1), -FV_EINVAL);
	assert_int_equal(page_alloc_free(&f.pa, b, 0), -FV_EINVAL);
	assert_int_equal(page_alloc_free(&f.pa, base - PAGE_SIZE, 1), -FV_ERANGE);
	assert_int_equal(page_alloc_free(&f.pa, base + 4 * MIB, 1), -FV_ERANGE);
	assert_int_equal(page_alloc_free(&f.pa, base + 4 * MIB - PAGE_SIZE, 2), -FV_ERANGE);
	assert_int_equal(page_alloc_free(&f.pa, b, SIZE_MAX), -FV_ERANGE);
	/* Reserving or declaring free over allocated pages is refused. */
	assert_int_equal(page_alloc_reserve(&f.pa, b + PAGE_SIZE, PAGE_SIZE), -FV_EBUSY);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 4 * MIB), -FV_EBUSY);

	after = stats(&f.pa);
	assert_memory_equal(&before, &after, sizeof(before));
	/* b is intact: it can be freed exactly once, in two pieces. */
	assert_int_equal(page_alloc_free(&f.pa, b, 3), 0);
	assert_int_equal(page_alloc_free(&f.pa, b + 3 * PAGE_SIZE, 5), 0);
	assert_int_equal(page_alloc_free(&f.pa, b, 1), -FV_ENOENT);
	after = stats(&f.pa);
	assert_int_equal(after.used_pages, 0);
	assert_int_equal(after.reserved_pages, 64);
	pa_teardown(&f);
}

static void test_large_span(void **state)
{
	struct fixture f;
	struct page_alloc_stats st;
	const hpa_t base = 0x80000000;
	hpa_t out;

	(void)state;
	pa_setup(&f, base, 8 * GIB);
	assert_int_equal(page_alloc_add_free(&f.pa, base, 8 * GIB), 0);
	assert_int_equal(page_alloc_reserve(&f.pa, base, 2 * MIB + 5 * PAGE_SIZE), 0);
	assert_int_equal(page_alloc_alloc(&f.pa, 262144, 262144, &out), 0); /* 1 GiB aligned */
	assert_true(IS_ALIGNED(out, GIB));
	assert_int_equal(out, 0xc0000000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(page_alloc_alloc(&f.pa, 1, 1, &out), 0);
	/* Next-fit: the singles follow the 1 GiB block, at 4 GiB. */
	assert_int_equal(out, 0x100000000ULL + 999 * PAGE_SIZE);
	/* The whole remaining tail of the span, [4 GiB + 1000 pages, 10 GiB), in one piece. */
	assert_int_equal(page_alloc_alloc(&f.pa, 6 * 262144 - 1000, 1, &out), 0);
	assert_int_equal(out, 0x100000000ULL + 1000 * PAGE_SIZE);
	st = stats(&f.pa);
	assert_int_equal(st.total_pages, 2097152);
	assert_int_equal(st.used_pages, 7 * 262144);
	assert_int_equal(st.reserved_pages, 517);
	/* Left: [2 GiB + 517 pages, 3 GiB). */
	assert_int_equal(st.largest_free_run, 262144 - 517);
	assert_int_equal(page_alloc_alloc(&f.pa, 262144 - 516, 1, &out), -FV_ENOMEM);
	assert_int_equal(page_alloc_alloc(&f.pa, 262144 - 517, 1, &out), 0);
	assert_int_equal(out, base + 517 * PAGE_SIZE);
	pa_teardown(&f);
}

/* ---- Randomised test against a shadow model ---- */

enum { S_FREE, S_USED, S_RSV };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

static bool shadow_has_run(const unsigned char *sh, uint64_t npages, uint64_t base_pfn, uint64_t n,
                           uint64_t align)
{
	for (uint64_t i = 0; i + n <= npages; i++) {
		uint64_t j;

		if ((base_pfn + i) % align)
			continue;
		for (j = 0; j < n && sh[i + j] == S_FREE; j++)
			;
		if (j == n)
			return true;
	}
	return false;
}

static void shadow_check(const struct page_alloc *pa, const unsigned char *sh, uint64_t npages)
{
	struct page_alloc_stats st = stats(pa);
	uint64_t cnt[3] = {0, 0, 0}, best = 0, run = 0;

	for (uint64_t i = 0; i < npages; i++) {
		cnt[sh[i]]++;
		run = sh[i] == S_FREE ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	assert_int_equal(st.free_pages, cnt[S_FREE]);
	assert_int_equal(st.used_pages, cnt[S_USED]);
	assert_int_equal(st.reserved_pages, cnt[S_RSV]);
	assert_int_equal(st.largest_free_run, best);
}

static void test_random_vs_shadow(void **state)
{
	/* Unaligned base (pfn 0x80003) and a partial last word. */
	const hpa_t base = 0x80003000;
	const uint64_t npages = 3000;
	struct fixture f;
	unsigned char *sh = calloc(npages, 1);
	/* Outcome counts: the run must exercise every branch, not just pass. */
	unsigned n_alloc_ok = 0, n_alloc_fail = 0, n_free_ok = 0, n_free_bad = 0;

	(void)state;
	assert_non_null(sh);
	pa_setup(&f, base, npages * PAGE_SIZE);
	memset(sh, S_RSV, npages);
	assert_int_equal(page_alloc_add_free(&f.pa, base, npages * PAGE_SIZE), 0);
	memset(sh, S_FREE, npages);
	/* A reserved hole in the middle. */
	assert_int_equal(page_alloc_reserve(&f.pa, base + 1000 * PAGE_SIZE, 77 * PAGE_SIZE), 0);
	memset(sh + 1000, S_RSV, 77);

	for (int iter = 0; iter < 20000; iter++) {
		uint64_t op = rnd_below(100);
		uint64_t i = rnd_below(npages);
		uint64_t n = 1 + rnd_below(rnd_below(4) == 0 ? 200 : 8);
		hpa_t out;
		int rc;

		if (n > npages - i)
			n = npages - i;
		if (op < 50) {
			uint64_t align = 1ULL << rnd_below(7);

			rc = page_alloc_alloc(&f.pa, n, align, &out);
			if (rc == 0) {
				uint64_t s = (out - base) / PAGE_SIZE;

				assert_true(IS_ALIGNED(out, align * PAGE_SIZE));
				assert_true(s + n <= npages);
				for (uint64_t k = 0; k < n; k++) {
					assert_int_equal(sh[s + k], S_FREE);
					sh[s + k] = S_USED;
				}
				n_alloc_ok++;
			} else {
				n_alloc_fail++;
				assert_int_equal(rc, -FV_ENOMEM);
				assert_false(
				    shadow_has_run(sh, npages, base / PAGE_SIZE, n, align));
			}
		} else if (op < 90) {
			/* Free a run; must succeed iff every page in it is used. */
			bool all_used = true;

			for (uint64_t k = 0; k < n; k++)
				all_used = all_used && sh[i + k] == S_USED;
			rc = page_alloc_free(&f.pa, base + i * PAGE_SIZE, n);
			assert_int_equal(rc, all_used ? 0 : -FV_ENOENT);
			if (all_used)
				memset(sh + i, S_FREE, n);
			*(all_used ? &n_free_ok : &n_free_bad) += 1;
		} else if (op < 95) {
			bool any_used = false;

			for (uint64_t k = 0; k < n; k++)
				any_used = any_used || sh[i + k] == S_USED;
			rc = page_alloc_reserve(&f.pa, base + i * PAGE_SIZE, n * PAGE_SIZE);
			assert_int_equal(rc, any_used ? -FV_EBUSY : 0);
			if (!any_used)
				memset(sh + i, S_RSV, n);
		} else {
			bool any_used = false;

			for (uint64_t k = 0; k < n; k++)
				any_used = any_used || sh[i + k] == S_USED;
			rc = page_alloc_add_free(&f.pa, base + i * PAGE_SIZE, n * PAGE_SIZE);
			assert_int_equal(rc, any_used ? -FV_EBUSY : 0);
			if (!any_used)
				memset(sh + i, S_FREE, n);
		}
		if (iter % 64 == 0)
			shadow_check(&f.pa, sh, npages);
	}
	shadow_check(&f.pa, sh, npages);
	assert_true(n_alloc_ok > 1000 && n_alloc_fail > 100);
	assert_true(n_free_ok > 1000 && n_free_bad > 1000);
	free(sh);
	pa_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bitmap_bytes),    cmocka_unit_test(test_init_errors),
	    cmocka_unit_test(test_starts_reserved), cmocka_unit_test(test_add_free_and_reserve),
	    cmocka_unit_test(test_alloc_alignment), cmocka_unit_test(test_exhaustion),
	    cmocka_unit_test(test_fragmentation),   cmocka_unit_test(test_bad_frees),
	    cmocka_unit_test(test_large_span),      cmocka_unit_test(test_random_vs_shadow),
	    cmocka_unit_test(test_alloc_low_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
