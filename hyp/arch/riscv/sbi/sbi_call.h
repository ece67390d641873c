/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_SBI_CALL_H
#define FV_ARCH_RISCV_SBI_SBI_CALL_H

/*
 * One SBI call of a vCPU, inline: the body of riscv_sbi_ecall (sbi_table.c)
 * and of the SBI exit path (exit_fast.c), where a call frame less is a
 * tenth of the round trip (docs/performance.md, issue #15).
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/stat.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"

/*
 * The row of the guest table serving eid, or ~0UL when none does: straight
 * from its hash slot when the slot holds that row alone (every single-EID
 * row does, sbi_index_build), its number then the slot's value - 1 without
 * pointer arithmetic. Anything else takes sbi_index_find's full path, which
 * gives the same answers. Inline: on every SBI call's path.
 */
static inline __attribute__((always_inline)) unsigned long sbi_call_row(uint64_t eid)
{
	/* sbi_guest_index indexes sbi_guest_exts (arch_selfcheck): its rows by address, no load. */
	const struct sbi_ext_index *ix = &sbi_guest_index;
	uint8_t s = ix->slot[sbi_index_slot(eid)];
	if (s != 0 && s != SBI_INDEX_SHARED && sbi_guest_exts[s - 1].eid_start == eid)
		return s - 1UL;
	const struct sbi_ext *e = sbi_index_find(ix, eid);
	return e ? (unsigned long)(e - sbi_guest_exts) : ~0UL;
}

/*
 * Dispatch the SBI call in v's a0-a7 to its handler (sbi_call_handler of
 * its row; NULL: not supported), count it in v's per-extension counter slot
 * stat (sbi_call_stat), and write a0/a1 and sepc + 4 back, unless the handler reported no_return.
 * Reads and writes only a0-a7, sepc and sstatus of v->arch.ctx (through the
 * handlers), never s0-s11: riscv_exit_ecall relies on it. traced: false when
 * the caller knows the SBI event class is off (one test of the tracer's mask
 * for a whole exit). Caller: the vCPU's CPU after its exit.
 */
static inline __attribute__((always_inline)) void
sbi_call_run_row(struct vcpu *v, unsigned long stat, sbi_ext_handler_t handler, bool traced)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	/*
	 * a0..a5 are passed in place, not copied (a dozen instructions per
	 * call): handlers read their arguments before anything rewrites the
	 * vCPU's registers (struct sbi_ext, handler contract).
	 */
	_Static_assert(sizeof(unsigned long) == sizeof(ctx->x[0]), "a0..a5 read as unsigned long");
	/* a7 = extension id, a6 = function id (SBI spec, binary encoding). */
	uint64_t fid = ctx->x[16];
	struct sbi_result r = {SBI_SUCCESS, 0, false};
	/*
	 * Per-extension call counter (metrics). Counted before the call:
	 * nothing but v is then live across it (a smaller frame on the exit path).
	 */
	STAT_INC(v->arch.sbi_calls[stat]);
	/* The EID/FID read for the dispatch: a no_return handler may have rewritten a6/a7. */
	uint64_t eid = ctx->x[17];
	if (handler)
		handler(v, fid, (const unsigned long *)&ctx->x[10], &r);
	else
		r.error = SBI_ERR_NOT_SUPPORTED;
	if (traced)
		TRACE(TEV_HCALL, v->vm->id, v->id, eid, fid, r.no_return ? 0u : (uint32_t)r.error);
	if (r.no_return)
		return;
	ctx->x[10] = (uint64_t)r.error;
	ctx->x[11] = (uint64_t)r.value;
	ctx->sepc += 4;
}

/* The handler of row (sbi_call_row), NULL when none serves the call. */
static inline sbi_ext_handler_t sbi_call_handler(unsigned long row)
{
	return row != ~0UL ? sbi_guest_exts[row].handler : NULL;
}

/*
 * The per-extension counter slot (metrics) of a call to row with handler:
 * the row's own, the last slot for rows beyond it and for EIDs nobody serves.
 */
static inline unsigned long sbi_call_stat(unsigned long row, sbi_ext_handler_t handler)
{
	return handler && row < RISCV_SBI_STAT_SLOTS - 1 ? row : RISCV_SBI_STAT_SLOTS - 1;
}

/* sbi_call_run_row for the call in v's a7 (its row looked up here). */
static inline __attribute__((always_inline)) void sbi_call_run(struct vcpu *v, bool traced)
{
	unsigned long row = sbi_call_row(v->arch.ctx.x[17]);
	sbi_ext_handler_t handler = sbi_call_handler(row);
	sbi_call_run_row(v, sbi_call_stat(row, handler), handler, traced);
}

#endif
