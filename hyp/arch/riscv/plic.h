/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_PLIC_H
#define FV_ARCH_RISCV_PLIC_H

/*
 * Host PLIC (RISC-V Platform-Level Interrupt Controller, riscv,plic0 /
 * sifive,plic-1.0.0): the hypervisor's own external interrupts (physical
 * device interrupts), as opposed to the emulated PLIC each VM gets
 * (hyp/arch/riscv/vplic.c). Register map per the PLIC specification: priorities
 * at 0x0 + 4*irq, enable bits at 0x2000 + 0x80*ctx, threshold and
 * claim/complete at 0x200000 + 0x1000*ctx.
 */
#include "lib/types.h"

struct plic {
	uintptr_t base;
	uint32_t ndev; /* sources 1..ndev */
};

/* Set up @p at @base with @ndev sources, every source at priority 0 (never interrupts). */
void plic_init(struct plic *p, uintptr_t base, uint32_t ndev);
/* Context @ctx: every source disabled, threshold 0. */
void plic_ctx_init(struct plic *p, int ctx);
/* Context @ctx takes sources of priority above @threshold (0: every enabled source). */
void plic_set_threshold(struct plic *p, int ctx, uint32_t threshold);
/*
 * Enable source @irq (1..ndev) in context @ctx with priority 1; -FV_EINVAL if out of range.
 * The enable word is read, modified and written: callers serialise per context.
 */
int plic_enable(struct plic *p, uint32_t irq, int ctx);
/* Disable source @irq in context @ctx (priority kept); -FV_EINVAL if out of range. */
int plic_disable(struct plic *p, uint32_t irq, int ctx);
/* Claim the highest-priority pending source of @ctx; 0 if none. */
uint32_t plic_claim(struct plic *p, int ctx);
/* Signal completion of a claimed source. */
void plic_complete(struct plic *p, int ctx, uint32_t irq);

#endif
