/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/guest_dtb.c: every VM device tree is read
 * back with the host libfdt (fdt_check_full, paths, properties, phandle
 * resolution of interrupts-extended / interrupt-parent / stdout-path) for
 * 1, 2 and 8 vCPUs with and without initrd, bootargs, UART, PLIC and
 * virtio; determinism; every too-small buffer size (exactly sized heap
 * buffers, so ASan sees any overflow); parameter validation; the ISA
 * filter (QEMU's default host string and odd spellings); and, if dtc is
 * installed, a decompile of a 2-vCPU tree that must be free of warnings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/riscv/guest_dtb.h"
#include "arch/riscv/guest_map.h"
#include "core/guest_layout.h"

#define BUF_SIZE 65536

static const char *const test_exts[] = {"i", "m", "a", "f", "d", "c", "zicsr", "zifencei", NULL};

static const char qemu_isa[] =
    "rv64imafdch_zic64b_zicbom_zicbop_zicboz_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zicsr_"
    "zifencei_zihintntl_zihintpause_zihpm_zmmul_za64rs_zaamo_zalrsc_zawrs_zfa_zca_zcd_zba_zbb_"
    "zbc_zbs_shcounterenw_shgatpa_shtvala_shvsatpa_shvstvala_shvstvecd_ssccptr_sscounterenw_"
    "sstc_sstvala_sstvecd_ssu64xl_svadu_svvptc";

/* QEMU virt-like layout. */
static void params_init(struct guest_dtb_params *p, unsigned nr_vcpus, bool initrd, bool bootargs,
                        unsigned nr_virtio)
{
	memset(p, 0, sizeof(*p));
	p->vm_name = "linux1";
	p->nr_vcpus = nr_vcpus;
	p->timebase_hz = 10000000;
	p->isa = "rv64imafdc_zicsr_zifencei";
	p->isa_exts = test_exts;
	p->mmu_type = "riscv,sv48";
	p->mem_base = 0x80000000;
	p->mem_size = 0x10000000;
	if (bootargs)
		p->bootargs = "console=ttyS0 earlycon=sbi root=/dev/vda rw";
	if (initrd) {
		p->initrd_start = 0x88000000;
		p->initrd_end = 0x88123457;
	}
	p->uart.present = true;
	p->uart.base = 0x10000000;
	p->uart.irq = 10;
	p->plic.present = true;
	p->plic.base = 0xc000000;
	p->plic.size = 0x4000000; /* VPLIC_MMIO_SIZE: ends right below the UART */
	p->plic.ndev = 63;
	p->rtc.present = true;
	p->rtc.base = RISCV_GUEST_RTC_BASE;
	p->rtc.irq = 11;
	p->nr_virtio = nr_virtio;
	for (unsigned i = 0; i < nr_virtio; i++) {
		p->virtio[i].base = 0x10001000 + 0x1000 * (uint64_t)i;
		p->virtio[i].size = 0x1000;
		p->virtio[i].irq = 1 + i;
	}
}

/* ---- libfdt readers that assert ---- */

static const void *prop(const void *fdt, int node, const char *name, int want_len)
{
	int len = -1;
	const void *v = fdt_getprop(fdt, node, name, &len);

	if (!v)
		fail_msg("property %s missing (%d)", name, len);
	if (want_len >= 0)
		assert_int_equal(len, want_len);
	return v;
}

static uint32_t prop_u32(const void *fdt, int node, const char *name)
{
	return fdt32_to_cpu(*(const fdt32_t *)prop(fdt, node, name, 4));
}

static uint64_t prop_u64(const void *fdt, int node, const char *name)
{
	fdt64_t v; /* FDT data is only 4-byte aligned */

	memcpy(&v, prop(fdt, node, name, 8), sizeof(v));
	return fdt64_to_cpu(v);
}

static void assert_str(const void *fdt, int node, const char *name, const char *want)
{
	assert_string_equal((const char *)prop(fdt, node, name, (int)strlen(want) + 1), want);
}

static void assert_no_prop(const void *fdt, int node, const char *name)
{
	assert_null(fdt_getprop(fdt, node, name, NULL));
}

/* reg with 2 address and 2 size cells. */
static void assert_reg(const void *fdt, int node, uint64_t base, uint64_t size)
{
	const fdt32_t *c = prop(fdt, node, "reg", 16);

	assert_int_equal(((uint64_t)fdt32_to_cpu(c[0]) << 32) | fdt32_to_cpu(c[1]), base);
	assert_int_equal(((uint64_t)fdt32_to_cpu(c[2]) << 32) | fdt32_to_cpu(c[3]), size);
}

static int path(const void *fdt, const char *p)
{
	int off = fdt_path_offset(fdt, p);

	if (off < 0)
		fail_msg("node %s missing (%d)", p, off);
	return off;
}

/* Node that a phandle property (cell idx) refers to. */
static int deref(const void *fdt, int node, const char *name, int idx)
{
	const fdt32_t *c = prop(fdt, node, name, -1);
	int off = fdt_node_offset_by_phandle(fdt, fdt32_to_cpu(c[idx]));

	assert_true(off >= 0);
	return off;
}

static void assert_device_irq(const void *fdt, int node, uint32_t irq)
{
	int plic = fdt_node_offset_by_compatible(fdt, -1, "riscv,plic0");

	assert_int_equal(prop_u32(fdt, node, "interrupts"), irq);
	assert_int_equal(deref(fdt, node, "interrupt-parent", 0), plic);
}

static void node_name_at(char *buf, size_t len, const char *base, uint64_t addr)
{
	snprintf(buf, len, "%s@%llx", base, (unsigned long long)addr);
}

/* ---- the full check of one tree against its parameters ---- */

static void check_cpus(const void *fdt, const struct guest_dtb_params *p)
{
	int cpus = path(fdt, "/cpus"), node, count = 0;
	uint32_t seen[GUEST_DTB_MAX_VCPUS] = {0};
	size_t exts_len = 0;

	for (size_t i = 0; p->isa_exts[i]; i++)
		exts_len += strlen(p->isa_exts[i]) + 1;
	assert_int_equal(prop_u32(fdt, cpus, "#address-cells"), 1);
	assert_int_equal(prop_u32(fdt, cpus, "#size-cells"), 0);
	assert_int_equal(prop_u32(fdt, cpus, "timebase-frequency"), p->timebase_hz);
	fdt_for_each_subnode(node, fdt, cpus)
	{
		char name[32];
		int intc, nexts;
		uint32_t ph;

		snprintf(name, sizeof(name), "cpu@%x", count);
		assert_string_equal(fdt_get_name(fdt, node, NULL), name);
		assert_str(fdt, node, "device_type", "cpu");
		assert_int_equal(prop_u32(fdt, node, "reg"), (uint32_t)count);
		assert_str(fdt, node, "status", "okay");
		assert_str(fdt, node, "compatible", "riscv");
		assert_str(fdt, node, "riscv,isa", p->isa);
		assert_str(fdt, node, "riscv,isa-base", "rv64i");
		assert_str(fdt, node, "mmu-type", p->mmu_type);
		prop(fdt, node, "riscv,isa-extensions", (int)exts_len);
		nexts = fdt_stringlist_count(fdt, node, "riscv,isa-extensions");
		for (int i = 0; i < nexts; i++) {
			assert_non_null(p->isa_exts[i]);
			assert_string_equal(
			    fdt_stringlist_get(fdt, node, "riscv,isa-extensions", i, NULL),
			    p->isa_exts[i]);
		}
		assert_null(p->isa_exts[nexts]);
		if (p->cbom_block_size)
			assert_int_equal(prop_u32(fdt, node, "riscv,cbom-block-size"),
			                 p->cbom_block_size);
		else
			assert_no_prop(fdt, node, "riscv,cbom-block-size");

		intc = fdt_subnode_offset(fdt, node, "interrupt-controller");
		assert_true(intc >= 0);
		assert_int_equal(fdt_next_subnode(fdt, intc), -FDT_ERR_NOTFOUND);
		assert_int_equal(fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc"), 0);
		assert_int_equal(prop_u32(fdt, intc, "#interrupt-cells"), 1);
		prop(fdt, intc, "interrupt-controller", 0);
		ph = fdt_get_phandle(fdt, intc);
		assert_int_equal(ph, GUEST_DTB_PHANDLE_CPU_INTC(count));
		for (int i = 0; i < count; i++)
			assert_int_not_equal(seen[i], ph);
		seen[count++] = ph;
		assert_true(count <= (int)p->nr_vcpus);
	}
	assert_int_equal(count, (int)p->nr_vcpus);
}

static void check_plic(const void *fdt, const struct guest_dtb_params *p)
{
	int plic = fdt_node_offset_by_compatible(fdt, -1, "riscv,plic0");
	char want[64], got[64];
	const fdt32_t *ie;

	if (!p->plic.present) {
		assert_int_equal(plic, -FDT_ERR_NOTFOUND);
		return;
	}
	assert_true(plic >= 0);
	assert_int_equal(fdt_node_offset_by_compatible(fdt, -1, "sifive,plic-1.0.0"), plic);
	node_name_at(want, sizeof(want), "/soc/plic", p->plic.base);
	assert_int_equal(fdt_get_path(fdt, plic, got, sizeof(got)), 0);
	assert_string_equal(got, want);
	assert_reg(fdt, plic, p->plic.base, p->plic.size);
	assert_int_equal(prop_u32(fdt, plic, "#interrupt-cells"), 1);
	assert_int_equal(prop_u32(fdt, plic, "#address-cells"), 0);
	prop(fdt, plic, "interrupt-controller", 0);
	assert_int_equal(prop_u32(fdt, plic, "riscv,ndev"), p->plic.ndev);
	assert_int_equal(fdt_get_phandle(fdt, plic), GUEST_DTB_PHANDLE_PLIC);

	/* Context N: vCPU N's intc, cause 9 (S-mode external). */
	ie = prop(fdt, plic, "interrupts-extended", (int)(8 * p->nr_vcpus));
	for (unsigned n = 0; n < p->nr_vcpus; n++) {
		int intc = deref(fdt, plic, "interrupts-extended", (int)(2 * n));
		int cpu = fdt_parent_offset(fdt, intc);

		assert_int_equal(fdt_node_check_compatible(fdt, intc, "riscv,cpu-intc"), 0);
		assert_int_equal(prop_u32(fdt, cpu, "reg"), n);
		assert_int_equal(fdt32_to_cpu(ie[2 * n + 1]), 9);
	}
}

static void check_devices(const void *fdt, const struct guest_dtb_params *p)
{
	int soc = path(fdt, "/soc"), node, i = 0;
	char want[64];

	assert_int_equal(prop_u32(fdt, soc, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, soc, "#size-cells"), 2);
	assert_str(fdt, soc, "compatible", "simple-bus");
	prop(fdt, soc, "ranges", 0);
	check_plic(fdt, p);

	node = fdt_node_offset_by_compatible(fdt, -1, "ns16550a");
	if (p->uart.present) {
		int chosen = path(fdt, "/chosen");
		const char *sp = prop(fdt, chosen, "stdout-path", -1);

		assert_true(node >= 0);
		assert_int_equal(fdt_parent_offset(fdt, node), soc);
		node_name_at(want, sizeof(want), "serial", p->uart.base);
		assert_string_equal(fdt_get_name(fdt, node, NULL), want);
		assert_reg(fdt, node, p->uart.base, 0x100);
		assert_int_equal(prop_u32(fdt, node, "clock-frequency"), 0x384000);
		assert_device_irq(fdt, node, p->uart.irq);
		/* stdout-path and the serial0 alias both lead to it. */
		assert_int_equal(fdt_path_offset(fdt, sp), node);
		assert_string_equal(fdt_get_alias(fdt, "serial0"), sp);
		assert_int_equal(fdt_path_offset(fdt, "serial0"), node);
	} else {
		assert_int_equal(node, -FDT_ERR_NOTFOUND);
		assert_no_prop(fdt, path(fdt, "/chosen"), "stdout-path");
		assert_int_equal(fdt_path_offset(fdt, "/aliases"), -FDT_ERR_NOTFOUND);
	}

	node = fdt_node_offset_by_compatible(fdt, -1, "google,goldfish-rtc");
	if (p->rtc.present) {
		assert_true(node >= 0);
		assert_int_equal(fdt_parent_offset(fdt, node), soc);
		node_name_at(want, sizeof(want), "rtc", p->rtc.base);
		assert_string_equal(fdt_get_name(fdt, node, NULL), want);
		assert_reg(fdt, node, p->rtc.base, RISCV_GUEST_RTC_SIZE);
		assert_device_irq(fdt, node, p->rtc.irq);
	} else {
		assert_int_equal(node, -FDT_ERR_NOTFOUND);
	}

	/* virtio nodes: in parameter order, nothing else. */
	for (node = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); node >= 0;
	     node = fdt_node_offset_by_compatible(fdt, node, "virtio,mmio"), i++) {
		assert_true(i < (int)p->nr_virtio);
		assert_int_equal(fdt_parent_offset(fdt, node), soc);
		node_name_at(want, sizeof(want), "virtio_mmio", p->virtio[i].base);
		assert_string_equal(fdt_get_name(fdt, node, NULL), want);
		assert_reg(fdt, node, p->virtio[i].base, p->virtio[i].size);
		assert_device_irq(fdt, node, p->virtio[i].irq);
	}
	assert_int_equal(node, -FDT_ERR_NOTFOUND);
	assert_int_equal(i, (int)p->nr_virtio);

	/* What the VM must not see. */
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "riscv,clint0") < 0);
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "sifive,clint0") < 0);
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "syscon-poweroff") < 0);
	assert_true(fdt_node_offset_by_compatible(fdt, -1, "sifive,test0") < 0);
}

