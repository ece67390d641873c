/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/lib/fdt.c (reader) and hyp/lib/fdt_write.c
 * (writer), cross-checked against the host libfdt:
 *  - trees built with libfdt's sequential-write API are read with ours and
 *    every node, property, parent, depth and path is compared with what
 *    libfdt reports (node and property offsets are the same numbers in
 *    both: offsets into the structure block);
 *  - trees written with ours must pass libfdt's fdt_check_full() and read
 *    back the same through libfdt;
 *  - hostile input: every byte mutated to several values and every
 *    truncation length, each followed by a walk of the whole tree through
 *    every reader function. The blob sits in an exactly sized heap buffer,
 *    so ASan catches any read outside it; an alarm() catches a hang.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdt.h"
#include "lib/fdt_write.h"

#define SAMPLE_BUF 4096
/* No valid walk of the trees used here comes close to this many steps. */
#define MAX_STEPS 100000

/* libfdt calls that must succeed while building. */
#define LF(call) assert_int_equal((call), 0)

static void lf_cells(void *fdt, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[16];

	assert_true(n <= 16);
	for (int i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	LF(fdt_property(fdt, name, be, (int)(n * sizeof(be[0]))));
}

#define LF_CELLS(fdt, name, ...)                                                                   \
	do {                                                                                       \
		static const uint32_t c_[] = {__VA_ARGS__};                                        \
		lf_cells(fdt, name, c_, (int)ARRAY_SIZE(c_));                                      \
	} while (0)

/* A RISC-V virt-like tree with the awkward cases the reader must handle. */
static size_t build_sample(void *fdt, size_t size)
{
	LF(fdt_create(fdt, (int)size));
	LF(fdt_add_reservemap_entry(fdt, 0x80000000, 0x200000));
	LF(fdt_add_reservemap_entry(fdt, 0x123456789000ULL, 0x1000));
	LF(fdt_finish_reservemap(fdt));

	LF(fdt_begin_node(fdt, ""));
	LF(fdt_property_u32(fdt, "#address-cells", 2));
	LF(fdt_property_u32(fdt, "#size-cells", 2));
	LF(fdt_property(fdt, "compatible", "ferro,test\0riscv-virtio", 24));
	LF(fdt_property_string(fdt, "model", "fv-test"));

	LF(fdt_begin_node(fdt, "chosen"));
	LF(fdt_property_string(fdt, "bootargs", "console=hvc0"));
	LF(fdt_property_string(fdt, "stdout-path", "serial0"));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "aliases"));
	LF(fdt_property_string(fdt, "serial0", "/soc/serial@10000000"));
	LF(fdt_property_string(fdt, "cpu1", "/cpus/cpu@1"));
	LF(fdt_property_string(fdt, "bad", "noslash"));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "cpus"));
	LF(fdt_property_u32(fdt, "#address-cells", 1));
	LF(fdt_property_u32(fdt, "#size-cells", 0));
	LF(fdt_property_u32(fdt, "timebase-frequency", 10000000));
	for (uint32_t cpu = 0; cpu < 2; cpu++) {
		char name[16];

		snprintf(name, sizeof(name), "cpu@%u", cpu);
		LF(fdt_begin_node(fdt, name));
		LF(fdt_property_string(fdt, "device_type", "cpu"));
		LF(fdt_property_u32(fdt, "reg", cpu));
		LF(fdt_property_string(fdt, "compatible", "riscv"));
		LF(fdt_property_string(fdt, "riscv,isa", "rv64imac"));
		LF(fdt_begin_node(fdt, "interrupt-controller"));
		LF(fdt_property_u32(fdt, "#interrupt-cells", 1));
		LF(fdt_property(fdt, "interrupt-controller", NULL, 0));
		LF(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
		LF(fdt_property_u32(fdt, "phandle", 1 + cpu));
		LF(fdt_end_node(fdt));
		LF(fdt_end_node(fdt));
	}
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "memory@80000000"));
	LF(fdt_property_string(fdt, "device_type", "memory"));
	LF_CELLS(fdt, "reg", 0x0, 0x80000000, 0x0, 0x40000000, 0x1, 0x0, 0x0, 0x10000000);
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "soc"));
	LF(fdt_property_u32(fdt, "#address-cells", 1));
	LF(fdt_property_u32(fdt, "#size-cells", 1));
	LF(fdt_property_string(fdt, "compatible", "simple-bus"));
	LF(fdt_property(fdt, "ranges", NULL, 0));
	LF(fdt_begin_node(fdt, "serial@10000000"));
	LF(fdt_property_string(fdt, "compatible", "ns16550a"));
	LF_CELLS(fdt, "reg", 0x10000000, 0x100);
	LF(fdt_property_u32(fdt, "interrupts", 10));
	LF(fdt_property_u32(fdt, "interrupt-parent", 3));
	LF(fdt_end_node(fdt));
	LF(fdt_begin_node(fdt, "plic@c000000"));
	LF(fdt_property(fdt, "compatible", "sifive,plic-1.0.0\0riscv,plic0", 30));
	LF_CELLS(fdt, "reg", 0xc000000, 0x4000000);
	LF(fdt_property(fdt, "interrupt-controller", NULL, 0));
	LF(fdt_property_u32(fdt, "phandle", 3));
	LF(fdt_end_node(fdt));
	LF(fdt_begin_node(fdt, "virtio_mmio@10001000"));
	LF(fdt_property_string(fdt, "compatible", "virtio,mmio"));
	LF_CELLS(fdt, "reg", 0x10001000, 0x1000);
	LF(fdt_end_node(fdt));
	LF(fdt_begin_node(fdt, "virtio_mmio@10002000"));
	LF(fdt_property_string(fdt, "compatible", "virtio,mmio"));
	LF_CELLS(fdt, "reg", 0x10002000, 0x1000);
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "pci"));
	LF(fdt_property_u32(fdt, "#address-cells", 3));
	LF(fdt_property_u32(fdt, "#size-cells", 2));
	LF(fdt_begin_node(fdt, "dev@0"));
	LF_CELLS(fdt, "reg", 0x0, 0x0, 0x1000, 0x0, 0x100, 0x2000000, 0x0, 0x0, 0x0, 0x100);
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	/* Unit-address match first, exact name second: the exact one must win. */
	LF(fdt_begin_node(fdt, "dup@1"));
	LF(fdt_end_node(fdt));
	LF(fdt_begin_node(fdt, "dup"));
	LF(fdt_property_string(fdt, "marker", "exact"));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "legacy"));
	LF(fdt_property_u32(fdt, "linux,phandle", 7));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "deep"));
	LF(fdt_begin_node(fdt, "a"));
	LF(fdt_begin_node(fdt, "b"));
	LF(fdt_begin_node(fdt, "c"));
	LF(fdt_property_u32(fdt, "leaf", 42));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "values"));
	LF(fdt_property_u64(fdt, "big", 0x123456789abcdef0ULL));
	LF(fdt_property_u32(fdt, "small", 5));
	LF(fdt_property(fdt, "odd", "abc", 3));
	LF(fdt_property_string(fdt, "empty-str", ""));
	LF(fdt_property(fdt, "list", "a\0bc\0\0d", 8));
	LF(fdt_property(fdt, "tail", "x\0yz", 4));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "badcells"));
	LF(fdt_property_u32(fdt, "#address-cells", 5));
	LF(fdt_begin_node(fdt, "child"));
	LF_CELLS(fdt, "reg", 1);
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "zerocells"));
	LF(fdt_property_u32(fdt, "#address-cells", 0));
	LF(fdt_property_u32(fdt, "#size-cells", 0));
	LF(fdt_begin_node(fdt, "child"));
	LF(fdt_property(fdt, "reg", NULL, 0));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	LF(fdt_end_node(fdt));
	LF(fdt_finish(fdt));
	assert_int_equal(fdt_check_full(fdt, size), 0);
	return fdt_totalsize(fdt);
}

