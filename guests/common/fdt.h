/* SPDX-License-Identifier: MIT */
#ifndef GUEST_FDT_H
#define GUEST_FDT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Read-only lookups in a flattened device tree (Devicetree spec v0.4 §5). Only what the test
 * guests need; every read is bounds-checked against the header's totalsize.
 */

/* True if addr points at a plausible FDT in RAM (magic, version, sizes). */
bool fdt_valid(unsigned long addr);
/* /cpus timebase-frequency (u32 or u64). */
bool fdt_get_timebase(unsigned long fdt, uint64_t *hz);
/* First (base, size) of the first /memory node's reg, per the root's cell counts. */
bool fdt_get_memory(unsigned long fdt, uint64_t *base, uint64_t *size);

/*
 * Property `prop` of the root (node == NULL) or of the first depth-1 node named `node` (unit
 * address ignored): pointer to its value and its length in *len, or NULL.
 */
const void *fdt_get_prop(unsigned long fdt, const char *node, const char *prop, uint32_t *len);
/* Number of children named `child` (unit address ignored) of depth-1 nodes named `node`. */
unsigned int fdt_count_subnodes(unsigned long fdt, const char *node, const char *child);
#endif
