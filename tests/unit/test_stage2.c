/* SPDX-License-Identifier: MIT */
/* Unit tests for hyp/arch/riscv/stage2_pt.c (G-stage page tables). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/stage2_pt.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define RWX (STAGE2_R | STAGE2_W | STAGE2_X)

/*
 * Fake table provider. "Physical" addresses are host pointers plus an
 * offset, so using one as a pointer without phys_to_virt crashes. Pages are
 * handed out dirty to prove stage2_pt clears them. Every allocation is
 * recorded so leaks and wrong free sizes are caught.
 */
#define FAKE_OFFSET (1ULL << 52)

struct rec {
	void *va;
	size_t size;
	bool live;
};

struct fake {
	struct rec *recs;
	size_t nrec, cap;
	size_t live_bytes;
	long fail_after; /* < 0: never fail; else allocations left before failing */
	bool misalign_root;
};

static void *fake_va(hpa_t pa)
{
	return (void *)(uintptr_t)(pa - FAKE_OFFSET);
}

static int fake_alloc(struct fake *f, size_t size, hpa_t *out)
{
	void *va;

	if (f->fail_after == 0)
		return -1;
	if (f->fail_after > 0)
		f->fail_after--;
	va = aligned_alloc(size, size);
	assert_non_null(va);
	memset(va, 0xa5, size);
	if (f->nrec == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->recs = realloc(f->recs, f->cap * sizeof(*f->recs));
		assert_non_null(f->recs);
	}
	f->recs[f->nrec++] = (struct rec){va, size, true};
	f->live_bytes += size;
	*out = (uintptr_t)va + FAKE_OFFSET;
	return 0;
}

static int fake_alloc_table(void *ctx, hpa_t *out)
{
	return fake_alloc(ctx, PAGE_SIZE, out);
}

static int fake_alloc_root(void *ctx, hpa_t *out)
{
	struct fake *f = ctx;
	int rc = fake_alloc(f, STAGE2_ROOT_SIZE, out);

	if (rc == 0 && f->misalign_root) {
		/* Report a misaligned address; free_table must get it back as is. */
		f->recs[f->nrec - 1].va = (char *)f->recs[f->nrec - 1].va + PAGE_SIZE;
		*out += PAGE_SIZE;
	}
	return rc;
}

static void fake_free_table(void *ctx, hpa_t pa, size_t size)
{
	struct fake *f = ctx;
	void *va = fake_va(pa);

	for (size_t i = f->nrec; i-- > 0;) {
		struct rec *r = &f->recs[i];

		if (r->va == va && r->live) {
			assert_int_equal(r->size, size);
			r->live = false;
			f->live_bytes -= size;
			free(f->misalign_root && size == STAGE2_ROOT_SIZE ? (char *)va - PAGE_SIZE
			                                                  : va);
			return;
		}
	}
	fail_msg("free_table of unknown or already freed %#llx", (unsigned long long)pa);
}

static void *fake_phys_to_virt(void *ctx, hpa_t pa)
{
	(void)ctx;
	assert_true(pa >= FAKE_OFFSET);
	return fake_va(pa);
}

static const struct stage2_pt_ops fake_ops = {
    .alloc_table = fake_alloc_table,
    .alloc_root = fake_alloc_root,
    .free_table = fake_free_table,
    .phys_to_virt = fake_phys_to_virt,
};

/* Let n more table allocations succeed, then fail them all; n < 0: never fail. */
static void fake_fail_after(struct fake *f, long n)
{
	f->fail_after = n;
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->fail_after = -1;
}

static void fake_fini(struct fake *f)
{
	assert_int_equal(f->live_bytes, 0);
	free(f->recs);
}

static void pt_setup(struct stage2_pt *pt, struct fake *f, enum stage2_mode mode)
{
	fake_init(f);
	assert_int_equal(stage2_pt_init(pt, mode, &fake_ops, f), 0);
}

static void pt_teardown(struct stage2_pt *pt, struct fake *f)
{
	stage2_pt_destroy(pt);
	fake_fini(f);
}

/* Table pages held according to the fake (4 for the root). */
static uint64_t fake_pages(const struct fake *f)
{
	return f->live_bytes / PAGE_SIZE;
}

/*
 * Independent walk of the raw tables: returns the leaf PTE for gpa (0 if
 * none) and its level, checking every non-leaf entry on the way.
 */
