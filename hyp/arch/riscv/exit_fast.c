// SPDX-License-Identifier: MIT
/*
 * Guest exits handled from trap.S without the vCPU loop (docs/performance.md,
 * issue #15): riscv_exit_ecall() for SBI calls and riscv_exit_gpf() for
 * MMIO accesses through caller-saved registers, on a partial register save,
 * and riscv_exit_fast() for every other exit, on the full one. Both
 * re-enter the guest directly when core's loop (vcpu_run) would find nothing
 * to do, and otherwise return to it.
 */
#include "arch/riscv/asm_offsets.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/exit_fast.h"
#include "arch/riscv/insn_decode.h"
#include "arch/riscv/mmio_emul.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/sbi_call.h"
#include "core/gdb.h"
#include "core/percpu.h"
#include "core/prof.h"
#include "core/stat.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* The vCPU whose ctx trap.S hands over. */
static inline __attribute__((always_inline)) struct vcpu *exit_vcpu(struct riscv_guest_ctx *ctx)
{
	return (struct vcpu *)(void *)((char *)ctx - offsetof(struct vcpu, arch.ctx));
}

/* cpu_this() without the call: trap.S just loaded tp from ctx (the host's per-CPU pointer). */
static inline __attribute__((always_inline)) struct cpu *exit_cpu(void)
{
	struct cpu *c;
	__asm__("mv %0, tp" : "=r"(c));
	return c;
}

/*
 * The exit is handled: re-enter from trap.S only when core's loop (vcpu_run)
 * would find nothing to do (the same checks, then the same last steps
 * before its entry). v->in_guest is left to the caller.
 */
static inline __attribute__((always_inline)) long exit_reenter_checks(struct vcpu *v)
{
	/* The same test as core's loop (vcpu.h); a request missed here is followed by its kick. */
	if (!vcpu_may_reenter(v, exit_cpu()->need_resched))
		return RISCV_EXIT_LOOP;
	/*
	 * Loaded next to the request word (the same base register), before the
	 * SSE test needs another; riscv_apply_virqs's load, only earlier.
	 */
	uint32_t virq = __atomic_load_n(&v->virq_pending, __ATOMIC_RELAXED);
	/*
	 * sbi_sse_deliver() begins with these two loads and returns when both
	 * are clear; testing them here saves its call on nearly every exit.
	 */
	if ((__atomic_load_n(&v->arch.sse.local_pending, __ATOMIC_RELAXED) & 1) ||
	    __atomic_load_n(&v->vm->arch.sse.pending, __ATOMIC_RELAXED)) {
		sbi_sse_deliver(v);
		/*
		 * v through an empty asm: the compiler would otherwise keep
		 * &v->virq_pending in a callee-saved register across the call,
		 * a save and a restore on every exit for this rare branch.
		 */
		__asm__("" : "+r"(v));
		riscv_apply_virqs(v);
	} else {
		riscv_apply_virqs_from(v, virq);
	}
	return RISCV_EXIT_REENTER;
}

/* exit_reenter_checks, then in_guest set again when the guest is re-entered. */
static inline __attribute__((always_inline)) long exit_reenter(struct vcpu *v)
{
	if (exit_reenter_checks(v) != RISCV_EXIT_REENTER)
		return RISCV_EXIT_LOOP;
	/*
	 * Relaxed as at the exit: sbi_rfence's wait reads in_guest only to
	 * bound itself (arch_vcpu_enter), no order with other stores is relied on.
	 */
	__atomic_store_n(&v->in_guest, true, __ATOMIC_RELAXED);
	return RISCV_EXIT_REENTER;
}

