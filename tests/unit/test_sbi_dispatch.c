/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/sbi/dispatch.c: SBI extension lookup
 * and dispatch, hart-mask decoding, range checks and the boot-time table
 * overlap check (RISC-V SBI spec v2.0 §3 binary encoding, §3.1 hart mask).
 *
 * These tests use their own tables; the real guest table (sbi_table.c) is
 * linked and checked by test_sbi_table.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "arch/riscv/sbi/sbi_ext.h"

/* Only the address matters: dispatch never dereferences the vCPU. */
#define VCPU ((struct vcpu *)(uintptr_t)0x5678)

/* What the fake handlers saw. */
static struct {
	int calls;
	const char *who;
	struct vcpu *v;
	unsigned long fid;
	const unsigned long *args;
} seen;

static void h_echo(struct vcpu *v, unsigned long fid, const unsigned long *a, struct sbi_result *r)
{
	seen.calls++;
	seen.who = "echo";
	seen.v = v;
	seen.fid = fid;
	seen.args = a;
	r->value = (long)(a[0] + a[5] + fid);
}

static void h_fail(struct vcpu *v, unsigned long fid, const unsigned long *a, struct sbi_result *r)
{
	(void)v;
	(void)a;
	seen.calls++;
	seen.who = "fail";
	seen.fid = fid;
	r->error = SBI_ERR_DENIED;
	r->value = -7;
}

static void h_stop(struct vcpu *v, unsigned long fid, const unsigned long *a, struct sbi_result *r)
{
	(void)v;
	(void)fid;
	(void)a;
	seen.calls++;
	seen.who = "stop";
	r->no_return = true;
}

static void h_nop(struct vcpu *v, unsigned long fid, const unsigned long *a, struct sbi_result *r)
{
	(void)v;
	(void)fid;
	(void)a;
	(void)r;
	seen.calls++;
	seen.who = "nop";
}

static const struct sbi_ext table[] = {
    {SBI_EXT_BASE, SBI_EXT_BASE, "echo", h_echo},
    {SBI_EXT_SRST, SBI_EXT_SRST, "stop", h_stop},
    {0x08000000, 0x08ffffff, "range", h_fail}, /* the experimental EID range */
    {0x20, 0x20, "no handler", NULL},
    {0x0a000000, 0x0a000000, "nop", h_nop},
};

static void test_find_ext(void **state)
{
	(void)state;
	const size_t n = ARRAY_SIZE(table);

	assert_ptr_equal(sbi_find_ext(table, n, SBI_EXT_BASE), &table[0]);
	assert_ptr_equal(sbi_find_ext(table, n, SBI_EXT_SRST), &table[1]);
	assert_ptr_equal(sbi_find_ext(table, n, 0x08000000), &table[2]);
	assert_ptr_equal(sbi_find_ext(table, n, 0x08123456), &table[2]);
	assert_ptr_equal(sbi_find_ext(table, n, 0x08ffffff), &table[2]);
	assert_ptr_equal(sbi_find_ext(table, n, 0x20), &table[3]);
	assert_ptr_equal(sbi_find_ext(table, n, 0x0a000000), &table[4]);

	static const unsigned long unknown[] = {0,          0x0f,         0x11,       0x07ffffff,
	                                        0x09000000, 0x09ffffff,   0x0a000001, SBI_EXT_TIME,
	                                        ULONG_MAX,  ULONG_MAX - 1};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		assert_null(sbi_find_ext(table, n, unknown[i]));

	/* Only the first n entries are searched. */
	assert_null(sbi_find_ext(table, 0, SBI_EXT_BASE));
	assert_null(sbi_find_ext(NULL, 0, SBI_EXT_BASE));
	assert_null(sbi_find_ext(table, 1, SBI_EXT_SRST));
}