static void check_tree(const void *fdt, int total, const struct guest_dtb_params *p)
{
	int root, chosen, mem, len;
	const char *compat;
	char want[96];

	assert_true(total > 0);
	assert_int_equal(fdt_check_full(fdt, (size_t)total), 0);
	assert_int_equal(fdt_totalsize(fdt), (uint32_t)total);
	assert_int_equal(fdt_boot_cpuid_phys(fdt), 0);
	assert_int_equal(fdt_num_mem_rsv(fdt), 0);

	root = path(fdt, "/");
	assert_int_equal(prop_u32(fdt, root, "#address-cells"), 2);
	assert_int_equal(prop_u32(fdt, root, "#size-cells"), 2);
	compat = prop(fdt, root, "compatible", -1);
	len = (int)sizeof("ferrovisor,vm\0riscv-virtio");
	prop(fdt, root, "compatible", len);
	assert_memory_equal(compat, "ferrovisor,vm\0riscv-virtio", (size_t)len);
	snprintf(want, sizeof(want), "Ferrovisor VM %s", p->vm_name);
	assert_str(fdt, root, "model", want);

	chosen = path(fdt, "/chosen");
	if (p->bootargs && p->bootargs[0])
		assert_str(fdt, chosen, "bootargs", p->bootargs);
	else
		assert_no_prop(fdt, chosen, "bootargs");
	if (p->initrd_end) {
		assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-start"), p->initrd_start);
		assert_int_equal(prop_u64(fdt, chosen, "linux,initrd-end"), p->initrd_end);
	} else {
		assert_no_prop(fdt, chosen, "linux,initrd-start");
		assert_no_prop(fdt, chosen, "linux,initrd-end");
	}

	node_name_at(want, sizeof(want), "/memory", p->mem_base);
	mem = path(fdt, want);
	assert_str(fdt, mem, "device_type", "memory");
	assert_reg(fdt, mem, p->mem_base, p->mem_size);

	check_cpus(fdt, p);
	check_devices(fdt, p);
}