static uint64_t raw_leaf(const struct stage2_pt *pt, gpa_t gpa, unsigned *level)
{
	unsigned top = pt->mode == STAGE2_SV48X4 ? 3 : 2;
	const uint64_t *t = fake_va(pt->root);

	for (unsigned l = top;; l--) {
		uint64_t idx = (gpa >> (12 + 9 * l)) & (l == top ? 2047 : 511);
		uint64_t pte = t[idx];

		if (!(pte & STAGE2_PTE_V))
			return 0;
		if (pte & (STAGE2_PTE_R | STAGE2_PTE_W | STAGE2_PTE_X)) {
			*level = l;
			return pte;
		}
		/* Pointer entries: V and PPN only (U/A/D/G reserved or unused). */
		assert_int_equal(pte & ~STAGE2_PTE_PPN_MASK, STAGE2_PTE_V);
		assert_true(l > 0);
		t = fake_va(((pte & STAGE2_PTE_PPN_MASK) >> 10) << 12);
	}
}

static void expect_map(const struct stage2_pt *pt, gpa_t gpa, hpa_t hpa, unsigned perms)
{
	hpa_t got = 0;
	unsigned gp = 0;

	assert_int_equal(stage2_pt_translate(pt, gpa, &got, &gp), 0);
	assert_int_equal(got, hpa);
	assert_int_equal(gp, perms);
}

static void expect_unmapped(const struct stage2_pt *pt, gpa_t gpa)
{
	hpa_t got;

	assert_int_equal(stage2_pt_translate(pt, gpa, &got, NULL), -FV_ENOENT);
}

static void expect_leaf(const struct stage2_pt *pt, gpa_t gpa, unsigned level)
{
	unsigned l = 99;

	assert_int_not_equal(raw_leaf(pt, gpa, &l), 0);
	assert_int_equal(l, level);
}

/* ---- Tests ---- */

static void test_init(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	struct stage2_pt_ops bad = fake_ops;
	const uint64_t *root;

	(void)state;
	fake_init(&f);
	bad.phys_to_virt = NULL;
	assert_int_equal(stage2_pt_init(&pt, STAGE2_SV39X4, &bad, &f), -FV_EINVAL);
	assert_int_equal(stage2_pt_init(&pt, (enum stage2_mode)7, &fake_ops, &f), -FV_EINVAL);
	assert_int_equal(stage2_pt_init(&pt, STAGE2_SV39X4, NULL, &f), -FV_EINVAL);
	fake_fail_after(&f, 0);
	assert_int_equal(stage2_pt_init(&pt, STAGE2_SV39X4, &fake_ops, &f), -FV_ENOMEM);
	fake_fail_after(&f, -1);
	f.misalign_root = true;
	assert_int_equal(stage2_pt_init(&pt, STAGE2_SV39X4, &fake_ops, &f), -FV_EINVAL);
	assert_int_equal(f.live_bytes, 0);
	f.misalign_root = false;

	assert_int_equal(stage2_pt_init(&pt, STAGE2_SV48X4, &fake_ops, &f), 0);
	assert_true(IS_ALIGNED(pt.root, STAGE2_ROOT_ALIGN));
	assert_int_equal(pt.table_pages, 4);
	assert_int_equal(stage2_pt_gpa_limit(&pt), 1ULL << 50);
	/* The fake hands out dirty memory: the root must have been cleared. */
	root = fake_va(pt.root);
	for (int i = 0; i < 2048; i++)
		assert_int_equal(root[i], 0);
	expect_unmapped(&pt, 0);
	pt_teardown(&pt, &f);
	/* Destroying twice, or a zeroed struct, is harmless. */
	stage2_pt_destroy(&pt);
	memset(&pt, 0, sizeof(pt));
	stage2_pt_destroy(&pt);
}

static void test_hgatp(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	uint64_t v;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	v = stage2_pt_hgatp(&pt, 5);
	assert_int_equal(v >> 60, 8);
	assert_int_equal((v >> 44) & 0x3fff, 5);
	assert_int_equal(v & ((1ULL << 44) - 1), pt.root >> 12);
	assert_int_equal((v >> 58) & 3, 0); /* bits 59:58 are zero */
	/* VMID above 14 bits is dropped, never spills into MODE. */
	v = stage2_pt_hgatp(&pt, 0xffff);
	assert_int_equal(v >> 60, 8);
	assert_int_equal((v >> 44) & 0x3fff, 0x3fff);
	assert_int_equal((v >> 58) & 3, 0);
	pt_teardown(&pt, &f);

	pt_setup(&pt, &f, STAGE2_SV48X4);
	v = stage2_pt_hgatp(&pt, 0);
	assert_int_equal(v, (9ULL << 60) | (pt.root >> 12));
	pt_teardown(&pt, &f);
}

