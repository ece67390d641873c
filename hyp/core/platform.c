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

static void get_dev(const void *fdt, const char *compat, struct plat_dev *d)
{
	int node = fv_fdt_find_compatible(fdt, -1, compat);
	if (node < 0 || d->present)
		return;
	if (fv_fdt_reg(fdt, node, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (first_irq(fdt, node, &irq))
		d->irq = irq;
	d->present = true;
}

static void parse_memory(const void *fdt, struct platform *p)
{
	int depth = 0;
	for (int node = fv_fdt_root(fdt); node >= 0; node = fv_fdt_next_node(fdt, node, &depth)) {
		const char *dt = fv_fdt_prop_string(fdt, node, "device_type");
		if (!dt || strcmp(dt, "memory") != 0)
			continue;
		for (int i = 0; p->nr_mem < PLAT_MAX_MEM; i++) {
			uint64_t base, size;
			if (fv_fdt_reg(fdt, node, i, &base, &size) != 0)
				break;
			if (size) {
				p->mem[p->nr_mem].base = base;
				p->mem[p->nr_mem].size = size;
				p->nr_mem++;
			}
		}
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
		if (!p->isa) {
			p->isa = fv_fdt_prop_string(fdt, n, "riscv,isa");
			/* Absent sizes stay 0: the extension is then not offered to VMs. */
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cbom-block-size", &p->cbom_block);
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cbop-block-size", &p->cbop_block);
			(void)fv_fdt_prop_u32(fdt, n, "riscv,cboz-block-size", &p->cboz_block);
		}
		if (p->nr_cpus < PLAT_MAX_CPUS)
			p->hartid[p->nr_cpus++] = hart;
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
			if (p->hartid[i] == hart && p->plic_s_ctx[i] < 0)
				p->plic_s_ctx[i] = ctx;
	}
}

static void parse_uart(const void *fdt, struct platform *p)
{
	int node = fv_fdt_find_compatible(fdt, -1, "ns16550a");
	if (node < 0)
		node = fv_fdt_find_compatible(fdt, -1, "ns16550");
	if (node < 0 || fv_fdt_reg(fdt, node, 0, &p->uart.base, &p->uart.size) != 0)
		return;
	uint32_t v;
	p->uart.present = true;
	if (first_irq(fdt, node, &v))
		p->uart.irq = v;
	p->uart_reg_shift = fv_fdt_prop_u32(fdt, node, "reg-shift", &v) == 0 ? v : 0;
	p->uart_io_width = fv_fdt_prop_u32(fdt, node, "reg-io-width", &v) == 0 ? v : 1;
}

static void parse_virtio(const void *fdt, struct platform *p)
{
	for (int n = fv_fdt_find_compatible(fdt, -1, "virtio,mmio");
	     n >= 0 && p->nr_virtio < PLAT_MAX_VIRTIO;
	     n = fv_fdt_find_compatible(fdt, n, "virtio,mmio")) {
		struct plat_dev *d = &p->virtio[p->nr_virtio];
		if (fv_fdt_reg(fdt, n, 0, &d->base, &d->size) != 0)
			continue;
		uint32_t irq;
		if (first_irq(fdt, n, &irq))
			d->irq = irq;
		d->present = true;
		p->nr_virtio++;
	}
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
	memset(p, 0, sizeof(*p));
	int ret = fv_fdt_check(fdt, size);
	if (ret)
		return ret;
	parse_memory(fdt, p);
	if (p->nr_mem == 0)
		return -FV_ENOENT;
	parse_reserved(fdt, p);
	ret = parse_cpus(fdt, p);
	if (ret)
		return ret;
	parse_uart(fdt, p);
	for (unsigned i = 0; i < PLAT_MAX_CPUS; i++)
		p->plic_s_ctx[i] = -1;
	get_dev(fdt, "riscv,plic0", &p->plic);
	get_dev(fdt, "sifive,plic-1.0.0", &p->plic);
	if (p->plic.present) {
		uint32_t nd;
		int n = fv_fdt_find_compatible(fdt, -1, "riscv,plic0");
		if (n < 0)
			n = fv_fdt_find_compatible(fdt, -1, "sifive,plic-1.0.0");
		if (n >= 0 && fv_fdt_prop_u32(fdt, n, "riscv,ndev", &nd) == 0)
			p->plic_ndev = nd;
		if (n >= 0)
			parse_plic_contexts(fdt, n, p);
	}
	get_dev(fdt, "riscv,clint0", &p->clint);
	get_dev(fdt, "sifive,clint0", &p->clint);
	get_dev(fdt, "riscv,aclint-mswi", &p->clint);
	get_dev(fdt, "riscv,aplic", &p->aplic);
	get_dev(fdt, "riscv,imsics", &p->imsic);
	parse_virtio(fdt, p);
	parse_chosen(fdt, p);
	return 0;
}
