// SPDX-License-Identifier: MIT
/* Host device tree parsing: memory, CPUs, timebase, devices, initrd. */
#include "core/platform.h"
#include "lib/fdt.h"
#include "lib/string.h"

/* First cell of "interrupts" (one cell under a PLIC, two under an APLIC). */
static bool first_irq(const void *fdt, int node, uint32_t *irq)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(fdt, node, "interrupts", &len);
	if (!p || len < 4)
		return false;
	*irq = fv_fdt_be32(p);
	return true;
}

/*
 * Devices are found in ONE walk of the tree (platform_walk): for every
 * compatible string below, the first node in document order that lists
 * it, with its parent, whose cells decode the node's reg. Looking each
 * one up separately (fv_fdt_find_compatible, then fv_fdt_reg, which finds
 * the parent by another walk from the root) cost about 1.6 M instructions
 * at boot on QEMU's virt tree (docs/performance.md, boot path).
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

/* Deeper nodes than this have their parent looked up (fv_fdt_reg); QEMU's go to depth 4. */
#define WALK_MAX_DEPTH 16

/* A node found by the walk: its offset (-1 = none) and its parent's. */
struct plat_node {
	int node, parent;
};

/* reg entry i of a node the walk found (its parent known, or looked up if not). */
static int node_reg(const void *fdt, struct plat_node n, int i, uint64_t *base, uint64_t *size)
{
	if (n.parent < 0)
		return fv_fdt_reg(fdt, n.node, i, base, size);
	return fv_fdt_reg_in(fdt, n.parent, n.node, i, base, size);
}