static void test_map_mixture(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	const gpa_t g = 0x80000000;
	const hpa_t h = 0x1c0000000ULL; /* 1 GiB aligned */
	const uint64_t size = GIB + 2 * MIB + 3 * PAGE_SIZE;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_map(&pt, g, h, size, RWX), 0);
	/* One 1 GiB leaf in the root, one 2 MiB leaf (+1 table), three 4 KiB (+1 table). */
	expect_leaf(&pt, g, 2);
	expect_leaf(&pt, g + GIB, 1);
	expect_leaf(&pt, g + GIB + 2 * MIB, 0);
	expect_leaf(&pt, g + GIB + 2 * MIB + 2 * PAGE_SIZE, 0);
	assert_int_equal(pt.table_pages, 4 + 2);
	assert_int_equal(fake_pages(&f), pt.table_pages);
	assert_int_equal(pt.mapped_bytes, size);

	expect_map(&pt, g, h, RWX);
	expect_map(&pt, g + 0x12345, h + 0x12345, RWX);
	expect_map(&pt, g + GIB - 1, h + GIB - 1, RWX);
	expect_map(&pt, g + GIB + 0x1fffff, h + GIB + 0x1fffff, RWX);
	expect_map(&pt, g + size - 1, h + size - 1, RWX);
	expect_unmapped(&pt, g + size);
	expect_unmapped(&pt, g - 1);

	/* GPA and HPA aligned differently: only 4 KiB leaves are possible. */
	assert_int_equal(stage2_pt_map(&pt, 0x200000000ULL, 0x300001000ULL, 2 * MIB, STAGE2_R), 0);
	expect_leaf(&pt, 0x200000000ULL, 0);
	expect_leaf(&pt, 0x2001ff000ULL, 0);
	expect_map(&pt, 0x2001ff800ULL, 0x300200800ULL, STAGE2_R);
	assert_int_equal(pt.table_pages, 4 + 2 + 2);

	/* Large, unaligned start: 4K up to the 2M boundary, 2M up to 1G, then 1G. */
	assert_int_equal(stage2_pt_map(&pt, 0x3ffe00000ULL - PAGE_SIZE, 0x7ffe00000ULL - PAGE_SIZE,
	                               PAGE_SIZE + 2 * MIB + GIB, STAGE2_R | STAGE2_X),
	                 0);
	expect_leaf(&pt, 0x3ffe00000ULL - PAGE_SIZE, 0);
	expect_leaf(&pt, 0x3ffe00000ULL, 1);
	expect_leaf(&pt, 0x400000000ULL, 2);
	expect_map(&pt, 0x400000000ULL + 5, 0x800000005ULL, STAGE2_R | STAGE2_X);
	assert_int_equal(fake_pages(&f), pt.table_pages);
	pt_teardown(&pt, &f);
}

static void test_pte_bits(void **state)
{
	static const unsigned valid[] = {STAGE2_R, STAGE2_R | STAGE2_W, STAGE2_X,
	                                 STAGE2_R | STAGE2_X, RWX};
	struct stage2_pt pt;
	struct fake f;
	unsigned l;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV48X4);
	for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
		gpa_t g = i * 2 * MIB;
		uint64_t pte;

		assert_int_equal(stage2_pt_map(&pt, g, 0x90000000 + g, PAGE_SIZE, valid[i]), 0);
		pte = raw_leaf(&pt, g, &l);
		assert_int_equal(l, 0);
		assert_true(pte & STAGE2_PTE_V);
		assert_true(pte & STAGE2_PTE_U);
		assert_true(pte & STAGE2_PTE_A);
		assert_true(pte & STAGE2_PTE_D);
		assert_false(pte & STAGE2_PTE_G);
		assert_int_equal((pte >> 1) & 7, valid[i]);
		assert_int_equal(((pte & STAGE2_PTE_PPN_MASK) >> 10) << 12, 0x90000000 + g);
		/* Reserved bits 63:54 (N, PBMT, reserved) clear; no W without R. */
		assert_int_equal(pte >> 54, 0);
		assert_false((pte & STAGE2_PTE_W) && !(pte & STAGE2_PTE_R));
	}
	/* Invalid permissions: none, W alone, W+X, unknown bits. */
	assert_int_equal(stage2_pt_map(&pt, GIB, GIB, PAGE_SIZE, 0), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, GIB, GIB, PAGE_SIZE, STAGE2_W), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, GIB, GIB, PAGE_SIZE, STAGE2_W | STAGE2_X), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, GIB, GIB, PAGE_SIZE, RWX | 8), -FV_EINVAL);
	pt_teardown(&pt, &f);
}

