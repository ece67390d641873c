// SPDX-License-Identifier: MIT
/* Minimal flattened-device-tree reader (Devicetree spec v0.4 §5.4 structure block). */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fdt.h"

#define FDT_MAGIC      0xd00dfeedU
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

#define FDT_MAX_SIZE (16U << 20)

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static uint32_t hdr(unsigned long fdt, unsigned int word)
{
	return be32((const void *)(fdt + word * 4));
}

bool fdt_valid(unsigned long addr)
{
	/* Only look where RAM can be: an arbitrary a1 must not make us fault. */
	if (addr < GUEST_RAM_BASE || addr >= GUEST_RAM_BASE + (64UL << 30) || (addr & 7))
		return false;
	if (hdr(addr, 0) != FDT_MAGIC)
		return false;
	uint32_t total = hdr(addr, 1), off_struct = hdr(addr, 2), off_strings = hdr(addr, 3);
	uint32_t version = hdr(addr, 5), size_strings = hdr(addr, 8), size_struct = hdr(addr, 9);

	if (total > FDT_MAX_SIZE || version < 17)
		return false;
	if (off_struct > total || size_struct > total - off_struct)
		return false;
	if (off_strings > total || size_strings > total - off_strings)
		return false;
	return true;
}

static bool name_matches(const char *name, const char *want)
{
	while (*want && *name == *want) {
		name++;
		want++;
	}
	return *want == '\0' && (*name == '\0' || *name == '@');
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/*
 * Find property `prop` of the root (node == NULL) or of the first depth-1 node named `node`
 * (unit address ignored). Returns a pointer to the value and its length, or NULL.
 */
static const uint8_t *find_prop(unsigned long fdt, const char *node, const char *prop,
                                uint32_t *len)
{
	const uint8_t *p = (const uint8_t *)(fdt + hdr(fdt, 2));
	const uint8_t *end = p + hdr(fdt, 9);
	const char *strings = (const char *)(fdt + hdr(fdt, 3));
	uint32_t strings_size = hdr(fdt, 8);
	int depth = 0;
	bool in_target = false;

	while (p + 4 <= end) {
		uint32_t tok = be32(p);

		p += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)p;
			size_t n = 0;

			while (p + n < end && p[n])
				n++;
			if (p + n >= end)
				return NULL;
			depth++;
			if (node)
				in_target = depth == 2 && name_matches(name, node);
			else
				in_target = depth == 1;
			p += (n + 1 + 3) & ~(size_t)3;
			break;
		}
		case FDT_END_NODE:
			depth--;
			/* Properties precede subnodes, so leaving any node ends the search there.
			 */
			if (in_target)
				return NULL;
			in_target = node ? false : depth == 1;
			break;
		case FDT_PROP: {
			if (p + 8 > end)
				return NULL;
			uint32_t plen = be32(p), nameoff = be32(p + 4);

			p += 8;
			if (plen > (uint32_t)(end - p) || nameoff >= strings_size)
				return NULL;
			if (in_target && str_eq(strings + nameoff, prop)) {
				*len = plen;
				return p;
			}
			p += (plen + 3) & ~(uint32_t)3;
			break;
		}
		case FDT_NOP:
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static uint64_t read_cells(const uint8_t *p, uint32_t cells)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < cells; i++)
		v = (v << 32) | be32(p + 4 * i);
	return v;
}

bool fdt_get_timebase(unsigned long fdt, uint64_t *hz)
{
	uint32_t len;
	const uint8_t *v = find_prop(fdt, "cpus", "timebase-frequency", &len);

	if (!v || (len != 4 && len != 8))
		return false;
	*hz = read_cells(v, len / 4);
	return true;
}

bool fdt_get_memory(unsigned long fdt, uint64_t *base, uint64_t *size)
{
	uint32_t len, ac = 2, sc = 1;
	const uint8_t *v;

	v = find_prop(fdt, NULL, "#address-cells", &len);
	if (v && len == 4)
		ac = be32(v);
	v = find_prop(fdt, NULL, "#size-cells", &len);
	if (v && len == 4)
		sc = be32(v);
	if (ac < 1 || ac > 2 || sc < 1 || sc > 2)
		return false;
	v = find_prop(fdt, "memory", "reg", &len);
	if (!v || len < 4 * (ac + sc))
		return false;
	*base = read_cells(v, ac);
	*size = read_cells(v + 4 * ac, sc);
	return true;
}

const void *fdt_get_prop(unsigned long fdt, const char *node, const char *prop, uint32_t *len)
{
	return find_prop(fdt, node, prop, len);
}

unsigned int fdt_count_subnodes(unsigned long fdt, const char *node, const char *child)
{
	const uint8_t *p = (const uint8_t *)(fdt + hdr(fdt, 2));
	const uint8_t *end = p + hdr(fdt, 9);
	int depth = 0;
	bool in_node = false;
	unsigned int count = 0;

	while (p + 4 <= end) {
		uint32_t tok = be32(p);

		p += 4;
		switch (tok) {
		case FDT_BEGIN_NODE: {
			const char *name = (const char *)p;
			size_t n = 0;

			while (p + n < end && p[n])
				n++;
			if (p + n >= end)
				return count;
			depth++;
			if (depth == 2)
				in_node = name_matches(name, node);
			else if (depth == 3 && in_node && name_matches(name, child))
				count++;
			p += (n + 1 + 3) & ~(size_t)3;
			break;
		}
		case FDT_END_NODE:
			depth--;
			break;
		case FDT_PROP: {
			if (p + 8 > end)
				return count;
			uint32_t plen = be32(p);

			p += 8;
			if (plen > (uint32_t)(end - p))
				return count;
			p += (plen + 3) & ~(uint32_t)3;
			break;
		}
		case FDT_NOP:
			break;
		default:
			return count;
		}
	}
	return count;
}