/* Build into a fresh buffer and run every check. */
static void build_and_check(const struct guest_dtb_params *p)
{
	void *buf = malloc(BUF_SIZE);
	int total;

	assert_non_null(buf);
	total = guest_dtb_build(p, buf, BUF_SIZE);
	check_tree(buf, total, p);
	free(buf);
}

/* ---- tests ---- */

static void test_one_vcpu(void **state)
{
	struct guest_dtb_params p;

	(void)state;
	params_init(&p, 1, false, false, 0);
	build_and_check(&p);
	params_init(&p, 1, true, true, 1);
	build_and_check(&p);
}

static void test_two_vcpus(void **state)
{
	struct guest_dtb_params p;

	(void)state;
	params_init(&p, 2, false, false, 0);
	build_and_check(&p);
	params_init(&p, 2, true, false, 2);
	build_and_check(&p);
	params_init(&p, 2, false, true, 3);
	build_and_check(&p);
	params_init(&p, 2, true, true, 8);
	p.cbom_block_size = 64;
	p.cbop_block_size = 64;
	p.cboz_block_size = 64;
	build_and_check(&p);
}

static void test_eight_vcpus(void **state)
{
	struct guest_dtb_params p;

	(void)state;
	params_init(&p, 8, false, false, 0);
	build_and_check(&p);
	params_init(&p, 8, true, true, 8);
	build_and_check(&p);
}

