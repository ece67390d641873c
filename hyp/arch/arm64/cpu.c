// SPDX-License-Identifier: MIT
/* arm64 CPU hooks: per-CPU pointer, time and timer, SMP start (PSCI), kicks, idle, power. */
#include "arch/arm64/arm64.h"
#include "arch/arm64/psci.h"
#include "core/arch.h"
#include "core/bootwork.h"
#include "core/console.h"
#include "core/irq.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/prof.h"
#include "core/stat.h"
#include "core/timer.h"
#include "lib/printf.h"
#include "lib/string.h"

uint32_t arm64_timer_hyp_intid = 26; /* QEMU virt's CNTHP PPI; the host DTB overrides it */
static uintptr_t early_uart;         /* PL011 base once the tree named it (early output) */
/* Early output before the tree is parsed (the banner), written out once the UART is known. */
static char early_buf[256];
static unsigned early_len;

struct cpu *cpu_this(void)
{
	struct cpu *c;
	__asm__ volatile("mrs %0, tpidr_el2" : "=r"(c));
	return c;
}

uint64_t arm64_cntfrq(void)
{
	return sysreg_read(cntfrq_el0) & 0xffffffffULL;
}

uint64_t arch_time_ticks(void)
{
	isb(); /* the counter read is not reordered before earlier instructions */
	return sysreg_read(cntpct_el0);
}

void arch_timer_program(uint64_t deadline_ticks)
{
	/* The EL2 physical timer (CNTHP): level interrupt while CNTPCT >= CVAL and enabled. */
	if (deadline_ticks == UINT64_MAX) {
		sysreg_write(cnthp_ctl_el2, 0);
	} else {
		sysreg_write(cnthp_cval_el2, deadline_ticks);
		sysreg_write(cnthp_ctl_el2, CNT_CTL_ENABLE);
	}
	isb();
}

int arch_cpu_start(struct cpu *c)
{
	int64_t r =
	    arm64_psci_fw_call(PSCI_CPU_ON_64, c->hw_id, (uint64_t)(uintptr_t)arm64_secondary_entry,
	                       (uint64_t)(uintptr_t)c);
	if (r != PSCI_SUCCESS) {
		pr_warn("psci: CPU_ON of MPIDR 0x%lx failed (%ld)", (unsigned long)c->hw_id,
		        (long)r);
		return -FV_EIO;
	}
	return 0;
}

void arch_cpu_kick(struct cpu *target)
{
	arm64_gic_send_sgi(target->hw_id, ARM64_SGI_KICK);
}

void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

void arm64_handle_host_irqs(void)
{
	struct cpu *c = cpu_this();
	/* Bounded: a device that re-asserts at once must not keep this CPU here forever. */
	for (unsigned n = 0; n < 64; n++) {
		unsigned id = arm64_gic_ack();
		if (id >= 1020)
			break;
		if (id == arm64_timer_hyp_intid) {
			STAT_INC(c->stats.irqs_timer);
			/* Level interrupt: disarm before EOI; timer_handle_expired re-arms it. */
			arch_timer_program(UINT64_MAX);
			arm64_gic_eoi(id);
			timer_handle_expired();
		} else if (id < 16) {
			STAT_INC(c->stats.irqs_ipi);
			arm64_gic_eoi(id);
		} else {
			irq_dispatch(id);
			arm64_gic_eoi(id);
		}
	}
	/* Work other CPUs (or this one) asked the boot CPU for with a kick SGI: now (the
	 * control channel's answers on notify, bootwork.h), not at the next console tick. */
	bootwork_run();
	/* A profiling session started since this CPU last looked arms its sampling timer. */
	prof_cpu_poll();
}

void arch_cpu_idle(void)
{
	/* PSTATE.I stays set: wfi still wakes on a pending interrupt, which is then polled. */
	__asm__ volatile("dsb sy\n.globl arm64_idle_wfi\narm64_idle_wfi: wfi" ::: "memory");
	arm64_handle_host_irqs();
}

void arch_system_poweroff(void)
{
	arm64_psci_fw_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	/* No PSCI (or it returned): stop this CPU at least. */
	for (;;)
		__asm__ volatile("wfi");
}

static void early_uart_put(char c)
{
	volatile uint32_t *fr = (volatile uint32_t *)(early_uart + 0x18);
	for (unsigned i = 0; i < 100000 && (*fr & (1U << 5)); i++)
		;
	*(volatile uint32_t *)early_uart = (uint8_t)c;
}

void arch_early_putc(char c)
{
	/* Until the tree has named the PL011 there is nowhere to write: keep the bytes. */
	if (!early_uart) {
		if (early_len < sizeof(early_buf))
			early_buf[early_len++] = c;
		return;
	}
	early_uart_put(c);
}

