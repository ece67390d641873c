/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_NEXT_PC_H
#define FV_ARCH_ARM64_NEXT_PC_H

/*
 * Where an A64 instruction sends the vCPU: the debugger's single step places a BRK there
 * (core/gdb.c arm_step, gdb_arch_next_pc). Pure: compiles on the host and is unit-tested
 * (tests/unit/test_arm64_next_pc.c). Arm ARM C4.1 (encodings), C6.2 (B, BL, B.cond, BC.cond,
 * CBZ, CBNZ, TBZ, TBNZ, BR, BLR, RET, ERET, SVC, HVC, SMC, BRK), D1.10.2 (vector offsets).
 */
#include "lib/types.h"

/* The vCPU state an A64 branch or exception depends on. */
struct arm64_step_regs {
	uint64_t pc;
	const uint64_t *x; /* x0..x30 */
	uint64_t pstate;   /* SPSR_EL2 as saved: NZCV, EL, SPSel */
	uint64_t elr_el1;  /* ERET's target */
	uint64_t vbar_el1; /* SVC and the guest's own BRK go to its synchronous vector */
};

/*
 * The pc after insn executes at r->pc. 0 with *next, or -FV_ENOTSUP when it cannot be known
 * (an ERET or DRPS at EL0, pointer-authenticated branches the guest is not offered).
 */
int arm64_next_pc(uint32_t insn, const struct arm64_step_regs *r, uint64_t *next);

#endif