/* No UART, no PLIC, no devices: a tree with CPUs and RAM only. */
static void test_no_devices(void **state)
{
	struct guest_dtb_params p;

	(void)state;
	params_init(&p, 2, true, true, 0);
	p.uart.present = false;
	p.rtc.present = false;
	p.plic.present = false;
	build_and_check(&p);
	/* A PLIC without devices is fine too. */
	p.plic.present = true;
	build_and_check(&p);
}

/* Edge values that are valid: longest strings, a window at the top of the address space. */
static void test_edges(void **state)
{
	struct guest_dtb_params p;
	static char name[GUEST_DTB_NAME_MAX], args[GUEST_DTB_BOOTARGS_MAX];

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	memset(args, 'a', sizeof(args) - 1);
	params_init(&p, 3, true, true, 2);
	p.vm_name = name;
	p.bootargs = args;
	p.virtio[1].base = 0xfffffffffffff000ULL;
	p.virtio[1].irq = p.plic.ndev;
	p.initrd_start = p.mem_base;
	p.initrd_end = p.mem_base + p.mem_size;
	build_and_check(&p);
	/* Empty bootargs: no property. */
	p.bootargs = "";
	build_and_check(&p);
}

static void test_deterministic(void **state)
{
	struct guest_dtb_params p, q;
	uint8_t *a = malloc(BUF_SIZE), *b = malloc(BUF_SIZE);
	char name[16], isa[64];
	int ta, tb;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	params_init(&p, 8, true, true, 8);
	memset(a, 0x00, BUF_SIZE);
	memset(b, 0xa5, BUF_SIZE);
	ta = guest_dtb_build(&p, a, BUF_SIZE);
	/* Same values in different memory: same bytes. */
	q = p;
	strcpy(name, p.vm_name);
	strcpy(isa, p.isa);
	q.vm_name = name;
	q.isa = isa;
	tb = guest_dtb_build(&q, b, BUF_SIZE / 2);
	assert_true(ta > 0);
	assert_int_equal(ta, tb);
	assert_memory_equal(a, b, (size_t)ta);
	/* And again into the same buffer. */
	assert_int_equal(guest_dtb_build(&p, b, BUF_SIZE), ta);
	assert_memory_equal(a, b, (size_t)ta);
	free(a);
	free(b);
}