long riscv_exit_fast(struct riscv_guest_ctx *ctx)
{
	struct vcpu *v = exit_vcpu(ctx);
	struct cpu *c = exit_cpu();
	/* Relaxed: only sbi_rfence's wait reads it, as a bound (see arch_vcpu_enter). */
	__atomic_store_n(&v->in_guest, false, __ATOMIC_RELAXED);
	STAT_INC(v->stats.exits);
	STAT_INC(c->stats.guest_exits);
	TRACE(TEV_EXIT, v->vm->id, v->id, ctx->scause, ctx->sepc, (uint32_t)ctx->stval);
	/* SBI calls come through riscv_exit_ecall; exit.c's table still serves them (exit_ecall).
	 */
	if (riscv_handle_exit(v))
		return RISCV_EXIT_LEAVE;
	return exit_reenter(v);
}

/* The SBI call in the profiler's sampling window (riscv_prof_windowed's shape). */
static bool exit_prof_sbi(struct vcpu *v)
{
	sbi_call_run(v, true);
	return false;
}

/* What riscv_exit_ecall and riscv_exit_gpf hand back to trap.S (riscv.h). */
static inline __attribute__((always_inline)) struct riscv_exit_ret exit_ret(long code,
                                                                            struct vcpu *v)
{
	return (struct riscv_exit_ret){code, &v->arch.ctx};
}

/*
 * The end of an exit handled on a partial path (riscv_exit_ecall,
 * riscv_exit_gpf). These leave v->in_guest set while they run: the one
 * reader, sbi_rfence's wait for a fence target, waits only while the target
 * has the fence request posted and is "in the guest", and a vCPU on these
 * paths reaches the request check below before it could re-enter, block or
 * be put (nothing on them waits for another vCPU except that wait itself,
 * which clears its own vCPU's flag around it: fence_harts). So in_guest is
 * cleared only here, when the vCPU leaves for the loop, where it may block.
 */
static inline __attribute__((always_inline)) struct riscv_exit_ret exit_partial_done(struct vcpu *v)
{
	long code = v->state != VCPU_RUNNING ? RISCV_EXIT_LEAVE : exit_reenter_checks(v);
	if (code != RISCV_EXIT_REENTER)
		__atomic_store_n(&v->in_guest, false, __ATOMIC_RELAXED);
	return exit_ret(code, v);
}

/*
 * The SBI exit; traced is a constant in each of the two copies
 * riscv_exit_ecall() chooses between, so that a tracer built in but off
 * costs one test of its mask per SBI call rather than one per event.
 */
static inline __attribute__((always_inline)) struct riscv_exit_ret
exit_ecall(struct riscv_guest_ctx *ctx, unsigned long stat, sbi_ext_handler_t handler, bool traced)
{
	struct vcpu *v = exit_vcpu(ctx);
	struct cpu *c = exit_cpu();
	/* in_guest stays set (exit_partial_done). */
	STAT_INC(v->stats.exits);
	STAT_INC(c->stats.guest_exits);
	STAT_INC(v->stats.by_kind[EXIT_HCALL]);
	/* An ecall's stval is zero (trap.S does not save it on this path). */
	if (traced)
		TRACE(TEV_EXIT, v->vm->id, v->id, EXC_ECALL_VS, ctx->sepc, 0u);
	/* While a profiling session runs, the call is made in the sampling window (riscv.h). */
	if (prof_active())
		riscv_prof_windowed(exit_prof_sbi, v);
	else
		sbi_call_run_row(v, stat, handler, traced);
	return exit_partial_done(v);
}

#if TRACE_BUILT
/* The classes of the SBI path's events: exit and SBI call. */
#define EXIT_ECALL_TRACE_CLASSES                                                                   \
	((1u << TRACE_EVENT_CLASS(TEV_EXIT)) | (1u << TRACE_EVENT_CLASS(TEV_HCALL)))
#define EXIT_ECALL_TRACED()                                                                        \
	((__atomic_load_n(&trace_mask, __ATOMIC_RELAXED) & EXIT_ECALL_TRACE_CLASSES) != 0)
#else
#define EXIT_ECALL_TRACED() false
#endif

/*
 * The calls riscv_exit_ecall leaves to the full path: those that may stop,
 * crash or suspend the vCPU publish its state (a dump, a snapshot, the
 * debugger read it once the VM is stopped) before this CPU gets back to
 * trap.S, so s0-s11 must be in ctx first.
 */
