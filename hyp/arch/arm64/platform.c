// SPDX-License-Identifier: MIT
/*
 * Host device tree parsing on arm64 (QEMU virt): what core's shared walk
 * (core/platform_fdt.c: memory, reserved ranges, CPUs with reg = MPIDR affinity,
 * virtio-mmio slots, the initrd) leaves to the architecture: GIC interrupt specifiers, the
 * PL011 console, the PL031 RTC (the host's wall clock), the GICv3, the generic timer's
 * interrupts and the PSCI conduit. Pure apart from two calls into cpu.c: the counter frequency,
 * which the architected timer reports itself (CNTFRQ_EL0) when the tree does not say it, and the
 * PL011's address for the early output.
 */
#include "arch/arm64/arm64.h"
#include "core/platform.h"
#include "core/platform_fdt.h"
#include "lib/fdt.h"
#include "lib/string.h"

/* GIC interrupt specifier (3 cells: type, number, flags) -> INTID: SPI n = 32+n, PPI n = 16+n. */
static bool gic_intid(const void *fdt, int node, int index, uint32_t *intid)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(fdt, node, "interrupts", &len);
	if (!p || len < (index + 1) * 12)
		return false;
	uint32_t type = fv_fdt_be32(p + index * 12), num = fv_fdt_be32(p + index * 12 + 4);
	if (type > 1 || num > (type == 0 ? 987U : 15U))
		return false;
	*intid = num + (type == 0 ? 32U : 16U);
	return true;
}

enum plat_compat { PC_PL011, PC_GICV3, PC_TIMER_V8, PC_TIMER_V7, PC_PL031, PC_NR };

/* The compatibles core's one walk of the tree (core/platform_fdt.c) finds for us. */
static const char *const plat_compat_names[PC_NR] = {
    [PC_PL011] = "arm,pl011",          [PC_GICV3] = "arm,gic-v3", [PC_TIMER_V8] = "arm,armv8-timer",
    [PC_TIMER_V7] = "arm,armv7-timer", [PC_PL031] = "arm,pl031",
};

static const struct platform_fdt_desc arm64_fdt = {
    .compat = plat_compat_names,
    .nr_compat = PC_NR,
    .irq = gic_intid,
};

static void parse_psci(const void *fdt, struct platform *p)
{
	int n = fv_fdt_path_offset(fdt, "/psci");
	if (n < 0)
		return;
	const char *m = fv_fdt_prop_string(fdt, n, "method");
	if (m && strcmp(m, "smc") == 0)
		p->arch.psci = ARM64_PSCI_SMC;
	else if (m && strcmp(m, "hvc") == 0)
		p->arch.psci = ARM64_PSCI_HVC;
}

/* "arm,armv8-timer": interrupts are secure phys, non-secure phys, virtual, hypervisor. */
static void parse_timer(const void *fdt, int node, struct platform *p)
{
	if (node < 0)
		return;
	uint32_t v;
	if (gic_intid(fdt, node, 2, &v))
		p->arch.timer_virt_intid = v;
	if (gic_intid(fdt, node, 3, &v))
		p->arch.timer_hyp_intid = v;
	if (fv_fdt_prop_u32(fdt, node, "clock-frequency", &v) == 0 && v)
		p->timebase_hz = v;
}

int platform_parse(const void *fdt, size_t size, struct platform *p)
{
	struct plat_node found[PC_NR];
	int ret = platform_fdt_parse(fdt, size, p, &arm64_fdt, found);
	if (ret)
		return ret;
	/*
	 * QEMU lists the virtio-mmio slots from the highest address down; slot i is the i-th
	 * lowest address here (the order guests/linux configurations and docs/arm64.md assume).
	 */
	platform_fdt_sort_virtio(p);
	platform_fdt_dev(fdt, &arm64_fdt, found[PC_PL011], &p->uart);
	p->uart_pl011 = p->uart.present;
	if (p->uart.present)
		arm64_early_uart_found(p->uart.base);
	/* The host's wall clock (core/wallclock.c reads it at boot and checks its ids). */
	platform_fdt_dev(fdt, &arm64_fdt, found[PC_PL031], &p->rtc);
	p->rtc_kind = PLAT_RTC_PL031;
	struct plat_node gic = found[PC_GICV3];
	platform_fdt_dev(fdt, &arm64_fdt, gic, &p->arch.gicd);
	if (gic.node >= 0 &&
	    platform_fdt_reg(fdt, gic, 1, &p->arch.gicr.base, &p->arch.gicr.size) == 0)
		p->arch.gicr.present = true;
	parse_timer(
	    fdt, found[PC_TIMER_V8].node >= 0 ? found[PC_TIMER_V8].node : found[PC_TIMER_V7].node,
	    p);
	parse_psci(fdt, p);
	/* The architected counter says its own frequency when the tree does not. */
	if (!p->timebase_hz)
		p->timebase_hz = arm64_cntfrq();
	return p->nr_cpus && p->timebase_hz ? 0 : -FV_ENOENT;
}