/* Every size below the tree's: -FV_ENOMEM and no write outside the exact-size buffer. */
static void test_too_small(void **state)
{
	struct guest_dtb_params p;
	uint8_t *big = malloc(BUF_SIZE);
	int total;

	(void)state;
	assert_non_null(big);
	params_init(&p, 8, true, true, 8);
	total = guest_dtb_build(&p, big, BUF_SIZE);
	assert_true(total > 0);
	for (int size = 0; size < total; size++) {
		uint8_t *buf = malloc(size ? (size_t)size : 1);

		assert_non_null(buf);
		assert_int_equal(guest_dtb_build(&p, buf, (size_t)size), -FV_ENOMEM);
		free(buf);
	}
	{
		uint8_t *exact = malloc((size_t)total);

		assert_non_null(exact);
		assert_int_equal(guest_dtb_build(&p, exact, (size_t)total), total);
		assert_memory_equal(exact, big, (size_t)total);
		free(exact);
	}
	free(big);
}

static const char *const empty_exts[] = {NULL};
static const char *const blank_ext[] = {"i", "", NULL};

/* Case k of invalid parameters applied to valid ones; false when there is no case k. */
static bool break_params(int k, struct guest_dtb_params *p)
{
	static char long_name[GUEST_DTB_NAME_MAX + 1], long_args[GUEST_DTB_BOOTARGS_MAX + 1];
	static char long_isa[GUEST_DTB_ISA_MAX + 1];
	static const char *many_exts[GUEST_DTB_EXTS_MAX];

	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(long_args, 'a', sizeof(long_args) - 1);
	memcpy(long_isa, "rv64", 4);
	memset(long_isa + 4, 'i', sizeof(long_isa) - 5);
	for (size_t i = 0; i + 1 < ARRAY_SIZE(many_exts); i++)
		many_exts[i] = "zb";
	params_init(p, 2, true, true, 4);
	switch (k) {
	case 0:
		p->vm_name = NULL;
		break;
	case 1:
		p->vm_name = "";
		break;
	case 2:
		p->vm_name = long_name;
		break;
	case 3:
		p->nr_vcpus = 0;
		break;
	case 4:
		p->nr_vcpus = GUEST_DTB_MAX_VCPUS + 1;
		break;
	case 5:
		p->timebase_hz = 0;
		break;
	case 6:
		p->isa = NULL;
		break;
	case 7:
		p->isa = "rv32imac";
		break;
	case 8:
		p->isa = long_isa;
		break;
	case 9:
		p->isa_exts = NULL;
		break;
	case 10:
		p->isa_exts = empty_exts;
		break;
	case 11:
		p->isa_exts = blank_ext;
		break;
	case 12:
		p->isa_exts = many_exts;
		break;
	case 13:
		p->mmu_type = NULL;
		break;
	case 14:
		p->mmu_type = "riscv,sv32";
		break;
	case 15:
		p->cbom_block_size = 48;
		break;
	case 16:
		p->cboz_block_size = 3;
		break;
	case 17:
		p->mem_size = 0;
		break;
	case 18:
		p->mem_base += 0x800;
		break;
	case 19:
		p->mem_size = 0x1234;
		break;
	case 20:
		p->mem_base = 0xfffffffffff00000ULL;
		p->mem_size = 0x200000;
		break;
	case 21:
		p->initrd_end = p->initrd_start;
		break;
	case 22:
		p->initrd_start = p->mem_base - 0x1000;
		break;
	case 23:
		p->initrd_end = p->mem_base + p->mem_size + 1;
		break;
	case 24:
		p->initrd_start = 0;
		break;
	case 25:
		p->uart.base = p->mem_base + 0x1000;
		break;
	case 26:
		p->virtio[3].base = p->virtio[2].base + 0x800;
		break;
	case 27:
		p->plic.base = p->uart.base - 0x100000;
		p->plic.size = 0x100001;
		break;
	case 28:
		p->uart.irq = 0;
		break;
	case 29:
		p->virtio[0].irq = p->plic.ndev + 1;
		break;
	case 30:
		p->virtio[2].irq = p->uart.irq;
		break;
	case 31:
		p->plic.ndev = 0;
		break;
	case 32:
		p->plic.ndev = 1024;
		break;
	case 33:
		p->plic.present = false;
		break;
	case 34:
		p->plic.present = false;
		p->nr_virtio = 0;
		break; /* the UART still needs it */
	case 35:
		p->nr_virtio = GUEST_DTB_MAX_VIRTIO + 1;
		break;
	case 36:
		p->virtio[1].size = 0;
		break;
	case 37:
		p->virtio[1].base = 0xfffffffffffff000ULL;
		p->virtio[1].size = 0x2000;
		break;
	case 38:
		p->bootargs = long_args;
		break;
	case 39:
		p->plic.size = 0;
		break;
	case 40:
		p->rtc.irq = p->uart.irq; /* a shared line */
		break;
	case 41:
		p->rtc.base = p->uart.base; /* overlapping windows */
		break;
	case 42:
		p->rtc.irq = 0;
		break;
	default:
		return false;
	}
	return true;
}

