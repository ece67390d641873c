// SPDX-License-Identifier: MIT
/* The next pc of a single step over one A64 instruction (next_pc.h). Pure. */
#include "arch/arm64/next_pc.h"

#define PSTATE_N (1ULL << 31)
#define PSTATE_Z (1ULL << 30)
#define PSTATE_C (1ULL << 29)
#define PSTATE_V (1ULL << 28)

/* Sign-extend the low bits of v. */
static int64_t sext(uint64_t v, unsigned bits)
{
	uint64_t m = 1ULL << (bits - 1);
	v &= (1ULL << bits) - 1;
	return (int64_t)((v ^ m) - m);
}

/* Register n as an operand where 31 is the zero register. */
static uint64_t xreg(const struct arm64_step_regs *r, unsigned n)
{
	return n == 31 ? 0 : r->x[n];
}

/* ConditionHolds() of the Arm ARM pseudocode. */
static bool cond_holds(unsigned cond, uint64_t ps)
{
	bool n = ps & PSTATE_N, z = ps & PSTATE_Z, c = ps & PSTATE_C, v = ps & PSTATE_V;
	bool res;
	switch (cond >> 1) {
	case 0:
		res = z;
		break;
	case 1:
		res = c;
		break;
	case 2:
		res = n;
		break;
	case 3:
		res = v;
		break;
	case 4:
		res = c && !z;
		break;
	case 5:
		res = n == v;
		break;
	case 6:
		res = n == v && !z;
		break;
	default:
		return true; /* AL and NV: always */
	}
	return (cond & 1) ? !res : res;
}

/* The synchronous exception vector a trap from the current PSTATE to EL1 takes. */
static uint64_t sync_vector(const struct arm64_step_regs *r)
{
	unsigned el = (unsigned)(r->pstate >> 2) & 3;
	if (el == 0)
		return r->vbar_el1 +
		       ((r->pstate & 0x10) ? 0x600 : 0x400);    /* lower EL, AArch32/64 */
	return r->vbar_el1 + ((r->pstate & 1) ? 0x200 : 0x000); /* current EL, SPx/SP0 */
}

int arm64_next_pc(uint32_t insn, const struct arm64_step_regs *r, uint64_t *next)
{
	uint64_t pc = r->pc;
	*next = pc + 4;
	if ((insn & 0x7c000000U) == 0x14000000U) { /* B, BL */
		*next = pc + (uint64_t)(sext(insn, 26) * 4);
		return 0;
	}
	if ((insn & 0xff000000U) == 0x54000000U) { /* B.cond, BC.cond */
		if (cond_holds(insn & 0xf, r->pstate))
			*next = pc + (uint64_t)(sext(insn >> 5, 19) * 4);
		return 0;
	}
	if ((insn & 0x7e000000U) == 0x34000000U) { /* CBZ, CBNZ */
		uint64_t v = xreg(r, insn & 31);
		if (!(insn >> 31))
			v &= 0xffffffffULL;
		if ((v == 0) != ((insn >> 24) & 1))
			*next = pc + (uint64_t)(sext(insn >> 5, 19) * 4);
		return 0;
	}
	if ((insn & 0x7e000000U) == 0x36000000U) { /* TBZ, TBNZ */
		unsigned bit = ((insn >> 31) << 5) | ((insn >> 19) & 31);
		bool set = (xreg(r, insn & 31) >> bit) & 1;
		if (set == ((insn >> 24) & 1))
			*next = pc + (uint64_t)(sext(insn >> 5, 14) * 4);
		return 0;
	}
	if ((insn & 0xfe000000U) == 0xd6000000U) { /* unconditional branch (register) */
		unsigned opc = (insn >> 21) & 15, op2 = (insn >> 16) & 31, op3 = (insn >> 10) & 63;
		unsigned rn = (insn >> 5) & 31, op4 = insn & 31;
		if (op2 != 31 || op3 != 0 || op4 != 0)
			return -FV_ENOTSUP; /* pointer authentication forms: not offered to guests
			                     */
		if (opc <= 2) {             /* BR, BLR, RET */
			*next = xreg(r, rn);
			return 0;
		}
		if (opc == 4 && rn == 31 && ((r->pstate >> 2) & 3) != 0) { /* ERET at EL1 */
			*next = r->elr_el1;
			return 0;
		}
		return -FV_ENOTSUP;
	}
	if ((insn & 0xffe0001fU) == 0xd4000001U || (insn & 0xffe0001fU) == 0xd4200000U) {
		*next = sync_vector(r); /* SVC, and BRK: the guest's own, reflected to it */
		return 0;
	}
	/* HVC and SMC are the hypervisor's and return after the call; the rest fall through. */
	return 0;
}
