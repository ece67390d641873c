/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests of every architecture's guest-physical map
 * (hyp/arch/<isa>/guest_map.c) and of guest_map_check(): each table is
 * consistent (fixed windows apart, all below the RAM, every virtio slot
 * clear of the other windows); broken copies are refused with the problem
 * named; arm64's map refuses RISC-V placements of a VM, naming the window.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arch/arm64/guest_map.h"
#include "arch/riscv/guest_map.h"
#include "core/guest_layout.h"

#define MIB (1ULL << 20)

static const struct guest_map *const maps[] = {&guest_map_riscv64, &guest_map_arm64};

static void test_maps_consistent(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		char what[160] = "";
		if (guest_map_check(maps[i], what, sizeof(what)) != 0)
			fail_msg("%s: %s", maps[i]->arch, what);
		/* A VM with every default and 8 virtio devices passes the VM check too. */
		struct vm_config vm;
		memset(&vm, 0, sizeof(vm));
		vm.mem_base = maps[i]->ram_base;
		vm.mem_size = 256 * MIB;
		vm.has_uart = vm.has_rtc = true;
		vm.uart_base = maps[i]->uart_base;
		vm.nr_disks = 4;
		vm.nr_nics = 3;
		vm.virtio_console = true;
		struct guest_layout_error err;
		if (guest_layout_check_vm(maps[i], &vm, &err) != 0)
			fail_msg("%s: defaults refused: %s", maps[i]->arch, err.what);
	}
}

/* The brief's arm64 map: QEMU arm64 virt's addresses. */
static void test_arm64_is_qemu_virt(void **state)
{
	(void)state;
	const struct guest_map *m = &guest_map_arm64;
	assert_string_equal(m->arch, "arm64");
	assert_int_equal(m->ram_base, 0x40000000ULL);
	assert_int_equal(m->uart_base, 0x09000000ULL);
	assert_int_equal(m->rtc_base, 0x09010000ULL);
	assert_int_equal(m->irqchip_base, 0x08000000ULL);
	assert_int_equal(ARM64_GUEST_GICR_BASE, 0x080a0000ULL);
	assert_int_equal(m->virtio_base, 0x0a000000ULL);
	assert_int_equal(m->virtio_stride, 0x200ULL);
	/* Every device window ends below RAM (arm64 keeps the first GiB for devices). */
	uint64_t last_slot = m->virtio_base + (m->virtio_slots - 1) * m->virtio_stride;
	assert_true(last_slot + GUEST_VIRTIO_SIZE <= m->ram_min);
	assert_true(m->irqchip_base + m->irqchip_size <= m->ram_min);
	/* RISC-V keeps exactly its map. */
	const struct guest_map *r = &guest_map_riscv64;
	assert_int_equal(r->ram_base, 0x80000000ULL);
	assert_int_equal(r->uart_base, 0x10000000ULL);
	assert_int_equal(r->irqchip_base, 0x0c000000ULL);
	assert_int_equal(r->irqchip_size, 0x4000000ULL);
	assert_int_equal(r->rtc_base, 0x101000ULL);
	assert_int_equal(r->virtio_base, 0x10001000ULL);
	assert_int_equal(r->virtio_stride, 0x1000ULL);
	assert_int_equal(r->gpa_limit, 1ULL << 41);
}

struct broken {
	const char *name;
	void (*spoil)(struct guest_map *m);
	const char *what;
};

static void virtio_on_gic(struct guest_map *m)
{
	m->virtio_base = 0x08000000;
}
static void stride_too_small(struct guest_map *m)
{
	m->virtio_stride = 0x100;
}
static void too_few_slots(struct guest_map *m)
{
	m->virtio_slots = 4;
}
static void last_slot_into_rtc(struct guest_map *m)
{
	m->virtio_base = 0x09000000 + 0x10000 - 31 * 0x200; /* slot 31 lands on the RTC */
	m->uart_base = 0x09100000;
}
static void ram_min_below_devices(struct guest_map *m)
{
	m->ram_min = m->ram_base = 0x08000000;
}
static void uart_default_outside(struct guest_map *m)
{
	m->uart_base = 0x20000000;
}
static void ram_base_unaligned(struct guest_map *m)
{
	m->ram_base = 0x40100000;
}
static void irqchip_empty(struct guest_map *m)
{
	m->irqchip_size = 0;
}