/* A heap copy of exactly n bytes, so ASan flags any access past it. */
static uint8_t *exact_copy(const void *src, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, src, n);
	return p;
}

/* libfdt and ours must agree on everything about every node. */
static void compare_with_libfdt(const void *blob)
{
	/* libfdt counts the root's BEGIN_NODE into depth; ours starts the root at 0. */
	int ld = -1, od = 0, lnode, onode, steps = 0;

	assert_int_equal(fv_fdt_check(blob, fdt_totalsize(blob)), 0);
	assert_int_equal(fv_fdt_total_size(blob), (int)fdt_totalsize(blob));
	lnode = fdt_next_node(blob, -1, &ld);
	onode = fv_fdt_next_node(blob, -1, &od);
	assert_int_equal(fv_fdt_root(blob), lnode);
	for (; lnode >= 0 && ld >= 0; lnode = fdt_next_node(blob, lnode, &ld)) {
		int llen, olen, lp, op, lchild, ochild;
		const char *lname = fdt_get_name(blob, lnode, &llen);
		const char *oname = fv_fdt_node_name(blob, onode, &olen);
		char path[256];

		assert_true(++steps < MAX_STEPS);
		assert_int_equal(onode, lnode);
		assert_int_equal(od, ld);
		assert_ptr_equal(oname, lname);
		assert_int_equal(olen, llen);
		assert_int_equal(fv_fdt_node_depth(blob, onode), fdt_node_depth(blob, lnode));
		lp = fdt_parent_offset(blob, lnode);
		op = fv_fdt_parent_offset(blob, onode);
		if (lp >= 0)
			assert_int_equal(op, lp);
		else
			assert_int_equal(op, -FV_ENOENT);

		/* Children in the same order. */
		lchild = fdt_first_subnode(blob, lnode);
		ochild = fv_fdt_first_child(blob, onode);
		for (; lchild >= 0; lchild = fdt_next_subnode(blob, lchild)) {
			assert_int_equal(ochild, lchild);
			ochild = fv_fdt_next_sibling(blob, ochild);
		}
		assert_int_equal(ochild, -FV_ENOENT);

		/* Properties in the same order with the same names and values. */
		op = fv_fdt_first_prop(blob, onode);
		fdt_for_each_property_offset(lp, blob, lnode)
		{
			const char *ln, *on;
			const void *lv = fdt_getprop_by_offset(blob, lp, &ln, &llen);
			const void *ov = fv_fdt_prop_at(blob, op, &on, &olen);

			assert_int_equal(op, lp);
			assert_ptr_equal(ov, lv);
			assert_int_equal(olen, llen);
			assert_string_equal(on, ln);
			assert_ptr_equal(fv_fdt_getprop(blob, onode, on, &olen), lv);
			assert_int_equal(olen, llen);
			op = fv_fdt_next_prop(blob, op);
		}
		assert_int_equal(op, -FV_ENOENT);

		/* The node's full path leads back to it. */
		assert_int_equal(fdt_get_path(blob, lnode, path, sizeof(path)), 0);
		assert_int_equal(fv_fdt_path_offset(blob, path), onode);

		assert_int_equal(fv_fdt_get_phandle(blob, onode), fdt_get_phandle(blob, lnode));
		assert_int_equal(fv_fdt_node_is_compatible(blob, onode, "virtio,mmio"),
		                 fdt_node_check_compatible(blob, lnode, "virtio,mmio") == 0);
		if (fdt_address_cells(blob, lnode) > 0)
			assert_int_equal(fv_fdt_address_cells(blob, onode),
			                 fdt_address_cells(blob, lnode));
		if (fdt_size_cells(blob, lnode) >= 0)
			assert_int_equal(fv_fdt_size_cells(blob, onode),
			                 fdt_size_cells(blob, lnode));
		onode = fv_fdt_next_node(blob, onode, &od);
	}
	assert_int_equal(onode, -FV_ENOENT);

	for (int i = 0;; i++) {
		uint64_t la, ls, oa, os;
		int lr = fdt_get_mem_rsv(blob, i, &la, &ls);

		if (i >= fdt_num_mem_rsv(blob)) {
			assert_int_equal(fv_fdt_mem_rsv(blob, i, &oa, &os), -FV_ENOENT);
			break;
		}
		assert_int_equal(lr, 0);
		assert_int_equal(fv_fdt_mem_rsv(blob, i, &oa, &os), 0);
		assert_int_equal(oa, la);
		assert_int_equal(os, ls);
	}
}

static void *sample;
static size_t sample_size;

static int setup_sample(void **state)
{
	uint8_t *buf = malloc(SAMPLE_BUF);

	(void)state;
	assert_non_null(buf);
	sample_size = build_sample(buf, SAMPLE_BUF);
	sample = exact_copy(buf, sample_size);
	free(buf);
	return 0;
}

static int teardown_sample(void **state)
{
	(void)state;
	free(sample);
	return 0;
}

static void test_read_matches_libfdt(void **state)
{
	(void)state;
	compare_with_libfdt(sample);
}

/* depth = 0 at a node walks exactly its subtree. */
static void test_subtree_walk(void **state)
{
	const void *b = sample;
	int cpus = fv_fdt_path_offset(b, "/cpus"), depth = 0, off, n = 0;

	(void)state;
	for (off = fv_fdt_next_node(b, cpus, &depth); off >= 0;
	     off = fv_fdt_next_node(b, off, &depth)) {
		assert_int_equal(depth, fdt_node_depth(b, off) - 1);
		n++;
	}
	assert_int_equal(off, -FV_ENOENT);
	assert_int_equal(n, 4); /* cpu@0, its intc, cpu@1, its intc */

	/* A leaf: nothing below it, and the walk stops instead of running into siblings. */
	depth = 0;
	assert_int_equal(fv_fdt_next_node(b, fv_fdt_path_offset(b, "/chosen"), &depth), -FV_ENOENT);
	/* Without depth the walk just continues in document order. */
	assert_int_equal(fv_fdt_next_node(b, fv_fdt_path_offset(b, "/chosen"), NULL),
	                 fv_fdt_path_offset(b, "/aliases"));
	assert_int_equal(fv_fdt_next_node(b, 5, NULL), -FV_EINVAL);
}

