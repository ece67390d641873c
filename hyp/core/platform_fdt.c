// SPDX-License-Identifier: MIT
/*
 * Host device tree parsing shared by every architecture (core/platform_fdt.h): one walk of
 * the tree for memory, virtio-mmio slots and the architecture's compatibles, then the
 * reserved ranges, the CPUs and /chosen. Each lookup is bounds-checked by lib/fdt.c, so any
 * blob, however malformed, ends in an error or a partly filled struct platform.
 */
#include "core/platform_fdt.h"
#include "lib/fdt.h"
#include "lib/string.h"

/*
 * Deeper nodes than this have their parent looked up (fv_fdt_reg); QEMU's trees go to
 * depth 4. Knowing the parent from the walk saves fv_fdt_reg's own walk from the root per
 * lookup, about 1.6 M instructions at boot on QEMU's RISC-V virt tree (docs/performance.md,
 * boot path).
 */
#define WALK_MAX_DEPTH 16

int platform_fdt_reg(const void *fdt, struct plat_node n, int i, uint64_t *base, uint64_t *size)
{
	if (n.parent < 0)
		return fv_fdt_reg(fdt, n.node, i, base, size);
	return fv_fdt_reg_in(fdt, n.parent, n.node, i, base, size);
}

void platform_fdt_dev(const void *fdt, const struct platform_fdt_desc *desc, struct plat_node n,
                      struct plat_dev *d)
{
	if (n.node < 0 || d->present)
		return;
	if (platform_fdt_reg(fdt, n, 0, &d->base, &d->size) != 0)
		return;
	uint32_t irq;
	if (desc->irq(fdt, n.node, 0, &irq))
		d->irq = irq;
	d->present = true;
}

/* Every reg entry of a device_type = "memory" node, in document order. */
static void add_memory(const void *fdt, struct plat_node n, struct platform *p)
{
	for (int i = 0; p->nr_mem < PLAT_MAX_MEM; i++) {
		uint64_t base, size;
		if (platform_fdt_reg(fdt, n, i, &base, &size) != 0)
			break;
		if (size) {
			p->mem[p->nr_mem].base = base;
			p->mem[p->nr_mem].size = size;
			p->nr_mem++;
		}
	}
}

/* A "virtio,mmio" node, in document order; one without a usable reg is skipped. */
static void add_virtio(const void *fdt, const struct platform_fdt_desc *desc, struct plat_node n,
                       struct platform *p)
{
	if (p->nr_virtio >= PLAT_MAX_VIRTIO)
		return;
	platform_fdt_dev(fdt, desc, n, &p->virtio[p->nr_virtio]);
	if (p->virtio[p->nr_virtio].present)
		p->nr_virtio++;
}

/*
 * The one walk: memory and virtio nodes are taken as they come, the first node of each
 * compatible in found[]. Depth bookkeeping is fv_fdt_next_node's; its walk is bounds-checked
 * on any blob and ends at the root's end.
 */
static void walk(const void *fdt, struct platform *p, const struct platform_fdt_desc *desc,
                 struct plat_node *found)
{
	int parents[WALK_MAX_DEPTH];
	int depth = 0;
	for (unsigned i = 0; i < desc->nr_compat; i++)
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
			add_virtio(fdt, desc, n, p);
		for (unsigned i = 0; i < desc->nr_compat; i++)
			if (found[i].node < 0 &&
			    fv_fdt_stringlist_contains(compat, len, desc->compat[i]))
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

/* /memreserve/ entries and every reg entry of /reserved-memory's children. */
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

static void parse_cpus(const void *fdt, struct platform *p, const struct platform_fdt_desc *desc)
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
		uint64_t hwid, sz;
		if (fv_fdt_reg(fdt, n, 0, &hwid, &sz) != 0 || p->nr_cpus >= PLAT_MAX_CPUS)
			continue;
		p->cpu_hwid[p->nr_cpus++] = hwid;
		if (desc->cpu)
			desc->cpu(fdt, n, p);
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

void platform_fdt_sort_virtio(struct platform *p)
{
	for (unsigned i = 1; i < p->nr_virtio; i++)
		for (unsigned j = i; j > 0 && p->virtio[j].base < p->virtio[j - 1].base; j--) {
			struct plat_dev t = p->virtio[j];
			p->virtio[j] = p->virtio[j - 1];
			p->virtio[j - 1] = t;
		}
}

int platform_fdt_parse(const void *fdt, size_t size, struct platform *p,
                       const struct platform_fdt_desc *desc, struct plat_node *found)
{
	memset(p, 0, sizeof(*p));
	int ret = fv_fdt_check(fdt, size);
	if (ret)
		return ret;
	walk(fdt, p, desc, found);
	if (p->nr_mem == 0)
		return -FV_ENOENT;
	parse_reserved(fdt, p);
	parse_cpus(fdt, p, desc);
	parse_chosen(fdt, p);
	return 0;
}