static const unsigned long exit_full_eids[] = {SBI_EXT_SRST, SBI_EXT_HSM, SBI_EXT_SUSP};

/* The guest SBI table, direct-mapped for this path (built at boot, read-only after). */
static struct sbi_direct exit_sbi_direct;

void riscv_exit_ecall_init(void)
{
	sbi_direct_build(&exit_sbi_direct, &sbi_guest_index, exit_full_eids,
	                 ARRAY_SIZE(exit_full_eids), RISCV_SBI_STAT_SLOTS - 1);
}

struct riscv_exit_ret riscv_exit_ecall(struct riscv_guest_ctx *ctx)
{
	uint64_t eid = ctx->x[17];
	unsigned long stat;
	sbi_ext_handler_t handler;
	/*
	 * The direct slot, when it serves the call, decides at once (the EIDs
	 * of the full path have none). Otherwise: those EIDs (exit_full_eids)
	 * leave before any side effect, everything else takes the index's answer.
	 */
	const struct sbi_direct_slot *d = sbi_direct_find(&exit_sbi_direct, eid);
	if (__builtin_expect(d != NULL, 1)) {
		stat = d->stat;
		handler = d->handler;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(exit_full_eids); i++)
			if (eid == exit_full_eids[i])
				return (struct riscv_exit_ret){RISCV_EXIT_FULL, ctx};
		unsigned long row = sbi_call_row(eid);
		handler = sbi_call_handler(row);
		stat = sbi_call_stat(row, handler);
	}
	if (__builtin_expect(EXIT_ECALL_TRACED(), 0))
		return exit_ecall(ctx, stat, handler, true);
	return exit_ecall(ctx, stat, handler, false);
}

/* x3, x8, x9, x18-x27 (gp, s0-s11): live in their registers, not in ctx, on the partial path. */
#define EXIT_CALLEE_SAVED_REGS 0x0ffc0308u

struct riscv_exit_ret riscv_exit_gpf(struct riscv_guest_ctx *ctx)
{
	struct vcpu *v = exit_vcpu(ctx);
	struct mmio_access acc;
	/*
	 * Decided before any side effect, so that RISCV_EXIT_FULL leaves the
	 * exit untouched for riscv_exit_fast. A debugger's watchpoints
	 * (exit.c: exit_guest_page_fault) may need any register; a profiling
	 * session samples the emulation in exit.c's window (riscv_prof_windowed).
	 */
	if (!insn_decode_transformed_fast(ctx->htinst, &acc) ||
	    ((EXIT_CALLEE_SAVED_REGS >> acc.reg) & 1) || prof_active() || gdb_vm_attached(v->vm))
		return exit_ret(RISCV_EXIT_FULL, v);
	/*
	 * The decoded access lives in this frame, not in registers: its fields
	 * are needed after the device's call, where each callee-saved register
	 * holding one would cost a save and a restore (six of them here).
	 * Handing its address to an empty asm makes the compiler keep it in
	 * memory and read it back after the call.
	 */
	__asm__ volatile("" : : "r"(&acc) : "memory");
	struct cpu *c = exit_cpu();
	/* in_guest stays set (exit_partial_done). */
	STAT_INC(v->stats.exits);
	STAT_INC(c->stats.guest_exits);
	TRACE(TEV_EXIT, v->vm->id, v->id, ctx->scause, ctx->sepc, (uint32_t)ctx->stval);
	STAT_INC(v->stats.by_kind[EXIT_MMIO]);
	/* riscv_handle_guest_page_fault's steps, inline, with the access decoded above. */
	gpa_t gpa = riscv_gpf_gpa(ctx);
	bool is_store = ctx->scause == EXC_STORE_GUEST_PF;
	if (!riscv_gpa_in_ram(v->vm, gpa) || !riscv_mmio_ram_fault(v, gpa, is_store))
		riscv_mmio_emulate(v, gpa, is_store, &acc);
	return exit_partial_done(v);
}