static void test_check_header(void **state)
{
	uint8_t *b = exact_copy(sample, sample_size);

	(void)state;
	assert_int_equal(fv_fdt_check(b, sample_size), 0);
	assert_int_equal(fv_fdt_check(b, sample_size + 100), 0);
	assert_int_equal(fv_fdt_check(b, sample_size - 1), -FV_EINVAL); /* totalsize > size */
	assert_int_equal(fv_fdt_check(NULL, sample_size), -FV_EINVAL);
	assert_int_equal(fv_fdt_check(b, 8), -FV_EINVAL);

	fdt_set_magic(b, 0xd00dfeee);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_magic(b, FDT_MAGIC);
	fdt_set_version(b, 15);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_version(b, 17);
	fdt_set_last_comp_version(b, 18);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_last_comp_version(b, 16);
	fdt_set_off_mem_rsvmap(b, 44); /* not 8-aligned */
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_off_mem_rsvmap(b, fdt_off_mem_rsvmap(sample));
	fdt_set_off_dt_struct(b, fdt_off_dt_struct(sample) + 2);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_off_dt_struct(b, fdt_off_dt_struct(sample));
	fdt_set_size_dt_struct(b, (uint32_t)sample_size);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_size_dt_struct(b, fdt_size_dt_struct(sample));
	fdt_set_size_dt_strings(b, fdt_size_dt_strings(sample) + 1);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_size_dt_strings(b, fdt_size_dt_strings(sample));
	fdt_set_off_dt_strings(b, 0xfffffff0);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	fdt_set_off_dt_strings(b, fdt_off_dt_strings(sample));
	fdt_set_totalsize(b, 20);
	assert_int_equal(fv_fdt_check(b, sample_size), -FV_EINVAL);
	assert_int_equal(fv_fdt_total_size(b), -FV_EINVAL);
	fdt_set_totalsize(b, (uint32_t)sample_size);
	assert_int_equal(fv_fdt_check(b, sample_size), 0);
	assert_memory_equal(b, sample, sample_size);
	free(b);
}

static void test_paths(void **state)
{
	static const char *const same_as_libfdt[] = {
	    "/",
	    "/cpus",
	    "/cpus/cpu@0",
	    "/cpus/cpu@1/interrupt-controller",
	    "/cpus/cpu",
	    "/memory",
	    "/memory@80000000",
	    "/soc/serial",
	    "/soc/serial@10000000",
	    "/soc/virtio_mmio",
	    "/deep/a/b/c",
	    "/cpus/",
	    "//cpus//cpu@1",
	    "serial0",
	    "cpu1/interrupt-controller",
	};
	static const char *const absent[] = {
	    "/nonexistent",           "/cpus/cpu@2", "/soc/serial@1",     "/so",
	    "/soc/serial@10000000/x", "nosuchalias", "/memory@80000000/", "/deep/a/c",
	};
	const void *b = sample;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(same_as_libfdt); i++) {
		int want = fdt_path_offset(b, same_as_libfdt[i]);

		assert_true(want >= 0);
		if (fv_fdt_path_offset(b, same_as_libfdt[i]) != want)
			fail_msg("path %s", same_as_libfdt[i]);
	}
	/* "/memory@80000000/" is the node itself (trailing slash) */
	for (size_t i = 0; i < ARRAY_SIZE(absent); i++) {
		int got = fv_fdt_path_offset(b, absent[i]);

		if (strcmp(absent[i], "/memory@80000000/") == 0)
			assert_int_equal(got, fdt_path_offset(b, "/memory@80000000"));
		else if (got != -FV_ENOENT)
			fail_msg("path %s gave %d", absent[i], got);
	}
	assert_int_equal(fv_fdt_path_offset(b, "bad"), -FV_EINVAL); /* alias to a relative path */
	assert_int_equal(fv_fdt_path_offset(b, ""), -FV_EINVAL);
	assert_int_equal(fv_fdt_path_offset(b, NULL), -FV_EINVAL);

	/* An exact name beats an earlier unit-address match. */
	assert_string_equal(fv_fdt_node_name(b, fv_fdt_path_offset(b, "/dup"), NULL), "dup");
	assert_string_equal(fv_fdt_node_name(b, fv_fdt_path_offset(b, "/dup@1"), NULL), "dup@1");

	assert_int_equal(fv_fdt_subnode(b, 0, "cpusXYZ", 4), fdt_path_offset(b, "/cpus"));
	assert_int_equal(fv_fdt_subnode(b, 0, "cpus\0x", 6), fdt_path_offset(b, "/cpus"));
	assert_int_equal(fv_fdt_subnode(b, 0, "cpu", 3), -FV_ENOENT);
	assert_int_equal(fv_fdt_subnode(b, 3, "cpus", 4), -FV_EINVAL); /* not a node offset */
}