static const struct broken broken[] = {
    {"virtio_on_gic", virtio_on_gic,
     "arm64: virtio-mmio window 0 (0x8000000-0x80001ff) overlaps interrupt controller "
     "(0x8000000-0x8ffffff)"},
    {"stride_too_small", stride_too_small,
     "arm64: virtio-mmio slots: 32 of stride 0x100 (need 8-64 of at least 0x200)"},
    {"too_few_slots", too_few_slots,
     "arm64: virtio-mmio slots: 4 of stride 0x200 (need 8-64 of at least 0x200)"},
    {"last_slot_into_rtc", last_slot_into_rtc,
     "arm64: virtio-mmio window 31 (0x9010000-0x90101ff) overlaps RTC (0x9010000-0x9010fff)"},
    {"ram_min_below_devices", ram_min_below_devices,
     "arm64: interrupt controller at 0x8000000 is not below guest RAM (0x8000000)"},
    {"uart_default_outside", uart_default_outside,
     "arm64: default UART 0x20000000 is outside its range"},
    {"ram_base_unaligned", ram_base_unaligned,
     "arm64: default RAM base 0x40100000 is unaligned or out of range"},
    {"irqchip_empty", irqchip_empty,
     "arm64: interrupt controller at 0x8000000: empty or past the end of the address space"},
};

static void test_broken_map(void **state)
{
	const struct broken *b = *state;
	struct guest_map m = guest_map_arm64;
	char what[160] = "";
	b->spoil(&m);
	assert_int_equal(guest_map_check(&m, what, sizeof(what)), -FV_EINVAL);
	if (strcmp(what, b->what) != 0)
		fail_msg("%s:\n  got:  %s\n  want: %s", b->name, what, b->what);
}

/* A VM placed by RISC-V's defaults on arm64: refused, the window and the rule named. */
static void test_riscv_vm_on_arm64(void **state)
{
	(void)state;
	struct vm_config vm;
	struct guest_layout_error err;
	memset(&vm, 0, sizeof(vm));
	vm.mem_base = guest_map_arm64.ram_base;
	vm.mem_size = 64 * MIB;
	vm.has_uart = true;
	vm.uart_base = guest_map_riscv64.uart_base;
	assert_int_equal(guest_layout_check_vm(&guest_map_arm64, &vm, &err), -FV_ERANGE);
	assert_int_equal(err.bad, 1); /* the UART window */
	assert_string_equal(err.what, "UART at 0x10000000 is outside QEMU arm64 virt's device "
	                              "space for it (0x0-0xfffffff)");
	/* The same VM is fine on RISC-V, and arm64's own UART is fine on arm64. */
	vm.mem_base = guest_map_riscv64.ram_base;
	assert_int_equal(guest_layout_check_vm(&guest_map_riscv64, &vm, &err), 0);
	vm.uart_base = guest_map_arm64.uart_base;
	vm.mem_base = guest_map_arm64.ram_base;
	assert_int_equal(guest_layout_check_vm(&guest_map_arm64, &vm, &err), 0);
	/* RAM inside the device space (riscv64 allows RAM at 0 without an RTC). */
	vm.mem_base = 0;
	assert_int_equal(guest_layout_check_vm(&guest_map_arm64, &vm, &err), -FV_ERANGE);
	assert_int_equal(err.bad, 0);
	assert_string_equal(err.what, "RAM at 0x0 is in QEMU arm64 virt's device space: arm64 "
	                              "guest RAM starts at or above 0x40000000");
	/* RAM that fits riscv64's 2 TiB but not arm64's 39-bit IPA. */
	vm.mem_base = 0x8000000000ULL;
	assert_int_equal(guest_layout_check_vm(&guest_map_arm64, &vm, &err), -FV_ERANGE);
	assert_string_equal(err.what, "RAM at 0x8000000000 (0x4000000 bytes) must be 2 MiB aligned "
	                              "and end below 512 GiB");
	assert_int_equal(guest_layout_check_vm(&guest_map_riscv64, &vm, &err), 0);
	/* arm64's windows where a VM's devices go: virtio j at 0x0a000000 + j * 0x200. */
	struct guest_window w[GUEST_MAX_WINDOWS];
	vm.mem_base = guest_map_arm64.ram_base;
	vm.has_rtc = true;
	vm.nr_disks = 2;
	assert_int_equal(guest_layout_of(&guest_map_arm64, &vm, w), 6);
	assert_int_equal(w[2].base, 0x08000000ULL);
	assert_int_equal(w[3].base, 0x09010000ULL);
	assert_int_equal(w[5].base, 0x0a000200ULL);
	assert_int_equal(w[5].size, 0x200ULL);
}

static void test_size_names(void **state)
{
	(void)state;
	char b[24];
	guest_layout_size_name(1ULL << 41, b, sizeof(b));
	assert_string_equal(b, "2 TiB");
	guest_layout_size_name(1ULL << 39, b, sizeof(b));
	assert_string_equal(b, "512 GiB");
	guest_layout_size_name(0x1234, b, sizeof(b));
	assert_string_equal(b, "0x1234");
}

int main(void)
{
	struct CMUnitTest tests[3 + sizeof(broken) / sizeof(broken[0]) + 2];
	size_t n = 0;
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_maps_consistent);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_arm64_is_qemu_virt);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_riscv_vm_on_arm64);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_size_names);
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		tests[n++] = (struct CMUnitTest){broken[i].name, test_broken_map, NULL, NULL,
		                                 (void *)&broken[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
