/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/platform.c (platform_parse): what the host
 * device tree says about the machine.
 *
 *  - a tree shaped like QEMU virt's, built with the host libfdt, parsed and
 *    checked field by field, plus variants (cells in other places, optional
 *    devices absent, limits) and the error cases;
 *  - QEMU's own DTBs (virt with PLIC, and virt with AIA) dumped at test time
 *    when qemu-system-riscv64 is installed (skipped cleanly otherwise);
 *  - random byte mutations: platform_parse never crashes.
 * Every blob is parsed from an exactly sized heap buffer so ASan flags any
 * read past it.
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

#include "core/platform.h"

#define LF(call) assert_int_equal((call), 0)

#define BUILD_BUF (64 * 1024)

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

/* Two-cell (64-bit) address and size, as under #address-cells = #size-cells = 2. */
static void reg64(void *fdt, uint64_t base, uint64_t size)
{
	uint32_t c[4] = {(uint32_t)(base >> 32), (uint32_t)base, (uint32_t)(size >> 32),
	                 (uint32_t)size};
	lf_cells(fdt, "reg", c, 4);
}

/* Knobs for the variants of the sample tree. */
struct opts {
	bool no_memory;
	bool memory_size_zero; /* the only memory entry has size 0 */
	bool no_cpus;
	bool no_timebase;
	bool timebase_in_cpu; /* in cpu@0 instead of /cpus */
	bool all_cpus_disabled;
	bool uart_ns16550_shift; /* "ns16550" only, reg-shift 2, reg-io-width 4 */
	bool no_devices;         /* no uart, plic, clint, virtio */
	bool initrd_64;          /* 64-bit cells in /chosen */
	bool initrd_reversed;    /* end < start: ignored */
	bool no_chosen;
	bool aia;           /* APLIC + IMSIC instead of PLIC */
	bool two_cell_irqs; /* interrupts = <irq flags> as under an APLIC */
	unsigned nr_virtio; /* default 8 */
	unsigned nr_cpus;   /* enabled CPUs, default 2 (plus one disabled) */
};

#define NR_VIRTIO_DEFAULT 8

static void irq_prop(void *fdt, const struct opts *o, uint32_t irq)
{
	if (o->two_cell_irqs) {
		uint32_t c[2] = {irq, 4};
		lf_cells(fdt, "interrupts", c, 2);
	} else {
		LF(fdt_property_u32(fdt, "interrupts", irq));
	}
}

static void add_cpu(void *fdt, const struct opts *o, uint32_t hart, const char *status,
                    const char *isa)
{
	char name[24];

	snprintf(name, sizeof(name), "cpu@%u", hart);
	LF(fdt_begin_node(fdt, name));
	LF(fdt_property_string(fdt, "device_type", "cpu"));
	LF(fdt_property_u32(fdt, "reg", hart));
	LF(fdt_property_string(fdt, "status", status));
	LF(fdt_property_string(fdt, "compatible", "riscv"));
	LF(fdt_property_string(fdt, "riscv,isa", isa));
	LF(fdt_property_string(fdt, "mmu-type", "riscv,sv48"));
	if (o->timebase_in_cpu)
		LF(fdt_property_u32(fdt, "timebase-frequency", 1000000));
	LF(fdt_begin_node(fdt, "interrupt-controller"));
	LF(fdt_property_u32(fdt, "#interrupt-cells", 1));
	LF(fdt_property(fdt, "interrupt-controller", NULL, 0));
	LF(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));
}

static const char isa0[] = "rv64imafdch_zicsr_zifencei_sstc";