static void test_invalid_params(void **state)
{
	struct guest_dtb_params p;
	uint8_t *buf = malloc(BUF_SIZE);
	int k;

	(void)state;
	assert_non_null(buf);
	for (k = 0; break_params(k, &p); k++) {
		memset(buf, 0x5a, BUF_SIZE);
		if (guest_dtb_build(&p, buf, BUF_SIZE) != -FV_EINVAL)
			fail_msg("invalid parameter case %d accepted", k);
		/* Nothing was written. */
		for (int i = 0; i < BUF_SIZE; i++)
			assert_int_equal(buf[i], 0x5a);
	}
	assert_int_equal(k, 43);
	assert_int_equal(guest_dtb_build(NULL, buf, BUF_SIZE), -FV_EINVAL);
	params_init(&p, 1, false, false, 0);
	assert_int_equal(guest_dtb_build(&p, NULL, BUF_SIZE), -FV_EINVAL);
	free(buf);
}

/* ---- ISA ---- */

static void assert_isa(const char *host, unsigned long flags, const char *want)
{
	struct guest_isa g;
	char joined[GUEST_DTB_ISA_MAX];
	size_t len;
	int err = guest_dtb_isa(host, flags, &g);

	if (err)
		fail_msg("guest_dtb_isa(\"%s\") = %d", host, err);
	assert_string_equal(g.isa, want);
	/* exts are the same names: the letters after "rv64" one each, then the '_' tokens. */
	len = (size_t)snprintf(joined, sizeof(joined), "rv64");
	for (unsigned i = 0; i < g.nr_exts; i++) {
		assert_non_null(g.exts[i]);
		len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s",
		                        g.exts[i][1] ? "_" : "", g.exts[i]);
	}
	assert_null(g.exts[g.nr_exts]);
	assert_string_equal(joined, want);
}

/* Flags vm_dtb.c passes on QEMU 10 -cpu rv64 (features.c probes them all true there). */
#define QEMU_FLAGS                                                                                 \
	(GUEST_ISA_SSTC | GUEST_ISA_SVADU | GUEST_ISA_ZICBOM | GUEST_ISA_ZICBOP | GUEST_ISA_ZICBOZ)

/* Whether name is one of the NULL-terminated list. */
static bool listed(const char *const *list, const char *name)
{
	for (; *list; list++) {
		if (strcmp(*list, name) == 0)
			return true;
	}
	return false;
}

static void test_isa_qemu_default(void **state)
{
	(void)state;
	assert_isa(
	    qemu_isa, 0,
	    "rv64imafdc_zic64b_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zicsr_zifencei_"
	    "zihintntl_zihintpause_zmmul_za64rs_zaamo_zalrsc_zawrs_zfa_zca_zcd_zba_zbb_zbc_zbs_"
	    "ssccptr_sscounterenw_sstvala_sstvecd_ssu64xl_svvptc");
	assert_isa(
	    qemu_isa, GUEST_ISA_SSTC,
	    "rv64imafdc_zic64b_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zicsr_zifencei_"
	    "zihintntl_zihintpause_zmmul_za64rs_zaamo_zalrsc_zawrs_zfa_zca_zcd_zba_zbb_zbc_zbs_"
	    "ssccptr_sscounterenw_sstc_sstvala_sstvecd_ssu64xl_svvptc");
	assert_isa(
	    qemu_isa, QEMU_FLAGS,
	    "rv64imafdc_zic64b_zicbom_zicbop_zicboz_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_"
	    "zicsr_zifencei_zihintntl_zihintpause_zmmul_za64rs_zaamo_zalrsc_zawrs_zfa_zca_zcd_"
	    "zba_zbb_zbc_zbs_ssccptr_sscounterenw_sstc_sstvala_sstvecd_ssu64xl_svadu_svvptc");
}

/*
 * The guest of a default QEMU host gets every host extension except the
 * ones hidden on purpose (docs/guest-isa.md): h and the sh* extensions
 * that describe it (no nested virtualization) and zihpm (hcounteren gives
 * VMs no hpmcounter; branch pmu decides). In particular zicbom/zicbop/
 * zicboz, which VMs once lost.
 */
static void test_isa_qemu_hides_only_h_and_zihpm(void **state)
{
	static const char *const hidden[] = {"h",         "zihpm",     "shcounterenw",
	                                     "shgatpa",   "shtvala",   "shvsatpa",
	                                     "shvstvala", "shvstvecd", NULL};
	char host[sizeof(qemu_isa)];
	struct guest_isa g;
	unsigned n_host = 0;
	char *tok, *save = NULL;

	(void)state;
	assert_int_equal(guest_dtb_isa(qemu_isa, QEMU_FLAGS, &g), 0);
	memcpy(host, qemu_isa, sizeof(host));
	/* Letters of "rv64imafdch", then the '_'-separated names. */
	tok = strtok_r(host, "_", &save);
	for (const char *c = tok + 4; *c; c++) {
		char letter[2] = {*c, 0};

		assert_true(listed(g.exts, letter) != listed(hidden, letter));
		n_host++;
	}
	while ((tok = strtok_r(NULL, "_", &save))) {
		if (listed(hidden, tok))
			assert_false(listed(g.exts, tok));
		else
			assert_true(listed(g.exts, tok));
		n_host++;
	}
	assert_int_equal(g.nr_exts, n_host - 8);
	assert_true(listed(g.exts, "zicbom") && listed(g.exts, "zicbop") &&
	            listed(g.exts, "zicboz"));
}

