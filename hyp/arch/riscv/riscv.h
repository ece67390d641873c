/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_RISCV_H
#define FV_ARCH_RISCV_RISCV_H

/* Internal interfaces of the RISC-V port (not for core code). */
#include "lib/types.h"
#include "arch/vcpu.h"
#include "core/arch.h"

struct vcpu;
struct cpu;

/* ISA features found at boot (features.c). */
struct riscv_features {
	bool h, sstc, svpbmt, svadu, ssaia;
	bool zicbom; /* cbo.clean/flush/inval work in HS and henvcfg.CBIE/CBCFE hold */
	bool zicboz; /* cbo.zero works in HS and henvcfg.CBZE holds */
	bool sv39x4, sv48x4, sv57x4;
	bool pmm7, pmm16; /* henvcfg.PMM accepts PMLEN 7 / 16 (Ssnpm, enabled by M-mode) */
	unsigned vmid_bits;
	unsigned geilen;
	unsigned cbom_block;  /* Zicbom block size for VMs; 0 = not offered */
	unsigned cbop_block;  /* Zicbop block size for VMs; 0 = not offered */
	unsigned cboz_block;  /* bytes cbo.zero clears; 0 = not usable by HS nor VMs */
	unsigned vsatp_mode;  /* widest VS-stage translation mode (SATP_MODE_SV*), 0 = none */
	const char *host_isa; /* riscv,isa of the boot CPU (host DT), NULL if absent */
};
extern struct riscv_features riscv_feat;

/* Probe features; prints one line each. Boot CPU, once. Returns 0 or -1 if a required feature
 * is missing. */
/* What the host DT says about the boot CPU; probes confirm it (values 0/NULL = absent). */
struct riscv_cpu_hints {
	const char *isa;     /* riscv,isa */
	uint32_t cbom_block; /* riscv,cbom-block-size (Zicbom) */
	uint32_t cbop_block; /* riscv,cbop-block-size (Zicbop) */
	uint32_t cboz_block; /* riscv,cboz-block-size (Zicboz) */
};
int riscv_features_probe(const struct riscv_cpu_hints *hints);

/*
 * SBI FWFT and DBTR support (sbi/sbi_fwft.c, sbi/sbi_dbtr.c). *_cpu_init run
 * once on every CPU from arch_cpu_init (after riscv_features_probe); *_load
 * and *_put from arch_vcpu_load/put on the vCPU's CPU.
 */
void riscv_fwft_cpu_init(void);
uint64_t riscv_fwft_henvcfg(const struct vcpu *vcpu, uint64_t base);
void riscv_fwft_load(struct vcpu *vcpu);
void riscv_fwft_reset(struct vcpu *vcpu);
void riscv_dbtr_cpu_init(void);
void riscv_dbtr_load(struct vcpu *vcpu);
void riscv_dbtr_put(struct vcpu *vcpu);

/* Trap frame of a trap taken in HS-mode (trap.S). */
struct riscv_trap_frame {
	uint64_t x[32];
	uint64_t sepc, sstatus, scause, stval;
};
void riscv_hyp_trap(struct riscv_trap_frame *tf);

/* Assembly helpers and data. */
extern uint64_t riscv_boot_instret;
/*
 * Enter the guest of ctx; exits are handled by riscv_exit_ecall(),
 * riscv_exit_gpf() or riscv_exit_fast() (below) without leaving trap.S
 * until one needs the vCPU loop: returns RISCV_EXIT_LOOP or
 * RISCV_EXIT_LEAVE (asm_offsets.h). Caller: arch_vcpu_enter, SIE = 0.
 */
long riscv_vcpu_enter(struct riscv_guest_ctx *ctx);
/*
 * Handle the guest exit just saved in ctx (trap.S, on the host stack of the
 * riscv_vcpu_enter() caller, sscratch = 0); returns RISCV_EXIT_*.
 */