/* Every EID near every row edge, plus pseudo-random ones: the index answers as the search. */
static void expect_index_matches(const struct sbi_ext *t, size_t n)
{
	struct sbi_ext_index ix;
	unsigned long x = 0x12345678;

	sbi_index_build(&ix, t, n);
	for (size_t i = 0; i < n; i++)
		for (long d = -2; d <= 2; d++) {
			unsigned long e1 = t[i].eid_start + (unsigned long)d;
			unsigned long e2 = t[i].eid_end + (unsigned long)d;
			assert_ptr_equal(sbi_index_find(&ix, e1), sbi_find_ext(t, n, e1));
			assert_ptr_equal(sbi_index_find(&ix, e2), sbi_find_ext(t, n, e2));
		}
	for (int k = 0; k < 20000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned long e = k & 1 ? x : x & 0xffff;
		assert_ptr_equal(sbi_index_find(&ix, e), sbi_find_ext(t, n, e));
	}
}

static void test_index(void **state)
{
	(void)state;
	/* The test table: single EIDs and ranges. */
	expect_index_matches(table, ARRAY_SIZE(table));
	/* Single EIDs only, many of them: every slot collision is possible (64 slots). */
	static struct sbi_ext many[200];
	for (size_t i = 0; i < ARRAY_SIZE(many); i++) {
		many[i].eid_start = many[i].eid_end = 0x100 + i * 7;
		many[i].name = "m";
		many[i].handler = h_echo;
	}
	expect_index_matches(many, ARRAY_SIZE(many));
	/* The standard extension IDs, as the guest table has them. */
	static const unsigned long std[] = {
	    SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM,
	    SBI_EXT_SRST, SBI_EXT_DBCN, SBI_EXT_SSE, SBI_EXT_STA,    SBI_EXT_SUSP,
	    SBI_EXT_FWFT, SBI_EXT_DBTR, SBI_EXT_PMU};
	struct sbi_ext st[ARRAY_SIZE(std)];
	for (size_t i = 0; i < ARRAY_SIZE(std); i++)
		st[i] = (struct sbi_ext){std[i], std[i], "s", h_echo};
	expect_index_matches(st, ARRAY_SIZE(st));
	/* Empty table; a table of only a range. */
	expect_index_matches(st, 0);
	expect_index_matches(&table[2], 1);

	/* Dispatch through the index: same result as through the search. */
	struct sbi_ext_index ix;
	struct sbi_result r;
	const unsigned long args[6] = {1, 2, 3, 4, 5, 6};
	sbi_index_build(&ix, st, ARRAY_SIZE(st));
	memset(&seen, 0, sizeof(seen));
	sbi_dispatch_indexed(&ix, VCPU, SBI_EXT_PMU, 3, args, &r);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(r.error, SBI_SUCCESS);
	assert_int_equal(r.value, 1 + 6 + 3);
	sbi_dispatch_indexed(&ix, VCPU, 0x0abcdef0, 3, args, &r);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
}

static void dirty(struct sbi_result *r)
{
	r->error = 99;
	r->value = 99;
	r->no_return = true;
}

