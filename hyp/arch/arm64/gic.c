// SPDX-License-Identifier: MIT
/*
 * The host GICv3 (Arm IHI 0069): distributor, one redistributor per CPU and the system
 * register CPU interface at EL2. The hypervisor uses Group 1 only: SGI ARM64_SGI_KICK for
 * kicks between CPUs, the EL2 physical timer's PPI, and device SPIs (core/irq.c) routed to
 * the boot CPU. Nothing is ever taken as an exception in the hypervisor (PSTATE.I stays
 * set): pending interrupts are acknowledged by polling ICC_IAR1_EL1 after an IRQ exit or
 * wfi (arm64_handle_host_irqs).
 */
#include "arch/arm64/arm64.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/platform.h"

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1U << 31)
#define GICD_CTLR_ARE   (1U << 4)
#define GICD_CTLR_G1    (1U << 1)
#define GICD_CTLR_G0    (1U << 0)

#define GICR_FRAME       0x20000 /* RD_base + SGI_base, 64 KiB each (GICv3) */
#define GICR_WAKER       0x0014
#define GICR_TYPER       0x0008
#define GICR_TYPER_LAST  (1ULL << 4)
#define GICR_WAKER_SLEEP (1U << 1)
#define GICR_WAKER_ASLP  (1U << 2)
#define GICR_SGI         0x10000
#define GICR_IGROUPR0    (GICR_SGI + 0x0080)
#define GICR_ISENABLER0  (GICR_SGI + 0x0100)
#define GICR_ICENABLER0  (GICR_SGI + 0x0180)
#define GICR_IPRIORITYR  (GICR_SGI + 0x0400)

#define HYP_PRIORITY 0xa0 /* any value below the PMR (0xff) is delivered */

static uintptr_t gicd, gicr_base;
static uint64_t gicr_size;

static uint32_t rd32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

static void wr32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint64_t rd64(uintptr_t a)
{
	return *(volatile uint64_t *)a;
}

static void wr64(uintptr_t a, uint64_t v)
{
	*(volatile uint64_t *)a = v;
}

/* MPIDR affinity packed as GICR_TYPER[63:32] holds it: Aff3.Aff2.Aff1.Aff0. */
static uint32_t mpidr_to_gicr_aff(uint64_t mpidr)
{
	return (uint32_t)(((mpidr >> 32) & 0xff) << 24) | (uint32_t)(mpidr & 0xffffff);
}

/* This CPU's redistributor frame, or 0 if the region does not list it. */
static uintptr_t gicr_this(void)
{
	uint32_t aff = mpidr_to_gicr_aff(sysreg_read(mpidr_el1));
	for (uint64_t off = 0; off + GICR_FRAME <= gicr_size; off += GICR_FRAME) {
		uint64_t typer = rd64(gicr_base + off + GICR_TYPER);
		if ((uint32_t)(typer >> 32) == aff)
			return gicr_base + off;
		if (typer & GICR_TYPER_LAST)
			break;
	}
	return 0;
}

static void gicd_wait_rwp(void)
{
	for (unsigned i = 0; i < 1000000 && (rd32(gicd + GICD_CTLR) & GICD_CTLR_RWP); i++)
		arch_cpu_relax();
}

int arm64_gic_init_boot(const struct platform *p)
{
	if (!p->arch.gicd.present || !p->arch.gicr.present)
		return -FV_ENOTSUP;
	gicd = (uintptr_t)p->arch.gicd.base;
	gicr_base = (uintptr_t)p->arch.gicr.base;
	gicr_size = p->arch.gicr.size;
	/* Affinity routing, both groups on (QEMU's GIC has no security extension here). */
	wr32(gicd + GICD_CTLR, 0);
	gicd_wait_rwp();
	wr32(gicd + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_G1 | GICD_CTLR_G0);
	gicd_wait_rwp();
	return 0;
}

