// SPDX-License-Identifier: MIT
/*
 * Host device tree parsing on arm64 (QEMU virt): memory, CPUs (reg = MPIDR affinity),
 * the PL011 console, the GICv3, the generic timer's interrupts, the PSCI conduit,
 * virtio-mmio slots and the initrd. Pure apart from two calls into cpu.c: the counter
 * frequency, which the architected timer reports itself (CNTFRQ_EL0) when the tree does
 * not say it, and the PL011's address for the early output.
 */
#include "arch/arm64/arm64.h"
#include "core/platform.h"
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

static void get_dev(const void *fdt, int node, struct plat_dev *d)
{
	if (node < 0 || d->present || fv_fdt_reg(fdt, node, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (gic_intid(fdt, node, 0, &irq))
		d->irq = irq;
	d->present = true;
}

static void add_memory(const void *fdt, int node, struct platform *p)
{
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

static void add_virtio(const void *fdt, int node, struct platform *p)
{
	if (p->nr_virtio >= PLAT_MAX_VIRTIO)
		return;
	struct plat_dev *d = &p->virtio[p->nr_virtio];
	if (fv_fdt_reg(fdt, node, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (gic_intid(fdt, node, 0, &irq))
		d->irq = irq;
	d->present = true;
	p->nr_virtio++;
}

/*
 * QEMU lists the virtio-mmio slots from the highest address down; slot i is the i-th lowest
 * address (as on RISC-V, where the list comes in that order already).
 */
static void sort_virtio(struct platform *p)
{
	for (unsigned i = 1; i < p->nr_virtio; i++)
		for (unsigned j = i; j > 0 && p->virtio[j].base < p->virtio[j - 1].base; j--) {
			struct plat_dev t = p->virtio[j];
			p->virtio[j] = p->virtio[j - 1];
			p->virtio[j - 1] = t;
		}
}

static void parse_cpus(const void *fdt, struct platform *p)
{
	int cpus = fv_fdt_path_offset(fdt, "/cpus");
	if (cpus < 0)
		return;
	for (int n = fv_fdt_first_child(fdt, cpus); n >= 0; n = fv_fdt_next_sibling(fdt, n)) {
		const char *dt = fv_fdt_prop_string(fdt, n, "device_type");
		if (!dt || strcmp(dt, "cpu") != 0)
			continue;
		const char *status = fv_fdt_prop_string(fdt, n, "status");
		if (status && strcmp(status, "okay") != 0 && strcmp(status, "ok") != 0)
			continue;
		uint64_t mpidr, sz;
		if (fv_fdt_reg(fdt, n, 0, &mpidr, &sz) != 0)
			continue;
		if (p->nr_cpus < PLAT_MAX_CPUS)
			p->cpu_hwid[p->nr_cpus++] = mpidr;
	}
}

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

static void parse_reserved(const void *fdt, struct platform *p)
{
	uint64_t a, s;
	for (int i = 0; i < PLAT_MAX_RSV && fv_fdt_mem_rsv(fdt, i, &a, &s) == 0; i++) {
		if (s && p->nr_rsv < PLAT_MAX_RSV) {
			p->rsv[p->nr_rsv].base = a;
			p->rsv[p->nr_rsv++].size = s;
		}
	}
	int rm = fv_fdt_path_offset(fdt, "/reserved-memory");
	if (rm < 0)
		return;
	for (int n = fv_fdt_first_child(fdt, rm); n >= 0; n = fv_fdt_next_sibling(fdt, n))
		for (int i = 0; fv_fdt_reg(fdt, n, i, &a, &s) == 0; i++)
			if (s && p->nr_rsv < PLAT_MAX_RSV) {
				p->rsv[p->nr_rsv].base = a;
				p->rsv[p->nr_rsv++].size = s;
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
	int uart = -1, gic = -1, timer = -1;
	int depth = 0;
	for (int node = fv_fdt_root(fdt); node >= 0; node = fv_fdt_next_node(fdt, node, &depth)) {
		const char *dt = fv_fdt_prop_string(fdt, node, "device_type");
		if (dt && strcmp(dt, "memory") == 0)
			add_memory(fdt, node, p);
		int len;
		const void *compat = fv_fdt_getprop(fdt, node, "compatible", &len);
		if (!compat)
			continue;
		if (fv_fdt_stringlist_contains(compat, len, "virtio,mmio"))
			add_virtio(fdt, node, p);
		else if (uart < 0 && fv_fdt_stringlist_contains(compat, len, "arm,pl011"))
			uart = node;
		else if (gic < 0 && fv_fdt_stringlist_contains(compat, len, "arm,gic-v3"))
			gic = node;
		else if (timer < 0 && (fv_fdt_stringlist_contains(compat, len, "arm,armv8-timer") ||
		                       fv_fdt_stringlist_contains(compat, len, "arm,armv7-timer")))
			timer = node;
	}
	if (p->nr_mem == 0)
		return -FV_ENOENT;
	sort_virtio(p);
	parse_reserved(fdt, p);
	parse_cpus(fdt, p);
	if (uart >= 0) {
		get_dev(fdt, uart, &p->uart);
		p->uart_pl011 = p->uart.present;
		if (p->uart.present)
			arm64_early_uart_found(p->uart.base);
	}
	if (gic >= 0) {
		get_dev(fdt, gic, &p->arch.gicd);
		if (fv_fdt_reg(fdt, gic, 1, &p->arch.gicr.base, &p->arch.gicr.size) == 0)
			p->arch.gicr.present = true;
	}
	parse_timer(fdt, timer, p);
	parse_psci(fdt, p);
	parse_chosen(fdt, p);
	/* The architected counter says its own frequency when the tree does not. */
	if (!p->timebase_hz)
		p->timebase_hz = arm64_cntfrq();
	return p->nr_cpus && p->timebase_hz ? 0 : -FV_ENOENT;
}