/* A QEMU-virt-like tree; returns an exactly sized heap copy. */
static uint8_t *build(const struct opts *o, size_t *size)
{
	uint8_t *fdt = malloc(BUILD_BUF);
	assert_non_null(fdt);
	unsigned nr_virtio = o->nr_virtio ? o->nr_virtio : NR_VIRTIO_DEFAULT;
	unsigned nr_cpus = o->nr_cpus ? o->nr_cpus : 2;

	LF(fdt_create(fdt, BUILD_BUF));
	/* Where the firmware put the DTB, say. */
	LF(fdt_add_reservemap_entry(fdt, 0xbfe00000, 0x200000));
	LF(fdt_finish_reservemap(fdt));
	LF(fdt_begin_node(fdt, ""));
	LF(fdt_property_u32(fdt, "#address-cells", 2));
	LF(fdt_property_u32(fdt, "#size-cells", 2));
	LF(fdt_property_string(fdt, "compatible", "riscv-virtio"));
	LF(fdt_property_string(fdt, "model", "riscv-virtio,qemu"));

	if (!o->no_chosen) {
		LF(fdt_begin_node(fdt, "chosen"));
		LF(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
		if (o->initrd_64) {
			LF(fdt_property_u64(fdt, "linux,initrd-start", 0x100000000ULL));
			LF(fdt_property_u64(fdt, "linux,initrd-end", 0x100200000ULL));
		} else if (o->initrd_reversed) {
			LF(fdt_property_u32(fdt, "linux,initrd-start", 0x84100000));
			LF(fdt_property_u32(fdt, "linux,initrd-end", 0x84000000));
		} else {
			LF(fdt_property_u32(fdt, "linux,initrd-start", 0x84000000));
			LF(fdt_property_u32(fdt, "linux,initrd-end", 0x84100000));
		}
		LF(fdt_end_node(fdt));
	}

	if (!o->no_memory) {
		LF(fdt_begin_node(fdt, "memory@80000000"));
		LF(fdt_property_string(fdt, "device_type", "memory"));
		if (o->memory_size_zero)
			LF_CELLS(fdt, "reg", 0x0, 0x80000000, 0x0, 0x0);
		else /* two banks with an empty entry between them */
			LF_CELLS(fdt, "reg", 0x0, 0x80000000, 0x0, 0x20000000, 0x1, 0x0, 0x0, 0x0,
			         0x2, 0x0, 0x0, 0x10000000);
		LF(fdt_end_node(fdt));
	}
	/* Named like memory but not device_type = "memory": not RAM. */
	LF(fdt_begin_node(fdt, "memory-controller@3000000"));
	reg64(fdt, 0x3000000, 0x1000);
	LF(fdt_end_node(fdt));

	LF(fdt_begin_node(fdt, "reserved-memory"));
	LF(fdt_property_u32(fdt, "#address-cells", 2));
	LF(fdt_property_u32(fdt, "#size-cells", 2));
	LF(fdt_property(fdt, "ranges", NULL, 0));
	LF(fdt_begin_node(fdt, "mmode_resv0@80000000"));
	reg64(fdt, 0x80000000, 0x40000);
	LF(fdt_property(fdt, "no-map", NULL, 0));
	LF(fdt_end_node(fdt));
	LF(fdt_begin_node(fdt, "mmode_resv1@80040000"));
	reg64(fdt, 0x80040000, 0x20000);
	LF(fdt_property(fdt, "no-map", NULL, 0));
	LF(fdt_end_node(fdt));
	LF(fdt_end_node(fdt));

	if (!o->no_cpus) {
		LF(fdt_begin_node(fdt, "cpus"));
		LF(fdt_property_u32(fdt, "#address-cells", 1));
		LF(fdt_property_u32(fdt, "#size-cells", 0));
		if (!o->no_timebase && !o->timebase_in_cpu)
			LF(fdt_property_u32(fdt, "timebase-frequency", 10000000));
		const char *okay = o->all_cpus_disabled ? "disabled" : "okay";
		add_cpu(fdt, o, 0, okay, isa0);
		/* A disabled hart between the enabled ones must be skipped. */
		add_cpu(fdt, o, 1, "disabled", "rv64imac");
		for (uint32_t h = 2; h < nr_cpus + 1; h++)
			add_cpu(fdt, o, h, okay, "rv64imafdc");
		LF(fdt_begin_node(fdt, "cpu-map"));
		LF(fdt_begin_node(fdt, "cluster0"));
		LF(fdt_end_node(fdt));
		LF(fdt_end_node(fdt));
		LF(fdt_end_node(fdt));
	}

	LF(fdt_begin_node(fdt, "soc"));
	LF(fdt_property_u32(fdt, "#address-cells", 2));
	LF(fdt_property_u32(fdt, "#size-cells", 2));
	LF(fdt_property_string(fdt, "compatible", "simple-bus"));
	LF(fdt_property(fdt, "ranges", NULL, 0));
	if (!o->no_devices) {
		LF(fdt_begin_node(fdt, "serial@10000000"));
		if (o->uart_ns16550_shift) {
			LF(fdt_property_string(fdt, "compatible", "ns16550"));
			LF(fdt_property_u32(fdt, "reg-shift", 2));
			LF(fdt_property_u32(fdt, "reg-io-width", 4));
		} else {
			LF(fdt_property_string(fdt, "compatible", "ns16550a"));
		}
		reg64(fdt, 0x10000000, 0x100);
		irq_prop(fdt, o, 10);
		LF(fdt_property_u32(fdt, "interrupt-parent", 5));
		LF(fdt_end_node(fdt));
		/* Descending addresses, as QEMU lays them out. */
		for (unsigned i = nr_virtio; i >= 1; i--) {
			char name[32];
			snprintf(name, sizeof(name), "virtio_mmio@%x", 0x10000000 + 0x1000 * i);
			LF(fdt_begin_node(fdt, name));
			irq_prop(fdt, o, i);
			LF(fdt_property_u32(fdt, "interrupt-parent", 5));
			reg64(fdt, 0x10000000 + 0x1000ULL * i, 0x1000);
			LF(fdt_property_string(fdt, "compatible", "virtio,mmio"));
			LF(fdt_end_node(fdt));
		}
		if (o->aia) {
			/* S-level APLIC and IMSIC first, M-level after: QEMU's order. */
			LF(fdt_begin_node(fdt, "interrupt-controller@d000000"));
			LF(fdt_property(fdt, "compatible", "qemu,aplic\0riscv,aplic", 23));
			reg64(fdt, 0xd000000, 0x8000);
			LF(fdt_property_u32(fdt, "riscv,num-sources", 96));
			LF(fdt_end_node(fdt));
			LF(fdt_begin_node(fdt, "interrupt-controller@28000000"));
			LF(fdt_property(fdt, "compatible", "qemu,imsics\0riscv,imsics", 25));
			reg64(fdt, 0x28000000, 0x2000);
			LF(fdt_end_node(fdt));
		} else {
			LF(fdt_begin_node(fdt, "plic@c000000"));
			LF(fdt_property_u32(fdt, "phandle", 5));
			LF(fdt_property_u32(fdt, "riscv,ndev", 95));
			reg64(fdt, 0xc000000, 0x600000);
			LF(fdt_property(fdt, "interrupt-controller", NULL, 0));
			LF(fdt_property(fdt, "compatible", "sifive,plic-1.0.0\0riscv,plic0", 30));
			LF(fdt_property_u32(fdt, "#interrupt-cells", 1));
			LF(fdt_end_node(fdt));
		}
		LF(fdt_begin_node(fdt, "clint@2000000"));
		reg64(fdt, 0x2000000, 0x10000);
		LF(fdt_property(fdt, "compatible", "sifive,clint0\0riscv,clint0", 27));
		LF(fdt_end_node(fdt));
	}
	LF(fdt_end_node(fdt));

	LF(fdt_end_node(fdt));
	LF(fdt_finish(fdt));
	assert_int_equal(fdt_check_full(fdt, BUILD_BUF), 0);
	*size = fdt_totalsize(fdt);
	uint8_t *blob = malloc(*size);
	assert_non_null(blob);
	memcpy(blob, fdt, *size);
	free(fdt);
	return blob;
}

static int parse_opts(const struct opts *o, struct platform *p)
{
	size_t size;
	uint8_t *blob = build(o, &size);
	int ret = platform_parse(blob, size, p);
	free(blob);
	return ret;
}

static void assert_dev(const struct plat_dev *d, uint64_t base, uint64_t size, uint32_t irq)
{
	assert_true(d->present);
	assert_int_equal(d->base, base);
	assert_int_equal(d->size, size);
	assert_int_equal(d->irq, irq);
}

static void assert_virtio(const struct platform *p, unsigned n)
{
	assert_int_equal(p->nr_virtio, n);
	/* Document order: highest address first. */
	for (unsigned i = 0; i < n; i++) {
		unsigned slot = n - i;
		assert_dev(&p->virtio[i], 0x10000000 + 0x1000ULL * slot, 0x1000, slot);
	}
	for (unsigned i = n; i < PLAT_MAX_VIRTIO; i++)
		assert_false(p->virtio[i].present);
}

static void test_virt_like(void **state)
{
	(void)state;
	const struct opts o = {0};
	size_t size;
	uint8_t *blob = build(&o, &size);
	struct platform p;

	assert_int_equal(platform_parse(blob, size, &p), 0);

	assert_int_equal(p.nr_mem, 2);
	assert_int_equal(p.mem[0].base, 0x80000000);
	assert_int_equal(p.mem[0].size, 0x20000000);
	assert_int_equal(p.mem[1].base, 0x200000000ULL);
	assert_int_equal(p.mem[1].size, 0x10000000);

	/* /memreserve/ first, then /reserved-memory children. */
	assert_int_equal(p.nr_rsv, 3);
	assert_int_equal(p.rsv[0].base, 0xbfe00000);
	assert_int_equal(p.rsv[0].size, 0x200000);
	assert_int_equal(p.rsv[1].base, 0x80000000);
	assert_int_equal(p.rsv[1].size, 0x40000);
	assert_int_equal(p.rsv[2].base, 0x80040000);
	assert_int_equal(p.rsv[2].size, 0x20000);

	assert_int_equal(p.timebase_hz, 10000000);
	assert_int_equal(p.nr_cpus, 2);
	assert_int_equal(p.cpu_hwid[0], 0);
	assert_int_equal(p.cpu_hwid[1], 2); /* cpu@1 is disabled */
	assert_non_null(p.arch.isa);
	assert_string_equal(p.arch.isa, isa0);
	/* The ISA string points into the blob. */
	assert_true((const uint8_t *)p.arch.isa > blob &&
	            (const uint8_t *)p.arch.isa < blob + size);

	assert_dev(&p.uart, 0x10000000, 0x100, 10);
	assert_int_equal(p.uart_reg_shift, 0);
	assert_int_equal(p.uart_io_width, 1);

	assert_dev(&p.arch.plic, 0xc000000, 0x600000, 0);
	assert_int_equal(p.arch.plic_ndev, 95);
	assert_dev(&p.arch.clint, 0x2000000, 0x10000, 0);
	assert_false(p.arch.aplic.present);
	assert_false(p.arch.imsic.present);

	assert_virtio(&p, 8);

	assert_int_equal(p.initrd_start, 0x84000000);
	assert_int_equal(p.initrd_end, 0x84100000);
	free(blob);
}

static void test_variants(void **state)
{
	(void)state;
	struct platform p;

	/* 64-bit initrd cells. */
	assert_int_equal(parse_opts(&(struct opts){.initrd_64 = true}, &p), 0);
	assert_int_equal(p.initrd_start, 0x100000000ULL);
	assert_int_equal(p.initrd_end, 0x100200000ULL);

	/* end before start: no initrd. */
	assert_int_equal(parse_opts(&(struct opts){.initrd_reversed = true}, &p), 0);
	assert_int_equal(p.initrd_start, 0);
	assert_int_equal(p.initrd_end, 0);

	/* No /chosen at all. */
	assert_int_equal(parse_opts(&(struct opts){.no_chosen = true}, &p), 0);
	assert_int_equal(p.initrd_start, 0);
	assert_int_equal(p.initrd_end, 0);

	/* Plain "ns16550" with reg-shift and reg-io-width. */
	assert_int_equal(parse_opts(&(struct opts){.uart_ns16550_shift = true}, &p), 0);
	assert_dev(&p.uart, 0x10000000, 0x100, 10);
	assert_int_equal(p.uart_reg_shift, 2);
	assert_int_equal(p.uart_io_width, 4);

	/* timebase-frequency in the cpu node instead of /cpus. */
	assert_int_equal(parse_opts(&(struct opts){.timebase_in_cpu = true}, &p), 0);
	assert_int_equal(p.timebase_hz, 1000000);

	/* Optional devices absent: not an error, nothing present. */
	assert_int_equal(parse_opts(&(struct opts){.no_devices = true}, &p), 0);
	assert_false(p.uart.present);
	assert_false(p.arch.plic.present);
	assert_false(p.arch.clint.present);
	assert_int_equal(p.arch.plic_ndev, 0);
	assert_virtio(&p, 0);

	/* More virtio slots than the table holds: the first 8 are kept. */
	assert_int_equal(parse_opts(&(struct opts){.nr_virtio = 10}, &p), 0);
	assert_int_equal(p.nr_virtio, PLAT_MAX_VIRTIO);
	for (unsigned i = 0; i < PLAT_MAX_VIRTIO; i++)
		assert_dev(&p.virtio[i], 0x10000000 + 0x1000ULL * (10 - i), 0x1000, 10 - i);

	/* More CPUs than the table holds: the first 8 enabled ones are kept. */
	assert_int_equal(parse_opts(&(struct opts){.nr_cpus = 10}, &p), 0);
	assert_int_equal(p.nr_cpus, PLAT_MAX_CPUS);
	assert_int_equal(p.cpu_hwid[0], 0);
	for (unsigned i = 1; i < PLAT_MAX_CPUS; i++)
		assert_int_equal(p.cpu_hwid[i], i + 1);

	/* AIA instead of a PLIC. */
	assert_int_equal(parse_opts(&(struct opts){.aia = true}, &p), 0);
	assert_false(p.arch.plic.present);
	assert_int_equal(p.arch.plic_ndev, 0);
	assert_dev(&p.arch.aplic, 0xd000000, 0x8000, 0);
	assert_dev(&p.arch.imsic, 0x28000000, 0x2000, 0);
}

/*
 * Under an APLIC (#interrupt-cells = 2) a device's "interrupts" is
 * <irq flags>; the IRQ number is the first cell.
 */
static void test_two_cell_interrupts(void **state)
{
	(void)state;
	struct platform p;

	assert_int_equal(parse_opts(&(struct opts){.aia = true, .two_cell_irqs = true}, &p), 0);
	assert_dev(&p.uart, 0x10000000, 0x100, 10);
	assert_virtio(&p, 8);
}

static void test_errors(void **state)
{
	(void)state;
	struct platform p;

	assert_int_equal(parse_opts(&(struct opts){.no_memory = true}, &p), -FV_ENOENT);
	assert_int_equal(parse_opts(&(struct opts){.memory_size_zero = true}, &p), -FV_ENOENT);
	assert_int_equal(parse_opts(&(struct opts){.no_cpus = true}, &p), -FV_ENOENT);
	assert_int_equal(parse_opts(&(struct opts){.no_timebase = true}, &p), -FV_ENOENT);
	assert_int_equal(parse_opts(&(struct opts){.all_cpus_disabled = true}, &p), -FV_ENOENT);

	/* Corrupt blobs: bad magic, truncated, wrong version, empty. */
	const struct opts o = {0};
	size_t size;
	uint8_t *blob = build(&o, &size);
	assert_int_equal(platform_parse(blob, size - 1, &p), -FV_EINVAL);
	assert_int_equal(platform_parse(blob, 0, &p), -FV_EINVAL);
	blob[0] ^= 0x01;
	assert_int_equal(platform_parse(blob, size, &p), -FV_EINVAL);
	/* The output is cleared even on failure. */
	assert_int_equal(p.nr_mem, 0);
	assert_int_equal(p.nr_cpus, 0);
	blob[0] ^= 0x01;
	memset(blob + 20, 0, 4); /* version 0 */
	assert_int_equal(platform_parse(blob, size, &p), -FV_EINVAL);
	free(blob);
}

/* ---- QEMU's own device trees ---- */

static bool have_qemu(void)
{
	return system("command -v qemu-system-riscv64 >/dev/null 2>&1") == 0;
}

/* Dump QEMU's DTB for machine options mopts; NULL if QEMU could not. */
static uint8_t *qemu_dtb(const char *mopts, size_t *size)
{
	char path[] = "/tmp/fv_test_platform_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "qemu-system-riscv64 -M virt%s,dumpdtb=%s -cpu rv64 -smp 2 -m 512M "
	         "-nographic </dev/null >/dev/null 2>&1",
	         mopts, path);
	uint8_t *blob = NULL;
	if (system(cmd) == 0) {
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		long n = ftell(f);
		assert_true(n > 0);
		rewind(f);
		blob = malloc((size_t)n);
		assert_non_null(blob);
		assert_int_equal(fread(blob, 1, (size_t)n, f), (size_t)n);
		fclose(f);
		*size = (size_t)n;
	}
	unlink(path);
	return blob;
}