static void test_props(void **state)
{
	const void *b = sample;
	int v = fv_fdt_path_offset(b, "/values"), len;
	uint32_t u32;
	uint64_t u64;
	const void *p;

	(void)state;
	assert_true(v > 0);
	assert_string_equal(fv_fdt_prop_string(b, 0, "model"), "fv-test");
	p = fv_fdt_getprop(b, 0, "model", &len);
	assert_non_null(p);
	assert_int_equal(len, 8);
	assert_null(fv_fdt_getprop(b, 0, "nope", &len));
	assert_int_equal(len, -FV_ENOENT);
	assert_null(fv_fdt_getprop(b, 0, "nope", NULL));
	assert_null(fv_fdt_getprop(b, 1, "model", &len)); /* not a node offset */
	assert_int_equal(len, -FV_EINVAL);

	assert_int_equal(
	    fv_fdt_prop_u32(b, fv_fdt_path_offset(b, "/cpus"), "timebase-frequency", &u32), 0);
	assert_int_equal(u32, 10000000);
	assert_int_equal(fv_fdt_prop_u32(b, v, "small", &u32), 0);
	assert_int_equal(u32, 5);
	assert_int_equal(fv_fdt_prop_u32(b, v, "big", &u32), -FV_EINVAL);
	assert_int_equal(fv_fdt_prop_u32(b, v, "absent", &u32), -FV_ENOENT);
	assert_int_equal(fv_fdt_prop_u64(b, v, "big", &u64), 0);
	assert_int_equal(u64, 0x123456789abcdef0ULL);
	assert_int_equal(fv_fdt_prop_u64(b, v, "small", &u64), 0);
	assert_int_equal(u64, 5);
	assert_int_equal(fv_fdt_prop_u64(b, v, "odd", &u64), -FV_EINVAL);

	assert_string_equal(fv_fdt_prop_string(b, v, "empty-str"), "");
	assert_null(fv_fdt_prop_string(b, v, "odd")); /* unterminated */
	assert_null(fv_fdt_prop_string(b, v, "absent"));
	assert_string_equal(fv_fdt_prop_string(b, v, "list"), "a");

	p = fv_fdt_getprop(b, v, "list", &len);
	assert_true(fv_fdt_stringlist_contains(p, len, "a"));
	assert_true(fv_fdt_stringlist_contains(p, len, "bc"));
	assert_true(fv_fdt_stringlist_contains(p, len, ""));
	assert_true(fv_fdt_stringlist_contains(p, len, "d")); /* the literal's own NUL ends it */
	assert_false(fv_fdt_stringlist_contains(p, len, "b"));
	assert_false(fv_fdt_stringlist_contains(p, len, "abc"));
	assert_false(fv_fdt_stringlist_contains(p, -1, "a"));
	assert_false(fv_fdt_stringlist_contains(NULL, 4, "a"));
	p = fv_fdt_getprop(b, v, "tail", &len);
	assert_true(fv_fdt_stringlist_contains(p, len, "x"));
	assert_false(fv_fdt_stringlist_contains(p, len, "yz"));

	/* Empty property. */
	p = fv_fdt_getprop(b, fv_fdt_path_offset(b, "/soc"), "ranges", &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_null(fv_fdt_prop_string(b, fv_fdt_path_offset(b, "/soc"), "ranges"));
}

static void test_compatible(void **state)
{
	const void *b = sample;
	int plic = fv_fdt_path_offset(b, "/soc/plic@c000000"), off, n = 0, prev = -1;

	(void)state;
	assert_true(fv_fdt_node_is_compatible(b, plic, "riscv,plic0"));
	assert_true(fv_fdt_node_is_compatible(b, plic, "sifive,plic-1.0.0"));
	assert_false(fv_fdt_node_is_compatible(b, plic, "sifive,plic"));
	assert_false(fv_fdt_node_is_compatible(b, 0, "virtio,mmio"));
	assert_int_equal(fv_fdt_find_compatible(b, -1, "riscv-virtio"), 0); /* the root itself */

	for (off = fv_fdt_find_compatible(b, -1, "virtio,mmio"); off >= 0;
	     off = fv_fdt_find_compatible(b, off, "virtio,mmio")) {
		assert_int_equal(off, fdt_node_offset_by_compatible(b, prev, "virtio,mmio"));
		prev = off;
		n++;
	}
	assert_int_equal(off, -FV_ENOENT);
	assert_int_equal(n, 2);
	off = fv_fdt_find_compatible(b, -1, "riscv,cpu-intc");
	assert_int_equal(off, fdt_path_offset(b, "/cpus/cpu@0/interrupt-controller"));
	off = fv_fdt_find_compatible(b, off, "riscv,cpu-intc");
	assert_int_equal(off, fdt_path_offset(b, "/cpus/cpu@1/interrupt-controller"));
	assert_int_equal(fv_fdt_find_compatible(b, -1, "none"), -FV_ENOENT);
	assert_int_equal(fv_fdt_find_compatible(b, -1, NULL), -FV_EINVAL);
}

static void expect_reg(const char *path, int index, int ret, uint64_t addr, uint64_t size)
{
	uint64_t a = 0xdead, s = 0xbeef;
	int node = fv_fdt_path_offset(sample, path);
	int got;

	assert_true(node >= 0);
	got = fv_fdt_reg(sample, node, index, &a, &s);
	if (got != ret)
		fail_msg("%s[%d]: ret %d want %d", path, index, got, ret);
	if (ret == 0) {
		assert_int_equal(a, addr);
		assert_int_equal(s, size);
		assert_int_equal(fv_fdt_reg(sample, node, index, &a, NULL), 0);
	}
	/* The same entry decoded with the parent given (platform.c's one-walk lookup). */
	if (ret != 0 && ret != -FV_ENOENT)
		return;
	a = 0xdead;
	s = 0xbeef;
	got = fv_fdt_reg_in(sample, fv_fdt_parent_offset(sample, node), node, index, &a, &s);
	if (got != ret)
		fail_msg("%s[%d]: reg_in ret %d want %d", path, index, got, ret);
	if (ret == 0) {
		assert_int_equal(a, addr);
		assert_int_equal(s, size);
	}
}

static void test_cells_and_reg(void **state)
{
	const void *b = sample;

	(void)state;
	assert_int_equal(fv_fdt_address_cells(b, 0), 2);
	assert_int_equal(fv_fdt_size_cells(b, 0), 2);
	assert_int_equal(fv_fdt_address_cells(b, fv_fdt_path_offset(b, "/cpus")), 1);
	assert_int_equal(fv_fdt_size_cells(b, fv_fdt_path_offset(b, "/cpus")), 0);
	assert_int_equal(fv_fdt_address_cells(b, fv_fdt_path_offset(b, "/chosen")), 2);
	assert_int_equal(fv_fdt_size_cells(b, fv_fdt_path_offset(b, "/chosen")), 1);
	assert_int_equal(fv_fdt_address_cells(b, fv_fdt_path_offset(b, "/badcells")), -FV_EINVAL);
	assert_int_equal(fv_fdt_address_cells(b, fv_fdt_path_offset(b, "/zerocells")), 0);
	assert_int_equal(fv_fdt_address_cells(b, 2), -FV_EINVAL);

	expect_reg("/memory", 0, 0, 0x80000000, 0x40000000);
	expect_reg("/memory", 1, 0, 0x100000000ULL, 0x10000000);
	expect_reg("/memory", 2, -FV_ENOENT, 0, 0);
	expect_reg("/memory", -1, -FV_EINVAL, 0, 0);
	expect_reg("/soc/serial", 0, 0, 0x10000000, 0x100);
	expect_reg("/soc/plic", 0, 0, 0xc000000, 0x4000000);
	expect_reg("/cpus/cpu@1", 0, 0, 1, 0);
	expect_reg("/pci/dev@0", 0, 0, 0x1000, 0x100);
	expect_reg("/pci/dev@0", 1, -FV_ERANGE, 0, 0); /* 3-cell address wider than 64 bits */
	expect_reg("/badcells/child", 0, -FV_EINVAL, 0, 0);
	expect_reg("/zerocells/child", 0, -FV_EINVAL, 0, 0);
	expect_reg("/chosen", 0, -FV_ENOENT, 0, 0);
	expect_reg("/", 0, -FV_EINVAL, 0, 0);
	expect_reg("/cpus", 0, -FV_ENOENT, 0, 0); /* no reg */
}

static void test_phandles_and_rsv(void **state)
{
	const void *b = sample;
	uint64_t a, s;

	(void)state;
	assert_int_equal(fv_fdt_node_by_phandle(b, 3), fdt_path_offset(b, "/soc/plic"));
	assert_int_equal(fv_fdt_node_by_phandle(b, 2),
	                 fdt_path_offset(b, "/cpus/cpu@1/interrupt-controller"));
	assert_int_equal(fv_fdt_node_by_phandle(b, 7), fdt_path_offset(b, "/legacy"));
	assert_int_equal(fv_fdt_get_phandle(b, fdt_path_offset(b, "/legacy")), 7);
	assert_int_equal(fv_fdt_get_phandle(b, 0), 0);
	assert_int_equal(fv_fdt_node_by_phandle(b, 99), -FV_ENOENT);
	assert_int_equal(fv_fdt_node_by_phandle(b, 0), -FV_EINVAL);
	assert_int_equal(fv_fdt_node_by_phandle(b, 0xffffffff), -FV_EINVAL);

	assert_int_equal(fv_fdt_mem_rsv(b, 0, &a, &s), 0);
	assert_int_equal(a, 0x80000000);
	assert_int_equal(s, 0x200000);
	assert_int_equal(fv_fdt_mem_rsv(b, 1, &a, &s), 0);
	assert_int_equal(a, 0x123456789000ULL);
	assert_int_equal(s, 0x1000);
	assert_int_equal(fv_fdt_mem_rsv(b, 2, &a, &s), -FV_ENOENT);
	assert_int_equal(fv_fdt_mem_rsv(b, 1000, &a, &s), -FV_ENOENT);
	assert_int_equal(fv_fdt_mem_rsv(b, -1, &a, &s), -FV_EINVAL);
}

/* NOP tokens (left by in-place editing) anywhere between tokens are skipped. */
static void test_nops(void **state)
{
	uint8_t *b = exact_copy(sample, sample_size);
	int len;

	(void)state;
	LF(fdt_nop_property(b, fdt_path_offset(b, "/soc"), "compatible"));
	LF(fdt_nop_property(b, 0, "#address-cells"));
	LF(fdt_nop_node(b, fdt_path_offset(b, "/chosen")));
	LF(fdt_nop_node(b, fdt_path_offset(b, "/deep/a/b/c")));
	compare_with_libfdt(b);
	assert_int_equal(fv_fdt_path_offset(b, "/chosen"), -FV_ENOENT);
	assert_int_equal(fv_fdt_first_child(b, fv_fdt_path_offset(b, "/deep/a/b")), -FV_ENOENT);
	assert_null(fv_fdt_getprop(b, fv_fdt_path_offset(b, "/soc"), "compatible", &len));
	assert_int_equal(fv_fdt_address_cells(b, 0), 2); /* default now */
	free(b);
}

/* Version 16 (no size_dt_struct) and an unaligned blob address. */
static void test_v16_and_unaligned(void **state)
{
	uint8_t *b = exact_copy(sample, sample_size);
	uint8_t *u = malloc(sample_size + 1);

	(void)state;
	fdt_set_version(b, 16);
	fdt_set_size_dt_struct(b, 0xffffffff); /* ignored for v16 */
	assert_int_equal(fv_fdt_check(b, sample_size), 0);
	assert_int_equal(fv_fdt_path_offset(b, "/deep/a/b/c"),
	                 fdt_path_offset(sample, "/deep/a/b/c"));
	assert_int_equal(fv_fdt_find_compatible(b, -1, "ns16550a"),
	                 fdt_path_offset(sample, "/soc/serial"));

	assert_non_null(u);
	memcpy(u + 1, sample, sample_size);
	assert_int_equal(fv_fdt_check(u + 1, sample_size), 0);
	assert_int_equal(fv_fdt_path_offset(u + 1, "/soc/virtio_mmio@10002000"),
	                 fdt_path_offset(sample, "/soc/virtio_mmio@10002000"));
	{
		uint64_t a, s;
		int m = fv_fdt_path_offset(u + 1, "/memory");

		assert_int_equal(fv_fdt_reg(u + 1, m, 1, &a, &s), 0);
		assert_int_equal(a, 0x100000000ULL);
	}
	free(u);
	free(b);
}

/* ---- writer ---- */

static const char guest_compat[] = "ferro,guest\0riscv-virtio";

/* A guest tree built with our writer; returns finish()'s result. */
static int write_guest(void *buf, size_t size)
{
	static const uint32_t mem_reg[] = {0x0, 0x80000000, 0x0, 0x8000000};
	static const uint32_t uart_reg[] = {0x10000000, 0x100};
	struct fv_fdt_writer w;
	char name[32];

	fv_fdt_write_init(&w, buf, size);
	fv_fdt_write_rsv(&w, 0x80000000, 0x200000);
	fv_fdt_write_rsv(&w, 0xfedcba9876543210ULL, 0x10);
	fv_fdt_write_boot_cpuid(&w, 3);
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_prop_u32(&w, "#address-cells", 2);
	fv_fdt_write_prop_u32(&w, "#size-cells", 2);
	fv_fdt_write_prop(&w, "compatible", guest_compat, sizeof(guest_compat));
	fv_fdt_write_prop_string(&w, "model", "ferrovisor guest");

	fv_fdt_write_begin_node(&w, "chosen");
	fv_fdt_write_prop_string(&w, "bootargs", "console=hvc0 earlycon=sbi");
	fv_fdt_write_prop_u64(&w, "linux,initrd-start", 0x84000000ULL);
	fv_fdt_write_end_node(&w);

	fv_fdt_write_begin_node(&w, "cpus");
	fv_fdt_write_prop_u32(&w, "#address-cells", 1);
	fv_fdt_write_prop_u32(&w, "#size-cells", 0);
	fv_fdt_write_prop_u32(&w, "timebase-frequency", 10000000);
	for (uint32_t i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "cpu@%u", i);
		fv_fdt_write_begin_node(&w, name);
		fv_fdt_write_prop_string(&w, "device_type", "cpu");
		fv_fdt_write_prop_cells(&w, "reg", &i, 1);
		fv_fdt_write_prop_string(&w, "compatible", "riscv");
		fv_fdt_write_prop_string(&w, "riscv,isa", "rv64imafdc");
		fv_fdt_write_begin_node(&w, "interrupt-controller");
		fv_fdt_write_prop_u32(&w, "#interrupt-cells", 1);
		fv_fdt_write_prop_empty(&w, "interrupt-controller");
		fv_fdt_write_prop_string(&w, "compatible", "riscv,cpu-intc");
		fv_fdt_write_prop_u32(&w, "phandle", 10 + i);
		fv_fdt_write_end_node(&w);
		fv_fdt_write_end_node(&w);
	}
	fv_fdt_write_end_node(&w);

	fv_fdt_write_begin_node(&w, "memory@80000000");
	fv_fdt_write_prop_string(&w, "device_type", "memory");
	fv_fdt_write_prop_cells(&w, "reg", mem_reg, ARRAY_SIZE(mem_reg));
	fv_fdt_write_end_node(&w);

	fv_fdt_write_begin_node(&w, "soc");
	fv_fdt_write_prop_u32(&w, "#address-cells", 1);
	fv_fdt_write_prop_u32(&w, "#size-cells", 1);
	fv_fdt_write_prop_empty(&w, "ranges");
	fv_fdt_write_begin_node(&w, "serial@10000000");
	fv_fdt_write_prop_string(&w, "compatible", "ns16550a");
	fv_fdt_write_prop_cells(&w, "reg", uart_reg, ARRAY_SIZE(uart_reg));
	/* "type" is a tail of "device_type": stored once, nameoff into the middle. */
	fv_fdt_write_prop_string(&w, "type", "tail-shared");
	fv_fdt_write_prop(&w, "odd-length", "abcde", 5);
	fv_fdt_write_end_node(&w);
	fv_fdt_write_end_node(&w);

	fv_fdt_write_end_node(&w);
	return fv_fdt_write_finish(&w);
}