static void test_args_and_limits(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	const gpa_t l39 = 1ULL << 41, l48 = 1ULL << 50;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_gpa_limit(&pt), l39);
	assert_int_equal(stage2_pt_map(&pt, 0x1000, 0x2000, 0, RWX), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, 0x1800, 0x2000, PAGE_SIZE, RWX), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, 0x1000, 0x2800, PAGE_SIZE, RWX), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, 0x1000, 0x2000, 0x800, RWX), -FV_EINVAL);
	assert_int_equal(stage2_pt_map(&pt, l39, 0, PAGE_SIZE, RWX), -FV_ERANGE);
	assert_int_equal(stage2_pt_map(&pt, l39 - PAGE_SIZE, 0, 2 * PAGE_SIZE, RWX), -FV_ERANGE);
	assert_int_equal(stage2_pt_map(&pt, PAGE_SIZE, 0, UINT64_MAX - 4095, RWX), -FV_ERANGE);
	/* HPA beyond the 44-bit PPN. */
	assert_int_equal(stage2_pt_map(&pt, 0, 1ULL << 56, PAGE_SIZE, RWX), -FV_ERANGE);
	assert_int_equal(stage2_pt_map(&pt, 0, (1ULL << 56) - PAGE_SIZE, 2 * PAGE_SIZE, RWX),
	                 -FV_ERANGE);
	assert_int_equal(pt.table_pages, 4);

	/* The very last page and the top root slot (GPA bit 40 set) work. */
	assert_int_equal(stage2_pt_map(&pt, l39 - PAGE_SIZE, 0xabcde000, PAGE_SIZE, RWX), 0);
	expect_map(&pt, l39 - 1, 0xabcdefff, RWX);
	assert_int_equal(stage2_pt_map(&pt, 1ULL << 40, (1ULL << 56) - GIB, GIB, STAGE2_R), 0);
	expect_leaf(&pt, 1ULL << 40, 2);
	expect_map(&pt, (1ULL << 40) + 7, (1ULL << 56) - GIB + 7, STAGE2_R);
	assert_int_equal(((uint64_t *)fake_va(pt.root))[1024] & STAGE2_PTE_V, STAGE2_PTE_V);
	expect_unmapped(&pt, 0); /* index 1024 must not alias index 0 */
	assert_int_equal(stage2_pt_translate(&pt, l39, NULL, NULL), -FV_ERANGE);
	assert_int_equal(stage2_pt_unmap(&pt, l39, PAGE_SIZE), -FV_ERANGE);
	assert_int_equal(stage2_pt_set_perms(&pt, l39, PAGE_SIZE, RWX), -FV_ERANGE);
	pt_teardown(&pt, &f);

	pt_setup(&pt, &f, STAGE2_SV48X4);
	assert_int_equal(stage2_pt_map(&pt, l39, 0x80000000, 2 * MIB, RWX), 0);
	expect_map(&pt, l39 + 0x1234, 0x80001234, RWX);
	assert_int_equal(stage2_pt_map(&pt, l48 - 2 * MIB, 0x80000000, 2 * MIB, RWX), 0);
	expect_leaf(&pt, l48 - 2 * MIB, 1);
	expect_map(&pt, l48 - 1, 0x801fffff, RWX);
	assert_int_equal(stage2_pt_map(&pt, l48, 0, PAGE_SIZE, RWX), -FV_ERANGE);
	assert_int_equal(stage2_pt_translate(&pt, l48, NULL, NULL), -FV_ERANGE);
	/* Sv48x4 top slot: GPA bit 49 selects root index 1024. */
	assert_int_equal(stage2_pt_map(&pt, 1ULL << 49, 0x40000000, GIB, RWX), 0);
	expect_leaf(&pt, 1ULL << 49, 2);
	expect_unmapped(&pt, 0);
	pt_teardown(&pt, &f);
}

