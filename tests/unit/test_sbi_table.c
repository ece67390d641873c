/* SPDX-License-Identifier: MIT */
/*
 * Host unit test of the REAL guest SBI extension table (hyp/arch/riscv/sbi/sbi_table.c,
 * compiled unchanged) and its ecall entry riscv_sbi_ecall(). The handlers are link-time fakes
 * generated from the prototypes in sbi_ext.h (gen_sbi_fakes.py), so whatever rows exist
 * are checked: no hand copy of the table and no row count lives here.
 *
 * Asserted: the boot check (sbi_table_check) accepts the table and rejects it with any row
 * duplicated; every row has a name, an ordered EID range and a declared handler; names are
 * unique; an ecall to any EID of a row (first, last) reaches that row's handler
 * with a6 as fid and a0..a5 as arguments, and a0/a1/sepc are written back as the SBI binary
 * encoding says (RISC-V SBI spec v2.0 §3); an EID no row covers returns
 * SBI_ERR_NOT_SUPPORTED; the extensions every guest relies on are present.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "sbi_fakes.h"

static struct {
	int calls;
	const char *name;
	struct vcpu *v;
	unsigned long fid;
	unsigned long a[6];
	bool no_return;
} seen;

void sbi_fake_called(const char *name, struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	seen.calls++;
	seen.name = name;
	seen.v = v;
	seen.fid = fid;
	memcpy(seen.a, a, sizeof(seen.a));
	r->error = -(long)fid; /* recognisable results, distinct per call */
	r->value = (long)(a[0] ^ a[5]);
	r->no_return = seen.no_return;
}

static const char *fake_name(sbi_handler_fn fn)
{
	for (size_t i = 0; i < sbi_nr_fakes; i++)
		if (sbi_fakes[i].fn == fn)
			return sbi_fakes[i].name;
	return NULL;
}

static void test_table_passes_boot_check(void **state)
{
	(void)state;
	assert_true(sbi_guest_nr_exts >= 1);
	assert_int_equal(sbi_table_check(sbi_guest_exts, sbi_guest_nr_exts), 0);
}

/* The check really runs over the real rows: a copy with any row repeated is refused. */
static void test_boot_check_rejects_duplicate_rows(void **state)
{
	(void)state;
	size_t n = sbi_guest_nr_exts;
	struct sbi_ext *t = calloc(n + 1, sizeof(*t));
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		memcpy(t, sbi_guest_exts, n * sizeof(*t));
		t[n] = sbi_guest_exts[i];
		t[n].eid_start = t[n].eid_end; /* overlap by one EID is enough */
		if (sbi_table_check(t, n + 1) != -1)
			fail_msg("row %zu (%s) duplicated: check passed", i,
			         sbi_guest_exts[i].name);
		t[n] = sbi_guest_exts[i];
		t[n].eid_start = sbi_guest_exts[i].eid_end + 1;
		t[n].eid_end = sbi_guest_exts[i].eid_start; /* inverted */
		if (t[n].eid_start > t[n].eid_end && sbi_table_check(t, n + 1) != -1)
			fail_msg("inverted copy of row %zu accepted", i);
	}
	free(t);
}

