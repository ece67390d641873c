// SPDX-License-Identifier: MIT
/*
 * Host device tree parsing on RISC-V (QEMU virt): what core's shared walk
 * (core/platform_fdt.c: memory, reserved ranges, hart ids, virtio-mmio slots in document
 * order, the initrd) leaves to the architecture: the timebase, the ISA string, the ns16550's
 * register layout, PLIC (and its S-mode contexts), CLINT/ACLINT, APLIC, IMSIC, goldfish RTC.
 */
#include "core/platform.h"
#include "core/platform_fdt.h"
#include "lib/fdt.h"
#include "lib/string.h"

/* First cell of "interrupts" (one cell under a PLIC, two under an APLIC); index 0 only. */
static bool first_irq(const void *fdt, int node, int index, uint32_t *irq)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(fdt, node, "interrupts", &len);
	if (index != 0 || !p || len < 4)
		return false;
	*irq = fv_fdt_be32(p);
	return true;
}

/*
 * The compatibles core's one walk of the tree (core/platform_fdt.c) finds for us: the first
 * node in document order that lists each, with its parent.
 */
enum plat_compat {
	PC_NS16550A,
	PC_NS16550,
	PC_PLIC0,
	PC_SIFIVE_PLIC,
	PC_CLINT0,
	PC_SIFIVE_CLINT,
	PC_ACLINT_MSWI,
	PC_APLIC,
	PC_IMSICS,
	PC_GOLDFISH_RTC,
	PC_NR
};

static const char *const plat_compat_names[PC_NR] = {
    [PC_NS16550A] = "ns16550a",
    [PC_NS16550] = "ns16550",
    [PC_PLIC0] = "riscv,plic0",
    [PC_SIFIVE_PLIC] = "sifive,plic-1.0.0",
    [PC_CLINT0] = "riscv,clint0",
    [PC_SIFIVE_CLINT] = "sifive,clint0",
    [PC_ACLINT_MSWI] = "riscv,aclint-mswi",
    [PC_APLIC] = "riscv,aplic",
    [PC_IMSICS] = "riscv,imsics",
    [PC_GOLDFISH_RTC] = "google,goldfish-rtc",
};

/* Per enabled CPU (after core took its hart id): its timebase if /cpus has none, the ISA
 * string and cache-block sizes of the first one. */
static void parse_cpu(const void *fdt, int n, struct platform *p)
{
	uint32_t tb;
	if (fv_fdt_prop_u32(fdt, n, "timebase-frequency", &tb) == 0 && !p->timebase_hz)
		p->timebase_hz = tb;
	if (!p->arch.isa) {
		p->arch.isa = fv_fdt_prop_string(fdt, n, "riscv,isa");
		/* Absent sizes stay 0: the extension is then not offered to VMs. */
		(void)fv_fdt_prop_u32(fdt, n, "riscv,cbom-block-size", &p->arch.cbom_block);
		(void)fv_fdt_prop_u32(fdt, n, "riscv,cbop-block-size", &p->arch.cbop_block);
		(void)fv_fdt_prop_u32(fdt, n, "riscv,cboz-block-size", &p->arch.cboz_block);
	}
}

static const struct platform_fdt_desc riscv_fdt = {
    .compat = plat_compat_names,
    .nr_compat = PC_NR,
    .irq = first_irq,
    .cpu = parse_cpu,
};

/*
 * Index in p's CPUs of the one whose interrupt controller (a child of its node) has this
 * phandle, or -1. A hart's "interrupt-controller" child is the only place the binding puts
 * the node a PLIC context names: searching the enabled CPUs' children spares a walk of the
 * whole tree for the phandle and another from the root for its parent (about 50 k
 * instructions at boot: docs/performance.md, boot path).
 */
static int cpu_of_intc(const void *fdt, const struct platform *p, uint32_t phandle)
{
	if (phandle == 0 || phandle == 0xffffffffu)
		return -1;
	for (unsigned i = 0; i < p->nr_cpus; i++)
		for (int c = fv_fdt_first_child(fdt, p->cpu_node[i]); c >= 0;
		     c = fv_fdt_next_sibling(fdt, c))
			if (fv_fdt_get_phandle(fdt, c) == phandle)
				return (int)i;
	return -1;
}

