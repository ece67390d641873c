/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_NEXT_PC_H
#define FV_ARCH_RISCV_NEXT_PC_H

/*
 * Where a hart goes after one instruction (RV64GC, unprivileged spec
 * chapters 2 and 16 "C" extension): the debugger's single step places a
 * breakpoint there. Pure logic, host unit-tested.
 */
#include "lib/types.h"

struct riscv_step_regs {
	uint64_t pc;
	const uint64_t *x; /* x[0..31], x[0] read as 0 */
	uint64_t sepc;     /* the guest's sepc (target of sret) */
	uint64_t stvec;    /* the guest's stvec (target of its own ebreak) */
};

/*
 * Next pc after insn (4 bytes, or the low 2 for a compressed one) at r->pc,
 * assuming it does not trap except for ebreak (to stvec's base) and sret
 * (to sepc). ecall and everything else fall through to pc + length.
 */
uint64_t riscv_next_pc(uint32_t insn, const struct riscv_step_regs *r);

#endif
