// SPDX-License-Identifier: MIT
/*
 * arm64 timer guest: the EL1 virtual timer's PPI (INTID 27) delivered through the virtual
 * GICv3 (distributor and redistributor set up by MMIO, CPU interface through ICC_* system
 * registers), ten 10 ms ticks counted in the IRQ handler while the vCPU waits in WFI, the
 * virtual counter's progress checked against them, and an SGI sent to itself and to
 * vCPU 1 (PSCI CPU_ON) through ICC_SGI1R_EL1. Ends with SYSTEM_OFF.
 */
#include "guest.h"

#define GICD            GUEST_GICD_BASE
#define GICR(cpu)       (GUEST_GICR_BASE + (cpu)*0x20000UL)
#define GICR_SGI(cpu)   (GICR(cpu) + 0x10000UL)
#define VTIMER_INTID    27
#define SGI_INTID       1
#define TICKS           10
#define PSCI_CPU_ON     0xc4000003UL
#define PSCI_CPU_OFF    0x84000002UL
#define PSCI_SYSTEM_OFF 0x84000008UL

#define sysreg_read(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define sysreg_write(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

extern char _start[];
static volatile uint32_t ticks, sgis[2];
static uint64_t period;

static void w32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint32_t r32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

/* This vCPU's redistributor awake, the SGI and (vCPU 0) timer PPI enabled, ICC on. */
static void gic_cpu_setup(unsigned cpu)
{
	w32(GICR(cpu) + 0x14, 0); /* GICR_WAKER: ProcessorSleep = 0 */
	for (unsigned i = 0; i < 1000000 && (r32(GICR(cpu) + 0x14) & 4); i++)
		;
	w32(GICR_SGI(cpu) + 0x80, 0xffffffffU); /* IGROUPR0: Group 1 */
	*(volatile uint8_t *)(GICR_SGI(cpu) + 0x400 + VTIMER_INTID) = 0x80;
	*(volatile uint8_t *)(GICR_SGI(cpu) + 0x400 + SGI_INTID) = 0x80;
	w32(GICR_SGI(cpu) + 0x100, (1U << SGI_INTID) | (cpu == 0 ? 1U << VTIMER_INTID : 0));
	sysreg_write(S3_0_C12_C12_5, 7); /* ICC_SRE_EL1: SRE */
	__asm__ volatile("isb");
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1 */
	sysreg_write(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	sysreg_write(vbar_el1, (uint64_t)guest_vectors);
	__asm__ volatile("isb\n msr daifclr, #2" ::: "memory");
}

void guest_irq(void)
{
	uint64_t iar = sysreg_read(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	unsigned cpu = (unsigned)(sysreg_read(mpidr_el1) & 0xff);
	if (iar == VTIMER_INTID) {
		ticks++;
		sysreg_write(cntv_tval_el0, ticks < TICKS ? period : 0);
		if (ticks >= TICKS)
			sysreg_write(cntv_ctl_el0, 0);
	} else if (iar == SGI_INTID && cpu < 2) {
		sgis[cpu]++;
	} else if (iar < 1020) {
		con_puts("FV-CHECK FAIL timer.unexpected_intid\n");
	}
	if (iar < 1020)
		sysreg_write(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1 */
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)context;
	gic_cpu_setup((unsigned)cpu);
	while (!sgis[1])
		__asm__ volatile("wfi");
	con_puts("vCPU 1 got its SGI\n");
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	uint64_t freq = sysreg_read(cntfrq_el0);
	period = freq / 100;
	uint64_t start = sysreg_read(cntvct_el0);
	/* Guest time starts near 0 at VM creation (CNTVOFF), not at host boot. */
	check_eq("timer.virtual_count_starts_near_zero", start < 60 * freq, 1);
	w32(GICD, 2); /* GICD_CTLR: EnableGrp1A */
	check_eq("gic.typer_lines", (int64_t)(r32(GICD + 4) & 0x1f) >= 1, 1);
	check_eq("gic.pidr2_v3", (int64_t)((r32(GICD + 0xffe8) >> 4) & 0xf), 3);
	check_eq("gic.redist_last", (int64_t)((r32(GICR(1) + 8) >> 4) & 1), 1);
	gic_cpu_setup(0);
	sysreg_write(cntv_tval_el0, period);
	sysreg_write(cntv_ctl_el0, 1);
	unsigned seen = 0;
	uint64_t limit = start + 20 * freq;
	while (ticks < TICKS && sysreg_read(cntvct_el0) < limit) {
		__asm__ volatile("wfi");
		if (ticks != seen) {
			seen = ticks;
			con_puts("tick ");
			con_dec(seen);
			con_puts("\n");
		}
	}
	uint64_t elapsed = sysreg_read(cntvct_el0) - start;
	check_eq("timer.ticks", ticks, TICKS);
	check_eq("timer.elapsed_at_least_ticks", elapsed >= TICKS * period, 1);
	/* SGI to itself (target list bit 0, Aff1..3 = 0). */
	sysreg_write(S3_0_C12_C11_5, ((uint64_t)SGI_INTID << 24) | 1);
	for (unsigned i = 0; i < 10000000 && !sgis[0]; i++)
		;
	check_eq("gic.sgi_self", sgis[0], 1);
	/* SGI to vCPU 1 once it runs with its interrupts on. */
	check_eq("psci.cpu_on", psci_call(PSCI_CPU_ON, 1, (uint64_t)_start, 0), 0);
	for (unsigned i = 0; i < 200 && !sgis[1]; i++) {
		sysreg_write(S3_0_C12_C11_5, ((uint64_t)SGI_INTID << 24) | 2);
		for (volatile unsigned j = 0; j < 100000 && !sgis[1]; j++)
			;
	}
	check_eq("gic.sgi_other_vcpu", sgis[1] >= 1, 1);
	check_eq("gic.sgi_self_not_repeated", sgis[0], 1);
	/* Let vCPU 1 report and power off before the VM goes (AFFINITY_INFO: 1 = OFF). */
	for (unsigned i = 0; i < 10000000 && psci_call(0xc4000004UL, 1, 0, 0) != 1; i++)
		;
	check_result();
	__asm__ volatile("msr daifset, #2");
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
