/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VCPU_H
#define FV_ARCH_VCPU_H

/*
 * RISC-V per-vCPU state, embedded in struct vcpu. Plain data, no pointers,
 * so that a later snapshot/migration can serialise it as it is.
 */
#include "lib/types.h"
#include "arch/riscv/sbi/sse_core.h"

/* Saved on every guest exit by the world switch (see trap.S). */
struct riscv_guest_ctx {
	uint64_t x[32]; /* x[0] unused */
	uint64_t sepc;
	uint64_t sstatus;
	uint64_t hstatus;
	/* hypervisor callee-saved state while the guest runs (no gp: unused, see trap.S) */
	uint64_t host_ra, host_sp, host_tp;
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
 * SSE state of one hart (sbi_sse.c): its local software event, whether it accepts events,
 * and the events running on it, innermost last (a more urgent event preempts a running one).
 * Only the vCPU's own CPU touches it, except local_pending (atomic, set by injectors).
 */
#define RISCV_SSE_RUN_LOCAL  0
#define RISCV_SSE_RUN_GLOBAL 1
struct riscv_sse_hart {
	bool unmasked;
	uint32_t local_pending; /* atomic: the local software event was injected */
	struct sse_event local;
	uint8_t nr_running;
	uint8_t running[2]; /* RISCV_SSE_RUN_* */
};

/*
 * SBI STA (steal-time accounting) registration of one vCPU. Zero (as after
 * arch_vcpu_reset) means disabled. boot is the VM's boot count when it was
 * set: a record from an earlier boot is never written (VM reset disables it).
 */
struct riscv_sta {
	uint64_t shmem; /* GPA of the 64-byte record */
	uint64_t boot;  /* vm->boots at set_shmem */
	bool enabled;
};

/* SBI FWFT state of one vCPU (sbi_fwft.c): value per standard feature, lock bits. */
#define RISCV_FWFT_NR 6
struct riscv_fwft_state {
	uint64_t value[RISCV_FWFT_NR]; /* indexed by feature id 0..5 */
	uint32_t locked;               /* bit i: feature i set with the LOCK flag */
	uint32_t logged;               /* bit i: a change of feature i was logged since reset */
};

/* SBI DBTR state of one vCPU (sbi_dbtr.c); the guest's view of its triggers. */
#define RISCV_DBTR_MAX 4 /* virtual triggers per vCPU (at most the host's count) */
struct riscv_dbtr_trig {
	uint64_t state;  /* trig_state as the guest reads it (0 = not installed) */
	uint64_t tdata1; /* guest encoding: s/u = its own S/U mode */
	uint64_t tdata2, tdata3;
};
struct riscv_dbtr_state {
	uint64_t shmem;  /* guest physical address of the shared memory */
	bool shmem_on;   /* set_shmem gave an address (not disabled) */
	uint8_t host_nr; /* host triggers installed for it on its CPU (0 when not loaded) */
	uint8_t host_idx[RISCV_DBTR_MAX]; /* their host trig_idx */
	struct riscv_dbtr_trig trig[RISCV_DBTR_MAX];
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

/* Per-extension SBI call counters a vCPU keeps (sbi_guest_exts rows + one "other"). */
#define RISCV_SBI_STAT_SLOTS 24

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

/*
 * SBI HSM suspend of one hart (sbi_hsm.c, sbi_susp.c): set by hart_suspend / system_suspend,
 * ended by riscv_hsm_resume before the next entry. Zeroed by arch_vcpu_reset (hart_start).
 */
struct riscv_hsm {
	bool suspended;
	bool resume_nonret; /* non-retentive suspend: restart at resume_addr */
	uint64_t resume_addr, resume_arg;
};

struct vcpu_arch {
	struct riscv_guest_ctx ctx; /* trap.S gets &ctx (riscv_vcpu_enter, sscratch) */
	struct riscv_vs_csrs csr;
	struct riscv_fp_state fp;
	/* emulated timer (no Sstc): deadline in guest time, UINT64_MAX = none */
	uint64_t timer_deadline;
	struct riscv_hsm hsm;
	struct riscv_sse_hart sse;
	struct riscv_sta sta;
	struct riscv_fwft_state fwft;
	struct riscv_dbtr_state dbtr;
	struct riscv_pmu pmu;
	/* Calls per SBI extension, by index in sbi_guest_exts; the last slot counts calls to
	 * extensions nobody serves. Written only by the vCPU's own CPU, summed when read
	 * (arch_vcpu_call_stat), never reset: metrics counters are monotonic. */
	uint64_t sbi_calls[RISCV_SBI_STAT_SLOTS];
};

#endif