static void get_dev(const void *fdt, struct plat_node n, struct plat_dev *d)
{
	if (n.node < 0 || d->present)
		return;
	if (node_reg(fdt, n, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (first_irq(fdt, n.node, &irq))
		d->irq = irq;
	d->present = true;
}

/* Every reg entry of a device_type = "memory" node, in document order. */
static void add_memory(const void *fdt, struct plat_node n, struct platform *p)
{
	for (int i = 0; p->nr_mem < PLAT_MAX_MEM; i++) {
		uint64_t base, size;
		if (node_reg(fdt, n, i, &base, &size) != 0)
			break;
		if (size) {
			p->mem[p->nr_mem].base = base;
			p->mem[p->nr_mem].size = size;
			p->nr_mem++;
		}
	}
}

/* A "virtio,mmio" node, in document order; one without a usable reg is skipped. */
static void add_virtio(const void *fdt, struct plat_node n, struct platform *p)
{
	if (p->nr_virtio >= PLAT_MAX_VIRTIO)
		return;
	struct plat_dev *d = &p->virtio[p->nr_virtio];
	if (node_reg(fdt, n, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (first_irq(fdt, n.node, &irq))
		d->irq = irq;
	d->present = true;
	p->nr_virtio++;
}

/*
 * The one walk: memory and virtio nodes are taken as they come (document
 * order, as separate lookups would find them), the first node of each
 * compatible in found[]. Depth bookkeeping is fv_fdt_next_node's; its walk
 * is bounds-checked on any blob and ends at the root's end.
 */
static void platform_walk(const void *fdt, struct platform *p, struct plat_node found[PC_NR])
{
	int parents[WALK_MAX_DEPTH];
	int depth = 0;
	for (unsigned i = 0; i < PC_NR; i++)
		found[i] = (struct plat_node){-1, -1};
	for (int node = fv_fdt_root(fdt); node >= 0; node = fv_fdt_next_node(fdt, node, &depth)) {
		struct plat_node n = {node, -1};
		if (depth < WALK_MAX_DEPTH)
			parents[depth] = node;
		if (depth > 0 && depth <= WALK_MAX_DEPTH)
			n.parent = parents[depth - 1];
		const char *dt = fv_fdt_prop_string(fdt, node, "device_type");
		if (dt && strcmp(dt, "memory") == 0)
			add_memory(fdt, n, p);
		int len;
		const void *compat = fv_fdt_getprop(fdt, node, "compatible", &len);
		if (!compat)
			continue;
		if (fv_fdt_stringlist_contains(compat, len, "virtio,mmio"))
			add_virtio(fdt, n, p);
		for (unsigned i = 0; i < PC_NR; i++)
			if (found[i].node < 0 &&
			    fv_fdt_stringlist_contains(compat, len, plat_compat_names[i]))
				found[i] = n;
	}
}

static void add_rsv(struct platform *p, uint64_t base, uint64_t size)
{
	if (size && p->nr_rsv < PLAT_MAX_RSV) {
		p->rsv[p->nr_rsv].base = base;
		p->rsv[p->nr_rsv].size = size;
		p->nr_rsv++;
	}
}

static void parse_reserved(const void *fdt, struct platform *p)
{
	uint64_t a, s;
	for (int i = 0; i < PLAT_MAX_RSV && fv_fdt_mem_rsv(fdt, i, &a, &s) == 0; i++)
		add_rsv(p, a, s);
	int rm = fv_fdt_path_offset(fdt, "/reserved-memory");
	if (rm < 0)
		return;
	for (int n = fv_fdt_first_child(fdt, rm); n >= 0; n = fv_fdt_next_sibling(fdt, n))
		for (int i = 0; fv_fdt_reg(fdt, n, i, &a, &s) == 0; i++)
			add_rsv(p, a, s);
}

static int parse_cpus(const void *fdt, struct platform *p)
{
	int cpus = fv_fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return -FV_ENOENT;
	uint32_t tb;
	if (fv_fdt_prop_u32(fdt, cpus, "timebase-frequency", &tb) == 0)
		p->timebase_hz = tb;
	for (int n = fv_fdt_first_child(fdt, cpus); n >= 0; n = fv_fdt_next_sibling(fdt, n)) {
		const char *dt = fv_fdt_prop_string(fdt, n, "device_type");
		if (!dt || strcmp(dt, "cpu") != 0)
			continue;
		const char *status = fv_fdt_prop_string(fdt, n, "status");
		if (status && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0)
			continue;
		uint64_t hart, sz;
		if (fv_fdt_reg(fdt, n, 0, &hart, &sz) != 0)
			continue;
		if (fv_fdt_prop_u32(fdt, n, "timebase-frequency", &tb) == 0 && !p->timebase_hz)
			p->timebase_hz = tb;
		if (!p->arch.isa) {
			p->arch.isa = fv_fdt_prop_string(fdt, n, "riscv,isa");
			/* Absent sizes stay 0: the extension is then not offered to VMs. */
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cbom-block-size", &p->arch.cbom_block);
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cbop-block-size", &p->arch.cbop_block);
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cboz-block-size", &p->arch.cboz_block);
		}
		if (p->nr_cpus < PLAT_MAX_CPUS)
			p->cpu_hwid[p->nr_cpus++] = hart;
	}
	return p->nr_cpus && p->timebase_hz ? 0 : -FV_ENOENT;
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
		int intc = fv_fdt_node_by_phandle(fdt, ph);
		int cpu = intc >= 0 ? fv_fdt_parent_offset(fdt, intc) : -1;
		uint64_t hart, sz;
		if (cpu < 0 || fv_fdt_reg(fdt, cpu, 0, &hart, &sz) != 0)
			continue;
		for (unsigned i = 0; i < p->nr_cpus; i++)
			if (p->cpu_hwid[i] == hart && p->arch.plic_s_ctx[i] < 0)
				p->arch.plic_s_ctx[i] = ctx;
	}
}

static void parse_uart(const void *fdt, struct plat_node n, struct platform *p)
{
	if (n.node < 0 || node_reg(fdt, n, 0, &p->uart.base, &p->uart.size) != 0)
		return;
	uint32_t v;
	p->uart.present = true;
	if (first_irq(fdt, n.node, &v))
		p->uart.irq = v;
	p->uart_reg_shift = fv_fdt_prop_u32(fdt, n.node, "reg-shift", &v) == 0 ? v : 0;
	p->uart_io_width = fv_fdt_prop_u32(fdt, n.node, "reg-io-width", &v) == 0 ? v : 1;
}

static void parse_chosen(const void *fdt, struct platform *p)
{
	int ch = fv_fdt_path_offset(fdt, "/chosen");
	if (ch < 0)
		return;
	uint64_t s, e;
	if (fv_fdt_prop_u64(fdt, ch, "linux,initrd-start", &s) == 0 &&
	    fv_fdt_prop_u64(fdt, ch, "linux,initrd-end", &e) == 0 && e > s) {
		p->initrd_start = s;
		p->initrd_end = e;
	}
}

int platform_parse(const void *fdt, size_t size, struct platform *p)
{
	struct plat_node found[PC_NR];
	memset(p, 0, sizeof(*p));
	int ret = fv_fdt_check(fdt, size);
	if (ret)
		return ret;
	platform_walk(fdt, p, found);
	if (p->nr_mem == 0)
		return -FV_ENOENT;
	parse_reserved(fdt, p);
	ret = parse_cpus(fdt, p);
	if (ret)
		return ret;
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
	parse_chosen(fdt, p);
	return 0;
}