static void test_overlap_refused(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	const gpa_t g = 0x40000000;
	uint64_t pages;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_map(&pt, g, 0x80000000, 2 * MIB, RWX), 0);
	assert_int_equal(stage2_pt_map(&pt, g + 4 * MIB, 0x90000000, PAGE_SIZE, STAGE2_R), 0);
	pages = pt.table_pages;

	assert_int_equal(stage2_pt_map(&pt, g, 0xa0000000, PAGE_SIZE, RWX), -FV_EEXIST);
	assert_int_equal(stage2_pt_map(&pt, g + MIB, 0xa0000000, 2 * MIB, RWX), -FV_EEXIST);
	assert_int_equal(stage2_pt_map(&pt, g - MIB, 0xa0000000, 2 * MIB, RWX), -FV_EEXIST);
	assert_int_equal(stage2_pt_map(&pt, 0, 0, GIB + GIB, RWX), -FV_EEXIST);
	/* Straddling the 4K page: the first 4 MiB would be free, the tail is not. */
	assert_int_equal(stage2_pt_map(&pt, g + 2 * MIB, 0xa0000000, 4 * MIB, RWX), -FV_EEXIST);
	assert_int_equal(pt.table_pages, pages);
	assert_int_equal(fake_pages(&f), pages);
	assert_int_equal(pt.mapped_bytes, 2 * MIB + PAGE_SIZE);
	expect_unmapped(&pt, g + 2 * MIB);
	expect_map(&pt, g + MIB, 0x80000000 + MIB, RWX);
	expect_map(&pt, g + 4 * MIB, 0x90000000, STAGE2_R);
	/* Right next to it is fine. */
	assert_int_equal(stage2_pt_map(&pt, g + 4 * MIB + PAGE_SIZE, 0xa0000000, PAGE_SIZE, RWX),
	                 0);
	pt_teardown(&pt, &f);
}

static void test_rollback_on_alloc_failure(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	/*
	 * An existing 4K mapping shares the level-1 table with the new range,
	 * which needs three tables of its own: a level-0 table for the 4K head,
	 * then (past the 1 GiB boundary) a level-1 table and a level-0 table for
	 * the 4K tail. 2M leaves in between.
	 */
	const gpa_t g = GIB - 8 * MIB + PAGE_SIZE;
	const uint64_t size = 12 * MIB - 2 * PAGE_SIZE;
	uint64_t before_pages, needed;
	size_t before_bytes;
	int fails = 0;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_map(&pt, GIB - 10 * MIB, 0x50000000, PAGE_SIZE, STAGE2_R), 0);
	before_pages = pt.table_pages;
	before_bytes = f.live_bytes;

	/* How many tables does the map need? */
	assert_int_equal(stage2_pt_map(&pt, g, 0x60000000 + PAGE_SIZE, size, RWX), 0);
	needed = pt.table_pages - before_pages;
	assert_int_equal(needed, 3);
	expect_leaf(&pt, GIB - 6 * MIB, 1);
	expect_leaf(&pt, GIB, 1);
	assert_int_equal(stage2_pt_unmap(&pt, g, size), 0);
	assert_int_equal(pt.table_pages, before_pages);

	for (long n = 0; n < (long)needed; n++) {
		fake_fail_after(&f, n);
		assert_int_equal(stage2_pt_map(&pt, g, 0x60000000 + PAGE_SIZE, size, RWX),
		                 -FV_ENOMEM);
		fake_fail_after(&f, -1);
		fails++;
		assert_int_equal(pt.table_pages, before_pages);
		assert_int_equal(f.live_bytes, before_bytes);
		assert_int_equal(pt.mapped_bytes, PAGE_SIZE);
		for (gpa_t a = g; a < g + size; a += PAGE_SIZE)
			expect_unmapped(&pt, a);
		expect_map(&pt, GIB - 10 * MIB, 0x50000000, STAGE2_R);
	}
	assert_int_equal(fails, needed);
	fake_fail_after(&f, (long)needed);
	assert_int_equal(stage2_pt_map(&pt, g, 0x60000000 + PAGE_SIZE, size, RWX), 0);
	expect_map(&pt, g + size - 1, 0x60000000 + PAGE_SIZE + size - 1, RWX);
	pt_teardown(&pt, &f);
}

