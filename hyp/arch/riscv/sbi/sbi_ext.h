/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_EXT_H
#define FV_ARCH_RISCV_SBI_EXT_H

/*
 * SBI extensions offered to guests (SBI spec v3.0). Each extension is a
 * descriptor in a table; the dispatcher does all register side effects so
 * handlers only compute a result. The dispatcher and the hart-mask decoder
 * are pure and unit-tested on the host.
 */
#include "lib/types.h"
#include "arch/riscv/sbi.h"

struct vcpu;

struct sbi_result {
	long error;
	long value;
	bool no_return; /* vCPU stopped/reset: leave its registers alone */
};

/* An extension's handler (struct sbi_ext). */
typedef void (*sbi_ext_handler_t)(struct vcpu *v, unsigned long fid, const unsigned long *a,
                                  struct sbi_result *r);

/*
 * handler(v, fid, a, r): a points at the calling vCPU's saved a0..a5 in
 * place (riscv_sbi_ecall does not copy them), so a handler reads every
 * argument it needs before it changes that vCPU's registers (a
 * non-retentive resume, a reset of itself).
 */
struct sbi_ext {
	unsigned long eid_start, eid_end;
	const char *name;
	void (*handler)(struct vcpu *v, unsigned long fid, const unsigned long *a,
	                struct sbi_result *r);
};

#define SBI_SPEC_VERSION ((3UL << 24) | 0UL) /* v3.0 */
#define SBI_IMPL_ID_FV   0x4656UL            /* "FV": not in the registered list */
#define SBI_IMPL_VERSION 0x00000100UL

/* Find the extension serving eid; NULL if none. */
const struct sbi_ext *sbi_find_ext(const struct sbi_ext *table, size_t n, unsigned long eid);
/*
 * Run one call: look the extension up and run it, or report
 * SBI_ERR_NOT_SUPPORTED. args are a0..a5. Returns the extension's index in
 * table (for per-extension call counters), -1 if no extension serves eid.
 */
int sbi_dispatch(const struct sbi_ext *table, size_t n, struct vcpu *v, unsigned long eid,
                 unsigned long fid, const unsigned long *args, struct sbi_result *r);
/*
 * Decode an SBI hart mask (hart_mask, hart_mask_base; base == -1 means all)
 * for a VM with nr_harts harts into a bitmap. Returns SBI_SUCCESS or
 * SBI_ERR_INVALID_PARAM if the base (unless -1) or any hart named does not exist.
 */
long sbi_hartmask_decode(unsigned long mask, unsigned long base, unsigned nr_harts, uint64_t *out);
/* True if [addr, addr+len) lies entirely in [lo, lo+size) (overflow-safe). */
bool sbi_range_in(uint64_t addr, uint64_t len, uint64_t lo, uint64_t size);

/*
 * The guest-facing table (sbi_table.c) and its size. Checked for inverted and overlapping
 * EID ranges at boot (arch_selfcheck() in cpu.c stops the boot if it fails) and by the host
 * unit test tests/unit/test_sbi_table.c, which links this very table.
 */
extern const struct sbi_ext sbi_guest_exts[];
extern const size_t sbi_guest_nr_exts;
/* Verify no two table entries overlap; returns 0 or -1 (boot check). */
int sbi_table_check(const struct sbi_ext *table, size_t n);

/*
 * O(1) extension lookup for the ecall path: a 64-slot hash of the EID to
 * the table row serving it. A row serving one EID (every standard
 * extension) gets the slot its EID hashes to; two such rows in one slot,
 * and rows spanning EID ranges, are found by the linear search instead,
 * so the index answers exactly as sbi_find_ext() for any table that
 * passes sbi_table_check(). Pure; built once at boot, read-only after.
 */
#define SBI_INDEX_SLOTS  64
#define SBI_INDEX_SHARED 0xff /* slot of several rows: search linearly */
struct sbi_ext_index {
	const struct sbi_ext *table;
	size_t n;
	uint8_t slot[SBI_INDEX_SLOTS]; /* row + 1, 0 = no single-EID row, or SBI_INDEX_SHARED */
	bool ranges;                   /* some row spans several EIDs */
};
/* Build ix over table (n rows, at most 254 are indexed; more are searched linearly). */
void sbi_index_build(struct sbi_ext_index *ix, const struct sbi_ext *table, size_t n);

/* Fibonacci hashing: the top 6 bits of eid * 2^64/phi spread the sparse SBI EIDs. */
static inline unsigned sbi_index_slot(unsigned long eid)
{
	return (unsigned)(((uint64_t)eid * 0x9E3779B97F4A7C15ULL) >> 58);
}

/*
 * The row serving eid, or NULL: the same answer as sbi_find_ext(ix->table,
 * ix->n, eid). Inline: it is on every SBI call's path.
 */
