// SPDX-License-Identifier: MIT
/* SBI extension lookup, dispatch and argument decoding (pure logic). */
#include "arch/riscv/sbi/sbi_ext.h"

const struct sbi_ext *sbi_find_ext(const struct sbi_ext *table, size_t n, unsigned long eid)
{
	for (size_t i = 0; i < n; i++)
		if (eid >= table[i].eid_start && eid <= table[i].eid_end)
			return &table[i];
	return NULL;
}

int sbi_dispatch(const struct sbi_ext *table, size_t n, struct vcpu *v, unsigned long eid,
                 unsigned long fid, const unsigned long *args, struct sbi_result *r)
{
	r->error = SBI_SUCCESS;
	r->value = 0;
	r->no_return = false;
	const struct sbi_ext *ext = sbi_find_ext(table, n, eid);
	if (!ext || !ext->handler) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return -1;
	}
	ext->handler(v, fid, args, r);
	return (int)(ext - table);
}

void sbi_index_build(struct sbi_ext_index *ix, const struct sbi_ext *table, size_t n)
{
	_Static_assert(SBI_INDEX_SLOTS == 64, "sbi_index_slot() yields 6 bits");
	ix->table = table;
	ix->n = n;
	ix->ranges = false;
	for (size_t i = 0; i < SBI_INDEX_SLOTS; i++)
		ix->slot[i] = 0;
	for (size_t i = 0; i < n; i++) {
		if (table[i].eid_start != table[i].eid_end || i >= SBI_INDEX_SHARED - 1) {
			ix->ranges = true; /* found by the linear search */
			continue;
		}
		uint8_t *s = &ix->slot[sbi_index_slot(table[i].eid_start)];
		*s = *s == 0 ? (uint8_t)(i + 1) : SBI_INDEX_SHARED;
	}
}

void sbi_direct_build(struct sbi_direct *d, const struct sbi_ext_index *ix,
                      const unsigned long *excluded, size_t n_excluded, uint32_t stat_last)
{
	_Static_assert(sizeof(struct sbi_direct_slot) == 32, "one shift from slot to address");
	for (unsigned k = 0; k < SBI_INDEX_SLOTS; k++) {
		struct sbi_direct_slot *ds = &d->slot[k];
		uint8_t s = ix->slot[k];
		const struct sbi_ext *e =
		    s != 0 && s != SBI_INDEX_SHARED ? &ix->table[s - 1] : NULL;
		for (size_t i = 0; e && i < n_excluded; i++)
			if (excluded[i] == e->eid_start)
				e = NULL;
		if (e && e->handler) {
			ds->eid = e->eid_start;
			ds->handler = e->handler;
			ds->stat = s - 1U < stat_last ? s - 1U : stat_last;
		} else {
			/* An EID hashing elsewhere: no call's EID can equal it here. */
			unsigned long never = 0;
			while (sbi_index_slot(never) == k)
				never++;
			ds->eid = never;
			ds->handler = NULL;
			ds->stat = 0;
		}
		ds->pad32 = 0;
		ds->pad = 0;
	}
}

long sbi_hartmask_decode(unsigned long mask, unsigned long base, unsigned nr_harts, uint64_t *out)
{
	*out = 0;
	if (nr_harts > 64)
		nr_harts = 64; /* the bitmap's width; VMs have at most 8 harts */
	if (base == (unsigned long)-1) {
		/* SBI v2.0: hart_mask_base == -1 selects every hart, mask ignored. */
		*out = nr_harts >= 64 ? ~0ULL : (1ULL << nr_harts) - 1;
		return SBI_SUCCESS;
	}
	/*
	 * The base is itself a hart id: one that does not exist is invalid even when the mask
	 * names no hart (SBI v3.0 chapter 3, hart mask errors: "either hart_mask_base, or at
	 * least one hartid from hart_mask, is not valid").
	 */
	if (base >= nr_harts)
		return SBI_ERR_INVALID_PARAM;
	/*
	 * Bit i names hart base + i, which exists for i < nr_harts - base (at
	 * most 64, and base + i cannot wrap since base < nr_harts <= 64). One
	 * shift instead of a loop over 64 bits: this runs on every IPI and
	 * remote fence (docs/performance.md, ipi figures).
	 */
	unsigned long span = nr_harts - base;
	if (span < 64 && (mask >> span) != 0)
		return SBI_ERR_INVALID_PARAM;
	*out = (uint64_t)mask << base;
	return SBI_SUCCESS;
}

bool sbi_range_in(uint64_t addr, uint64_t len, uint64_t lo, uint64_t size)
{
	if (addr < lo)
		return false;
	uint64_t off = addr - lo;
	return off <= size && len <= size - off;
}

int sbi_table_check(const struct sbi_ext *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (table[i].eid_start > table[i].eid_end)
			return -1;
		for (size_t j = i + 1; j < n; j++)
			if (table[i].eid_start <= table[j].eid_end &&
			    table[j].eid_start <= table[i].eid_end)
				return -1;
	}
	return 0;
}