/*
 * PLIC contexts (riscv,plic0 binding): "interrupts-extended" lists one
 * <intc-phandle cause> pair per context, in context order; the S-mode
 * context of a hart is the pair naming that hart's interrupt controller
 * with cause 9 (supervisor external interrupt).
 */
static void parse_plic_contexts(const void *fdt, int plic, struct platform *p)
{
	int len;
	const uint8_t *prop = fv_fdt_getprop(fdt, plic, "interrupts-extended", &len);
	if (!prop || len <= 0)
		return;
	for (int ctx = 0; (ctx + 1) * 8 <= len; ctx++) {
		uint32_t ph = fv_fdt_be32(prop + ctx * 8), cause = fv_fdt_be32(prop + ctx * 8 + 4);
		if (cause != 9)
			continue;
		int i = cpu_of_intc(fdt, p, ph);
		if (i < 0)
			continue;
		/* Every enabled CPU with the same hart id: as many as the tree lists. */
		for (unsigned j = 0; j < p->nr_cpus; j++)
			if (p->cpu_hwid[j] == p->cpu_hwid[i] && p->arch.plic_s_ctx[j] < 0)
				p->arch.plic_s_ctx[j] = ctx;
	}
}

static void get_dev(const void *fdt, struct plat_node n, struct plat_dev *d)
{
	platform_fdt_dev(fdt, &riscv_fdt, n, d);
}

static void parse_uart(const void *fdt, struct plat_node n, struct platform *p)
{
	platform_fdt_dev(fdt, &riscv_fdt, n, &p->uart);
	if (!p->uart.present)
		return;
	uint32_t v;
	p->uart_reg_shift = fv_fdt_prop_u32(fdt, n.node, "reg-shift", &v) == 0 ? v : 0;
	p->uart_io_width = fv_fdt_prop_u32(fdt, n.node, "reg-io-width", &v) == 0 ? v : 1;
}

int platform_parse(const void *fdt, size_t size, struct platform *p)
{
	struct plat_node found[PC_NR];
	int ret = platform_fdt_parse(fdt, size, p, &riscv_fdt, found);
	if (ret)
		return ret;
	/* /cpus' timebase-frequency is the binding's place; a CPU node's is the fallback. */
	int cpus = p->fdt_cpus; /* found by the walk */
	uint32_t tb;
	if (cpus >= 0 && fv_fdt_prop_u32(fdt, cpus, "timebase-frequency", &tb) == 0)
		p->timebase_hz = tb;
	if (!p->nr_cpus || !p->timebase_hz)
		return -FV_ENOENT;
	parse_uart(fdt, found[PC_NS16550A].node >= 0 ? found[PC_NS16550A] : found[PC_NS16550], p);
	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		p->arch.plic_s_ctx[i] = -1;
	get_dev(fdt, found[PC_PLIC0], &p->arch.plic);
	get_dev(fdt, found[PC_SIFIVE_PLIC], &p->arch.plic);
	if (p->arch.plic.present) {
		uint32_t nd;
		int n =
		    found[PC_PLIC0].node >= 0 ? found[PC_PLIC0].node : found[PC_SIFIVE_PLIC].node;
		if (n >= 0 && fv_fdt_prop_u32(fdt, n, "riscv,ndev", &nd) == 0)
			p->arch.plic_ndev = nd;
		if (n >= 0)
			parse_plic_contexts(fdt, n, p);
	}
	get_dev(fdt, found[PC_CLINT0], &p->arch.clint);
	get_dev(fdt, found[PC_SIFIVE_CLINT], &p->arch.clint);
	get_dev(fdt, found[PC_ACLINT_MSWI], &p->arch.clint);
	get_dev(fdt, found[PC_APLIC], &p->arch.aplic);
	get_dev(fdt, found[PC_IMSICS], &p->arch.imsic);
	get_dev(fdt, found[PC_GOLDFISH_RTC], &p->rtc);
	p->rtc_kind = PLAT_RTC_GOLDFISH;
	return 0;
}