long riscv_exit_fast(struct riscv_guest_ctx *ctx);
/*
 * What the partial-save exit paths below return to trap.S: a RISCV_EXIT_*
 * code and the ctx they were given, in a0 and a1 (a struct of two
 * pointer-sized integers is returned in registers, RISC-V psABI), so that
 * trap.S keeps no stack slot for ctx across the call.
 */
struct riscv_exit_ret {
	long code;
	struct riscv_guest_ctx *ctx;
};
/*
 * Handle an SBI call (scause = ecall from VS) with a partial ctx (trap.S,
 * same stack and sscratch as riscv_exit_fast): ctx holds ra, sp, tp,
 * t0-t6, a0-a7, sepc and sstatus; the guest's gp and s0-s11 are still in
 * their registers and the other fields (hstatus, scause...) are stale. It reads and
 * writes only those saved fields (SBI handlers touch a0-a7, sepc and
 * sstatus.SPP), and returns RISCV_EXIT_*; on anything but REENTER trap.S
 * completes ctx before the vCPU loop sees it. A call that may stop or
 * suspend the vCPU (SRST, HSM, SUSP) is not handled here: RISCV_EXIT_FULL,
 * and trap.S completes ctx and calls riscv_exit_fast.
 */
struct riscv_exit_ret riscv_exit_ecall(struct riscv_guest_ctx *ctx);
/* Build riscv_exit_ecall's copy of the SBI table index; boot, after the table check. */
void riscv_exit_ecall_init(void);
/*
 * Handle a guest load/store page fault on the same partial ctx as
 * riscv_exit_ecall, plus stval, htval and htinst: when the access decodes
 * from htinst and its register is one trap.S saved (not gp, s0-s11), and no
 * debugger watches the VM; returns RISCV_EXIT_*. Otherwise it does nothing
 * at all and returns RISCV_EXIT_FULL: trap.S completes ctx and calls
 * riscv_exit_fast.
 */
struct riscv_exit_ret riscv_exit_gpf(struct riscv_guest_ctx *ctx);
void riscv_fp_save(struct riscv_fp_state *fp);
void riscv_fp_restore(const struct riscv_fp_state *fp);
long riscv_guest_read_insn16(uint64_t gva, uint16_t *out);
/*
 * Fetch the guest instruction (16 or 32 bits) at sepc with hlvx, as the
 * privilege hstatus.SPVP names; false if the fetch faults. Caller: the
 * vCPU's CPU after a guest exit (vsatp/hgatp loaded).
 */
bool riscv_guest_fetch_insn(uint64_t sepc, uint32_t *out);
long riscv_probe_hstatus(void);
long riscv_probe_stimecmp(void);
long riscv_probe_cbo_zero(void *block);
long riscv_probe_cbo_flush(void *block);
void riscv_secondary_entry(void);

/* Exit handling (exit.c). Returns true when the core must take over. */
bool riscv_handle_exit(struct vcpu *vcpu);
/*
 * Guest page fault on MMIO (mmio_emul.c). Emulate the guest load/store page fault just saved in
 * vcpu's ctx (MMIO, first touch of RAM, or a fault injected into the guest). decoded: the access
 * already decoded from htinst by the caller, or NULL to decode here.
 */
struct mmio_access;
void riscv_handle_guest_page_fault(struct vcpu *vcpu, const struct mmio_access *decoded);
/* Dirty log (dirty_riscv.c): a store fault on mapped RAM it answers (true: retry the access);
 * before loading a vCPU, fence what this CPU may cache from before a write protection. */
bool riscv_dirty_fault(struct vcpu *vcpu, gpa_t gpa);
void riscv_dirty_load(const struct vcpu *vcpu);
/*
 * The profiler's window into the hypervisor (prof_riscv.c, docs/profiling.md): run the
 * synchronous exit handler fn for vcpu with only the timer interrupt enabled, so a
 * sampling timer that expires meanwhile interrupts the hypervisor itself and records its
 * pc. For use while prof_active(); returns fn's result.
 */
