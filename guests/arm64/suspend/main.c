// SPDX-License-Identifier: MIT
/*
 * arm64 suspend guest: PSCI 1.1 CPU_SUSPEND (DEN0022 5.4.2) as Ferrovisor offers it, the
 * original power_state format with a core standby (0x0) and a core powerdown (0x10000).
 * vCPU 0 checks PSCI_FEATURES and that hostile power_state values and entry points are refused
 * (INVALID_PARAMETERS, INVALID_ADDRESS), then suspends with its interrupts masked and is woken
 * by its virtual timer: standby returns SUCCESS no earlier than the timer's deadline; powerdown
 * does not return but resumes at suspend_resume_entry in the CPU_ON state with the context id.
 * vCPU 1 (PSCI CPU_ON) then suspends both ways and is woken by an SGI from vCPU 0, which it
 * finds pending in ICC_IAR1_EL1. With vCPU 1 off again, vCPU 0 suspends the whole VM with
 * PSCI SYSTEM_SUSPEND (refused while vCPU 1 is on and for bad entry points): first woken by
 * its virtual timer, then (timer off) by the operator's `vm resume suspend`, each time
 * resuming at suspend_resume_entry in the CPU_ON state with its context id. Ends with
 * SYSTEM_OFF.
 */
#include "guest.h"

#define GICD                GUEST_GICD_BASE
#define GICR(cpu)           (GUEST_GICR_BASE + (cpu)*0x20000UL)
#define GICR_SGI(cpu)       (GICR(cpu) + 0x10000UL)
#define VTIMER_INTID        27
#define SGI_INTID           3
#define PSCI_CPU_SUSPEND_32 0x84000001UL
#define PSCI_CPU_SUSPEND_64 0xc4000001UL
#define PSCI_CPU_OFF        0x84000002UL
#define PSCI_CPU_ON         0xc4000003UL
#define PSCI_AFFINITY_INFO  0xc4000004UL
#define PSCI_SYSTEM_OFF     0x84000008UL
#define PSCI_FEATURES       0x8400000aUL
#define PSCI_SYS_SUSPEND_32 0x8400000eUL
#define PSCI_SYS_SUSPEND_64 0xc400000eUL
#define CTXS1               0x5a5a0001UL
#define CTXS2               0x5a5a0002UL
#define STANDBY             0x0UL
#define POWERDOWN           0x10000UL
#define CTX0                0xc0ffee00UL
#define CTX1                0xc0ffee01UL
#define RAM_BASE            GUEST_RAM_BASE
#define RAM_SIZE            0x2000000UL /* tests/integration/configs-arm64/suspend.dts */

#define sysreg_read(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define sysreg_write(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

extern char _start[];
extern char suspend_resume_entry[];
void suspend_resumed(uint64_t cpu, uint64_t context);

static uint64_t period, t_suspend;
/* vCPU 1's progress, written by vCPU 1 and read by vCPU 0. */
static volatile uint64_t v1_step, v1_standby_ret, v1_standby_iar, v1_pd_ctx, v1_pd_iar, v1_pd_daif;

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
	con_puts("FV-CHECK FAIL suspend.unexpected_irq\n");
}

/* Redistributor awake, the SGI and the timer PPI enabled in Group 1, CPU interface on.
 * PSTATE.I stays set: a wake-up is seen as a pending interrupt, never taken. */