static void test_dispatch(void **state)
{
	(void)state;
	const size_t n = ARRAY_SIZE(table);
	const unsigned long args[6] = {100, 1, 2, 3, 4, 20};
	struct sbi_result r;

	/* Arguments, fid and vCPU reach the handler; the result comes back. */
	memset(&seen, 0, sizeof(seen));
	dirty(&r);
	sbi_dispatch(table, n, VCPU, SBI_EXT_BASE, 3, args, &r);
	assert_int_equal(seen.calls, 1);
	assert_string_equal(seen.who, "echo");
	assert_ptr_equal(seen.v, VCPU);
	assert_int_equal(seen.fid, 3);
	assert_ptr_equal(seen.args, args);
	assert_int_equal(r.error, SBI_SUCCESS);
	assert_int_equal(r.value, 123);
	assert_false(r.no_return);

	/* Unknown EID: SBI_ERR_NOT_SUPPORTED, value 0, no handler runs. */
	static const unsigned long unknown[] = {0, 0x11, SBI_EXT_TIME, 0x09000000, ULONG_MAX};
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++) {
		memset(&seen, 0, sizeof(seen));
		dirty(&r);
		sbi_dispatch(table, n, VCPU, unknown[i], 0, args, &r);
		assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
		assert_int_equal(r.error, -2);
		assert_int_equal(r.value, 0);
		assert_false(r.no_return);
		assert_int_equal(seen.calls, 0);
	}

	/* An entry without a handler is not supported either. */
	dirty(&r);
	sbi_dispatch(table, n, VCPU, 0x20, 0, args, &r);
	assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(r.value, 0);
	assert_false(r.no_return);

	/* Empty table. */
	dirty(&r);
	sbi_dispatch(table, 0, VCPU, SBI_EXT_BASE, 0, args, &r);
	assert_int_equal(r.error, SBI_ERR_NOT_SUPPORTED);

	/* A range entry; errors and values come back as set. */
	memset(&seen, 0, sizeof(seen));
	dirty(&r);
	sbi_dispatch(table, n, VCPU, 0x08abcdef, 9, args, &r);
	assert_string_equal(seen.who, "fail");
	assert_int_equal(seen.fid, 9);
	assert_int_equal(r.error, SBI_ERR_DENIED);
	assert_int_equal(r.value, -7);
	assert_false(r.no_return);

	/* no_return passes through; the rest is reset before the handler. */
	dirty(&r);
	sbi_dispatch(table, n, VCPU, SBI_EXT_SRST, 0, args, &r);
	assert_true(r.no_return);
	assert_int_equal(r.error, SBI_SUCCESS);
	assert_int_equal(r.value, 0);

	/* A handler that sets nothing reports success, value 0. */
	memset(&seen, 0, sizeof(seen));
	dirty(&r);
	sbi_dispatch(table, n, VCPU, 0x0a000000, 0, args, &r);
	assert_string_equal(seen.who, "nop");
	assert_int_equal(r.error, SBI_SUCCESS);
	assert_int_equal(r.value, 0);
	assert_false(r.no_return);
}

/* ---- hart masks ---- */

#define ALL ((unsigned long)-1)

struct mask_case {
	unsigned long mask, base;
	unsigned nr_harts;
	long rc;
	uint64_t out;
};

static const struct mask_case mask_cases[] = {
    /* base -1: every hart, mask ignored */
    {0, ALL, 1, SBI_SUCCESS, 0x1},
    {0, ALL, 8, SBI_SUCCESS, 0xff},
    {0xdead, ALL, 8, SBI_SUCCESS, 0xff},
    {ULONG_MAX, ALL, 2, SBI_SUCCESS, 0x3},
    {0, ALL, 63, SBI_SUCCESS, UINT64_MAX >> 1},
    {0, ALL, 64, SBI_SUCCESS, UINT64_MAX},
    /* plain masks */
    {0x1, 0, 1, SBI_SUCCESS, 0x1},
    {0x2, 0, 1, SBI_ERR_INVALID_PARAM, 0},
    {0x5, 0, 8, SBI_SUCCESS, 0x5},
    {0xff, 0, 8, SBI_SUCCESS, 0xff},
    {0x100, 0, 8, SBI_ERR_INVALID_PARAM, 0},
    {0x101, 0, 8, SBI_ERR_INVALID_PARAM, 0}, /* valid bits do not leak into out */
    {1UL << 63, 0, 8, SBI_ERR_INVALID_PARAM, 0},
    /* with a base */
    {0x1, 7, 8, SBI_SUCCESS, 0x80},
    {0x1, 8, 8, SBI_ERR_INVALID_PARAM, 0},
    {0x3, 6, 8, SBI_SUCCESS, 0xc0},
    {0x7, 6, 8, SBI_ERR_INVALID_PARAM, 0},
    {0x1, 1000, 8, SBI_ERR_INVALID_PARAM, 0},
    /* 64 harts: every bit usable */
    {1UL << 63, 0, 64, SBI_SUCCESS, 1ULL << 63},
    {ULONG_MAX, 0, 64, SBI_SUCCESS, UINT64_MAX},
    {ULONG_MAX, 0, 63, SBI_ERR_INVALID_PARAM, 0},
    {0x1, 63, 64, SBI_SUCCESS, 1ULL << 63},
    {0x3, 63, 64, SBI_ERR_INVALID_PARAM, 0},
    /* base + bit overflows: must not wrap to a small hart id */
    {1UL << 5, ULONG_MAX - 1, 64, SBI_ERR_INVALID_PARAM, 0},
    {1UL << 1, ULONG_MAX - 1, 64, SBI_ERR_INVALID_PARAM, 0}, /* hart ULONG_MAX */
    {0x1, ULONG_MAX - 1, 64, SBI_ERR_INVALID_PARAM, 0},
    {ULONG_MAX, 2, 64, SBI_ERR_INVALID_PARAM, 0},
    /* empty mask: nothing targeted, success, if the base is a valid hart */
    {0, 0, 1, SBI_SUCCESS, 0},
    {0, 0, 8, SBI_SUCCESS, 0},
    {0, 7, 8, SBI_SUCCESS, 0},
    /* ... but an invalid base is an error by itself (SBI v3.0 hart mask errors) */
    {0, 8, 8, SBI_ERR_INVALID_PARAM, 0},
    {0, 5000, 8, SBI_ERR_INVALID_PARAM, 0},
    {0, ULONG_MAX - 1, 64, SBI_ERR_INVALID_PARAM, 0},
};