static void assert_qemu_common(const struct platform *p)
{
	assert_int_equal(p->nr_mem, 1);
	assert_int_equal(p->mem[0].base, 0x80000000);
	assert_int_equal(p->mem[0].size, 512ULL << 20);
	assert_int_equal(p->timebase_hz, 10000000);
	assert_int_equal(p->nr_cpus, 2);
	assert_int_equal(p->cpu_hwid[0], 0);
	assert_int_equal(p->cpu_hwid[1], 1);
	assert_non_null(p->arch.isa);
	assert_memory_equal(p->arch.isa, "rv64", 4);
	assert_true(p->uart.present);
	assert_int_equal(p->uart.base, 0x10000000);
	assert_int_equal(p->uart.size, 0x100);
	assert_int_equal(p->uart_reg_shift, 0);
	assert_int_equal(p->uart_io_width, 1);
	assert_true(p->arch.clint.present);
	assert_int_equal(p->arch.clint.base, 0x2000000);
	assert_int_equal(p->nr_virtio, 8);
	uint32_t seen = 0;
	for (unsigned i = 0; i < 8; i++) {
		const struct plat_dev *d = &p->virtio[i];
		assert_true(d->present);
		assert_int_equal(d->size, 0x1000);
		uint64_t slot = (d->base - 0x10000000) / 0x1000;
		assert_true(slot >= 1 && slot <= 8);
		assert_int_equal(d->base, 0x10000000 + 0x1000 * slot);
		seen |= 1U << slot;
	}
	assert_int_equal(seen, 0x1fe);
	assert_int_equal(p->initrd_start, 0);
	assert_int_equal(p->initrd_end, 0);
}