static void gic_cpu_setup(unsigned cpu)
{
	w32(GICR(cpu) + 0x14, 0); /* GICR_WAKER: ProcessorSleep = 0 */
	for (unsigned i = 0; i < 1000000 && (r32(GICR(cpu) + 0x14) & 4); i++)
		;
	w32(GICR_SGI(cpu) + 0x80, 0xffffffffU); /* IGROUPR0: Group 1 */
	*(volatile uint8_t *)(GICR_SGI(cpu) + 0x400 + VTIMER_INTID) = 0x80;
	*(volatile uint8_t *)(GICR_SGI(cpu) + 0x400 + SGI_INTID) = 0x80;
	w32(GICR_SGI(cpu) + 0x100, (1U << SGI_INTID) | (1U << VTIMER_INTID));
	sysreg_write(S3_0_C12_C12_5, 7); /* ICC_SRE_EL1: SRE */
	__asm__ volatile("isb");
	sysreg_write(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1 */
	sysreg_write(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	__asm__ volatile("isb" ::: "memory");
}

/* Acknowledge and complete the highest pending interrupt (masked: read, never taken). */
static uint64_t gic_ack(void)
{
	uint64_t iar = sysreg_read(S3_0_C12_C12_0) & 0xffffff; /* ICC_IAR1_EL1 */
	if (iar < 1020)
		sysreg_write(S3_0_C12_C12_1, iar); /* ICC_EOIR1_EL1 */
	return iar;
}

static void timer_arm(void)
{
	t_suspend = sysreg_read(cntvct_el0);
	sysreg_write(cntv_cval_el0, t_suspend + period);
	sysreg_write(cntv_ctl_el0, 1);
	__asm__ volatile("isb" ::: "memory");
}

static void timer_stop(void)
{
	sysreg_write(cntv_ctl_el0, 0);
	__asm__ volatile("isb" ::: "memory");
}

static void delay_ms(uint64_t ms)
{
	uint64_t end = sysreg_read(cntvct_el0) + ms * (period / 10);
	while (sysreg_read(cntvct_el0) < end)
		;
}

static bool wait_step(uint64_t step)
{
	for (unsigned i = 0; i < 400000000U; i++)
		if (v1_step >= step)
			return true;
	return false;
}

static void hostile_arguments(void)
{
	uint64_t entry = (uint64_t)suspend_resume_entry;
	check_eq("psci.features.cpu_suspend_64",
	         psci_call(PSCI_FEATURES, PSCI_CPU_SUSPEND_64, 0, 0), 0);
	check_eq("psci.features.cpu_suspend_32",
	         psci_call(PSCI_FEATURES, PSCI_CPU_SUSPEND_32, 0, 0), 0);
	check_eq("suspend.reserved_bit31", psci_call(PSCI_CPU_SUSPEND_64, 1UL << 31, entry, 0), -2);
	check_eq("suspend.reserved_bit20", psci_call(PSCI_CPU_SUSPEND_64, 1UL << 20, entry, 0), -2);
	check_eq("suspend.power_level_cluster", psci_call(PSCI_CPU_SUSPEND_64, 1UL << 24, entry, 0),
	         -2);
	check_eq("suspend.standby_state_id", psci_call(PSCI_CPU_SUSPEND_64, 1, entry, 0), -2);
	check_eq("suspend.powerdown_state_id",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN | 0xffff, entry, 0), -2);
	check_eq("suspend.smc64_upper_bits", psci_call(PSCI_CPU_SUSPEND_64, 1UL << 32, entry, 0),
	         -2);
	check_eq("suspend.powerdown_entry_low",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, 0x1000, 0), -9);
	check_eq("suspend.powerdown_entry_ram_end",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, RAM_BASE + RAM_SIZE, 0), -9);
	check_eq("suspend.powerdown_entry_last_word",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, RAM_BASE + RAM_SIZE - 2, 0), -9);
	check_eq("suspend.powerdown_entry_misaligned",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, entry + 2, 0), -9);
	check_eq("suspend.powerdown_entry_upper_bits",
	         psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, entry | (1UL << 63), 0), -9);
	/* SMC32: only the low halves count, so this is a powerdown to 0x1000 (not in RAM). */
	check_eq("suspend.smc32_upper_halves_ignored",
	         psci_call(PSCI_CPU_SUSPEND_32, (0xffffffffUL << 32) | POWERDOWN,
	                   (0xffffffffUL << 32) | 0x1000, 0),
	         -9);
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)context;
	gic_cpu_setup((unsigned)cpu);
	v1_step = 1;
	v1_standby_ret = (uint64_t)psci_call(PSCI_CPU_SUSPEND_64, STANDBY, 0, 0);
	v1_standby_iar = gic_ack();
	v1_step = 2;
	int64_t r = psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, (uint64_t)suspend_resume_entry, CTX1);
	con_puts("FV-CHECK FAIL suspend.vcpu1.powerdown_returned (got ");
	con_dec(r);
	con_puts(")\n");
	v1_step = 4;
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
}