static inline const struct sbi_ext *sbi_index_find(const struct sbi_ext_index *ix,
                                                   unsigned long eid)
{
	uint8_t s = ix->slot[sbi_index_slot(eid)];
	if (s != 0 && s != SBI_INDEX_SHARED) {
		const struct sbi_ext *e = &ix->table[s - 1];
		if (eid == e->eid_start)
			return e;
		/* Another EID hashed here: only a range row could still serve this one. */
		return ix->ranges ? sbi_find_ext(ix->table, ix->n, eid) : NULL;
	}
	if (s == 0 && !ix->ranges)
		return NULL;
	return sbi_find_ext(ix->table, ix->n, eid);
}

/*
 * A direct-mapped copy of an index for the SBI exit path: one 32-byte slot
 * per hash slot, so that a call is matched by one compare of its EID and
 * finds handler and row in the same place (no row arithmetic, no second
 * table). Slot k holds the row ix->slot[k] names alone, when that row has a
 * handler; every other slot holds an EID that does not hash to k, which no
 * call can match (its own EID would have to hash to k). A miss means: ask
 * sbi_index_find. The EIDs the builder is told to exclude get no slot (a miss too).
 */
struct sbi_direct_slot {
	unsigned long eid;
	sbi_ext_handler_t handler;
	uint32_t stat; /* index in ix->table, at most stat_last (a per-extension counter slot) */
	uint32_t pad32;
	unsigned long pad;
};
struct sbi_direct {
	struct sbi_direct_slot slot[SBI_INDEX_SLOTS];
};
/*
 * Build d from ix (after sbi_index_build); excluded: n_excluded EIDs that get no slot
 * (sbi_direct_find misses them, as any EID it does not serve); stat_last: the largest value
 * of a slot's stat (rows beyond share it).
 */
void sbi_direct_build(struct sbi_direct *d, const struct sbi_ext_index *ix,
                      const unsigned long *excluded, size_t n_excluded, uint32_t stat_last);
/* The slot serving eid, or NULL: then sbi_index_find gives the answer. Pure, inline. */
static inline const struct sbi_direct_slot *sbi_direct_find(const struct sbi_direct *d,
                                                            unsigned long eid)
{
	const struct sbi_direct_slot *s = &d->slot[sbi_index_slot(eid)];
	return s->eid == eid ? s : NULL;
}

/* sbi_dispatch() with the lookup through ix (inline, as sbi_index_find); returns, as
 * sbi_dispatch, the row's index in ix->table or -1 when no row serves eid. */
static inline int sbi_dispatch_indexed(const struct sbi_ext_index *ix, struct vcpu *v,
                                       unsigned long eid, unsigned long fid,
                                       const unsigned long *args, struct sbi_result *r)
{
	r->error = SBI_SUCCESS;
	r->value = 0;
	r->no_return = false;
	const struct sbi_ext *ext = sbi_index_find(ix, eid);
	if (!ext || !ext->handler) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return -1;
	}
	ext->handler(v, fid, args, r);
	return (int)(ext - ix->table);
}
/*
 * The guest table's index (sbi_table.c): built by arch_selfcheck() at boot
 * after the table check; riscv_sbi_ecall and probe_extension look up through it
 * (a linear search of the table until it is built).
 */
extern struct sbi_ext_index sbi_guest_index;

/* Handlers (one file each). */
void sbi_base_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_time_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_ipi_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
void sbi_rfence_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                        struct sbi_result *r);
void sbi_hsm_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
void sbi_srst_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_dbcn_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_sse_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
/*
 * SSE delivery (sbi_sse.c), on the vCPU's own CPU with the vCPU loaded:
 * sbi_sse_deliver() before each guest entry injects the most urgent deliverable event;
 * sbi_sse_deliverable() says whether there is one (a reason to leave WFI);
 * sbi_sse_vcpu_reset() releases a global event the vCPU was handling (before its reset).
 */
void sbi_sse_deliver(struct vcpu *v);
bool sbi_sse_deliverable(struct vcpu *v);
void sbi_sse_vcpu_reset(struct vcpu *v);
void sbi_sta_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);
void sbi_susp_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);

/*
 * STA: validate sta_set_shmem(lo, hi, flags) for a VM whose RAM is
 * [ram_gpa, ram_gpa + ram_size): SBI_SUCCESS (also for the all-ones
 * disable), SBI_ERR_INVALID_PARAM (flags != 0, lo not 64-byte aligned) or
 * SBI_ERR_INVALID_ADDRESS (hi != 0, record not entirely in RAM). Pure.
 */
long sbi_sta_check_shmem(unsigned long lo, unsigned long hi, unsigned long flags, uint64_t ram_gpa,
                         uint64_t ram_size);
/*
 * STA: write steal (ns) and the preempted flag into a 64-byte record with
 * the sequence protocol (odd while writing, even after), little-endian.
 * Pure apart from the stores; rec must be SBI_STA_SHMEM_SIZE bytes.
 */
void sbi_sta_record_write(uint8_t *rec, uint64_t steal, bool preempted);
/*
 * STA: publish v->steal_ns into v's registered record, if any. Called by
 * the CPU that has v loaded (before guest entry, and when it is put while
 * still runnable); never concurrently for one vCPU.
 */
void sbi_sta_update(struct vcpu *v, bool preempted);
void sbi_fwft_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_dbtr_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r);
void sbi_pmu_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r);

#endif