static void test_rows_well_formed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sbi_guest_nr_exts; i++) {
		const struct sbi_ext *e = &sbi_guest_exts[i];
		if (!e->name || !e->name[0])
			fail_msg("row %zu has no name", i);
		if (e->eid_start > e->eid_end)
			fail_msg("row %s: EID range inverted", e->name);
		if (!e->handler || !fake_name(e->handler))
			fail_msg("row %s: handler not declared in sbi_ext.h", e->name);
		/* Handlers may serve several rows (e.g. legacy EIDs); names tell rows apart. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(sbi_guest_exts[j].name, e->name))
				fail_msg("rows %zu and %zu share the name %s", j, i, e->name);
	}
}

static struct vcpu *new_vcpu(void)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	assert_non_null(v);
	return v;
}

static void ecall(struct vcpu *v, unsigned long eid, unsigned long fid)
{
	struct riscv_guest_ctx *c = &v->arch.ctx;
	for (unsigned i = 0; i < 6; i++)
		c->x[10 + i] = 0x1000u * (i + 1) + eid;
	c->x[16] = fid;
	c->x[17] = eid;
	c->sepc = 0x80200000;
	memset(&seen, 0, sizeof(seen));
	riscv_sbi_ecall(v);
}

static void test_ecall_reaches_each_row(void **state)
{
	(void)state;
	struct vcpu *v = new_vcpu();
	for (size_t i = 0; i < sbi_guest_nr_exts; i++) {
		const struct sbi_ext *e = &sbi_guest_exts[i];
		unsigned long eids[2] = {e->eid_start, e->eid_end};
		for (unsigned k = 0; k < 2; k++) {
			unsigned long fid = 3 + k;
			ecall(v, eids[k], fid);
			if (seen.calls != 1 || strcmp(seen.name, fake_name(e->handler)))
				fail_msg("EID %#lx did not reach row %s", eids[k], e->name);
			assert_ptr_equal(seen.v, v);
			assert_int_equal(seen.fid, fid);
			for (unsigned a = 0; a < 6; a++)
				assert_int_equal(seen.a[a], 0x1000u * (a + 1) + eids[k]);
			assert_int_equal(v->arch.ctx.x[10], (uint64_t) - (long)fid);
			assert_int_equal(v->arch.ctx.x[11], seen.a[0] ^ seen.a[5]);
			assert_int_equal(v->arch.ctx.sepc, 0x80200004);
		}
	}
	/* no_return: the handler owns the registers (SRST reset, HSM stop). */
	ecall(v, sbi_guest_exts[0].eid_start, 1);
	seen.no_return = true;
	v->arch.ctx.sepc = 0x80200000;
	v->arch.ctx.x[10] = 77;
	riscv_sbi_ecall(v);
	assert_int_equal(v->arch.ctx.sepc, 0x80200000);
	assert_int_equal(v->arch.ctx.x[10], 77);
	free(v);
}

static void test_uncovered_eid_not_supported(void **state)
{
	(void)state;
	struct vcpu *v = new_vcpu();
	static const unsigned long probe[] = {0, 0x0f, 0x11, 0x0a000000, 0x0fffffff, ULONG_MAX};
	unsigned tried = 0;
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		if (sbi_find_ext(sbi_guest_exts, sbi_guest_nr_exts, probe[i]))
			continue; /* someone serves it now: not a probe any more */
		tried++;
		ecall(v, probe[i], 0);
		assert_int_equal(seen.calls, 0);
		assert_int_equal(v->arch.ctx.x[10], (uint64_t)SBI_ERR_NOT_SUPPORTED);
		assert_int_equal(v->arch.ctx.x[11], 0);
		assert_int_equal(v->arch.ctx.sepc, 0x80200004);
	}
	assert_true(tried > 0);
	free(v);
}

/*
 * The same calls through the built index (as after arch_selfcheck): the dispatch takes a
 * row straight from its hash slot (sbi_call.h) and must reach the same rows, count each
 * call in that row's sbi_calls slot, and answer NOT_SUPPORTED for EIDs nobody serves.
 */
static void test_ecall_through_index(void **state)
{
	(void)state;
	struct sbi_ext_index saved = sbi_guest_index;
	sbi_index_build(&sbi_guest_index, sbi_guest_exts, sbi_guest_nr_exts);
	struct vcpu *v = new_vcpu();
	for (size_t i = 0; i < sbi_guest_nr_exts; i++) {
		const struct sbi_ext *e = &sbi_guest_exts[i];
		uint64_t before =
		    v->arch.sbi_calls[i < RISCV_SBI_STAT_SLOTS - 1 ? i : RISCV_SBI_STAT_SLOTS - 1];
		ecall(v, e->eid_start, 2);
		if (seen.calls != 1 || strcmp(seen.name, fake_name(e->handler)))
			fail_msg("EID %#lx did not reach row %s through the index", e->eid_start,
			         e->name);
		assert_int_equal(v->arch.ctx.x[10], (uint64_t)-2L);
		assert_int_equal(v->arch.ctx.sepc, 0x80200004);
		assert_int_equal(
		    v->arch.sbi_calls[i < RISCV_SBI_STAT_SLOTS - 1 ? i : RISCV_SBI_STAT_SLOTS - 1],
		    before + 1);
	}
	static const unsigned long probe[] = {0, 0x0f, 0x11, 0x0a000000, 0x0fffffff, ULONG_MAX};
	for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		if (sbi_find_ext(sbi_guest_exts, sbi_guest_nr_exts, probe[i]))
			continue;
		uint64_t before = v->arch.sbi_calls[RISCV_SBI_STAT_SLOTS - 1];
		ecall(v, probe[i], 0);
		assert_int_equal(seen.calls, 0);
		assert_int_equal(v->arch.ctx.x[10], (uint64_t)SBI_ERR_NOT_SUPPORTED);
		assert_int_equal(v->arch.sbi_calls[RISCV_SBI_STAT_SLOTS - 1], before + 1);
	}
	sbi_guest_index = saved;
	free(v);
}

