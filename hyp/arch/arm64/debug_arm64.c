// SPDX-License-Identifier: MIT
/*
 * The guest side of the debugger on a loaded arm64 vCPU (core/gdb.h; the stub's hooks are in
 * gdb_arch.c). While a debugger is attached to its VM, a vCPU runs with MDCR_EL2.TDE: BRK
 * (a breakpoint exception, Arm ARM D2.9) from EL1 or EL0 comes to EL2 instead of the guest's
 * VBAR_EL1, so the debugger's breakpoints and step points stop the VM and the guest's own
 * BRKs are handed back to it as the hardware would have (reflect_sync). TDE also makes every
 * debug register access of the guest trap (TDA, TDOSA, TDRA behave as 1, D19.3.13): they are
 * passed through to the hardware registers, which are the guest's alone as when no debugger
 * is attached, except MDSCR_EL1, kept in el1.mdscr as the guest wrote it while the hardware
 * one is 0. With MDSCR_EL1.MDE/SS/KDE clear the guest's own hardware breakpoints,
 * watchpoints and software step cannot fire while the debugger is attached (debug exceptions
 * targeting EL2 are not masked by KDE or PSTATE.D, D2.4): the guest's own hardware debugging
 * is suspended for that time, and resumes with its MDSCR_EL1 on detach.
 *
 * Runs on the vCPU's own CPU (load, put, exit handlers).
 */
#include "arch/arm64/arm64.h"
#include "core/gdb.h"
#include "core/vcpu.h"
#include "core/vm.h"

void arm64_debug_load(struct vcpu *v)
{
	bool on = gdb_vm_attached(v->vm);
	v->arch.dbg_trap = on;
	sysreg_write(mdcr_el2, on ? MDCR_HOST | MDCR_TDE : MDCR_HOST);
	if (on)
		sysreg_write(mdscr_el1, 0);
}

void arm64_debug_put(struct vcpu *v, uint64_t guest_mdscr)
{
	if (v->arch.dbg_trap)
		v->arch.el1.mdscr = guest_mdscr; /* the hardware held 0, not the guest's value */
	v->arch.dbg_trap = false;
	sysreg_write(mdcr_el2, MDCR_HOST);
}

/* ISS of a trapped MSR/MRS (EC 0x18): Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10],
 * Rt [9:5], CRm [4:1], Direction [0] (1 = read). The key of an op0 = 2 register: */
#define KEY(op1, crn, crm, op2) (((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))

/* One case per register: the encoding is fixed in the instruction, so each is spelled out. */
#define DBG_RW(k, name)                                                                            \
	case k:                                                                                    \
		if (rd)                                                                            \
			val = sysreg_read(name);                                                   \
		else                                                                               \
			sysreg_write(name, val);                                                   \
		break
#define DBG_RO(k, name)                                                                            \
	case k:                                                                                    \
		if (rd)                                                                            \
			val = sysreg_read(name);                                                   \
		break
#define DBG_WO(k, name)                                                                            \
	case k:                                                                                    \
		if (!rd)                                                                           \
			sysreg_write(name, val);                                                   \
		break