static void test_unmap_split(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	const gpa_t g = 2 * GIB;
	const hpa_t h = 5 * GIB;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_map(&pt, g, h, GIB, RWX), 0);
	assert_int_equal(pt.table_pages, 4);

	/* Punch one 4K page out of the middle of the 1G leaf. */
	assert_int_equal(stage2_pt_unmap(&pt, g + 300 * MIB + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 4 + 2);
	assert_int_equal(pt.mapped_bytes, GIB - PAGE_SIZE);
	expect_unmapped(&pt, g + 300 * MIB + 5 * PAGE_SIZE);
	expect_map(&pt, g + 300 * MIB + 4 * PAGE_SIZE, h + 300 * MIB + 4 * PAGE_SIZE, RWX);
	expect_map(&pt, g + 300 * MIB + 6 * PAGE_SIZE, h + 300 * MIB + 6 * PAGE_SIZE, RWX);
	expect_leaf(&pt, g, 1);
	expect_leaf(&pt, g + 300 * MIB, 0);
	expect_leaf(&pt, g + GIB - 2 * MIB, 1);
	for (gpa_t a = g; a < g + GIB; a += 2 * MIB + PAGE_SIZE)
		if (a != g + 300 * MIB + 5 * PAGE_SIZE)
			expect_map(&pt, a, h + (a - g), RWX);

	/* Unmapping holes is fine, and idempotent. */
	assert_int_equal(stage2_pt_unmap(&pt, g + 300 * MIB + 5 * PAGE_SIZE, PAGE_SIZE), 0);
	assert_int_equal(stage2_pt_unmap(&pt, 0, GIB), 0);

	/* A split that cannot get a table fails without unmapping anything. */
	assert_int_equal(stage2_pt_map(&pt, 0, 7 * GIB, GIB, STAGE2_R), 0);
	fake_fail_after(&f, 0);
	assert_int_equal(stage2_pt_unmap(&pt, 4 * MIB, PAGE_SIZE), -FV_ENOMEM);
	fake_fail_after(&f, 1); /* 1G -> 2M succeeds, 2M -> 4K fails */
	assert_int_equal(stage2_pt_unmap(&pt, 4 * MIB, PAGE_SIZE), -FV_ENOMEM);
	fake_fail_after(&f, -1);
	expect_map(&pt, 4 * MIB, 7 * GIB + 4 * MIB, STAGE2_R);
	assert_int_equal(pt.mapped_bytes, 2 * GIB - PAGE_SIZE);
	assert_int_equal(stage2_pt_unmap(&pt, 0, GIB), 0);

	/* Unmap across the punched range: all tables go, back to a bare root. */
	assert_int_equal(stage2_pt_unmap(&pt, g + 100 * MIB, 300 * MIB), 0);
	expect_unmapped(&pt, g + 300 * MIB + 4 * PAGE_SIZE);
	expect_map(&pt, g + 400 * MIB, h + 400 * MIB, RWX);
	assert_int_equal(stage2_pt_unmap(&pt, g, GIB), 0);
	assert_int_equal(pt.table_pages, 4);
	assert_int_equal(fake_pages(&f), 4);
	assert_int_equal(pt.mapped_bytes, 0);

	/* The range can be mapped again with a 1G leaf. */
	assert_int_equal(stage2_pt_map(&pt, g, h, GIB, RWX), 0);
	expect_leaf(&pt, g, 2);
	pt_teardown(&pt, &f);
}