static void test_write_read_by_libfdt(void **state)
{
	uint8_t *buf = malloc(SAMPLE_BUF);
	const fdt32_t *c;
	const char *s;
	uint64_t a, sz;
	int total, node, len;

	(void)state;
	assert_non_null(buf);
	total = write_guest(buf, SAMPLE_BUF);
	assert_true(total > 0);
	assert_int_equal(fdt_check_full(buf, (size_t)total), 0);
	assert_int_equal(fdt_totalsize(buf), total);
	assert_int_equal(fdt_version(buf), 17);
	assert_int_equal(fdt_last_comp_version(buf), 16);
	assert_int_equal(fdt_boot_cpuid_phys(buf), 3);
	assert_int_equal(fdt_off_mem_rsvmap(buf), 40);

	assert_int_equal(fdt_num_mem_rsv(buf), 2);
	LF(fdt_get_mem_rsv(buf, 1, &a, &sz));
	assert_int_equal(a, 0xfedcba9876543210ULL);
	assert_int_equal(sz, 0x10);

	s = fdt_getprop(buf, 0, "compatible", &len);
	assert_int_equal(len, sizeof(guest_compat));
	assert_memory_equal(s, guest_compat, sizeof(guest_compat));
	assert_int_equal(fdt_node_check_compatible(buf, 0, "riscv-virtio"), 0);

	node = fdt_path_offset(buf, "/cpus/cpu@2");
	assert_true(node > 0);
	c = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(c[0]), 2);
	assert_int_equal(fdt_node_offset_by_phandle(buf, 12),
	                 fdt_path_offset(buf, "/cpus/cpu@2/interrupt-controller"));

	node = fdt_path_offset(buf, "/memory@80000000");
	c = fdt_getprop(buf, node, "reg", &len);
	assert_int_equal(len, 16);
	assert_int_equal(fdt32_to_cpu(c[1]), 0x80000000);
	assert_int_equal(fdt32_to_cpu(c[3]), 0x8000000);

	node = fdt_path_offset(buf, "/chosen");
	c = fdt_getprop(buf, node, "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_to_cpu(c[0]), 0);
	assert_int_equal(fdt32_to_cpu(c[1]), 0x84000000);

	node = fdt_path_offset(buf, "/soc/serial@10000000");
	assert_string_equal(fdt_getprop(buf, node, "type", NULL), "tail-shared");
	assert_memory_equal(fdt_getprop(buf, node, "odd-length", &len), "abcde", 5);
	assert_int_equal(len, 5);
	assert_non_null(fdt_getprop(buf, fdt_path_offset(buf, "/soc"), "ranges", &len));
	assert_int_equal(len, 0);

	/* Every distinct name once; "type" shares the tail of "device_type". */
	{
		static const char *const names[] = {
		    "#address-cells",
		    "#size-cells",
		    "compatible",
		    "model",
		    "bootargs",
		    "linux,initrd-start",
		    "timebase-frequency",
		    "device_type",
		    "reg",
		    "riscv,isa",
		    "#interrupt-cells",
		    "interrupt-controller",
		    "phandle",
		    "ranges",
		    "odd-length",
		};
		size_t want = 0;

		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			want += strlen(names[i]) + 1;
		assert_int_equal(fdt_size_dt_strings(buf), want);
	}

	/* And our reader agrees with libfdt on it. */
	compare_with_libfdt(buf);
	free(buf);
}