/* DBGBVR<m>, DBGBCR<m>, DBGWVR<m>, DBGWCR<m>: op1 0, CRn 0, CRm m, op2 4..7. */
#define BPWP(m)                                                                                    \
	DBG_RW(KEY(0, 0, m, 4), S2_0_C0_C##m##_4);                                                 \
	DBG_RW(KEY(0, 0, m, 5), S2_0_C0_C##m##_5);                                                 \
	DBG_RW(KEY(0, 0, m, 6), S2_0_C0_C##m##_6);                                                 \
	DBG_RW(KEY(0, 0, m, 7), S2_0_C0_C##m##_7)

/* Pass one debug register access through to the hardware; false: not one we know. */
static bool passthrough(unsigned key, bool rd, uint64_t *out)
{
	uint64_t val = *out;
	switch (key) {
		BPWP(0);
		BPWP(1);
		BPWP(2);
		BPWP(3);
		BPWP(4);
		BPWP(5);
		BPWP(6);
		BPWP(7);
		BPWP(8);
		BPWP(9);
		BPWP(10);
		BPWP(11);
		BPWP(12);
		BPWP(13);
		BPWP(14);
		BPWP(15);
		DBG_RW(KEY(0, 0, 0, 2), S2_0_C0_C0_2);   /* OSDTRRX_EL1 */
		DBG_RW(KEY(0, 0, 2, 0), S2_0_C0_C2_0);   /* MDCCINT_EL1 */
		DBG_RW(KEY(0, 0, 3, 2), S2_0_C0_C3_2);   /* OSDTRTX_EL1 */
		DBG_RW(KEY(0, 0, 6, 2), S2_0_C0_C6_2);   /* OSECCR_EL1 */
		DBG_RO(KEY(0, 1, 0, 0), S2_0_C1_C0_0);   /* MDRAR_EL1 */
		DBG_WO(KEY(0, 1, 0, 4), S2_0_C1_C0_4);   /* OSLAR_EL1 */
		DBG_RO(KEY(0, 1, 1, 4), S2_0_C1_C1_4);   /* OSLSR_EL1 */
		DBG_RW(KEY(0, 1, 3, 4), S2_0_C1_C3_4);   /* OSDLR_EL1 */
		DBG_RW(KEY(0, 1, 4, 4), S2_0_C1_C4_4);   /* DBGPRCR_EL1 */
		DBG_RW(KEY(0, 7, 8, 6), S2_0_C7_C8_6);   /* DBGCLAIMSET_EL1 */
		DBG_RW(KEY(0, 7, 9, 6), S2_0_C7_C9_6);   /* DBGCLAIMCLR_EL1 */
		DBG_RO(KEY(0, 7, 14, 6), S2_0_C7_C14_6); /* DBGAUTHSTATUS_EL1 */
		DBG_RO(KEY(3, 0, 1, 0), S2_3_C0_C1_0);   /* MDCCSR_EL0 */
		DBG_RW(KEY(3, 0, 4, 0), S2_3_C0_C4_0);   /* DBGDTR_EL0 */
		DBG_RW(KEY(3, 0, 5, 0), S2_3_C0_C5_0);   /* DBGDTRRX_EL0 / DBGDTRTX_EL0 */
	default:
		return false;
	}
	*out = val;
	return true;
}

bool arm64_debug_sysreg(struct vcpu *v)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	uint64_t esr = ctx->esr;
	if (!v->arch.dbg_trap || ((esr >> 20) & 3) != 2)
		return false;
	unsigned op2 = (unsigned)(esr >> 17) & 7, op1 = (unsigned)(esr >> 14) & 7;
	unsigned crn = (unsigned)(esr >> 10) & 15, crm = (unsigned)(esr >> 1) & 15;
	unsigned rt = (unsigned)(esr >> 5) & 31;
	bool rd = esr & 1;
	uint64_t val = rd || rt == 31 ? 0 : ctx->x[rt];
	if (op1 == 0 && crn == 0 && crm == 2 && op2 == 2) {
		/* MDSCR_EL1: the guest's view (the hardware one stays 0 while we debug). */
		if (rd)
			val = v->arch.el1.mdscr;
		else
			v->arch.el1.mdscr = val;
	} else if (op1 == 0 && crn == 0 && op2 >= 4) {
		/*
		 * A breakpoint or watchpoint register: only the implemented ones exist at EL2
		 * too (others are UNDEFINED there); the guest reads the same counts in
		 * ID_AA64DFR0_EL1, so a register beyond them reads as 0 and ignores writes.
		 */
		uint64_t dfr0 = sysreg_read(id_aa64dfr0_el1);
		unsigned n = (unsigned)((op2 < 6 ? dfr0 >> 12 : dfr0 >> 20) & 15) + 1;
		if (crm >= n)
			val = 0;
		else if (!passthrough(KEY(op1, crn, crm, op2), rd, &val))
			return false;
	} else if (!passthrough(KEY(op1, crn, crm, op2), rd, &val)) {
		return false;
	}
	if (rd && rt != 31)
		ctx->x[rt] = val;
	ctx->pc += 4;
	return true;
}

/*
 * Take a synchronous exception with syndrome esr to the guest's EL1, as the hardware would
 * have without TDE (Arm ARM D1.10: ELR = the preferred return address, SPSR = PSTATE, ESR;
 * the vector by the source EL and stack; PSTATE EL1h with DAIF masked, PAN set unless
 * SCTLR_EL1.SPAN, SSBS from SCTLR_EL1.DSSBS, DIT kept). The vCPU is loaded: its EL1
 * registers are live in the hardware.
 */
static void reflect_sync(struct vcpu *v, uint64_t esr)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	uint64_t ps = ctx->pstate;
	uint64_t off;
	if (((ps >> 2) & 3) == 0)
		off = (ps & 0x10) ? 0x600 : 0x400; /* from EL0: lower EL, AArch32 or AArch64 */
	else
		off = (ps & 1) ? 0x200 : 0x000; /* current EL with SP_EL1 or SP_EL0 */
	uint64_t sctlr = sysreg_read(sctlr_el1);
	uint64_t np = PSTATE_EL1H_MASKED | (ps & (1ULL << 24));
	if (!(sctlr & (1ULL << 23)) && ((sysreg_read(id_aa64mmfr1_el1) >> 20) & 15))
		np |= 1ULL << 22; /* PAN */
	if (sctlr & (1ULL << 44))
		np |= 1ULL << 12; /* SSBS */
	sysreg_write(esr_el1, esr);
	sysreg_write(elr_el1, ctx->pc);
	sysreg_write(spsr_el1, ps);
	ctx->pstate = np;
	ctx->pc = sysreg_read(vbar_el1) + off;
}

bool arm64_debug_brk(struct vcpu *v)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	/* A64 BRK (EC 0x3c) at a debugger's breakpoint or step point: the VM halts. */
	if (((ctx->esr >> ESR_EC_SHIFT) & 0x3f) == ESR_EC_BRK64 && gdb_breakpoint_hit(v, ctx->pc))
		return true;
	/* The guest's own (BRK, or an AArch32 BKPT at EL0): its exception, unchanged. */
	reflect_sync(v, ctx->esr);
	return v->state != VCPU_RUNNING;
}