static void test_set_perms(void **state)
{
	struct stage2_pt pt;
	struct fake f;
	const gpa_t g = 0x80000000;
	const hpa_t h = 0x100000000ULL;
	uint64_t pte;
	unsigned l;

	(void)state;
	pt_setup(&pt, &f, STAGE2_SV39X4);
	assert_int_equal(stage2_pt_map(&pt, g, h, 4 * MIB, RWX), 0);
	assert_int_equal(stage2_pt_map(&pt, g + 8 * MIB, h + 8 * MIB, 4 * MIB, RWX), 0);

	/* Write-protect a 4K page in the first 2M leaf: it is split. */
	assert_int_equal(
	    stage2_pt_set_perms(&pt, g + 3 * PAGE_SIZE, PAGE_SIZE, STAGE2_R | STAGE2_X), 0);
	expect_map(&pt, g + 3 * PAGE_SIZE, h + 3 * PAGE_SIZE, STAGE2_R | STAGE2_X);
	expect_map(&pt, g + 2 * PAGE_SIZE, h + 2 * PAGE_SIZE, RWX);
	expect_map(&pt, g + 4 * PAGE_SIZE, h + 4 * PAGE_SIZE, RWX);
	expect_leaf(&pt, g + 3 * PAGE_SIZE, 0);
	expect_leaf(&pt, g + 2 * MIB, 1);
	pte = raw_leaf(&pt, g + 3 * PAGE_SIZE, &l);
	assert_true((pte & (STAGE2_PTE_V | STAGE2_PTE_U | STAGE2_PTE_A | STAGE2_PTE_D)) ==
	            (STAGE2_PTE_V | STAGE2_PTE_U | STAGE2_PTE_A | STAGE2_PTE_D));
	assert_int_equal(pt.mapped_bytes, 8 * MIB);

	/* Holes: refused, nothing changed. */
	assert_int_equal(stage2_pt_set_perms(&pt, g, 12 * MIB, STAGE2_R), -FV_ENOENT);
	assert_int_equal(stage2_pt_set_perms(&pt, g + 5 * MIB, PAGE_SIZE, STAGE2_R), -FV_ENOENT);
	expect_map(&pt, g, h, RWX);
	expect_map(&pt, g + 8 * MIB, h + 8 * MIB, RWX);
	assert_int_equal(stage2_pt_set_perms(&pt, g, PAGE_SIZE, STAGE2_W), -FV_EINVAL);
	assert_int_equal(stage2_pt_set_perms(&pt, g, PAGE_SIZE, 0), -FV_EINVAL);

	/* Whole-range write protection (dirty logging start). */
	assert_int_equal(stage2_pt_set_perms(&pt, g, 4 * MIB, STAGE2_R), 0);
	for (gpa_t a = g; a < g + 4 * MIB; a += PAGE_SIZE)
		expect_map(&pt, a, h + (a - g), STAGE2_R);
	/* Split failure leaves permissions untouched. */
	fake_fail_after(&f, 0);
	assert_int_equal(stage2_pt_set_perms(&pt, g + 9 * MIB, PAGE_SIZE, STAGE2_R), -FV_ENOMEM);
	fake_fail_after(&f, -1);
	expect_map(&pt, g + 9 * MIB, h + 9 * MIB, RWX);
	expect_leaf(&pt, g + 8 * MIB, 1);
	assert_int_equal(stage2_pt_set_perms(&pt, g + 8 * MIB, 4 * MIB, STAGE2_X), 0);
	expect_leaf(&pt, g + 8 * MIB, 1); /* aligned: no split */
	expect_map(&pt, g + 10 * MIB + 77, h + 10 * MIB + 77, STAGE2_X);
	pt_teardown(&pt, &f);
}

static void test_destroy_frees_all(void **state)
{
	struct stage2_pt pt;
	struct fake f;

	(void)state;
	for (int mode = STAGE2_SV39X4; mode <= STAGE2_SV48X4; mode++) {
		pt_setup(&pt, &f, (enum stage2_mode)mode);
		assert_int_equal(stage2_pt_map(&pt, 0, 0x80000000, 3 * GIB + 5 * PAGE_SIZE, RWX),
		                 0);
		assert_int_equal(stage2_pt_map(&pt, 100 * GIB, 0x80000000, 6 * MIB, STAGE2_R), 0);
		assert_int_equal(stage2_pt_unmap(&pt, GIB + 7 * PAGE_SIZE, 3 * MIB), 0);
		assert_int_equal(stage2_pt_set_perms(&pt, 100 * GIB + MIB, MIB, STAGE2_X), 0);
		assert_true(f.nrec >= 8);
		assert_int_equal(fake_pages(&f), pt.table_pages);
		stage2_pt_destroy(&pt);
		assert_int_equal(pt.table_pages, 0);
		for (size_t i = 0; i < f.nrec; i++)
			assert_false(f.recs[i].live);
		fake_fini(&f);
	}
}

/* ---- Randomised test against a per-page shadow ---- */

#define WIN_PAGES 16384 /* 64 MiB of GPA */

struct shadow_page {
	hpa_t hpa; /* 0: unmapped */
	unsigned perms;
};

static uint64_t rng_state = 0xd1b54a32d192ed03ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void shadow_verify(const struct stage2_pt *pt, const struct shadow_page *sh, gpa_t base)
{
	uint64_t mapped = 0;

	for (size_t i = 0; i < WIN_PAGES; i++) {
		gpa_t g = base + i * PAGE_SIZE;

		if (sh[i].hpa) {
			expect_map(pt, g + (i & 0xfff), sh[i].hpa + (i & 0xfff), sh[i].perms);
			mapped += PAGE_SIZE;
		} else {
			expect_unmapped(pt, g);
		}
	}
	assert_int_equal(pt->mapped_bytes, mapped);
}