bool riscv_prof_windowed(bool (*fn)(struct vcpu *), struct vcpu *vcpu);
/*
 * A timer interrupt trapped in HS mode (hyp_trap.c): true if it came inside a sampling
 * window and was handled (sample taken, timer interrupt masked for the rest of the window).
 */
bool riscv_prof_hyp_trap(struct riscv_trap_frame *tf);
/* Guest SBI call (sbi/dispatch.c). */
void riscv_sbi_ecall(struct vcpu *vcpu);
/* Inject a synchronous exception into VS-mode. */
void riscv_inject_exception(struct vcpu *vcpu, uint64_t cause, uint64_t tval);
/* Guest time (host ticks + htimedelta). */
uint64_t riscv_guest_time(struct vcpu *vcpu);
/* Emulated (non-Sstc) guest timer programming. */
void riscv_vtimer_set(struct vcpu *vcpu, uint64_t deadline);
/* Finish an HSM suspend when the vCPU runs again (r may be NULL). */
struct sbi_result;
void riscv_hsm_resume(struct vcpu *vcpu, struct sbi_result *r);
/*
 * Virtual PMU (vpmu.c). load/put: the vCPU enters/leaves its CPU (counts only
 * while loaded; hosted counters get host counters on this CPU). emulate_csr:
 * a guest read of cycle/time/instret/hpmcounterN that trapped as a virtual
 * instruction; returns false if insn is not one. fw_event: count a firmware
 * event (SBI_PMU_FW_*) for a vCPU, from any CPU. probe_host: boot CPU, once.
 * The rest serve sbi_pmu.c on the vCPU's own CPU.
 */
void riscv_vpmu_probe_host(void);
void riscv_vpmu_load(struct vcpu *vcpu);
void riscv_vpmu_put(struct vcpu *vcpu);
bool riscv_vpmu_emulate_csr(struct vcpu *vcpu, uint32_t insn);
void riscv_vpmu_fw_event(struct vcpu *vcpu, unsigned code);
struct pmu_now;
/* Host counter readings for the vCPU's counters. */
void riscv_vpmu_now(struct vcpu *vcpu, struct pmu_now *now);
/* counter_config_matching (a = a0..a4), asking the host for events only it can count. */
long riscv_vpmu_config_matching(struct vcpu *vcpu, const unsigned long *a, unsigned long *idx);
/* Release host counters of hosted counters that counter_stop RESET unmapped. */
void riscv_vpmu_release_unmapped(struct vcpu *vcpu);
/* Can a host counter count this event? (maps and releases one on this CPU) */
bool riscv_vpmu_host_has(unsigned long event_idx, uint64_t event_data);
/* Handle the hypervisor's own pending interrupts (timer, IPI) in sip. */
void riscv_handle_host_irqs(void);
/*
 * This CPU's host PLIC context (irq_riscv.c): apply routing changes other CPUs asked for,
 * then, if @pending (sip.SEIP), claim and dispatch its pending sources.
 */
void riscv_handle_external_irqs(bool pending);
/* Per-CPU part of the host PLIC set-up (sie.SEIE where the CPU has a context); arch_cpu_init. */
void riscv_irq_cpu_init(void);

static inline void riscv_hfence_gvma_vmid(uint64_t vmid)
{
	__asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, %0\n.option pop"
	                 :
	                 : "r"(vmid)
	                 : "memory");
}

static inline void riscv_hfence_gvma_all(void)
{
	__asm__ volatile(".option push\n.option arch, +h\nhfence.gvma zero, zero\n.option pop" ::
	                     : "memory");
}

/* Flush VS-stage TLB entries of the current hgatp.VMID. */
static inline void riscv_hfence_vvma_all(void)
{
	__asm__ volatile(".option push\n.option arch, +h\nhfence.vvma zero, zero\n.option pop" ::
	                     : "memory");
}

#endif
