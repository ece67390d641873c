// SPDX-License-Identifier: MIT
/*
 * RISC-V side of the profiler (core/prof.h): the interrupted guest pc and its
 * frame-pointer chain, and the idle loop's pc.
 *
 * The guest pc: a host timer interrupt taken while V=1 traps to HS with
 * hstatus.SPV set and sepc = the guest instruction it interrupted; trap.S
 * saves that sepc in the vCPU context (ctx.sepc), which is what we read here
 * while the exit is handled (the VS CSR vsepc is the guest's own and
 * unrelated).
 *
 * The caller chain: with -fno-omit-frame-pointer the RISC-V frame record sits
 * just below the frame pointer s0: the return address at s0-8 and the
 * caller's s0 at s0-16 (a leaf function saves only s0, at s0-8; see below). We follow it through
 * the guest's own page tables (riscv_ptwalk under the live vsatp) and read only VM RAM
 * (vm_gpa_to_hva); any unmapped, misaligned, non-RAM or non-ascending frame ends the chain.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/ptwalk.h"
#include "arch/riscv/riscv.h"
#include "core/percpu.h"
#include "core/prof.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define REG_RA 1 /* x1 = ra */
#define REG_S0 8 /* x8 = s0/fp */
/* How far above a frame its caller's may lie (bounds the leaf-frame test below). */
#define PROF_LEAF_FP_SPAN (1ULL << 20)

/* Read the aligned guest doubleword at virtual address va; false if not readable RAM. */
static bool read_guest_u64(struct vm *vm, uint64_t vsatp, uint64_t va, uint64_t *val)
{
	uint64_t gpa;
	if (va & 7)
		return false;
	if (riscv_ptwalk(vsatp, va, PTW_R, riscv_guest_pte_read, vm, &gpa))
		return false;
	const uint64_t *p = vm_gpa_to_hva(vm, gpa, 8);
	if (!p)
		return false;
	*val = __atomic_load_n(p, __ATOMIC_RELAXED);
	return true;
}

/* A caller's frame lies above fp and not far: a frame pointer, not a code address. */
static bool looks_like_caller_fp(uint64_t v, uint64_t fp)
{
	return v > fp && v - fp <= PROF_LEAF_FP_SPAN && !(v & 7);
}

void arch_prof_guest_sample(struct vcpu *v, struct prof_sample *s)
{
	s->pc = v->arch.ctx.sepc;
	s->vcpu = v->id;
	s->depth = 0;
	/* The vCPU is loaded: its live vsatp is in the CSR, the saved copy may be stale. */
	uint64_t vsatp = csr_read(vsatp);
	uint64_t fp = v->arch.ctx.x[REG_S0];
	for (unsigned i = 0; i < PROF_DEPTH; i++) {
		uint64_t ra, next;
		if (fp < 16 || !read_guest_u64(v->vm, vsatp, fp - 8, &ra))
			break;
		if (i == 0 && looks_like_caller_fp(ra, fp)) {
			/*
			 * A leaf function with a frame pointer saves only s0, at fp-8, and
			 * keeps its return address in ra: the interrupted register names
			 * the caller, the saved s0 its frame.
			 */
			next = ra;
			ra = v->arch.ctx.x[REG_RA];
		} else if (!read_guest_u64(v->vm, vsatp, fp - 16, &next)) {
			break;
		}
		if (ra == 0)
			break;
		s->ra[s->depth++] = ra;
		/* Frames grow down: a caller's frame lies above; anything else is garbage or a
		 * loop. */
		if (next <= fp)
			break;
		fp = next;
	}
}

uint64_t arch_prof_idle_pc(void)
{
	extern const char riscv_idle_wfi[];
	return (uint64_t)(uintptr_t)riscv_idle_wfi;
}