static void test_isa_spellings(void **state)
{
	(void)state;
	/* 'g' and a bare 'i' imply zicsr and zifencei. */
	assert_isa("rv64gc", 0, "rv64imafdc_zicsr_zifencei");
	assert_isa("rv64imac", 0, "rv64imac_zicsr_zifencei");
	assert_isa("rv64gch_zba", 0, "rv64imafdc_zicsr_zifencei_zba");
	/* Case, versions, separators. */
	assert_isa("RV64IMAFDC_Zicsr_Zifencei_Zba", 0, "rv64imafdc_zicsr_zifencei_zba");
	assert_isa("rv64i2p1m2p0a2p1f2p2d2p2c2p0_zicsr2p0_zifencei2p0_zic64b1p0_zba1_zkn1p0", 0,
	           "rv64imafdc_zic64b_zicsr_zifencei_zba_zkn");
	assert_isa("rv64_i_m_a_c__zba_", 0, "rv64imac_zicsr_zifencei_zba");
	/* Old QEMU's privilege-mode letters. */
	assert_isa("rv64imafdcsu", 0, "rv64imafdc_zicsr_zifencei");
	assert_isa("rv64imafdcsuh", 0, "rv64imafdc_zicsr_zifencei");
	/* Dropped: h, v, q, vector and vendor extensions; unknown names; near-misses. */
	assert_isa("rv64imafdqcvh_zve64d_zvl128b_xtheadvector_zfoo_zbaa_zb_zicsrx_zbb2x", 0,
	           "rv64imafdc_zicsr_zifencei");
	/* Duplicates once, canonical order whatever the input order. */
	assert_isa("rv64imac_zbs_zba_zicsr_zba_zicsr", 0, "rv64imac_zicsr_zifencei_zba_zbs");
	assert_isa("rv64cami", 0, "rv64imac_zicsr_zifencei");
	/* Each flag gates exactly its extension. */
	assert_isa("rv64ima_svpbmt_svadu_sstc_zicbom_zicboz", 0, "rv64ima_zicsr_zifencei");
	assert_isa("rv64ima_svpbmt_svadu_sstc_zicbom_zicboz", GUEST_ISA_SVPBMT,
	           "rv64ima_zicsr_zifencei_svpbmt");
	assert_isa("rv64ima_svpbmt_svadu_sstc_zicbom_zicboz", GUEST_ISA_SVADU,
	           "rv64ima_zicsr_zifencei_svadu");
	assert_isa("rv64ima_svpbmt_svadu_sstc_zicbom_zicboz", GUEST_ISA_ZICBOM,
	           "rv64ima_zicbom_zicsr_zifencei");
	assert_isa("rv64ima_svpbmt_svadu_sstc_zicbom_zicboz", GUEST_ISA_ZICBOZ,
	           "rv64ima_zicboz_zicsr_zifencei");
	assert_isa("rv64ima_zicbom_zicbop_zicboz", GUEST_ISA_ZICBOP,
	           "rv64ima_zicbop_zicsr_zifencei");
	/* A flag never adds what the host lacks. */
	assert_isa("rv64ima", ~0UL, "rv64ima_zicsr_zifencei");
	/* Excluded even when present: documented in guest_dtb.h. */
	assert_isa("rv64ima_zihpm_zkr_ssaia_smaia_sscofpmf_svade_zicfilp_zicfiss_zcmt", ~0UL,
	           "rv64ima_zicsr_zifencei");
}

/* The whole allow-list at once: fits the output, in canonical order. */
static void test_isa_allow_list(void **state)
{
	static const char all[] =
	    "rv64imafdcb_zic64b_zicbom_zicbop_zicboz_ziccamoa_ziccif_zicclsm_ziccrse_zicntr_zicond_"
	    "zicsr_zifencei_zihintntl_zihintpause_zimop_zmmul_za128rs_za64rs_zaamo_zabha_zacas_"
	    "zalrsc_zawrs_zfa_zfh_zfhmin_zca_zcb_zcd_zcmop_zba_zbb_zbc_zbkb_zbkc_zbkx_zbs_zkn_zknd_"
	    "zkne_zknh_zks_zksed_zksh_zkt_ztso_ssccptr_sscounterenw_sstc_sstvala_sstvecd_ssu64xl_"
	    "svadu_svinval_svnapot_svpbmt_svvptc";
	struct guest_isa g;

	(void)state;
	assert_isa(all, ~0UL, all);
	assert_int_equal(guest_dtb_isa(all, ~0UL, &g), 0);
	assert_int_equal(g.nr_exts, 64);
	assert_true(g.nr_exts <= GUEST_ISA_MAX_EXTS);
}

