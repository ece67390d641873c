/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_ARM64_H
#define FV_ARCH_ARM64_ARM64_H

/* arm64 internals shared by the files of hyp/arch/arm64 (not by core). */
#include "lib/types.h"

struct arm64_guest_ctx;
struct arm64_fp_state;
struct platform;
struct vcpu;
struct vm;

#define sysreg_read(r)                                                                             \
	({                                                                                         \
		uint64_t __v;                                                                      \
		__asm__ volatile("mrs %0, " #r : "=r"(__v));                                       \
		__v;                                                                               \
	})
#define sysreg_write(r, v)                                                                         \
	do {                                                                                       \
		uint64_t __v = (uint64_t)(v);                                                      \
		__asm__ volatile("msr " #r ", %0" : : "r"(__v) : "memory");                        \
	} while (0)
#define isb() __asm__ volatile("isb" ::: "memory")

/* HCR_EL2 bits (Arm ARM D19.2). */
#define HCR_VM   (1ULL << 0)  /* stage-2 translation on */
#define HCR_SWIO (1ULL << 1)  /* set/way invalidation becomes clean+invalidate */
#define HCR_FMO  (1ULL << 3)  /* physical FIQ to EL2, virtual FIQ for the guest */
#define HCR_IMO  (1ULL << 4)  /* physical IRQ to EL2, virtual IRQ for the guest */
#define HCR_AMO  (1ULL << 5)  /* SError to EL2 */
#define HCR_VI   (1ULL << 7)  /* virtual IRQ pending (without a GIC virtual interface) */
#define HCR_FB   (1ULL << 9)  /* broadcast TLB/cache maintenance inside the inner domain */
#define HCR_BSU  (3ULL << 10) /* barriers: inner shareable */
#define HCR_TWI  (1ULL << 13) /* trap WFI */
#define HCR_TID3 (1ULL << 18) /* trap ID group 3 (the feature registers) */
#define HCR_TSC  (1ULL << 19) /* trap SMC */
#define HCR_TACR (1ULL << 21) /* trap ACTLR_EL1 */
#define HCR_RW   (1ULL << 31) /* EL1 is AArch64 */
#define HCR_E2H  (1ULL << 34)

/* The value while a guest runs (arch_vcpu_enter) and while the hypervisor runs. */
#define HCR_GUEST                                                                                  \
	(HCR_VM | HCR_SWIO | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU | HCR_TWI | HCR_TSC |  \
	 HCR_TACR | HCR_TID3 | HCR_RW)
#define HCR_HOST HCR_RW

/* ESR_EL2 exception classes the hypervisor handles (Arm ARM D19.2.41). */
#define ESR_EC_SHIFT    26
#define ESR_EC_UNKNOWN  0x00
#define ESR_EC_WFX      0x01
#define ESR_EC_HVC64    0x16
#define ESR_EC_SMC64    0x17
#define ESR_EC_SYSREG   0x18
#define ESR_EC_IABT_LOW 0x20
#define ESR_EC_DABT_LOW 0x24
#define ESR_EC_BKPT32   0x38
#define ESR_EC_BRK64    0x3c
#define ESR_IL          (1ULL << 25)
#define ESR_ISS_MASK    0x1ffffffULL

/* MDCR_EL2 (Arm ARM D19.3.13): PMU registers trap (the PMU is hidden); TDE while a debugger
 * is attached routes the guest's debug exceptions (BRK) and debug registers to EL2. */
#define MDCR_TPMCR (1ULL << 5)
#define MDCR_TPM   (1ULL << 6)
#define MDCR_TDE   (1ULL << 8)
#define MDCR_HOST  (MDCR_TPM | MDCR_TPMCR)

/* Guest PSTATE at reset: EL1h, D, A, I and F masked. */
#define PSTATE_EL1H_MASKED 0x3c5ULL
/* SCTLR_EL1 at reset: RES1 bits only (MMU and caches off). */
#define SCTLR_EL1_RESET 0x30d00800ULL

/* The generic timer's control bits (CNTx_CTL). */
#define CNT_CTL_ENABLE  (1ULL << 0)
#define CNT_CTL_IMASK   (1ULL << 1)
#define CNT_CTL_ISTATUS (1ULL << 2)

/* entry.S */
extern const char arm64_hyp_vectors[];
void arm64_secondary_entry(void);
unsigned arm64_guest_run(struct arm64_guest_ctx *ctx);
void arm64_fp_save(struct arm64_fp_state *fp);
void arm64_fp_restore(const struct arm64_fp_state *fp);
/* Called by entry.S for an exception taken from EL2 itself: report and stop. */
void arm64_hyp_fault(uint64_t vector, const uint64_t *frame) __attribute__((noreturn));

/* psci_fw.c: PSCI calls to the firmware (QEMU), through the conduit the host DTB names. */
void arm64_psci_fw_init(int conduit);
int64_t arm64_psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* gic.c: the host GICv3 (hypervisor interrupts: timer PPI, kick SGI, device SPIs). */
#define ARM64_SGI_KICK 0
int arm64_gic_init_boot(const struct platform *p);
void arm64_gic_cpu_init(void);
void arm64_gic_send_sgi(uint64_t mpidr, unsigned intid);
/* Acknowledge one pending interrupt; returns its INTID or >= 1020 if none. */
unsigned arm64_gic_ack(void);
void arm64_gic_eoi(unsigned intid);

/* cpu.c: handle every pending hypervisor interrupt (after wfi or an IRQ exit). */
void arm64_handle_host_irqs(void);
/* The EL2 physical timer's interrupt id (from the host DTB; 26 on QEMU virt). */
extern uint32_t arm64_timer_hyp_intid;
/* platform.c found the PL011: early output (the banner, kept until now) goes there. */
void arm64_early_uart_found(uint64_t base);
/* The physical counter's frequency (CNTFRQ_EL0). */
uint64_t arm64_cntfrq(void);

/* psci_guest.c: one PSCI call of the guest (x0..x3 in, x0 out). */
void arm64_psci_guest_call(struct vcpu *v);
/* A vCPU that suspended its VM to RAM (PSCI SYSTEM_SUSPEND) runs again: the VM is running. */
void arm64_psci_system_resumed(struct vcpu *v);

/* idregs.c: what a guest reads from ID register (CRm, op2) of the op0 3/op1 0/CRn 0 space. */
uint64_t arm64_idreg_guest_value(unsigned crm, unsigned op2);

/*
 * debug_arm64.c: the guest side of the debugger on a loaded vCPU. load/put switch
 * MDCR_EL2.TDE and the hardware MDSCR_EL1 (after el1_restore / before el1_save); sysreg
 * emulates a trapped debug register access (true if it was one); brk handles a BRK exit
 * (true: the vCPU must leave the guest).
 */
void arm64_debug_load(struct vcpu *v);
void arm64_debug_put(struct vcpu *v, uint64_t guest_mdscr);
bool arm64_debug_sysreg(struct vcpu *v);
bool arm64_debug_brk(struct vcpu *v);

/* gdb_arch.c: a stage-2 data abort on a page a watchpoint protects (only while attached).
 * true if it was one; *leave: the vCPU must leave the guest (a hit, the VM halting). */
bool arm64_gdb_watch_fault(struct vcpu *v, bool *leave);

/* vm_arm64.c: stage-2 access of one mapped RAM page (4 KiB; a block over it is split). */
int arm64_s2_page_perms(struct vm *vm, gpa_t gpa_page, bool readable, bool writable);

/* vcpu_arm64.c */
bool arm64_handle_exit(struct vcpu *v, unsigned type);

#endif