static void finish(void)
{
	/* vCPU 1: standby woken by an SGI of vCPU 0, then powerdown woken the same way. */
	check_eq("psci.cpu_on.vcpu1", psci_call(PSCI_CPU_ON, 1, (uint64_t)_start, 0), 0);
	check_eq("suspend.vcpu1.ready", wait_step(1), 1);
	delay_ms(20); /* most likely suspended by now; an SGI that comes first also wakes it */
	check_eq("suspend.vcpu1.on_while_suspended", psci_call(PSCI_AFFINITY_INFO, 1, 0, 0), 0);
	/* A core in CPU_SUSPEND is ON: the system cannot suspend (DENIED). */
	check_eq("system_suspend.denied_vcpu1_on",
	         psci_call(PSCI_SYS_SUSPEND_64, (uint64_t)suspend_resume_entry, CTXS1, 0), -3);
	sysreg_write(S3_0_C12_C11_5, ((uint64_t)SGI_INTID << 24) | 2); /* ICC_SGI1R_EL1 */
	check_eq("suspend.standby.sgi_wake", wait_step(2), 1);
	check_eq("suspend.standby.sgi_ret", (int64_t)v1_standby_ret, 0);
	check_eq("suspend.standby.sgi_pending", (int64_t)v1_standby_iar, SGI_INTID);
	delay_ms(20);
	sysreg_write(S3_0_C12_C11_5, ((uint64_t)SGI_INTID << 24) | 2);
	check_eq("suspend.powerdown.sgi_wake", wait_step(3), 1);
	check_eq("suspend.powerdown.sgi_context_id", (int64_t)v1_pd_ctx, (int64_t)CTX1);
	check_eq("suspend.powerdown.sgi_pending", (int64_t)v1_pd_iar, SGI_INTID);
	check_eq("suspend.powerdown.sgi_daif_masked", (int64_t)v1_pd_daif, 0x3c0);
	for (unsigned i = 0; i < 10000000 && psci_call(PSCI_AFFINITY_INFO, 1, 0, 0) != 1; i++)
		;
	check_eq("suspend.vcpu1.off", psci_call(PSCI_AFFINITY_INFO, 1, 0, 0), 1);
	/* SYSTEM_SUSPEND: offered in both forms; bad entry points refused. */
	check_eq("system_suspend.features_64", psci_call(PSCI_FEATURES, PSCI_SYS_SUSPEND_64, 0, 0),
	         0);
	check_eq("system_suspend.features_32", psci_call(PSCI_FEATURES, PSCI_SYS_SUSPEND_32, 0, 0),
	         0);
	check_eq("system_suspend.entry_outside_ram",
	         psci_call(PSCI_SYS_SUSPEND_64, RAM_BASE + RAM_SIZE, CTXS1, 0), -9);
	check_eq("system_suspend.entry_misaligned",
	         psci_call(PSCI_SYS_SUSPEND_64, (uint64_t)suspend_resume_entry + 2, CTXS1, 0), -9);
	check_eq(
	    "system_suspend.entry_upper_bits_smc64",
	    psci_call(PSCI_SYS_SUSPEND_64, (1UL << 32) | (uint64_t)suspend_resume_entry, CTXS1, 0),
	    -9);
	/* The VM suspends to RAM, woken by the virtual timer: resumes in suspend_resumed. */
	timer_arm();
	int64_t r = psci_call(PSCI_SYS_SUSPEND_64, (uint64_t)suspend_resume_entry, CTXS1, 0);
	con_puts("FV-CHECK FAIL system_suspend.returned (got ");
	con_dec(r);
	con_puts(")\n");
	check_result();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

/* After a SYSTEM_SUSPEND: the CPU_ON state, the context id, the waking interrupt. */
static void system_resumed(uint64_t context, uint64_t daif, uint64_t sctlr)
{
	uint64_t now = sysreg_read(cntvct_el0);
	if (context == CTXS1) {
		timer_stop();
		uint64_t iar = gic_ack();
		con_puts("vCPU 0 resumed from system suspend (timer)\n");
		check_eq("system_suspend.timer.not_early", now - t_suspend >= period, 1);
		check_eq("system_suspend.timer.pending", (int64_t)iar, VTIMER_INTID);
		check_eq("system_suspend.timer.daif_masked", (int64_t)daif, 0x3c0);
		check_eq("system_suspend.timer.mmu_off", (int64_t)(sctlr & 5), 0);
		/* Again, with no timer: only the operator's `vm resume` wakes the VM. The SMC32
		 * form: the upper halves of its arguments are not the caller's. */
		con_puts("system suspend until vm resume\n");
		int64_t r = psci_call(PSCI_SYS_SUSPEND_32,
		                      0xffffffff00000000UL | (uint64_t)suspend_resume_entry,
		                      0xffffffff00000000UL | CTXS2, 0);
		con_puts("FV-CHECK FAIL system_suspend.returned_2 (got ");
		con_dec(r);
		con_puts(")\n");
	} else {
		con_puts("vCPU 0 resumed from system suspend (operator)\n");
		check_eq("system_suspend.operator.context_id", (int64_t)context, (int64_t)CTXS2);
		check_eq("system_suspend.operator.daif_masked", (int64_t)daif, 0x3c0);
		check_eq("system_suspend.operator.mmu_off", (int64_t)(sctlr & 5), 0);
	}
	check_result();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void suspend_resumed(uint64_t cpu, uint64_t context)
{
	uint64_t daif = sysreg_read(daif), sctlr = sysreg_read(sctlr_el1);
	uint64_t el = sysreg_read(CurrentEL), spsel = sysreg_read(spsel);
	if (cpu == 1) {
		v1_pd_ctx = context;
		v1_pd_iar = gic_ack();
		v1_pd_daif = daif;
		v1_step = 3;
		psci_call(PSCI_CPU_OFF, 0, 0, 0);
		return;
	}
	if (context == CTXS1 || context == CTXS2) {
		system_resumed(context, daif, sctlr);
		return;
	}
	uint64_t now = sysreg_read(cntvct_el0);
	timer_stop();
	uint64_t iar = gic_ack();
	con_puts("vCPU 0 resumed from powerdown\n");
	check_eq("suspend.powerdown.timer_context_id", (int64_t)context, (int64_t)CTX0);
	check_eq("suspend.powerdown.timer_not_early", now - t_suspend >= period, 1);
	check_eq("suspend.powerdown.timer_pending", (int64_t)iar, VTIMER_INTID);
	check_eq("suspend.powerdown.daif_masked", (int64_t)daif, 0x3c0);
	check_eq("suspend.powerdown.mmu_off", (int64_t)(sctlr & 5), 0);
	check_eq("suspend.powerdown.el1h", (int64_t)((el >> 2) << 1 | spsel), 3);
	finish();
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	period = sysreg_read(cntfrq_el0) / 100; /* 10 ms */
	hostile_arguments();
	w32(GICD, 2); /* GICD_CTLR: EnableGrp1A */
	gic_cpu_setup(0);
	/* Standby, woken by the virtual timer while PSTATE.I masks it. */
	timer_arm();
	int64_t r = psci_call(PSCI_CPU_SUSPEND_64, STANDBY, 0, 0);
	uint64_t now = sysreg_read(cntvct_el0);
	/* The timer's line is a level: drop it before completing the interrupt, or it is
	 * pending again (and the next standby returns at once, as it should). */
	timer_stop();
	uint64_t iar = gic_ack();
	con_puts("vCPU 0 back from standby\n");
	check_eq("suspend.standby.timer_ret", r, 0);
	check_eq("suspend.standby.timer_not_early", now - t_suspend >= period, 1);
	check_eq("suspend.standby.timer_pending", (int64_t)iar, VTIMER_INTID);
	/* Standby through the SMC32 form, the upper halves of its arguments ignored. */
	timer_arm();
	r = psci_call(PSCI_CPU_SUSPEND_32, 0xffffffff00000000UL | STANDBY, 0, 0);
	now = sysreg_read(cntvct_el0);
	timer_stop();
	iar = gic_ack();
	check_eq("suspend.standby.smc32_ret", r, 0);
	check_eq("suspend.standby.smc32_not_early", now - t_suspend >= period, 1);
	check_eq("suspend.standby.smc32_timer_pending", (int64_t)iar, VTIMER_INTID);
	/* Powerdown, woken by the timer: resumes in suspend_resumed(0, CTX0), never here. */
	timer_arm();
	r = psci_call(PSCI_CPU_SUSPEND_64, POWERDOWN, (uint64_t)suspend_resume_entry, CTX0);
	con_puts("powerdown returned ");
	con_dec(r);
	con_puts("\n");
	check_eq("suspend.powerdown.timer_no_return", 0, 1);
	check_result();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}