/*
 * The sampling window (riscv.h). The hypervisor otherwise runs with sstatus.SIE = 0, and
 * nothing here changes that outside a window. Inside one, while a profiling session runs
 * and only around a synchronous exit handler:
 *  - sie keeps only STIE (IPIs, external and counter-overflow interrupts stay pending and
 *    are taken at the next guest entry, as always), and SIE = 1;
 *  - a timer interrupt then traps to riscv_hyp_trap with sepc = the hypervisor's pc;
 *    riscv_prof_hyp_trap masks STIE for the rest of the window (one trap per window),
 *    records the sample and returns; the timer queue is not touched (the interrupted
 *    handler may hold its lock): the still-pending interrupt runs the timers at the next
 *    guest entry;
 *  - that trap from HS wrote hstatus.SPV = 0 (and GVA), which its own sret needs (SPV = 1
 *    would return into the guest); the window puts back the guest exit's SPV and GVA when it
 *    closes. SPVP is left alone by a trap with V=0, so guarded guest accesses in the
 *    handler keep their privilege; trap.S writes all of hstatus from ctx at the next entry.
 * The trap also clobbers scause, stval, htval and htinst; exit handlers read the copies
 * saved at the guest exit (ctx), never those CSRs.
 */
#define PROF_WIN_MASKED (MIP_SSIP | MIP_SEIP | BIT(13) /* LCOFI */)

static struct {
	bool open;
	uint64_t hstatus; /* SPV and GVA of the guest exit */
	uint64_t sie_on;  /* the bits of sie the window turned off */
	struct vcpu *v;
} prof_win[FV_MAX_CPUS];

bool riscv_prof_windowed(bool (*fn)(struct vcpu *), struct vcpu *v)
{
	unsigned id = cpu_this()->id;
	/*
	 * A timer already due when the exit began expired in the guest (or on the way out of
	 * it): no window, so that sample stays the guest's (its pc, taken at the next entry)
	 * instead of landing on the instruction that opens the window.
	 */
	if (csr_read(sip) & MIP_STIP)
		return fn(v);
	prof_win[id].v = v;
	prof_win[id].hstatus = csr_read(hstatus) & (HSTATUS_SPV | HSTATUS_GVA);
	prof_win[id].sie_on = csr_read(sie) & (PROF_WIN_MASKED | MIP_STIP);
	csr_clear(sie, PROF_WIN_MASKED);
	__atomic_store_n(&prof_win[id].open, true, __ATOMIC_RELAXED);
	/* The label marks where an interrupt pending at the opening is taken (see the trap). */
	__asm__ volatile("csrs sstatus, %0\n"
	                 ".globl riscv_prof_window_opened\n"
	                 "riscv_prof_window_opened:" ::"r"(SSTATUS_SIE)
	                 : "memory");
	bool ret = fn(v);
	csr_clear(sstatus, SSTATUS_SIE);
	__asm__ volatile("" ::: "memory");
	__atomic_store_n(&prof_win[id].open, false, __ATOMIC_RELAXED);
	uint64_t hs = csr_read(hstatus) & ~(HSTATUS_SPV | HSTATUS_GVA);
	csr_write(hstatus, hs | prof_win[id].hstatus);
	/* STIE too: the trap masked it; anything the handler armed meanwhile set it again. */
	csr_set(sie, prof_win[id].sie_on);
	return ret;
}

bool riscv_prof_hyp_trap(struct riscv_trap_frame *tf)
{
	unsigned id = cpu_this()->id;
	if (tf->scause != (SCAUSE_INTR | IRQ_S_TIMER) ||
	    !__atomic_load_n(&prof_win[id].open, __ATOMIC_RELAXED))
		return false;
	csr_clear(sie, MIP_STIP);
	/*
	 * Taken the moment the window opened: the timer expired before the handler began (QEMU
	 * raises STIP from a host timer, so the sip check above can miss it). Not a sample of
	 * the handler: prof_tick takes it at the next entry, as the guest's.
	 */
	extern const char riscv_prof_window_opened[];
	if (tf->sepc != (uint64_t)(uintptr_t)riscv_prof_window_opened)
		prof_hyp_sample(prof_win[id].v, tf->sepc);
	return true;
}
