/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VCPU_H
#define FV_ARCH_VCPU_H

/*
 * RISC-V per-vCPU state, embedded in struct vcpu. Plain data, no pointers,
 * so that a later snapshot/migration can serialise it as it is.
 */
#include "lib/types.h"

/* Saved on every guest exit by the world switch (see trap.S). */
struct riscv_guest_ctx {
	uint64_t x[32]; /* x[0] unused */
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t hstatus;
	/* hypervisor callee-saved state while the guest runs */
	uint64_t host_ra, host_sp, host_gp, host_tp;
	uint64_t host_s[12];
	/* exit information snapshot */
	uint64_t scause, stval, htval, htinst;
};

/* VS-level CSRs: switched only when the vCPU is loaded/put on a CPU. */
struct riscv_vs_csrs {
	uint64_t vsstatus, vsie, vstvec, vsscratch, vsepc, vscause, vstval, vsatp;
	uint64_t hvip;
	uint64_t vstimecmp;
	uint64_t henvcfg;
	uint64_t hcounteren;
	uint64_t scounteren; /* not banked for VS: the guest writes the real one */
	uint64_t senvcfg;    /* likewise */
};

struct riscv_fp_state {
	uint64_t f[32];
	uint64_t fcsr;
};

/*
 * Virtual PMU of one vCPU (SBI PMU extension; logic in sbi/pmu_core.c).
 * Counter indices follow the host layout Linux expects: 0 = cycle,
 * 1 = time (listed, never configurable), 2 = instret, 3.. = events a host
 * counter counts (hpmcounter3..), then firmware counters. fw_events are the vCPU's raw
 * firmware-event totals (atomic adds from any CPU); a counter keeps its value at the last fold plus
 * the source reading (base) it was folded at.
 */
#define RISCV_PMU_FIRST_HOSTED 3
#define RISCV_PMU_NR_HOSTED    4
#define RISCV_PMU_NR_HW        (RISCV_PMU_FIRST_HOSTED + RISCV_PMU_NR_HOSTED)
#define RISCV_PMU_NR_FW        16
#define RISCV_PMU_NR_CTRS      (RISCV_PMU_NR_HW + RISCV_PMU_NR_FW)
#define RISCV_PMU_NR_FW_EVENTS 22

struct riscv_pmu_ctr {
	uint64_t value;      /* count up to the moment base was read */
	uint64_t base;       /* source reading at the last fold (valid while started) */
	uint64_t event_data; /* with event_idx: the host counter's event */
	uint32_t event_idx;  /* SBI event_idx, valid while configured */
	uint8_t configured;  /* mapped to an event (config_matching .. stop RESET) */
	uint8_t started;
	uint8_t host_idx; /* host counter backing it while loaded; 0 = none (vpmu.c) */
};

struct riscv_pmu {
	struct riscv_pmu_ctr ctr[RISCV_PMU_NR_CTRS];
	uint64_t fw_events[RISCV_PMU_NR_FW_EVENTS];
	uint64_t snapshot_gpa; /* snapshot shared memory, valid if snapshot_on */
	bool snapshot_on;
};

struct vcpu_arch {
	struct riscv_guest_ctx ctx; /* must stay first: trap.S gets &ctx from sscratch */
	struct riscv_vs_csrs csr;
	struct riscv_fp_state fp;
	/* emulated timer (no Sstc): deadline in guest time, UINT64_MAX = none */
	uint64_t timer_deadline;
	struct riscv_pmu pmu;
};

#endif
