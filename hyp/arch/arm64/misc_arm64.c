// SPDX-License-Identifier: MIT
/*
 * arm64 hooks of the crash dump, profiler and virtual interrupt controller at this stage
 * of the port (docs/arm64.md says what exists).
 */
#include "arch/arm64/arm64.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/ctl_proto.h"
#include "core/prof.h"
#include "core/prof_buf.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

/*
 * Crash dump: the dump layout is RISC-V's (pc, x1..x31, CSRs, FP). arm64 fills pc and
 * x1..x30 (x31 slot: SP_EL1) at the same indices, zeroes the RISC-V CSR slots and puts
 * the FP/SIMD low halves where f0..f31 go.
 */
void arch_vcpu_dump_regs(const struct vcpu *v, uint64_t *reg)
{
	memset(reg, 0, CTL_DUMP_NR_REGS * sizeof(uint64_t));
	reg[CTL_DUMP_R_PC] = v->arch.ctx.pc;
	for (unsigned i = 1; i <= 30; i++)
		reg[CTL_DUMP_R_X1 + i - 1] = v->arch.ctx.x[i];
	reg[CTL_DUMP_R_X1 + 30] = v->arch.el1.sp_el1;
	for (unsigned i = 0; i < 32; i++)
		reg[CTL_DUMP_R_F0 + i] = v->arch.fp.q[2 * i];
}

/* Profiler: the interrupted guest pc; no caller chain yet (needs a stage-1 walker). */
void arch_prof_guest_sample(struct vcpu *v, struct prof_sample *s)
{
	s->pc = v->arch.ctx.pc;
	s->depth = 0;
}

uint64_t arch_prof_idle_pc(void)
{
	extern const char arm64_idle_wfi[];
	return (uint64_t)(uintptr_t)arm64_idle_wfi;
}