static void test_qemu_virt(void **state)
{
	(void)state;
	if (!have_qemu()) {
		print_message("qemu-system-riscv64 not found: skipping\n");
		skip();
	}
	size_t size;
	uint8_t *blob = qemu_dtb("", &size);
	assert_non_null(blob);
	struct platform p;

	assert_int_equal(platform_parse(blob, size, &p), 0);
	assert_qemu_common(&p);
	assert_int_equal(p.uart.irq, 10);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(p.virtio[i].irq, (p.virtio[i].base - 0x10000000) / 0x1000);
	assert_true(p.arch.plic.present);
	assert_int_equal(p.arch.plic.base, 0xc000000);
	assert_int_equal(p.arch.plic.size, 0x600000);
	assert_int_equal(p.arch.plic_ndev, 95);
	/* QEMU virt: context 2h is hart h's M-mode, 2h+1 its S-mode external interrupt. */
	for (unsigned i = 0; i < p.nr_cpus; i++)
		assert_int_equal(p.arch.plic_s_ctx[i], (int)(2 * p.cpu_hwid[i] + 1));
	assert_false(p.arch.aplic.present);
	assert_false(p.arch.imsic.present);
	/* The cache-block sizes VMs need for Zicbom/Zicbop/Zicboz (64 B on QEMU). */
	assert_int_equal(p.arch.cbom_block, 64);
	assert_int_equal(p.arch.cbop_block, 64);
	assert_int_equal(p.arch.cboz_block, 64);
	free(blob);
}