static void test_hartmask(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mask_cases); i++) {
		const struct mask_case *c = &mask_cases[i];
		uint64_t out = 0xa5a5a5a5a5a5a5a5ULL;
		long rc = sbi_hartmask_decode(c->mask, c->base, c->nr_harts, &out);
		if (rc != c->rc || out != c->out)
			fail_msg("case %zu: mask %#lx base %#lx nr %u: got %ld %#llx, expected %ld "
			         "%#llx",
			         i, c->mask, c->base, c->nr_harts, rc, (unsigned long long)out,
			         c->rc, (unsigned long long)c->out);
	}
	assert_int_equal(SBI_ERR_INVALID_PARAM, -3);
}

/* Every single-bit mask at every base for nr_harts 1, 8 and 64. */
static void test_hartmask_exhaustive(void **state)
{
	(void)state;
	static const unsigned nrs[] = {1, 8, 64};
	for (size_t k = 0; k < ARRAY_SIZE(nrs); k++) {
		unsigned nr = nrs[k];
		for (unsigned long base = 0; base < 70; base++) {
			for (unsigned bit = 0; bit < 64; bit++) {
				uint64_t out = 1;
				long rc = sbi_hartmask_decode(1UL << bit, base, nr, &out);
				unsigned long hart = base + bit;
				if (hart < nr) {
					assert_int_equal(rc, SBI_SUCCESS);
					assert_int_equal(out, 1ULL << hart);
				} else {
					assert_int_equal(rc, SBI_ERR_INVALID_PARAM);
					assert_int_equal(out, 0);
				}
			}
		}
	}
}

/* ---- ranges ---- */

struct range_case {
	uint64_t addr, len, lo, size;
	bool in;
};

#define LO 0x80000000ULL
#define SZ 0x10000000ULL

static const struct range_case range_cases[] = {
    {LO, 0x1000, LO, SZ, true},
    {LO, SZ, LO, SZ, true},
    {LO, SZ + 1, LO, SZ, false},
    {LO + SZ - 0x10, 0x10, LO, SZ, true},  /* ends exactly at the limit */
    {LO + SZ - 0x10, 0x11, LO, SZ, false}, /* one past */
    {LO + SZ - 1, 1, LO, SZ, true},
    {LO + SZ, 1, LO, SZ, false},
    {LO - 1, 1, LO, SZ, false}, /* below */
    {LO - 1, 2, LO, SZ, false}, /* starts below, ends inside */
    {0, 0, LO, SZ, false},
    /* len 0 */
    {LO, 0, LO, SZ, true},
    {LO + SZ, 0, LO, SZ, true}, /* empty range at the end */
    {LO + SZ + 1, 0, LO, SZ, false},
    {LO - 1, 0, LO, SZ, false},
    /* wrap-around */
    {LO + 0x10, UINT64_MAX, LO, SZ, false},
    {LO + 0x10, UINT64_MAX - 0xf, LO, SZ, false}, /* addr + len == 2^64 */
    {UINT64_MAX, 2, LO, SZ, false},
    {UINT64_MAX - 1, 4, 0, UINT64_MAX, false},
    {UINT64_MAX, 1, 0, UINT64_MAX, false}, /* [0, UINT64_MAX) excludes the last byte */
    {UINT64_MAX - 1, 1, 0, UINT64_MAX, true},
    {0, UINT64_MAX, 0, UINT64_MAX, true},
    {1, UINT64_MAX, 0, UINT64_MAX, false},
    /* an empty region holds only empty ranges */
    {LO, 0, LO, 0, true},
    {LO, 1, LO, 0, false},
};