/*
 * Names are shared at the lowest offset of the strings block that holds them (a whole name or
 * the tail of a longer one), whether add_string finds them in its table of stored names or,
 * past FV_FDT_W_NAMES distinct names, by scanning the whole block.
 */
static void test_write_name_sharing(void **state)
{
	uint8_t *buf = malloc(4 * SAMPLE_BUF);
	struct fv_fdt_writer w;
	char name[32];
	size_t want = 0;
	int total, node, prop, count = 0;
	const char *strs;

	(void)state;
	assert_non_null(buf);
	fv_fdt_write_init(&w, buf, 4 * SAMPLE_BUF);
	fv_fdt_write_begin_node(&w, "");
	for (int round = 0; round < 3; round++) {
		/* A node per round: names are unique within a node. */
		snprintf(name, sizeof(name), "r%d", round);
		fv_fdt_write_begin_node(&w, name);
		for (int i = 0; i < FV_FDT_W_NAMES + 20; i++) {
			/* Round 0 stores "prop-<i>-long"; round 1 adds tails ("<i>-long"), round 2
			 * repeats the whole names. */
			snprintf(name, sizeof(name), round == 1 ? "%d-long" : "prop-%d-long", i);
			if (round == 0)
				want += strlen(name) + 1;
			fv_fdt_write_prop_u32(&w, name, (uint32_t)(round * 1000 + i));
		}
		fv_fdt_write_end_node(&w);
	}
	fv_fdt_write_end_node(&w);
	total = fv_fdt_write_finish(&w);
	assert_true(total > 0);
	assert_int_equal(fdt_check_full(buf, (size_t)total), 0);
	assert_int_equal(fdt_size_dt_strings(buf), want);

	strs = (const char *)buf + fdt_off_dt_strings(buf);
	fdt_for_each_subnode(node, buf, 0) fdt_for_each_property_offset(prop, buf, node)
	{
		const struct fdt_property *fp = fdt_get_property_by_offset(buf, prop, NULL);
		uint32_t off = fdt32_to_cpu(fp->nameoff), lowest;
		const char *pname = strs + off;
		size_t len = strlen(pname);

		/* The lowest offset where pname and its NUL appear. */
		for (lowest = 0; lowest <= off; lowest++)
			if (memcmp(strs + lowest, pname, len + 1) == 0)
				break;
		assert_int_equal(off, lowest);
		count++;
	}
	assert_int_equal(count, 3 * (FV_FDT_W_NAMES + 20));
	compare_with_libfdt(buf);
	free(buf);
}

