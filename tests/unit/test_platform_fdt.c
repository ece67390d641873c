/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/core/platform_fdt.c, the architecture-neutral half of host device
 * tree parsing, on the fake architecture with a descriptor of its own (two compatibles, an
 * interrupt decoder that scales the first cell, a CPU hook that counts). The trees are
 * written as DTS here and compiled with dtc at test time: memory in several nodes and reg
 * entries, reserved ranges, enabled and disabled CPUs, a nested bus with 32-bit cells,
 * virtio-mmio slots beyond the table, /chosen; then a tree without memory, a malformed blob,
 * sorting, and every byte of a tree mutated (never a crash or a read past the blob).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/platform_fdt.h"
#include "lib/fdt.h"

static unsigned cpu_calls;
static uint64_t cpu_seen[PLAT_MAX_CPUS + 2];

/* The fake controller: interrupt i of a node = its cell i times 10 (cells are one wide). */
static bool fake_irq(const void *fdt, int node, int index, uint32_t *irq)
{
	int len;
	const uint8_t *p = fv_fdt_getprop(fdt, node, "interrupts", &len);
	if (!p || index < 0 || len < (index + 1) * 4)
		return false;
	*irq = fv_fdt_be32(p + index * 4) * 10;
	return true;
}

static void fake_cpu(const void *fdt, int node, struct platform *p)
{
	(void)fdt;
	(void)node;
	cpu_seen[cpu_calls++] = p->cpu_hwid[p->nr_cpus - 1];
}

enum { FC_UART, FC_BUSDEV, FC_ABSENT, FC_NR };
static const char *const fake_compat[FC_NR] = {"fake,uart", "fake,busdev", "fake,absent"};
static const struct platform_fdt_desc fake_desc = {
    .compat = fake_compat, .nr_compat = FC_NR, .irq = fake_irq, .cpu = fake_cpu};

