/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VCPU_H
#define FV_ARCH_VCPU_H

/*
 * arm64 per-vCPU state, embedded in struct vcpu. Plain data, no pointers, so that a later
 * snapshot can serialise it as it is.
 */
#include "lib/types.h"

/* Saved on every guest exit by the world switch (entry.S; offsets in asm_offsets.h). */
struct arm64_guest_ctx {
	uint64_t x[31];  /* x0..x30 */
	uint64_t pc;     /* ELR_EL2 */
	uint64_t pstate; /* SPSR_EL2 */
	/* hypervisor callee-saved state while the guest runs: x19..x30, sp */
	uint64_t host_x[12];
	uint64_t host_sp;
	/* exit information snapshot */
	uint64_t esr, far, hpfar;
};

/*
 * EL1 (and EL0) system registers: switched only when the vCPU is loaded or put on a CPU,
 * never on an exit (the hypervisor at EL2 does not use them).
 */
struct arm64_el1_regs {
	uint64_t sctlr, ttbr0, ttbr1, tcr, mair, amair, vbar, contextidr;
	uint64_t tpidr_el0, tpidrro_el0, tpidr_el1, sp_el0, sp_el1, elr, spsr;
	uint64_t esr, far, afsr0, afsr1, cpacr, csselr, cntkctl, par, mdscr;
	uint64_t cntv_ctl, cntv_cval; /* the EL1 virtual timer */
	uint64_t vmpidr;              /* what the guest reads as MPIDR_EL1 */
};

/* FP/SIMD registers (the hypervisor is integer-only, so they are the guest's alone). */
struct arm64_fp_state {
	_Alignas(16) uint64_t q[64]; /* q0..q31, low half first */
	uint64_t fpcr, fpsr;
};

/*
 * One vCPU's part of the virtual GICv3 (vgic.c): its redistributor's SGI/PPI state (under
 * the VM's vgic lock: other vCPUs send SGIs) and its virtual CPU interface (ICH_* list
 * registers, live in hardware while loaded, saved here while not).
 */
#define ARM64_VGIC_MAX_LR 16
struct arm64_vgic_cpu {
	uint32_t enabled, pending, group; /* bit n = INTID n (SGIs 0-15, PPIs 16-31) */
	uint32_t cfg1;                    /* GICR_ICFGR1: PPI edge/level bits as written */
	uint8_t prio[32];
	bool asleep;                    /* GICR_WAKER.ProcessorSleep */
	uint64_t lr[ARM64_VGIC_MAX_LR]; /* saved ICH_LR<n>_EL2 */
	uint64_t vmcr, ap0r0, ap1r0;    /* saved ICH_VMCR_EL2, ICH_AP0R0_EL2, ICH_AP1R0_EL2 */
	uint64_t vtimer_armed;          /* deadline (ns) the software vtimer is armed for, 0 none */
};

/* Calls per PSCI function group a vCPU made (metrics); never reset. */
#define ARM64_HCALL_STAT_SLOTS 2 /* "psci", "other" */

struct vcpu_arch {
	struct arm64_guest_ctx ctx; /* entry.S gets &ctx (arm64_guest_run) */
	struct arm64_el1_regs el1;
	struct arm64_fp_state fp;
	struct arm64_vgic_cpu vgic;
	uint64_t hcalls[ARM64_HCALL_STAT_SLOTS];
	/*
	 * Loaded with a debugger attached (debug_arm64.c): MDCR_EL2.TDE routes the guest's
	 * debug exceptions and debug register accesses here, and the hardware MDSCR_EL1 is 0
	 * while el1.mdscr keeps the value the guest wrote.
	 */
	bool dbg_trap;
};

#endif
