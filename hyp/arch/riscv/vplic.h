/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_VPLIC_H
#define FV_ARCH_RISCV_VPLIC_H

/*
 * Emulated RISC-V PLIC, one per VM ("riscv,plic0" / "sifive,plic-1.0.0"),
 * following the RISC-V PLIC specification 1.0.0. Pure state machine: no
 * locks, no timers, no hardware.
 *
 * Geometry: sources 0..nsources-1 (source 0 does not exist, so the guest DTB
 * says riscv,ndev = nsources - 1) and contexts 0..ncontexts-1. The VM layer
 * wires context i to vCPU i's S-mode external interrupt (interrupts-extended
 * = <&cpu0_intc 9 &cpu1_intc 9 ...>) and mirrors each context's output into
 * that vCPU's hvip.VSEIP.
 *
 * Sources are level inputs driven by devices through vplic_set_level(). The
 * gateway of each source is level-sensitive (PLIC spec "Interrupt
 * Gateways"): a source becomes pending when its level is high and it is not
 * in service (claimed); a claim clears its pending bit and puts it in
 * service; a completion takes it out of service and, if the level is still
 * high, makes it pending again. A pending bit is never retracted when the
 * level drops before the claim: the guest then claims an interrupt whose
 * device no longer needs service, exactly as the specification describes.
 *
 * Claims follow the specification rather than QEMU: a claim returns the
 * highest-priority pending source enabled for the context (ties: lowest id),
 * ignoring the context's threshold ("the claim operation is not affected by
 * the setting of the priority threshold register"); priority 0 sources are
 * never returned ("never interrupt"). The threshold only gates the context's
 * output: it is high when some pending, enabled source has priority >
 * threshold.
 *
 * Concurrency: a vplic is not internally locked. The caller serialises every
 * call on one instance with the VM's irqchip lock; ops->notify runs
 * synchronously inside vplic_write/vplic_read/vplic_set_level/vplic_reset
 * with that lock held and must not call back into the same vplic.
 *
 * Snapshots: struct vplic holds only plain values apart from ops/ctx, so it
 * can be copied; after restoring, re-attach ops/ctx. Counts and indices are
 * clamped on use, so a corrupted image cannot make the model access out of
 * bounds.
 */
#include "lib/types.h"

#define VPLIC_MMIO_SIZE    0x4000000u /* 64 MiB, as on QEMU virt */
#define VPLIC_MAX_SOURCES  64u        /* including source 0: riscv,ndev <= 63 */
#define VPLIC_MAX_CONTEXTS 8u
#define VPLIC_MAX_PRIORITY 7u /* priority and threshold are 3-bit WARL fields */
#define VPLIC_WORDS        (VPLIC_MAX_SOURCES / 32u) /* 32-bit bitmap words */

/* Register map (PLIC spec "Memory Map"); all registers are 32 bits wide. */
#define VPLIC_PRIORITY_BASE  0x000000u /* + 4 * source */
#define VPLIC_PENDING_BASE   0x001000u /* + 4 * word, read-only */
#define VPLIC_ENABLE_BASE    0x002000u /* + 0x80 * context + 4 * word */
#define VPLIC_ENABLE_STRIDE  0x80u
#define VPLIC_CONTEXT_BASE   0x200000u /* + 0x1000 * context */
#define VPLIC_CONTEXT_STRIDE 0x1000u
#define VPLIC_CONTEXT_THRESH 0x0u /* threshold, within a context block */
#define VPLIC_CONTEXT_CLAIM  0x4u /* claim (read) / complete (write) */

/* Host side of a vplic. notify is optional (NULL). */
struct vplic_ops {
	/*
	 * Output of @context changed to @level. Called only on a change (never
	 * twice in a row with the same level for one context), with the
	 * irqchip lock held.
	 */
	void (*notify)(void *ctx, unsigned context, bool level);
};

/*
 * Device state: plain values only, except ops/ctx at the end. Bit s % 32 of
 * word s / 32 stands for source s in every bitmap. Invariants kept by the
 * model: bit 0 and bits of sources >= nsources are clear everywhere; a source
 * is never both pending and claimed; a source with a high level that is not
 * claimed is pending; output bit c equals vplic_context_pending(p, c).
 */