/* dtc the source into a heap blob of exactly its size (ASan sees any overread). */
static uint8_t *compile(const char *dts, size_t *size)
{
	char src[] = "/tmp/fv_test_platform_fdt_XXXXXX";
	int fd = mkstemp(src);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, dts, strlen(dts)), (ssize_t)strlen(dts));
	close(fd);
	char out[sizeof(src) + 4], cmd[256];
	snprintf(out, sizeof(out), "%s.dtb", src);
	snprintf(cmd, sizeof(cmd), "dtc -q -I dts -O dtb -o %s %s", out, src);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(out, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *blob = malloc((size_t)n);
	assert_non_null(blob);
	assert_int_equal(fread(blob, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(src);
	unlink(out);
	*size = (size_t)n;
	return blob;
}

static const char tree[] =
    "/dts-v1/;\n"
    "/memreserve/ 0x80000000 0x10000;\n"
    "/memreserve/ 0x81000000 0x0;\n"
    "/ {\n"
    "  #address-cells = <2>; #size-cells = <2>;\n"
    "  memory@80000000 { device_type = \"memory\";\n"
    "    reg = <0x0 0x80000000 0x0 0x10000000>, <0x0 0x90000000 0x0 0x0>,\n"
    "          <0x1 0x00000000 0x0 0x20000000>; };\n"
    "  memory@c0000000 { device_type = \"memory\"; reg = <0x0 0xc0000000 0x0 0x1000000>; };\n"
    "  reserved-memory { #address-cells = <2>; #size-cells = <2>; ranges;\n"
    "    fw@80100000 { reg = <0x0 0x80100000 0x0 0x20000>; };\n"
    "    two@82000000 { reg = <0x0 0x82000000 0x0 0x1000>, <0x0 0x83000000 0x0 0x2000>; };\n"
    "  };\n"
    "  cpus { #address-cells = <1>; #size-cells = <0>;\n"
    "    cpu@0 { device_type = \"cpu\"; reg = <0x0>; };\n"
    "    cpu@1 { device_type = \"cpu\"; reg = <0x1>; status = \"disabled\"; };\n"
    "    cpu@2 { device_type = \"cpu\"; reg = <0x102>; status = \"okay\"; };\n"
    "    cpu@3 { device_type = \"cpu\"; reg = <0x3>; status = \"ok\"; };\n"
    "    cpu-map { };\n"
    "    cpu@4 { device_type = \"cpu\"; };\n"
    "  };\n"
    "  chosen { linux,initrd-start = <0x0 0x88000000>; linux,initrd-end = <0x88100000>; };\n"
    "  uart@9000000 { compatible = \"other\", \"fake,uart\"; reg = <0x0 0x9000000 0x0 0x1000>;\n"
    "    interrupts = <7 8>; };\n"
    "  uart@9001000 { compatible = \"fake,uart\"; reg = <0x0 0x9001000 0x0 0x1000>; };\n"
    "  bus@1000000 { compatible = \"simple-bus\"; #address-cells = <1>; #size-cells = <1>;\n"
    "    ranges = <0x0 0x0 0x0 0x40000000>;\n"
    "    dev@100 { compatible = \"fake,busdev\"; reg = <0x100 0x20 0x200 0x40>; };\n"
    "    virtio@a000000 { compatible = \"virtio,mmio\"; reg = <0xa000000 0x200>;\n"
    "      interrupts = <3>; };\n"
    "  };\n"
    "  virtio@a003000 { compatible = \"virtio,mmio\"; reg = <0x0 0xa003000 0x0 0x200>;\n"
    "    interrupts = <6>; };\n"
    "  virtio@noreg { compatible = \"virtio,mmio\"; };\n"
    "  virtio@a002000 { compatible = \"virtio,mmio\"; reg = <0x0 0xa002000 0x0 0x200>; };\n"
    "  virtio@a001000 { compatible = \"virtio,mmio\"; reg = <0x0 0xa001000 0x0 0x200>;\n"
    "    interrupts = <5>; };\n"
    "};\n";

static void assert_range(const struct mem_range *r, uint64_t base, uint64_t size)
{
	assert_int_equal(r->base, base);
	assert_int_equal(r->size, size);
}

static void test_shared_fields(void **state)
{
	(void)state;
	size_t size;
	uint8_t *blob = compile(tree, &size);
	struct platform p;
	struct plat_node found[FC_NR];
	cpu_calls = 0;
	assert_int_equal(platform_fdt_parse(blob, size, &p, &fake_desc, found), 0);
	/* Memory: every non-empty reg entry of both nodes, document order. */
	assert_int_equal(p.nr_mem, 3);
	assert_range(&p.mem[0], 0x80000000, 0x10000000);
	assert_range(&p.mem[1], 0x100000000ULL, 0x20000000);
	assert_range(&p.mem[2], 0xc0000000, 0x1000000);
	/* Reserved: the non-empty /memreserve/ entry, then /reserved-memory's reg entries. */
	assert_int_equal(p.nr_rsv, 4);
	assert_range(&p.rsv[0], 0x80000000, 0x10000);
	assert_range(&p.rsv[1], 0x80100000, 0x20000);
	assert_range(&p.rsv[2], 0x82000000, 0x1000);
	assert_range(&p.rsv[3], 0x83000000, 0x2000);
	/* CPUs: enabled ones with a reg, in order; the hook saw each right after it was taken. */
	assert_int_equal(p.nr_cpus, 3);
	assert_int_equal(p.cpu_hwid[0], 0);
	assert_int_equal(p.cpu_hwid[1], 0x102);
	assert_int_equal(p.cpu_hwid[2], 3);
	assert_int_equal(cpu_calls, 3);
	assert_int_equal(cpu_seen[1], 0x102);
	/* The initrd: a 64-bit start and a 32-bit end are both accepted. */
	assert_int_equal(p.initrd_start, 0x88000000);
	assert_int_equal(p.initrd_end, 0x88100000);
	/* First node of each compatible in document order, also as a later list entry. */
	assert_true(found[FC_UART].node >= 0);
	assert_true(found[FC_BUSDEV].node >= 0);
	assert_int_equal(found[FC_ABSENT].node, -1);
	platform_fdt_dev(blob, &fake_desc, found[FC_UART], &p.uart);
	assert_true(p.uart.present);
	assert_int_equal(p.uart.base, 0x9000000);
	assert_int_equal(p.uart.size, 0x1000);
	assert_int_equal(p.uart.irq, 70);
	/* A device already present is left alone; a missing node is a no-op. */
	struct plat_dev keep = {.present = true, .base = 1, .size = 2, .irq = 3};
	platform_fdt_dev(blob, &fake_desc, found[FC_UART], &keep);
	assert_int_equal(keep.base, 1);
	struct plat_dev none = {0};
	platform_fdt_dev(blob, &fake_desc, found[FC_ABSENT], &none);
	assert_false(none.present);
	/* Under the bus: its 1+1 cells decode reg, entry 1 too. */
	uint64_t b, s;
	assert_int_equal(platform_fdt_reg(blob, found[FC_BUSDEV], 0, &b, &s), 0);
	assert_int_equal(b, 0x100);
	assert_int_equal(s, 0x20);
	assert_int_equal(platform_fdt_reg(blob, found[FC_BUSDEV], 1, &b, &s), 0);
	assert_int_equal(b, 0x200);
	assert_int_equal(s, 0x40);
	assert_true(platform_fdt_reg(blob, found[FC_BUSDEV], 2, &b, &s) < 0);
	struct plat_node unknown_parent = {found[FC_BUSDEV].node, -1};
	assert_int_equal(platform_fdt_reg(blob, unknown_parent, 1, &b, &s), 0);
	assert_int_equal(b, 0x200);
	/* virtio: document order, the slot without reg skipped, irq through the hook. */
	assert_int_equal(p.nr_virtio, 4);
	static const uint64_t order[] = {0xa000000, 0xa003000, 0xa002000, 0xa001000};
	static const uint32_t irqs[] = {30, 60, 0, 50};
	for (unsigned i = 0; i < 4; i++) {
		assert_true(p.virtio[i].present);
		assert_int_equal(p.virtio[i].base, order[i]);
		assert_int_equal(p.virtio[i].size, 0x200);
		assert_int_equal(p.virtio[i].irq, irqs[i]);
	}
	assert_false(p.virtio[4].present);
	platform_fdt_sort_virtio(&p);
	static const uint32_t sorted_irqs[] = {30, 50, 0, 60};
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(p.virtio[i].base, 0xa000000 + 0x1000 * i);
		assert_int_equal(p.virtio[i].irq, sorted_irqs[i]);
	}
	free(blob);
}

/* More memory entries, CPUs and virtio slots than the tables hold: the first ones are kept. */
static void test_table_limits(void **state)
{
	(void)state;
	char dts[8192];
	size_t n = (size_t)snprintf(dts, sizeof(dts),
	                            "/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
	                            "memory@0 { device_type = \"memory\"; reg = <");
	for (unsigned i = 0; i < PLAT_MAX_MEM + 3; i++)
		n += (size_t)snprintf(dts + n, sizeof(dts) - n, "%s0x%x 0x1000", i ? " " : "",
		                      0x1000 * (2 * i + 1));
	n += (size_t)snprintf(dts + n, sizeof(dts) - n,
	                      ">; };\ncpus { #address-cells = <1>; #size-cells = <0>;\n");
	for (unsigned i = 0; i < PLAT_MAX_CPUS + 2; i++)
		n += (size_t)snprintf(dts + n, sizeof(dts) - n,
		                      "cpu@%u { device_type = \"cpu\"; reg = <%u>; };\n", i, i);
	n += (size_t)snprintf(dts + n, sizeof(dts) - n, "};\n");
	for (unsigned i = 0; i < PLAT_MAX_VIRTIO + 3; i++)
		n +=
		    (size_t)snprintf(dts + n, sizeof(dts) - n,
		                     "v%u { compatible = \"virtio,mmio\"; reg = <0x%x 0x100>; };\n",
		                     i, 0x100000 - 0x1000 * i);
	snprintf(dts + n, sizeof(dts) - n, "};\n");
	size_t size;
	uint8_t *blob = compile(dts, &size);
	struct platform p;
	struct plat_node found[FC_NR];
	cpu_calls = 0;
	assert_int_equal(platform_fdt_parse(blob, size, &p, &fake_desc, found), 0);
	assert_int_equal(p.nr_mem, PLAT_MAX_MEM);
	assert_int_equal(p.mem[PLAT_MAX_MEM - 1].base, 0x1000 * (2 * (PLAT_MAX_MEM - 1) + 1));
	assert_int_equal(p.nr_cpus, PLAT_MAX_CPUS);
	assert_int_equal(cpu_calls, PLAT_MAX_CPUS);
	assert_int_equal(p.nr_virtio, PLAT_MAX_VIRTIO);
	assert_int_equal(p.virtio[PLAT_MAX_VIRTIO - 1].base,
	                 0x100000 - 0x1000 * (PLAT_MAX_VIRTIO - 1));
	assert_int_equal(p.initrd_start, 0);
	assert_int_equal(p.nr_rsv, 0);
	free(blob);
}

static void test_errors(void **state)
{
	(void)state;
	struct platform p;
	struct plat_node found[FC_NR];
	size_t size;
	/* No memory: an error (the caller cannot run without it); the initrd end before its start
	 * would have been ignored. */
	uint8_t *blob =
	    compile("/dts-v1/;\n/ { #address-cells = <1>; #size-cells = <1>;\n"
	            "chosen { linux,initrd-start = <0x2000>; linux,initrd-end = <0x1000>; };\n"
	            "cpus { #address-cells = <1>; #size-cells = <0>;\n"
	            "  cpu@0 { device_type = \"cpu\"; reg = <0>; }; }; };\n",
	            &size);
	assert_int_equal(platform_fdt_parse(blob, size, &p, &fake_desc, found), -FV_ENOENT);
	/* Not a device tree at all, and a truncated one. */
	uint8_t junk[64];
	memset(junk, 0xd0, sizeof(junk));
	assert_true(platform_fdt_parse(junk, sizeof(junk), &p, &fake_desc, found) < 0);
	assert_true(platform_fdt_parse(blob, size / 2, &p, &fake_desc, found) < 0);
	free(blob);
}

/* Every byte of the main tree set to a few values: parse never crashes or overreads (ASan). */
static void test_mutations(void **state)
{
	(void)state;
	size_t size;
	uint8_t *blob = compile(tree, &size);
	static const uint8_t vals[] = {0x00, 0x01, 0x03, 0x7f, 0xff};
	for (size_t i = 0; i < size; i++) {
		for (unsigned v = 0; v < sizeof(vals); v++) {
			uint8_t *m = malloc(size);
			assert_non_null(m);
			memcpy(m, blob, size);
			m[i] = vals[v];
			struct platform p;
			struct plat_node found[FC_NR];
			cpu_calls = 0;
			if (platform_fdt_parse(m, size, &p, &fake_desc, found) == 0) {
				assert_true(p.nr_mem <= PLAT_MAX_MEM);
				assert_true(p.nr_cpus <= PLAT_MAX_CPUS);
				assert_true(p.nr_virtio <= PLAT_MAX_VIRTIO);
				platform_fdt_dev(m, &fake_desc, found[FC_UART], &p.uart);
			}
			free(m);
		}
	}
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_fields),
	    cmocka_unit_test(test_table_limits),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