void arm64_early_uart_found(uint64_t base)
{
	early_uart = (uintptr_t)base;
	for (unsigned i = 0; i < early_len; i++)
		early_uart_put(early_buf[i]);
	early_len = 0;
}

void arch_platform_describe(const struct platform *p, char *buf, size_t len)
{
	static const char *const conduit[] = {"none", "smc", "hvc"};
	fv_snprintf(buf, len, "gicv3 %s (dist 0x%lx), psci %s, timer PPI %u",
	            p->arch.gicd.present ? "yes" : "no", (unsigned long)p->arch.gicd.base,
	            conduit[p->arch.psci], p->arch.timer_hyp_intid);
}

int arch_features_probe(const struct platform *p)
{
	uint64_t hcr = sysreg_read(hcr_el2);
	if (hcr & HCR_E2H) {
		pr_err("cpu: HCR_EL2.E2H is fixed at 1; this port runs without VHE");
		return -1;
	}
	uint64_t mmfr0 = sysreg_read(id_aa64mmfr0_el1);
	uint64_t mmfr1 = sysreg_read(id_aa64mmfr1_el1);
	unsigned parange = (unsigned)(mmfr0 & 0xf);
	unsigned vmidbits = ((mmfr1 >> 4) & 0xf) == 2 ? 16 : 8;
	pr_info("cpu: EL2, PARange %u, VMID %u bits, %s", parange, vmidbits,
	        ((mmfr1 >> 8) & 0xf) ? "VHE available (unused)" : "no VHE");
	/* The stage-2 layout (vm_arm64.c) needs 40-bit physical addresses (PARange >= 2). */
	if (parange < 2) {
		pr_err("cpu: physical address range too small (PARange %u)", parange);
		return -1;
	}
	if (!p->arch.gicd.present || !p->arch.gicr.present) {
		pr_err("cpu: no GICv3 in the device tree (run QEMU with gic-version=3)");
		return -1;
	}
	if (p->arch.psci == ARM64_PSCI_NONE)
		pr_warn("cpu: no PSCI in the device tree: secondary CPUs stay off");
	if (p->arch.timer_hyp_intid)
		arm64_timer_hyp_intid = p->arch.timer_hyp_intid;
	arm64_psci_fw_init((int)p->arch.psci);
	if (arm64_gic_init_boot(p) != 0) {
		pr_err("gic: cannot set up the distributor");
		return -1;
	}
	return 0;
}

int arch_selfcheck(void)
{
	return 0;
}

void arch_mem_zero(void *p, uint64_t size)
{
	/* DC ZVA zeroes a block per instruction; its size is DCZID_EL0.BS words. */
	uint64_t dczid = sysreg_read(dczid_el0);
	uint64_t b = 4ULL << (dczid & 0xf);
	uintptr_t a = (uintptr_t)p;
	if ((dczid & (1U << 4)) || (a & (b - 1)) || (size & (b - 1))) {
		memset(p, 0, size);
		return;
	}
	for (uintptr_t end = a + size; a < end; a += b)
		__asm__ volatile("dc zva, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb ish" ::: "memory");
}

void arch_cpu_init(void)
{
	sysreg_write(hcr_el2, HCR_HOST);
	/* EL1 may read the physical counter; the EL1 physical timer traps (guests use the
	 * virtual one, whose offset is the VM's). */
	sysreg_write(cnthctl_el2, 1);
	sysreg_write(cntvoff_el2, 0);
	sysreg_write(cnthp_ctl_el2, 0);
	sysreg_write(vttbr_el2, 0);
	/* Stage 2: 39-bit IPA starting at level 1 (SL0 = 1), 4 KiB granule, WBWA, inner
	 * shareable, 40-bit PA; RES1 bit 31 (Arm ARM D19.2.140 VTCR_EL2). */
	sysreg_write(vtcr_el2, (1ULL << 31) | (2ULL << 16) | (3ULL << 12) | (1ULL << 10) |
	                           (1ULL << 8) | (1ULL << 6) | 25ULL);
	/* The PMU is not virtualised (hidden in the ID registers): its registers trap. */
	sysreg_write(mdcr_el2, MDCR_HOST);
	isb();
	arm64_gic_cpu_init();
}

void arm64_hyp_fault(uint64_t vector, const uint64_t *frame)
{
	panic("EL2 exception (vector %lu): ESR 0x%lx ELR 0x%lx FAR 0x%lx SPSR 0x%lx lr 0x%lx",
	      (unsigned long)vector, (unsigned long)sysreg_read(esr_el2), (unsigned long)frame[31],
	      (unsigned long)sysreg_read(far_el2), (unsigned long)frame[32],
	      (unsigned long)frame[30]);
}
