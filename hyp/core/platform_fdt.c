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
 * Take node n by its "compatible" list: each terminated entry compared with "virtio,mmio" and
 * with every desc->compat[] still unfound; an unterminated tail ends the list, as in
 * fv_fdt_stringlist_contains. One pass over the list with a first-byte test, where a
 * stringlist_contains per wanted compatible re-measured every entry each time (about 40 k
 * instructions at boot on QEMU's tree: docs/performance.md, boot path).
 */
static void take_compat(const void *fdt, const struct platform_fdt_desc *desc,
                        struct plat_node *found, struct plat_node n, const char *list, int len,
                        struct platform *p)
{
	bool virtio = false;
	for (size_t left = len > 0 ? (size_t)len : 0; left > 0;) {
		size_t l = strnlen(list, left);
		if (l == left)
			break; /* unterminated tail */
		if (list[0] == 'v' && strcmp(list, "virtio,mmio") == 0)
			virtio = true;
		for (unsigned i = 0; i < desc->nr_compat; i++)
			if (found[i].node < 0 && desc->compat[i][0] == list[0] &&
			    strcmp(desc->compat[i], list) == 0)
				found[i] = n;
		list += l + 1;
		left -= l + 1;
	}
	if (virtio)
		add_virtio(fdt, desc, n, p);
}

/* Depth-1 nodes the later steps look up by path; -1 when the tree has no exact match. */
struct top_nodes {
	int cpus, chosen, reserved;
};

/* Record node (at depth 1) if it is exactly /cpus, /chosen or /reserved-memory. */
static void note_top(const void *fdt, int node, struct top_nodes *top)
{
	int len;
	const char *name = fv_fdt_node_name(fdt, node, &len);
	if (!name)
		return;
	if (top->cpus < 0 && strcmp(name, "cpus") == 0)
		top->cpus = node;
	else if (top->chosen < 0 && strcmp(name, "chosen") == 0)
		top->chosen = node;
	else if (top->reserved < 0 && strcmp(name, "reserved-memory") == 0)
		top->reserved = node;
}

/*
 * The one walk: memory and virtio nodes are taken as they come, the first node of each
 * compatible in found[], the exactly named top-level nodes in *top. Depth bookkeeping is
 * fv_fdt_next_node's; its walk is bounds-checked on any blob and ends at the root's end.
 */
static void walk(const void *fdt, struct platform *p, const struct platform_fdt_desc *desc,
                 struct plat_node *found, struct top_nodes *top)
{
	int parents[WALK_MAX_DEPTH];
	int depth = 0;
	for (unsigned i = 0; i < desc->nr_compat; i++)
		found[i] = (struct plat_node){-1, -1};
	*top = (struct top_nodes){-1, -1, -1};
	for (int node = fv_fdt_root(fdt); node >= 0; node = fv_fdt_next_node(fdt, node, &depth)) {
		struct plat_node n = {node, -1};
		if (depth < WALK_MAX_DEPTH)
			parents[depth] = node;
		if (depth > 0 && depth <= WALK_MAX_DEPTH)
			n.parent = parents[depth - 1];
		if (depth == 1)
			note_top(fdt, node, top);
		/* Both in one walk of the node's properties (fv_fdt_getprops). */
		static const char *const want[2] = {"device_type", "compatible"};
		const void *v[2];
		int len[2];
		if (fv_fdt_getprops(fdt, node, want, 2, v, len) != 0)
			break; /* the blob passed fv_fdt_check: not reached */
		/* device_type as fv_fdt_prop_string takes it: a NUL within the value. */
		const char *dt = v[0];
		if (dt && len[0] > 0 && strnlen(dt, (size_t)len[0]) < (size_t)len[0] &&
		    strcmp(dt, "memory") == 0)
			add_memory(fdt, n, p);
		if (v[1])
			take_compat(fdt, desc, found, n, v[1], len[1], p);
	}
}

/*
 * Offset of the top-level node `name` (without '/'): the walk's exact match, else
 * fv_fdt_path_offset's answer (which also accepts "name@unit"), so results equal a path
 * lookup's.
 */
static int top_node(const void *fdt, int walked, const char *path)
{
	return walked >= 0 ? walked : fv_fdt_path_offset(fdt, path);
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
static void parse_reserved(const void *fdt, struct platform *p, int rm)
{
	uint64_t a, s;
	for (int i = 0; i < PLAT_MAX_RSV && fv_fdt_mem_rsv(fdt, i, &a, &s) == 0; i++)
		add_rsv(p, a, s);
	if (rm < 0)
		return;
	/* The parent is rm: fv_fdt_reg_in spares fv_fdt_reg's walk from the root to find it. */
	for (int n = fv_fdt_first_child(fdt, rm); n >= 0; n = fv_fdt_next_sibling(fdt, n))
		for (int i = 0; fv_fdt_reg_in(fdt, rm, n, i, &a, &s) == 0; i++)
			add_rsv(p, a, s);
}

static void parse_cpus(const void *fdt, struct platform *p, const struct platform_fdt_desc *desc,
                       int cpus)
{
	p->fdt_cpus = cpus;
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
		if (fv_fdt_reg_in(fdt, cpus, n, 0, &hwid, &sz) != 0 || p->nr_cpus >= PLAT_MAX_CPUS)
			continue;
		p->cpu_node[p->nr_cpus] = n;
		p->cpu_hwid[p->nr_cpus++] = hwid;
		if (desc->cpu)
			desc->cpu(fdt, n, p);
	}
}

static void parse_chosen(const void *fdt, struct platform *p, int ch)
{
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
	p->fdt_cpus = -1;
	struct top_nodes top;
	walk(fdt, p, desc, found, &top);
	if (p->nr_mem == 0)
		return -FV_ENOENT;
	parse_reserved(fdt, p, top_node(fdt, top.reserved, "/reserved-memory"));
	parse_cpus(fdt, p, desc, top_node(fdt, top.cpus, "/cpus"));
	parse_chosen(fdt, p, top_node(fdt, top.chosen, "/chosen"));
	return 0;
}
