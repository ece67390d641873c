// SPDX-License-Identifier: MIT
/* Next-pc decoder for single stepping; see next_pc.h. */
#include "arch/riscv/next_pc.h"

#define INSN_SRET   0x10200073u
#define INSN_EBREAK 0x00100073u

/* Bits hi..lo of v, shifted down. */
static uint64_t bits(uint32_t v, unsigned hi, unsigned lo)
{
	return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Sign-extend the low n bits of v. */
static int64_t sext(uint64_t v, unsigned n)
{
	uint64_t m = 1ULL << (n - 1);
	return (int64_t)((v ^ m) - m);
}

static uint64_t xreg(const struct riscv_step_regs *r, unsigned i)
{
	return i ? r->x[i & 31] : 0;
}

static uint64_t next32(uint32_t insn, const struct riscv_step_regs *r)
{
	uint64_t pc = r->pc;
	unsigned rs1 = (unsigned)bits(insn, 19, 15), rs2 = (unsigned)bits(insn, 24, 20);
	switch (insn & 0x7f) {
	case 0x6f: { /* JAL */
		uint64_t imm = bits(insn, 31, 31) << 20 | bits(insn, 19, 12) << 12 |
		               bits(insn, 20, 20) << 11 | bits(insn, 30, 21) << 1;
		return pc + (uint64_t)sext(imm, 21);
	}
	case 0x67: /* JALR */
		return (xreg(r, rs1) + (uint64_t)sext(bits(insn, 31, 20), 12)) & ~1ULL;
	case 0x63: { /* branches */
		uint64_t imm = bits(insn, 31, 31) << 12 | bits(insn, 7, 7) << 11 |
		               bits(insn, 30, 25) << 5 | bits(insn, 11, 8) << 1;
		uint64_t a = xreg(r, rs1), b = xreg(r, rs2);
		bool taken;
		switch (bits(insn, 14, 12)) {
		case 0:
			taken = a == b;
			break;
		case 1:
			taken = a != b;
			break;
		case 4:
			taken = (int64_t)a < (int64_t)b;
			break;
		case 5:
			taken = (int64_t)a >= (int64_t)b;
			break;
		case 6:
			taken = a < b;
			break;
		case 7:
			taken = a >= b;
			break;
		default:
			taken = false; /* reserved: it traps; the step ends at pc + 4 or never */
			break;
		}
		return taken ? pc + (uint64_t)sext(imm, 13) : pc + 4;
	}
	default:
		if (insn == INSN_SRET)
			return r->sepc;
		if (insn == INSN_EBREAK)
			return r->stvec & ~3ULL;
		return pc + 4;
	}
}

static uint64_t next16(uint32_t insn, const struct riscv_step_regs *r)
{
	uint64_t pc = r->pc;
	unsigned q = insn & 3, f3 = (unsigned)bits(insn, 15, 13);
	if (q == 1 && f3 == 5) { /* C.J */
		uint64_t imm = bits(insn, 12, 12) << 11 | bits(insn, 11, 11) << 4 |
		               bits(insn, 10, 9) << 8 | bits(insn, 8, 8) << 10 |
		               bits(insn, 7, 7) << 6 | bits(insn, 6, 6) << 7 |
		               bits(insn, 5, 3) << 1 | bits(insn, 2, 2) << 5;
		return pc + (uint64_t)sext(imm, 12);
	}
	if (q == 1 && (f3 == 6 || f3 == 7)) { /* C.BEQZ, C.BNEZ */
		uint64_t imm = bits(insn, 12, 12) << 8 | bits(insn, 11, 10) << 3 |
		               bits(insn, 6, 5) << 6 | bits(insn, 4, 3) << 1 |
		               bits(insn, 2, 2) << 5;
		uint64_t v = xreg(r, 8 + (unsigned)bits(insn, 9, 7));
		bool taken = f3 == 6 ? v == 0 : v != 0;
		return taken ? pc + (uint64_t)sext(imm, 9) : pc + 2;
	}
	if (q == 2 && f3 == 4) {
		unsigned rs1 = (unsigned)bits(insn, 11, 7), rs2 = (unsigned)bits(insn, 6, 2);
		if (rs2 == 0 && rs1 != 0) /* C.JR, C.JALR */
			return xreg(r, rs1) & ~1ULL;
		if (bits(insn, 12, 12) && rs1 == 0 && rs2 == 0) /* C.EBREAK */
			return r->stvec & ~3ULL;
	}
	return pc + 2;
}

uint64_t riscv_next_pc(uint32_t insn, const struct riscv_step_regs *r)
{
	return (insn & 3) == 3 ? next32(insn, r) : next16(insn & 0xffff, r);
}
