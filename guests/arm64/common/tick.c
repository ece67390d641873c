// SPDX-License-Identifier: MIT
/*
 * A periodic tick for arm64 test guests (heartbeat, echo): the EL1 virtual timer's PPI 27
 * through the virtual GICv3 (distributor and this vCPU's redistributor set up by MMIO, the
 * CPU interface through ICC_* system registers), re-armed from the guest's guest_irq() by
 * tick_irq(). Single vCPU (vCPU 0's redistributor).
 */
#include "guest.h"

#define GICD         GUEST_GICD_BASE
#define GICR         GUEST_GICR_BASE
#define GICR_SGI     (GICR + 0x10000UL)
#define VTIMER_INTID 27

#define sysreg_read(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define sysreg_write(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

static volatile uint64_t ticks;
static uint64_t next_deadline, period;

static void w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint32_t r32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

void tick_start(unsigned period_ms)
{
	period = sysreg_read(cntfrq_el0) / 1000 * period_ms;
	w32(GICD, 2);        /* GICD_CTLR: EnableGrp1A */
	w32(GICR + 0x14, 0); /* GICR_WAKER: ProcessorSleep = 0 */
	for (unsigned i = 0; i < 1000000 && (r32(GICR + 0x14) & 4); i++)
		;
	w32(GICR_SGI + 0x80, 0xffffffffU); /* IGROUPR0: Group 1 */
	*(volatile uint8_t *)(GICR_SGI + 0x400 + VTIMER_INTID) = 0x80;
	w32(GICR_SGI + 0x100, 1U << VTIMER_INTID); /* ISENABLER0 */
	sysreg_write(S3_0_C12_C12_5, 7);           /* ICC_SRE_EL1: SRE */
	__asm__ volatile("isb");
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1 */
	sysreg_write(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	sysreg_write(vbar_el1, (uint64_t)guest_vectors);
	next_deadline = sysreg_read(cntvct_el0) + period;
	sysreg_write(cntv_cval_el0, next_deadline);
	sysreg_write(cntv_ctl_el0, 1);
	__asm__ volatile("isb\n msr daifclr, #2" ::: "memory");
}

bool tick_irq(void)
{
	uint64_t iar = sysreg_read(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	bool tick = iar == VTIMER_INTID;
	if (tick) {
		uint64_t now = sysreg_read(cntvct_el0);
		/* Keep the period; after a long stall (host load) restart from now instead of
		 * a burst of catch-up ticks. */
		next_deadline += period;
		if (next_deadline <= now)
			next_deadline = now + period;
		sysreg_write(cntv_cval_el0, next_deadline);
		ticks++;
	}
	if (iar < 1020)
		sysreg_write(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1 */
	return tick;
}

uint64_t tick_count(void)
{
	return ticks;
}

void tick_stop(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
	sysreg_write(cntv_ctl_el0, 0);
}