/* Every buffer size: too small gives -FV_ENOMEM and no write outside it. */
static void test_write_every_size(void **state)
{
	uint8_t *big = malloc(SAMPLE_BUF);
	int need;

	(void)state;
	assert_non_null(big);
	need = write_guest(big, SAMPLE_BUF);
	assert_true(need > 0);
	for (size_t size = 0; size <= (size_t)need + 8; size++) {
		uint8_t *b = malloc(size ? size : 1); /* exactly size bytes: ASan guards the end */
		int r;

		assert_non_null(b);
		r = write_guest(b, size);
		if (size < (size_t)need) {
			assert_int_equal(r, -FV_ENOMEM);
		} else {
			assert_int_equal(r, need);
			assert_memory_equal(b, big, (size_t)need);
			assert_int_equal(fdt_check_full(b, size), 0);
		}
		free(b);
	}
	free(big);
}

static void test_write_minimal(void **state)
{
	uint8_t buf[72];
	struct fv_fdt_writer w;

	(void)state;
	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_end_node(&w);
	assert_int_equal(fv_fdt_write_finish(&w), 72);
	assert_int_equal(fdt_check_full(buf, sizeof(buf)), 0);
	assert_int_equal(fv_fdt_first_child(buf, 0), -FV_ENOENT);
	assert_int_equal(fv_fdt_first_prop(buf, 0), -FV_ENOENT);

	fv_fdt_write_init(&w, buf, sizeof(buf) - 1);
	assert_int_equal(w.err, -FV_ENOMEM);
	assert_int_equal(fv_fdt_write_begin_node(&w, ""), -FV_ENOMEM);
	assert_int_equal(fv_fdt_write_finish(&w), -FV_ENOMEM);
}

