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