static void test_isa_errors(void **state)
{
	struct guest_isa g;
	char long_isa[GUEST_DTB_ISA_MAX + 1];

	(void)state;
	assert_int_equal(guest_dtb_isa(NULL, 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("rv64imac", 0, NULL), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("", 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("rv64", 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("rv32imac", 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("imac", 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("rv64ima!c", 0, &g), -FV_EINVAL);
	assert_int_equal(guest_dtb_isa("rv64ima_zba_c", 0, &g), -FV_EINVAL);
	/* Linux needs rv64ima. */
	assert_int_equal(guest_dtb_isa("rv64e", 0, &g), -FV_ENOTSUP);
	assert_int_equal(guest_dtb_isa("rv64imfdc", 0, &g), -FV_ENOTSUP);
	assert_int_equal(guest_dtb_isa("rv64iac_zmmul", 0, &g), -FV_ENOTSUP);
	/* Longest accepted input, then one more. */
	memset(long_isa, '_', sizeof(long_isa));
	memcpy(long_isa, "rv64imac", 8);
	long_isa[GUEST_DTB_ISA_MAX - 1] = 0;
	assert_int_equal(guest_dtb_isa(long_isa, 0, &g), 0);
	long_isa[GUEST_DTB_ISA_MAX - 1] = '_';
	long_isa[GUEST_DTB_ISA_MAX] = 0;
	assert_int_equal(guest_dtb_isa(long_isa, 0, &g), -FV_EINVAL);
}

/* The helper's output drives the tree. */
static void test_isa_into_tree(void **state)
{
	struct guest_dtb_params p;
	struct guest_isa g;

	(void)state;
	assert_int_equal(guest_dtb_isa(qemu_isa, GUEST_ISA_SSTC | GUEST_ISA_ZICBOM, &g), 0);
	params_init(&p, 2, true, true, 2);
	p.isa = g.isa;
	p.isa_exts = g.exts;
	p.cbom_block_size = 64;
	p.cbop_block_size = 64;
	build_and_check(&p);
}

/* ---- real-world check: dtc decompiles a 2-vCPU tree without complaint ---- */

static void test_dtc(void **state)
{
	struct guest_dtb_params p;
	char dir[] = "/tmp/test_guest_dtb.XXXXXX", cmd[512], file[256], err[4096] = "";
	void *buf;
	size_t n;
	int total, rc;
	FILE *f;

	(void)state;
	if (system("command -v dtc >/dev/null 2>&1") != 0)
		skip();
	buf = malloc(BUF_SIZE);
	assert_non_null(buf);
	assert_non_null(mkdtemp(dir));
	params_init(&p, 2, true, true, 4);
	p.cbom_block_size = 64;
	total = guest_dtb_build(&p, buf, BUF_SIZE);
	assert_true(total > 0);

	snprintf(file, sizeof(file), "%s/vm.dtb", dir);
	f = fopen(file, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, (size_t)total, f), (size_t)total);
	assert_int_equal(fclose(f), 0);

	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o %s/vm.dts %s 2>%s/err.txt", dir, file,
	         dir);
	rc = system(cmd);
	snprintf(file, sizeof(file), "%s/err.txt", dir);
	f = fopen(file, "r");
	assert_non_null(f);
	n = fread(err, 1, sizeof(err) - 1, f);
	err[n] = 0;
	fclose(f);
	if (rc != 0 || n != 0)
		fail_msg("dtc rc=%d: %s", rc, err);

	/* A few spot checks of the decompiled text. */
	snprintf(file, sizeof(file), "%s/vm.dts", dir);
	f = fopen(file, "r");
	assert_non_null(f);
	{
		static char dts[BUF_SIZE];

		n = fread(dts, 1, sizeof(dts) - 1, f);
		dts[n] = 0;
		assert_non_null(strstr(dts, "interrupts-extended = <0x01 0x09 0x02 0x09>;"));
		assert_non_null(strstr(dts, "stdout-path = \"/soc/serial@10000000\";"));
		assert_non_null(strstr(dts, "virtio_mmio@10004000 {"));
	}
	fclose(f);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_vcpu),
	    cmocka_unit_test(test_two_vcpus),
	    cmocka_unit_test(test_eight_vcpus),
	    cmocka_unit_test(test_no_devices),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_too_small),
	    cmocka_unit_test(test_invalid_params),
	    cmocka_unit_test(test_isa_qemu_default),
	    cmocka_unit_test(test_isa_qemu_hides_only_h_and_zihpm),
	    cmocka_unit_test(test_isa_spellings),
	    cmocka_unit_test(test_isa_allow_list),
	    cmocka_unit_test(test_isa_errors),
	    cmocka_unit_test(test_isa_into_tree),
	    cmocka_unit_test(test_dtc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
