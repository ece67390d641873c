/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_EXIT_FAST_H
#define FV_ARCH_RISCV_EXIT_FAST_H

/*
 * The last step before every guest entry, shared by the vCPU loop
 * (vcpu_riscv.c) and the exit paths that re-enter from trap.S
 * (exit_fast.c): inline in both, it runs on every exit.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/vcpu.h"

/*
 * riscv_apply_virqs with v->virq_pending already loaded (relaxed, as there)
 * into virq: a line raised after that load is followed by its kick.
 */
static inline __attribute__((always_inline)) void riscv_apply_virqs_from(struct vcpu *v,
                                                                         uint32_t virq)
{
	uint64_t hvip = csr_read(hvip);
	/*
	 * Nothing raised and no line of ours left up in hvip: the usual case
	 * on an exit, decided without the recomputation below (which would
	 * write nothing: with Sstc a VSTIP seen here is the comparator's).
	 */
	if (virq == 0 && !(hvip & (MIP_VSEIP | MIP_VSTIP)))
		return; /* the same decision in one test for the commonest case */
	if (virq == 0 && !(hvip & MIP_VSEIP) && (!(hvip & MIP_VSTIP) || riscv_feat.sstc))
		return;
	/*
	 * Only VSSIP in hvip belongs to the guest (it clears it through sip).
	 * A read of hvip may also show the Sstc comparator's VSTIP; writing
	 * that back would latch a timer interrupt the guest cannot clear.
	 */
	uint64_t want = hvip & MIP_VSSIP;
	/*
	 * v through an empty asm: otherwise the compiler shares the address of
	 * virq_pending (below) with the caller's load, computing it in extra
	 * instructions on the common path that returned above.
	 */
	__asm__("" : "+r"(v));
	if (virq & VIRQ_SOFT) {
		/* Edge: once in hvip the guest owns it (it clears sip.SSIP). */
		want |= MIP_VSSIP;
		__atomic_fetch_and(&v->virq_pending, ~(uint32_t)VIRQ_SOFT, __ATOMIC_ACQ_REL);
	}
	if ((virq & VIRQ_TIMER) && !riscv_feat.sstc)
		want |= MIP_VSTIP;
	if (virq & VIRQ_EXT)
		want |= MIP_VSEIP;
	if (want != (hvip & VS_IRQ_MASK))
		csr_write(hvip, want);
}

/*
 * Move hypervisor-raised interrupt lines (v->virq_pending) into hvip.
 * Caller: v's CPU with v loaded, interrupts off, right before entry.
 */
static inline __attribute__((always_inline)) void riscv_apply_virqs(struct vcpu *v)
{
	/*
	 * Relaxed: the bits are the whole message. State a device publishes
	 * with VIRQ_EXT (its interrupt controller) is read by the guest
	 * through trapped accesses under that device's lock, not here.
	 */
	riscv_apply_virqs_from(v, __atomic_load_n(&v->virq_pending, __ATOMIC_RELAXED));
}

#endif