struct vplic {
	uint32_t nsources;  /* 1..VPLIC_MAX_SOURCES, including source 0 */
	uint32_t ncontexts; /* 1..VPLIC_MAX_CONTEXTS */
	uint8_t priority[VPLIC_MAX_SOURCES];
	uint8_t threshold[VPLIC_MAX_CONTEXTS];
	uint32_t output;               /* bit c: last level of context c reported through notify */
	uint32_t level[VPLIC_WORDS];   /* device input levels */
	uint32_t pending[VPLIC_WORDS]; /* IP bits of the PLIC core */
	uint32_t claimed[VPLIC_WORDS]; /* in service: gateway awaits completion */
	uint32_t enable[VPLIC_MAX_CONTEXTS][VPLIC_WORDS];
	const struct vplic_ops *ops;
	void *ctx;
};

/*
 * Initialise @p with @nsources sources (including source 0) and @ncontexts
 * contexts, all registers zero and all outputs low, and attach @ops (may be
 * NULL) and @ctx. Does not call notify. Returns 0, or -FV_EINVAL when
 * nsources is not in 1..VPLIC_MAX_SOURCES or ncontexts not in
 * 1..VPLIC_MAX_CONTEXTS; @p is then left inert (no sources, no contexts).
 * Caller owns @p.
 */
int vplic_init(struct vplic *p, unsigned nsources, unsigned ncontexts, const struct vplic_ops *ops,
               void *ctx);

/*
 * Reset to power-on register state (priorities, enables, thresholds zero;
 * nothing in service), keeping geometry, ops/ctx and the device input
 * levels: a source whose level is high is pending again afterwards (with
 * priority 0 it interrupts nobody). Calls notify for every output that was
 * high. Caller holds the irqchip lock.
 */
void vplic_reset(struct vplic *p);

/*
 * Guest MMIO read at byte @offset of the window. Only naturally aligned
 * 4-byte accesses are defined (PLIC spec "Memory Map": 32-bit registers
 * accessed with LW/SW). 8-byte accesses are rejected like other widths:
 * Linux only uses readl, and an 8-byte read spanning threshold and
 * claim/complete would claim an interrupt as a side effect.
 * Reading claim/complete performs a claim and may call notify. Reserved
 * areas, absent sources and absent contexts read 0.
 * Returns 0; -FV_ERANGE for offset >= VPLIC_MMIO_SIZE, -FV_EINVAL for any
 * width other than 4 or a misaligned offset; on error *val = 0 and nothing
 * changed. Guest-controlled input. Caller holds the irqchip lock.
 */
int vplic_read(struct vplic *p, uint64_t offset, unsigned width, uint64_t *val);

/*
 * Guest MMIO write of the low 32 bits of @val at byte @offset. Priority and
 * threshold writes are masked to 3 bits (WARL); enable bits of source 0 and
 * absent sources stay 0; writing claim/complete completes that id (ignored
 * unless the id is enabled for the context, PLIC spec "Interrupt
 * Completion"). Writes to pending bits, reserved areas, source 0, absent
 * sources or absent contexts are ignored. May call notify.
 * Returns like vplic_read (errors leave the state untouched). Caller holds
 * the irqchip lock.
 */
int vplic_write(struct vplic *p, uint64_t offset, unsigned width, uint64_t val);

/*
 * Device side: set the input level of source @src. Ignored for source 0 and
 * src >= nsources. May call notify. Caller holds the irqchip lock.
 */
void vplic_set_level(struct vplic *p, unsigned src, bool level);

/*
 * Output of @context: true when some pending source enabled for it has
 * priority > its threshold. false for absent contexts. Pure.
 */
bool vplic_context_pending(const struct vplic *p, unsigned context);

/* riscv,ndev for the guest DTB: number of existing sources (1..ndev). */
static inline unsigned vplic_ndev(const struct vplic *p)
{
	unsigned n = MIN(p->nsources, VPLIC_MAX_SOURCES);

	return n ? n - 1 : 0;
}

#endif