static void test_qemu_virt_aia(void **state)
{
	(void)state;
	if (!have_qemu()) {
		print_message("qemu-system-riscv64 not found: skipping\n");
		skip();
	}
	size_t size;
	uint8_t *blob = qemu_dtb(",aia=aplic-imsic", &size);
	if (!blob) {
		print_message("this QEMU has no aia=aplic-imsic: skipping\n");
		skip();
	}
	struct platform p;

	assert_int_equal(platform_parse(blob, size, &p), 0);
	assert_qemu_common(&p);
	assert_false(p.arch.plic.present);
	/* The supervisor-level ones: QEMU lists them before the machine-level ones. */
	assert_true(p.arch.aplic.present);
	assert_int_equal(p.arch.aplic.base, 0xd000000);
	assert_true(p.arch.imsic.present);
	assert_int_equal(p.arch.imsic.base, 0x28000000);
	free(blob);
}

/* ---- hostile blobs ---- */

#define FUZZ_ITERS 20000

static void test_random_mutations(void **state)
{
	(void)state;
	const struct opts o = {0};
	size_t size;
	uint8_t *good = build(&o, &size);
	uint8_t *b = malloc(size);
	assert_non_null(b);
	unsigned int seed = 77;
	unsigned ok = 0;

	for (int it = 0; it < FUZZ_ITERS; it++) {
		memcpy(b, good, size);
		int n = 1 + rand_r(&seed) % 6;
		for (int k = 0; k < n; k++)
			b[(size_t)rand_r(&seed) % size] = (uint8_t)rand_r(&seed);
		struct platform p;
		int ret = platform_parse(b, size, &p);
		if (ret == 0) {
			ok++;
			assert_true(p.nr_mem >= 1 && p.nr_mem <= PLAT_MAX_MEM);
			assert_true(p.nr_rsv <= PLAT_MAX_RSV);
			assert_true(p.nr_cpus >= 1 && p.nr_cpus <= PLAT_MAX_CPUS);
			assert_true(p.timebase_hz != 0);
			assert_true(p.nr_virtio <= PLAT_MAX_VIRTIO);
			if (p.arch.isa)
				assert_true((const uint8_t *)p.arch.isa >= b &&
				            (const uint8_t *)p.arch.isa + strlen(p.arch.isa) <
				                b + size);
		} else {
			assert_true(ret == -FV_EINVAL || ret == -FV_ENOENT);
		}
	}
	assert_true(ok > 0);
	free(b);
	free(good);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_platform: timeout\n";

	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_virt_like),           cmocka_unit_test(test_variants),
	    cmocka_unit_test(test_two_cell_interrupts), cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_qemu_virt),           cmocka_unit_test(test_qemu_virt_aia),
	    cmocka_unit_test(test_random_mutations),
	};

	signal(SIGALRM, on_alarm);
	alarm(300);
	return cmocka_run_group_tests_name("platform", tests, NULL, NULL);
}
