// SPDX-License-Identifier: MIT
/*
 * arm64 heartbeat guest, the arm64 twin of guests/hello: prints "hello from hart 0", then
 * "heartbeat <n>" every 200 ms forever, paced by the EL1 virtual timer (PPI 27 through the
 * virtual GICv3) and WFI. A witness that a VM keeps running (management-plane tests:
 * stop/start/pause/resume through ferrovisord). One PSCI_VERSION call at boot, so that its
 * hypercall counters are not zero (test_metrics.py), as hello's SBI set_timer calls are.
 */
#include "guest.h"

#define GICD         0x0c000000UL
#define GICR         0x0c100000UL
#define GICR_SGI     (GICR + 0x10000UL)
#define VTIMER_INTID 27
#define PERIOD_MS    200
#define PSCI_VERSION 0x84000000UL

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

void guest_irq(void)
{
	uint64_t iar = sysreg_read(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	if (iar == VTIMER_INTID) {
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
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	con_puts("hello from hart 0\n");
	if (psci_call(PSCI_VERSION, 0, 0, 0) < 0x10000)
		con_puts("error: PSCI version below 1.0\n");
	period = sysreg_read(cntfrq_el0) / 1000 * PERIOD_MS;
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
	uint64_t seen = 0;
	for (;;) {
		__asm__ volatile("wfi");
		if (ticks != seen) {
			seen = ticks;
			con_puts("heartbeat ");
			con_dec((int64_t)seen);
			con_puts("\n");
		}
	}
}