int arch_irq_route(unsigned irq, unsigned from, unsigned to)
{
	UNUSED(irq);
	UNUSED(from);
	UNUSED(to);
	/* Not yet: the other CPUs' interfaces are not set up for SPIs; all stay on the boot CPU. */
	return -FV_ENOTSUP;
}

void arm64_gic_cpu_init(void)
{
	uintptr_t rd = gicr_this();
	if (!rd) {
		pr_err("gic: no redistributor for MPIDR 0x%lx",
		       (unsigned long)sysreg_read(mpidr_el1));
		return;
	}
	uint32_t w = rd32(rd + GICR_WAKER) & ~GICR_WAKER_SLEEP;
	wr32(rd + GICR_WAKER, w);
	for (unsigned i = 0; i < 1000000 && (rd32(rd + GICR_WAKER) & GICR_WAKER_ASLP); i++)
		arch_cpu_relax();
	/* Every SGI/PPI Group 1, all off; then the kick SGI and the hypervisor timer on. */
	wr32(rd + GICR_IGROUPR0, 0xffffffffU);
	wr32(rd + GICR_ICENABLER0, 0xffffffffU);
	for (unsigned i = 0; i < 32; i += 4)
		wr32(rd + GICR_IPRIORITYR + i, HYP_PRIORITY * 0x01010101U);
	wr32(rd + GICR_ISENABLER0, (1U << ARM64_SGI_KICK) | (1U << (arm64_timer_hyp_intid & 31)));

	/* System register interface at EL2 and (for guests' ICV_* later) enabled for EL1. */
	sysreg_write(S3_4_C12_C9_5, 0xf); /* ICC_SRE_EL2: SRE, DFB, DIB, Enable */
	isb();
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1: everything passes */
	sysreg_write(S3_0_C12_C12_3, 0);  /* ICC_BPR1_EL1 */
	sysreg_write(S3_0_C12_C12_4, 0);  /* ICC_CTLR_EL1: EOI drops priority and deactivates */
	sysreg_write(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
}

void arm64_gic_send_sgi(uint64_t mpidr, unsigned intid)
{
	/* ICC_SGI1R_EL1: Aff3, Aff2, INTID, Aff1, target list (one bit per Aff0 < 16). */
	uint64_t v = (((mpidr >> 32) & 0xff) << 48) | (((mpidr >> 16) & 0xff) << 32) |
	             ((uint64_t)(intid & 0xf) << 24) | (((mpidr >> 8) & 0xff) << 16) |
	             (1ULL << (mpidr & 0xf));
	__asm__ volatile("dsb ishst" ::: "memory"); /* the kick follows the request it signals */
	sysreg_write(S3_0_C12_C11_5, v);
	isb();
}

unsigned arm64_gic_ack(void)
{
	return (unsigned)(sysreg_read(S3_0_C12_C12_0) & 0xffffff); /* ICC_IAR1_EL1 */
}

void arm64_gic_eoi(unsigned intid)
{
	sysreg_write(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
	isb();
}

int arch_irq_init(const struct platform *p)
{
	return gicd ? 0 : (p->arch.gicd.present ? -FV_EIO : -FV_ENOTSUP);
}

int arch_irq_enable(unsigned irq)
{
	if (!gicd || irq < 32 || irq >= 1020)
		return -FV_EINVAL;
	uint32_t bit = 1U << (irq % 32);
	wr32(gicd + GICD_IGROUPR + 4 * (irq / 32),
	     rd32(gicd + GICD_IGROUPR + 4 * (irq / 32)) | bit);
	*(volatile uint8_t *)(gicd + GICD_IPRIORITYR + irq) = HYP_PRIORITY;
	/* Routed to the boot CPU, as core/irq.c promises. */
	wr64(gicd + GICD_IROUTER + 8 * irq, cpu_table[0]->hw_id); /* Aff3 [39:32], Aff2..0 [23:0] */
	wr32(gicd + GICD_ISENABLER + 4 * (irq / 32), bit);
	gicd_wait_rwp();
	return 0;
}