static void test_range_in(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(range_cases); i++) {
		const struct range_case *c = &range_cases[i];
		if (sbi_range_in(c->addr, c->len, c->lo, c->size) != c->in)
			fail_msg("case %zu: [%#llx +%#llx) in [%#llx +%#llx): expected %d", i,
			         (unsigned long long)c->addr, (unsigned long long)c->len,
			         (unsigned long long)c->lo, (unsigned long long)c->size, c->in);
	}
}

/* ---- table overlap check ---- */

static void test_table_check(void **state)
{
	(void)state;
	assert_int_equal(sbi_table_check(table, ARRAY_SIZE(table)), 0);
	assert_int_equal(sbi_table_check(table, 0), 0);
	assert_int_equal(sbi_table_check(table, 1), 0);

	static const struct sbi_ext adjacent[] = {
	    {0x10, 0x1f, "a", h_nop},
	    {0x20, 0x2f, "b", h_nop},
	    {0x00, 0x0f, "c", h_nop},
	};
	assert_int_equal(sbi_table_check(adjacent, ARRAY_SIZE(adjacent)), 0);

	static const struct sbi_ext touching[] = {
	    {0x10, 0x20, "a", h_nop},
	    {0x20, 0x30, "b", h_nop},
	};
	assert_int_equal(sbi_table_check(touching, ARRAY_SIZE(touching)), -1);

	static const struct sbi_ext duplicate[] = {
	    {SBI_EXT_BASE, SBI_EXT_BASE, "a", h_nop},
	    {SBI_EXT_TIME, SBI_EXT_TIME, "b", h_nop},
	    {SBI_EXT_BASE, SBI_EXT_BASE, "c", h_nop},
	};
	assert_int_equal(sbi_table_check(duplicate, ARRAY_SIZE(duplicate)), -1);
	/* The duplicate is in the third entry: two entries are fine. */
	assert_int_equal(sbi_table_check(duplicate, 2), 0);

	static const struct sbi_ext contains[] = {
	    {0x0a000005, 0x0a000005, "single", h_nop},
	    {0x0a000000, 0x0affffff, "range", h_nop},
	};
	assert_int_equal(sbi_table_check(contains, ARRAY_SIZE(contains)), -1);

	static const struct sbi_ext inverted[] = {
	    {0x20, 0x10, "backwards", h_nop},
	};
	assert_int_equal(sbi_table_check(inverted, ARRAY_SIZE(inverted)), -1);

	static const struct sbi_ext extremes[] = {
	    {0, 0, "zero", h_nop},
	    {ULONG_MAX, ULONG_MAX, "max", h_nop},
	    {1, ULONG_MAX - 1, "middle", h_nop},
	};
	assert_int_equal(sbi_table_check(extremes, ARRAY_SIZE(extremes)), 0);

	static const struct sbi_ext everything[] = {
	    {SBI_EXT_HSM, SBI_EXT_HSM, "hsm", h_nop},
	    {0, ULONG_MAX, "all", h_nop},
	};
	assert_int_equal(sbi_table_check(everything, ARRAY_SIZE(everything)), -1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_find_ext),
	    cmocka_unit_test(test_index),
	    cmocka_unit_test(test_dispatch),
	    cmocka_unit_test(test_hartmask),
	    cmocka_unit_test(test_hartmask_exhaustive),
	    cmocka_unit_test(test_range_in),
	    cmocka_unit_test(test_table_check),
	};

	return cmocka_run_group_tests_name("sbi_dispatch", tests, NULL, NULL);
}