/*
 * The exit path's direct-mapped copy (sbi_direct_build) answers as the linear search or
 * misses: for every EID of every row, its neighbours and odd values, a hit names the row
 * sbi_find_ext finds (its handler, its counter slot clamped to stat_last) and is never an
 * excluded EID; every other row serving one EID alone in its hash slot hits.
 */
static void test_direct_matches_search(void **state)
{
	(void)state;
	struct sbi_ext_index ix;
	sbi_index_build(&ix, sbi_guest_exts, sbi_guest_nr_exts);
	static const unsigned long excluded[] = {SBI_EXT_SRST, SBI_EXT_HSM};
	static struct sbi_direct d;
	const uint32_t stat_last = 3; /* small, so that the clamp is exercised */
	sbi_direct_build(&d, &ix, excluded, 2, stat_last);
	unsigned hits = 0;
	for (size_t i = 0; i < sbi_guest_nr_exts; i++) {
		const struct sbi_ext *e = &sbi_guest_exts[i];
		const unsigned long probe[] = {e->eid_start,
		                               e->eid_end,
		                               e->eid_start - 1,
		                               e->eid_end + 1,
		                               e->eid_start ^ 1UL << 40,
		                               0,
		                               ULONG_MAX};
		for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
			unsigned long eid = probe[k];
			const struct sbi_direct_slot *s = sbi_direct_find(&d, eid);
			if (!s)
				continue;
			const struct sbi_ext *f =
			    sbi_find_ext(sbi_guest_exts, sbi_guest_nr_exts, eid);
			assert_non_null(f);
			assert_ptr_equal(s->handler, f->handler);
			size_t row = (size_t)(f - sbi_guest_exts);
			assert_int_equal(s->stat, row < stat_last ? row : stat_last);
			assert_false(eid == SBI_EXT_SRST || eid == SBI_EXT_HSM);
		}
		uint8_t slot = ix.slot[sbi_index_slot(e->eid_start)];
		bool excl = e->eid_start == SBI_EXT_SRST || e->eid_start == SBI_EXT_HSM;
		if (excl)
			assert_null(sbi_direct_find(&d, e->eid_start));
		if (e->eid_start == e->eid_end && slot == i + 1 && e->handler && !excl) {
			assert_non_null(sbi_direct_find(&d, e->eid_start));
			hits++;
		}
	}
	/* BASE at least is a single-EID row with a slot of its own. */
	assert_true(hits > 0);
	assert_non_null(sbi_direct_find(&d, SBI_EXT_BASE));
	/* Empty slots match nothing: every slot's EID hashes elsewhere unless it is a row's. */
	for (unsigned k = 0; k < SBI_INDEX_SLOTS; k++)
		if (!d.slot[k].handler)
			assert_int_not_equal(sbi_index_slot(d.slot[k].eid), k);
}

/* What every guest (and Linux) needs; rows others append come on top. */
static void test_required_extensions_present(void **state)
{
	(void)state;
	static const unsigned long need[] = {SBI_EXT_BASE,   SBI_EXT_TIME, SBI_EXT_IPI,
	                                     SBI_EXT_RFENCE, SBI_EXT_HSM,  SBI_EXT_SRST,
	                                     SBI_EXT_DBCN};
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!sbi_find_ext(sbi_guest_exts, sbi_guest_nr_exts, need[i]))
			fail_msg("EID %#lx missing from the guest table", need[i]);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_passes_boot_check),
	    cmocka_unit_test(test_boot_check_rejects_duplicate_rows),
	    cmocka_unit_test(test_rows_well_formed),
	    cmocka_unit_test(test_ecall_reaches_each_row),
	    cmocka_unit_test(test_uncovered_eid_not_supported),
	    cmocka_unit_test(test_ecall_through_index),
	    cmocka_unit_test(test_direct_matches_search),
	    cmocka_unit_test(test_required_extensions_present),
	};
	return cmocka_run_group_tests_name("sbi_table", tests, NULL, NULL);
}