/* Misuse is reported, sticks, and is returned by finish. */
static void test_write_misuse(void **state)
{
	uint8_t buf[512];
	struct fv_fdt_writer w;

	(void)state;
	fv_fdt_write_init(&w, NULL, 100);
	assert_int_equal(fv_fdt_write_finish(&w), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	assert_int_equal(fv_fdt_write_prop_u32(&w, "x", 1), -FV_EBUSY); /* no node open */
	assert_int_equal(fv_fdt_write_begin_node(&w, ""), -FV_EBUSY);   /* sticky */
	assert_int_equal(fv_fdt_write_finish(&w), -FV_EBUSY);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_rsv(&w, 0x1000, 0x1000), -FV_EBUSY);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	assert_int_equal(fv_fdt_write_rsv(&w, 0, 0), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	assert_int_equal(fv_fdt_write_begin_node(&w, "root"), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_begin_node(&w, ""), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_begin_node(&w, "a/b"), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_begin_node(&w, NULL), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_end_node(&w);
	assert_int_equal(fv_fdt_write_begin_node(&w, ""), -FV_EBUSY); /* a second root */

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_begin_node(&w, "child");
	fv_fdt_write_end_node(&w);
	assert_int_equal(fv_fdt_write_prop_u32(&w, "late", 1), -FV_EBUSY); /* after a child */

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_prop(&w, "p", NULL, 4), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_prop_u32(&w, "", 1), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	assert_int_equal(fv_fdt_write_prop_string(&w, "s", NULL), -FV_EINVAL);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_end_node(&w);
	assert_int_equal(fv_fdt_write_end_node(&w), -FV_EBUSY);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_begin_node(&w, "open");
	assert_int_equal(fv_fdt_write_finish(&w), -FV_EBUSY);

	fv_fdt_write_init(&w, buf, sizeof(buf));
	assert_int_equal(fv_fdt_write_finish(&w), -FV_EBUSY); /* no root */

	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	{
		static uint32_t many[200];

		assert_int_equal(fv_fdt_write_prop_cells(&w, "big", many, ARRAY_SIZE(many)),
		                 -FV_ENOMEM);
	}
	assert_int_equal(fv_fdt_write_end_node(&w), -FV_ENOMEM);
	assert_int_equal(fv_fdt_write_finish(&w), -FV_ENOMEM);

	/* After a successful finish, further writes are refused. */
	fv_fdt_write_init(&w, buf, sizeof(buf));
	fv_fdt_write_begin_node(&w, "");
	fv_fdt_write_end_node(&w);
	assert_true(fv_fdt_write_finish(&w) > 0);
	assert_int_equal(fv_fdt_write_begin_node(&w, "x"), -FV_EBUSY);
}

/* ---- hostile input ---- */

static unsigned long walks;

/* Assert [p, p + n) lies inside the blob and read every byte of it (ASan checks too). */
static void touch(const uint8_t *blob, size_t size, const void *p, size_t n)
{
	const volatile uint8_t *q = p;
	unsigned int sum = 0;

	assert_true(q >= blob && n <= size && (size_t)(q - blob) <= size - n);
	for (size_t i = 0; i < n; i++)
		sum += q[i];
	(void)sum;
}

static void touch_str(const uint8_t *blob, size_t size, const char *s)
{
	assert_true((const uint8_t *)s >= blob && (const uint8_t *)s < blob + size);
	touch(blob, size, s, strnlen(s, size - (size_t)((const uint8_t *)s - blob)) + 1);
}

/* Exercise every reader function on every node; only require that nothing escapes the blob. */
static void walk_all(const uint8_t *b, size_t size)
{
	static const char *const paths[] = {
	    "/",
	    "/cpus/cpu@0",
	    "/cpus/cpu",
	    "/soc/serial",
	    "/memory",
	    "serial0",
	    "cpu1/interrupt-controller",
	    "bad",
	    "/deep/a/b/c",
	    "/dup",
	};
	static const char *const props[] = {"compatible", "reg",   "#address-cells",
	                                    "phandle",    "model", "list"};
	int depth = 0, node, steps = 0, prev = -1;
	uint64_t a, s;
	uint32_t u32;

	walks++;
	if (fv_fdt_check(b, size))
		return;
	assert_true(fv_fdt_total_size(b) <= (int)size);
	for (node = fv_fdt_next_node(b, -1, &depth); node >= 0;
	     node = fv_fdt_next_node(b, node, &depth)) {
		int len, r, prop;
		const char *name = fv_fdt_node_name(b, node, &len);

		assert_true(++steps < MAX_STEPS);
		assert_true(node > prev);
		prev = node;
		if (name) {
			touch_str(b, size, name);
			assert_int_equal((size_t)len, strlen(name));
		}
		r = fv_fdt_node_depth(b, node);
		assert_true(r < 0 || r == depth);
		r = fv_fdt_parent_offset(b, node);
		assert_true(r < node);
		r = fv_fdt_first_child(b, node);
		assert_true(r < 0 || r > node);
		r = fv_fdt_next_sibling(b, node);
		assert_true(r < 0 || r > node);
		for (prop = fv_fdt_first_prop(b, node); prop >= 0;
		     prop = fv_fdt_next_prop(b, prop)) {
			const char *pn;
			const void *v = fv_fdt_prop_at(b, prop, &pn, &len);

			assert_true(++steps < MAX_STEPS);
			if (v) {
				assert_true(len >= 0);
				touch(b, size, v, (size_t)len);
				touch_str(b, size, pn);
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
			const void *v = fv_fdt_getprop(b, node, props[i], &len);
			const char *str;

			if (v) {
				touch(b, size, v, (size_t)len);
				(void)fv_fdt_stringlist_contains(v, len, "virtio,mmio");
			}
			str = fv_fdt_prop_string(b, node, props[i]);
			if (str)
				touch_str(b, size, str);
			(void)fv_fdt_prop_u32(b, node, props[i], &u32);
			(void)fv_fdt_prop_u64(b, node, props[i], &a);
		}
		{
			/* One walk for all names gives what one getprop per name gives. */
			const void *vals[ARRAY_SIZE(props)];
			int lens[ARRAY_SIZE(props)];

			assert_int_equal(
			    fv_fdt_getprops(b, node, props, ARRAY_SIZE(props), vals, lens), 0);
			for (size_t i = 0; i < ARRAY_SIZE(props); i++) {
				assert_ptr_equal(vals[i], fv_fdt_getprop(b, node, props[i], &len));
				assert_int_equal(lens[i], len);
			}
		}
		(void)fv_fdt_address_cells(b, node);
		(void)fv_fdt_size_cells(b, node);
		(void)fv_fdt_reg(b, node, 1, &a, &s);
		(void)fv_fdt_reg_in(b, fv_fdt_parent_offset(b, node), node, 0, &a, &s);
		(void)fv_fdt_reg_in(b, node, node + 4, 0, &a, &s); /* not a node: refused */
		(void)fv_fdt_node_is_compatible(b, node, "riscv");
		u32 = fv_fdt_get_phandle(b, node);
		if (u32)
			assert_true(fv_fdt_node_by_phandle(b, u32) >= 0);
		(void)fv_fdt_subnode(b, node, "cpu", 3);
	}
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		(void)fv_fdt_path_offset(b, paths[i]);
	prev = -1;
	for (node = fv_fdt_find_compatible(b, -1, "virtio,mmio"); node >= 0;
	     node = fv_fdt_find_compatible(b, node, "virtio,mmio")) {
		assert_true(++steps < MAX_STEPS);
		assert_true(node > prev);
		prev = node;
	}
	for (int i = 0; i < MAX_STEPS && fv_fdt_mem_rsv(b, i, &a, &s) == 0; i++)
		assert_true(i < (int)(size / 16));
}

static void test_hostile_byte_mutations(void **state)
{
	static const uint8_t vals[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0xff};
	uint8_t *b = exact_copy(sample, sample_size);
	unsigned long ok = 0;

	(void)state;
	for (size_t pos = 0; pos < sample_size; pos++) {
		for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
			if (vals[v] == ((const uint8_t *)sample)[pos])
				continue;
			b[pos] = vals[v];
			ok += fv_fdt_check(b, sample_size) == 0;
			walk_all(b, sample_size);
			b[pos] = ((const uint8_t *)sample)[pos];
		}
	}
	print_message("byte mutations: %lu walks, %lu with a valid header\n", walks, ok);
	free(b);
}

static void test_hostile_random_mutations(void **state)
{
	uint8_t *b = exact_copy(sample, sample_size);
	unsigned int seed = 12345;

	(void)state;
	for (int iter = 0; iter < 5000; iter++) {
		int n = 1 + rand_r(&seed) % 8;

		memcpy(b, sample, sample_size);
		for (int i = 0; i < n; i++) {
			/* Mostly the structure and strings blocks, where the header stays valid. */
			size_t pos = 40 + (size_t)rand_r(&seed) % (sample_size - 40);

			b[pos] = (uint8_t)rand_r(&seed);
		}
		walk_all(b, sample_size);
	}
	free(b);
}

/* Set a header field so its block fits in len bytes. */
static void clamp_block(uint8_t *b, size_t len, int off_field, int size_field)
{
	uint32_t off = fdt32_ld((const fdt32_t *)(b + off_field));
	uint32_t sz = fdt32_ld((const fdt32_t *)(b + size_field));

	if (off > len)
		off = (uint32_t)len & ~3U;
	if (sz > len - off)
		sz = (uint32_t)(len - off);
	fdt32_st(b + off_field, off);
	fdt32_st(b + size_field, sz);
}

static void test_hostile_truncation(void **state)
{
	unsigned long ok = 0;

	(void)state;
	for (size_t len = 0; len <= sample_size; len++) {
		uint8_t *b = exact_copy(sample, len);

		/* As is: the header claims more than there is. */
		if (len < sample_size)
			assert_int_equal(fv_fdt_check(b, len), -FV_EINVAL);
		walk_all(b, len);
		/* Header patched to describe the truncated blob: blocks end early. */
		if (len >= FV_FDT_HDR_SIZE) {
			fdt32_st(b + FV_FDT_H_TOTALSIZE, (uint32_t)len);
			clamp_block(b, len, FV_FDT_H_OFF_STRUCT, FV_FDT_H_SIZE_STRUCT);
			clamp_block(b, len, FV_FDT_H_OFF_STRINGS, FV_FDT_H_SIZE_STRINGS);
			ok += fv_fdt_check(b, len) == 0;
			walk_all(b, len);
		}
		free(b);
	}
	print_message("truncations: %zu lengths, %lu with a valid patched header\n",
	              sample_size + 1, ok);
	assert_true(ok > sample_size / 2);
}

static void on_alarm(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls here. */
	static const char msg[] = "test_fdt: timeout, a reader loop does not terminate\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_matches_libfdt),
	    cmocka_unit_test(test_subtree_walk),
	    cmocka_unit_test(test_check_header),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_props),
	    cmocka_unit_test(test_compatible),
	    cmocka_unit_test(test_cells_and_reg),
	    cmocka_unit_test(test_phandles_and_rsv),
	    cmocka_unit_test(test_nops),
	    cmocka_unit_test(test_v16_and_unaligned),
	    cmocka_unit_test(test_write_read_by_libfdt),
	    cmocka_unit_test(test_write_every_size),
	    cmocka_unit_test(test_write_name_sharing),
	    cmocka_unit_test(test_write_minimal),
	    cmocka_unit_test(test_write_misuse),
	    cmocka_unit_test(test_hostile_byte_mutations),
	    cmocka_unit_test(test_hostile_random_mutations),
	    cmocka_unit_test(test_hostile_truncation),
	};

	/* A hang in the reader is a failure, not a stuck test run. */
	signal(SIGALRM, on_alarm);
	alarm(120);
	return cmocka_run_group_tests_name("fdt", tests, setup_sample, teardown_sample);
}