static void test_random_vs_shadow(void **state)
{
	static const unsigned perm_set[] = {STAGE2_R, STAGE2_R | STAGE2_W, STAGE2_X, RWX};
	const gpa_t base = 3 * GIB - 32 * MIB; /* the window straddles a 1G boundary */
	struct shadow_page *sh = calloc(WIN_PAGES, sizeof(*sh));
	struct stage2_pt pt;
	struct fake f;
	unsigned counts[3][2] = {{0}};

	(void)state;
	assert_non_null(sh);
	pt_setup(&pt, &f, STAGE2_SV39X4);
	for (int iter = 0; iter < 5000; iter++) {
		unsigned op = (unsigned)(rnd() % 3);
		bool big = rnd() % 2;
		uint64_t unit = big ? 512 : 1;
		size_t first = (size_t)(rnd() % (WIN_PAGES / unit)) * unit;
		size_t n = (size_t)(1 + rnd() % (big ? 4 : 600)) * unit;
		unsigned perms = perm_set[rnd() % 4];
		gpa_t g;
		int rc;

		if (!big && rnd() % 2)
			first += 1; /* unaligned start, forces splits */
		if (first >= WIN_PAGES)
			first = WIN_PAGES - 1;
		if (n > WIN_PAGES - first)
			n = WIN_PAGES - first;
		g = base + first * PAGE_SIZE;
		/*
		 * Sometimes starve the table allocator. Unmap allocates only to
		 * split a 2M leaf at an end, which is rare, so starve it harder.
		 */
		if (op == 1)
			fake_fail_after(&f, rnd() % 2 ? 0 : -1);
		else
			fake_fail_after(&f, rnd() % 8 == 0 ? (long)(rnd() % 3) : -1);

		if (op == 0) {
			/* hpa congruent with gpa mod 2M so large leaves get used. */
			hpa_t h = 0x4000000000ULL + (rnd() % 64) * 2 * MIB + (g & (2 * MIB - 1));
			bool free_range = true;

			for (size_t i = first; i < first + n; i++)
				free_range = free_range && !sh[i].hpa;
			rc = stage2_pt_map(&pt, g, h, n * PAGE_SIZE, perms);
			if (!free_range) {
				assert_int_equal(rc, -FV_EEXIST);
			} else if (rc == 0) {
				for (size_t i = 0; i < n; i++)
					sh[first + i] =
					    (struct shadow_page){h + i * PAGE_SIZE, perms};
			} else {
				assert_int_equal(rc, -FV_ENOMEM);
			}
		} else if (op == 1) {
			rc = stage2_pt_unmap(&pt, g, n * PAGE_SIZE);
			if (rc == 0)
				memset(sh + first, 0, n * sizeof(*sh));
			else
				assert_int_equal(rc, -FV_ENOMEM);
		} else {
			bool full = true;

			for (size_t i = first; i < first + n; i++)
				full = full && sh[i].hpa;
			rc = stage2_pt_set_perms(&pt, g, n * PAGE_SIZE, perms);
			if (!full) {
				assert_int_equal(rc, -FV_ENOENT);
			} else if (rc == 0) {
				for (size_t i = first; i < first + n; i++)
					sh[i].perms = perms;
			} else {
				assert_int_equal(rc, -FV_ENOMEM);
			}
		}
		counts[op][rc == 0]++;
		fake_fail_after(&f, -1);
		assert_int_equal(fake_pages(&f), pt.table_pages);
		if (iter % 50 == 0)
			shadow_verify(&pt, sh, base);
	}
	shadow_verify(&pt, sh, base);
	print_message("random: map %u/%u unmap %u/%u set_perms %u/%u (ok/failed)\n", counts[0][1],
	              counts[0][0], counts[1][1], counts[1][0], counts[2][1], counts[2][0]);
	for (int op = 0; op < 3; op++)
		assert_true(counts[op][1] > 50 && counts[op][0] > (op == 1 ? 20U : 50U));
	assert_int_equal(stage2_pt_unmap(&pt, base, WIN_PAGES * PAGE_SIZE), 0);
	assert_int_equal(pt.table_pages, 4); /* no empty tables left behind */
	free(sh);
	pt_teardown(&pt, &f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_hgatp),
	    cmocka_unit_test(test_map_mixture),
	    cmocka_unit_test(test_pte_bits),
	    cmocka_unit_test(test_args_and_limits),
	    cmocka_unit_test(test_overlap_refused),
	    cmocka_unit_test(test_rollback_on_alloc_failure),
	    cmocka_unit_test(test_unmap_split),
	    cmocka_unit_test(test_set_perms),
	    cmocka_unit_test(test_destroy_frees_all),
	    cmocka_unit_test(test_random_vs_shadow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
