/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PLATFORM_FDT_H
#define FV_CORE_PLATFORM_FDT_H

/*
 * The architecture-neutral half of host device tree parsing (platform_fdt.c): one walk of the
 * tree for memory, virtio-mmio slots and the first node of each compatible the architecture
 * asks for; /memreserve/ and /reserved-memory; the enabled CPUs' hardware ids; the initrd in
 * /chosen. Each architecture's platform_parse (hyp/arch/<isa>/platform.c) calls
 * platform_fdt_parse and then reads what only it knows (interrupt controllers, UART models,
 * timer, firmware conduit) from the nodes found. Pure: unit-tested on the host.
 */
#include "core/platform.h"

/* A node the walk found: its offset (-1 = none) and its parent's (-1 = look it up). */
struct plat_node {
	int node, parent;
};

/* What an architecture's parser hands the shared walk. */
struct platform_fdt_desc {
	const char *const *compat; /* compatible strings whose first node is wanted */
	unsigned nr_compat;        /* entries of compat[] and of the caller's found[] */
	/* Interrupt specifier `index` of the node's "interrupts" as the host's interrupt number
	 * (the arch knows its controller's cells); false if absent or malformed. */
	bool (*irq)(const void *fdt, int node, int index, uint32_t *irq);
	/* Optional: called for each enabled CPU node taken into cpu_hwid[], after it. */
	void (*cpu)(const void *fdt, int node, struct platform *p);
};

/*
 * Zero *p, check the blob (fv_fdt_check), then: memory (every reg entry of device_type
 * "memory" nodes, document order, size 0 dropped, at most PLAT_MAX_MEM), virtio-mmio slots
 * (document order, at most PLAT_MAX_VIRTIO, irq through desc->irq), found[i] = the first node
 * listing desc->compat[i] (or {-1, -1}), reserved ranges, enabled CPUs ("status" absent, "okay"
 * or "ok"; reg = hardware id; at most PLAT_MAX_CPUS), the initrd. Returns 0, a negative fv_err
 * for a malformed blob, or -FV_ENOENT when there is no memory. Whether CPUs and a timebase were
 * found is the caller's to judge (their sources differ by architecture).
 */
int platform_fdt_parse(const void *fdt, size_t size, struct platform *p,
                       const struct platform_fdt_desc *desc, struct plat_node *found);

/* reg entry i of a found node (its parent known, or looked up). 0 or a negative fv_err. */
int platform_fdt_reg(const void *fdt, struct plat_node n, int i, uint64_t *base, uint64_t *size);

/* Fill d from a found node's reg 0 and interrupt 0 unless d is present already or the node
 * is none; a node without a usable reg leaves d absent. */
void platform_fdt_dev(const void *fdt, const struct platform_fdt_desc *desc, struct plat_node n,
                      struct plat_dev *d);

/* Order the virtio slots by base address (slot i = the i-th lowest), for firmware that lists
 * them in another order than the one its guests' device numbering expects. */
void platform_fdt_sort_virtio(struct platform *p);

#endif
