/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/core/guest_layout.c, the one check of a VM's
 * guest-physical map that the tool, VM setup and the guest device tree
 * builder share. A table of configured VMs (overlapping, adjacent, at the
 * edges of the address space), each with the exact verdict and message,
 * and a table of raw window lists for guest_layout_check() itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arch/riscv/guest_map.h"
#include "core/guest_layout.h"

/* The cases below are RISC-V's map (QEMU RISC-V virt); test_guest_map.c checks every map. */
#define RV (&guest_map_riscv64)

#define MIB (1ULL << 20)

struct vm_case {
	const char *name;
	uint64_t mem_base, mem_size;
	bool has_uart;
	uint64_t uart_base;
	unsigned nr_disks, nr_nics;
	bool console;
	int code;         /* 0, -FV_EEXIST or -FV_ERANGE */
	int bad_kind;     /* enum guest_win_kind of the window blamed (when code != 0) */
	const char *what; /* exact message, NULL = not checked */
};

static const struct vm_case vm_cases[] = {
    {"defaults", 0x80000000, 64 * MIB, true, 0x10000000, 2, 2, true, 0, 0, NULL},
    {"no_uart_no_devices", 0x80000000, 2 * MIB, false, 0, 0, 0, false, 0, 0, NULL},
    {"ram_at_zero_below_plic", 0, 192 * MIB, true, 0x10000000, 0, 0, false, 0, 0, NULL},
    {"ram_at_zero_into_plic", 0, 194 * MIB, true, 0x10000000, 0, 0, false, -FV_EEXIST,
     GUEST_WIN_RAM,
     "guest RAM (0x0-0xc1fffff) overlaps interrupt controller (0xc000000-0xfffffff)"},
    {"ram_right_after_plic_hits_uart", 0x10000000, 2 * MIB, true, 0x10000000, 0, 0, false,
     -FV_EEXIST, GUEST_WIN_UART,
     "UART (0x10000000-0x100000ff) overlaps guest RAM (0x10000000-0x101fffff)"},
    {"uart_last_byte_of_ram", 0x80000000, 2 * MIB, true, 0x801fff00, 0, 0, false, -FV_EEXIST,
     GUEST_WIN_UART, "UART (0x801fff00-0x801fffff) overlaps guest RAM (0x80000000-0x801fffff)"},
    {"uart_just_after_ram", 0x80000000, 2 * MIB, true, 0x80200000, 0, 0, false, 0, 0, NULL},
    {"uart_just_before_ram", 0x80000000, 2 * MIB, true, 0x7fffff00, 0, 0, false, 0, 0, NULL},
    {"uart_on_virtio_0", 0x80000000, 2 * MIB, true, 0x10001000, 1, 0, false, -FV_EEXIST,
     GUEST_WIN_UART,
     "UART (0x10001000-0x100010ff) overlaps virtio-mmio window 0 (0x10001000-0x100011ff)"},
    {"uart_on_virtio_0_without_devices", 0x80000000, 2 * MIB, true, 0x10001000, 0, 0, false, 0, 0,
     NULL},
    {"uart_past_virtio_window_in_stride", 0x80000000, 2 * MIB, true, 0x10001200, 1, 0, false, 0, 0,
     NULL},
    {"uart_in_virtio_window_tail", 0x80000000, 2 * MIB, true, 0x10001100, 1, 0, false, -FV_EEXIST,
     GUEST_WIN_UART, NULL},
    {"uart_on_console_window_7", 0x80000000, 2 * MIB, true, 0x10008100, 3, 4, true, -FV_EEXIST,
     GUEST_WIN_UART,
     "UART (0x10008100-0x100081ff) overlaps virtio-mmio window 7 (0x10008000-0x100081ff)"},
    {"uart_on_window_7_absent", 0x80000000, 2 * MIB, true, 0x10008000, 3, 4, false, 0, 0, NULL},
    {"uart_on_plic_first_byte", 0x80000000, 2 * MIB, true, 0x0c000000, 0, 0, false, -FV_EEXIST,
     GUEST_WIN_UART,
     "UART (0xc000000-0xc0000ff) overlaps interrupt controller (0xc000000-0xfffffff)"},
    {"uart_just_below_plic", 0x80000000, 2 * MIB, true, 0x0bffff00, 0, 0, false, 0, 0, NULL},
    {"ram_over_virtio_without_uart", 0x10000000, 4 * MIB, false, 0, 0, 1, false, -FV_EEXIST,
     GUEST_WIN_RAM,
     "guest RAM (0x10000000-0x103fffff) overlaps virtio-mmio window 0 (0x10001000-0x100011ff)"},
    {"ram_over_everything", 0, 1ULL << 30, true, 0x40000000, 1, 0, false, -FV_EEXIST, GUEST_WIN_RAM,
     NULL},
    {"ram_at_top_of_gpa", RISCV_GUEST_GPA_LIMIT - 2 * MIB, 2 * MIB, true, 0x10000000, 0, 0, false,
     0, 0, NULL},
    {"ram_past_top_of_gpa", RISCV_GUEST_GPA_LIMIT - 2 * MIB, 4 * MIB, true, 0x10000000, 0, 0, false,
     -FV_ERANGE, GUEST_WIN_RAM, NULL},
    {"ram_unaligned", 0x80100000, 2 * MIB, true, 0x10000000, 0, 0, false, -FV_ERANGE, GUEST_WIN_RAM,
     "RAM at 0x80100000 (0x200000 bytes) must be 2 MiB aligned and end below 2 TiB"},
    {"ram_empty", 0x80000000, 0, true, 0x10000000, 0, 0, false, -FV_ERANGE, GUEST_WIN_RAM, NULL},
    {"ram_base_huge_no_wrap", 0xffffffffffe00000ULL, 4 * MIB, true, 0x10000000, 0, 0, false,
     -FV_ERANGE, GUEST_WIN_RAM, NULL},
    {"uart_unaligned", 0x80000000, 2 * MIB, true, 0x10000080, 0, 0, false, -FV_ERANGE,
     GUEST_WIN_UART, "UART at 0x10000080 must be 256-byte aligned and end below 2 TiB"},
    {"uart_last_slot_below_2t", 0x80000000, 2 * MIB, true, RISCV_GUEST_GPA_LIMIT - 0x100, 0, 0,
     false, 0, 0, NULL},
    {"uart_at_2t", 0x80000000, 2 * MIB, true, RISCV_GUEST_GPA_LIMIT, 0, 0, false, -FV_ERANGE,
     GUEST_WIN_UART, NULL},
    {"uart_base_max_no_wrap", 0x80000000, 2 * MIB, true, 0xffffffffffffff00ULL, 0, 0, false,
     -FV_ERANGE, GUEST_WIN_UART, NULL},
    {"nine_virtio_devices", 0x80000000, 2 * MIB, true, 0x10000000, 4, 4, true, -FV_ERANGE,
     GUEST_WIN_RAM, "more than 8 virtio devices"},
};

static void test_vm(void **state)
{
	const struct vm_case *c = *state;
	struct vm_config vm;
	memset(&vm, 0, sizeof(vm));
	vm.mem_base = c->mem_base;
	vm.mem_size = c->mem_size;
	vm.has_uart = c->has_uart;
	vm.uart_base = c->uart_base;
	vm.nr_disks = c->nr_disks;
	vm.nr_nics = c->nr_nics;
	vm.virtio_console = c->console;
	struct guest_layout_error err;
	memset(&err, 0, sizeof(err));
	int ret = guest_layout_check_vm(RV, &vm, &err);
	if (ret != c->code)
		fail_msg("case %s: returned %d (%s), want %d", c->name, ret, err.what, c->code);
	if (!ret)
		return;
	assert_int_equal(err.code, ret);
	if (c->what && strcmp(err.what, c->what) != 0)
		fail_msg("case %s:\n  got:  %s\n  want: %s", c->name, err.what, c->what);
	struct guest_window w[GUEST_MAX_WINDOWS];
	unsigned n = guest_layout_of(RV, &vm, w);
	if (n > 0 && c->nr_disks + c->nr_nics + c->console <= CFG_MAX_VIRTIO) {
		assert_true(err.bad < n);
		assert_int_equal(w[err.bad].kind, c->bad_kind);
	}
}

static void test_windows_of(void **state)
{
	(void)state;
	struct vm_config vm;
	memset(&vm, 0, sizeof(vm));
	vm.mem_base = 0x80000000;
	vm.mem_size = 64 * MIB;
	vm.has_uart = true;
	vm.uart_base = 0x10000000;
	vm.nr_disks = 1;
	vm.nr_nics = 1;
	vm.virtio_console = true;
	struct guest_window w[GUEST_MAX_WINDOWS];
	assert_int_equal(guest_layout_of(RV, &vm, w), 6);
	assert_int_equal(w[0].kind, GUEST_WIN_RAM);
	assert_int_equal(w[1].kind, GUEST_WIN_UART);
	assert_int_equal(w[2].kind, GUEST_WIN_IRQCHIP);
	assert_int_equal(w[2].base, RISCV_GUEST_PLIC_BASE);
	for (unsigned j = 0; j < 3; j++) {
		assert_int_equal(w[3 + j].kind, GUEST_WIN_VIRTIO);
		assert_int_equal(w[3 + j].index, j);
		assert_int_equal(w[3 + j].base,
		                 RISCV_GUEST_VIRTIO_BASE + j * RISCV_GUEST_VIRTIO_STEP);
		assert_int_equal(w[3 + j].size, GUEST_VIRTIO_SIZE);
	}
	vm.has_uart = false;
	assert_int_equal(guest_layout_of(RV, &vm, w), 5);
	assert_int_equal(w[1].kind, GUEST_WIN_IRQCHIP);
}

/* The RTC window: fixed at 0x101000, present unless has_rtc is false, never moved. */
static void test_rtc_window(void **state)
{
	(void)state;
	struct vm_config vm;
	struct guest_layout_error err;
	struct guest_window w[GUEST_MAX_WINDOWS];
	memset(&vm, 0, sizeof(vm));
	vm.mem_base = 0;
	vm.mem_size = 2 * MIB;
	vm.has_uart = true;
	vm.uart_base = 0x10000000;
	vm.has_rtc = true;
	vm.nr_disks = 4;
	vm.nr_nics = 4;
	assert_int_equal(guest_layout_of(RV, &vm, w), GUEST_MAX_WINDOWS);
	assert_int_equal(w[3].kind, GUEST_WIN_RTC);
	assert_int_equal(w[3].base, RISCV_GUEST_RTC_BASE);
	assert_int_equal(w[3].size, RISCV_GUEST_RTC_SIZE);
	/* RAM at 0 covers it: RAM is what the operator moves. */
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), -FV_EEXIST);
	assert_int_equal(w[err.bad].kind, GUEST_WIN_RAM);
	assert_string_equal(err.what, "guest RAM (0x0-0x1fffff) overlaps RTC (0x101000-0x101fff)");
	/* Without an RTC the same map is fine. */
	vm.has_rtc = false;
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), 0);
	/* A UART on its last 256 bytes: the UART is blamed. */
	vm.has_rtc = true;
	vm.mem_base = 0x80000000;
	vm.uart_base = RISCV_GUEST_RTC_BASE + RISCV_GUEST_RTC_SIZE - 0x100;
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), -FV_EEXIST);
	guest_layout_of(RV, &vm, w);
	assert_int_equal(w[err.bad].kind, GUEST_WIN_UART);
	assert_string_equal(err.what, "UART (0x101f00-0x101fff) overlaps RTC (0x101000-0x101fff)");
	/* Right after it: fine. */
	vm.uart_base = RISCV_GUEST_RTC_BASE + RISCV_GUEST_RTC_SIZE;
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), 0);
}

/* The raw check: empty and wrapping windows, overlaps by one byte, the end of the space. */
static void test_raw_windows(void **state)
{
	(void)state;
	struct guest_layout_error err;
	struct guest_window top[] = {
	    {GUEST_WIN_OTHER, 0, 0xfffffffffffff000ULL, 0x1000}, /* ends exactly at 2^64 */
	    {GUEST_WIN_RAM, 0, 0, 0x1000},
	};
	assert_int_equal(guest_layout_check(top, 2, &err), 0);
	struct guest_window wrap[] = {{GUEST_WIN_OTHER, 0, 0xfffffffffffff000ULL, 0x1001}};
	assert_int_equal(guest_layout_check(wrap, 1, &err), -FV_ERANGE);
	struct guest_window empty[] = {{GUEST_WIN_OTHER, 2, 0x1000, 0}};
	assert_int_equal(guest_layout_check(empty, 1, &err), -FV_ERANGE);
	assert_string_equal(
	    err.what, "device window 2 at 0x1000: empty or past the end of the address space");
	struct guest_window one_byte[] = {
	    {GUEST_WIN_IRQCHIP, 0, 0x1000, 0x1000},
	    {GUEST_WIN_OTHER, 1, 0x1fff, 1},
	};
	assert_int_equal(guest_layout_check(one_byte, 2, &err), -FV_EEXIST);
	/* Neither can move: the later one is named first. */
	assert_int_equal(err.bad, 1);
	assert_int_equal(err.other, 0);
	struct guest_window touching[] = {
	    {GUEST_WIN_IRQCHIP, 0, 0x1000, 0x1000},
	    {GUEST_WIN_OTHER, 1, 0x2000, 1},
	    {GUEST_WIN_OTHER, 2, 0xfff, 1},
	};
	assert_int_equal(guest_layout_check(touching, 3, &err), 0);
	/* RAM earlier in the list than a fixed window is still the one to move. */
	struct guest_window ram_first[] = {
	    {GUEST_WIN_RAM, 0, 0, 0x10000},
	    {GUEST_WIN_VIRTIO, 4, 0x8000, 0x200},
	};
	assert_int_equal(guest_layout_check(ram_first, 2, &err), -FV_EEXIST);
	assert_int_equal(err.bad, 0);
	assert_int_equal(err.other, 1);
	assert_string_equal(err.what,
	                    "guest RAM (0x0-0xffff) overlaps virtio-mmio window 4 (0x8000-0x81ff)");
	assert_int_equal(guest_layout_check(NULL, 0, &err), 0);
}

/* Kernel, device tree (GUEST_DTB_ROOM below the initrd) and initrd inside RAM. */
static void test_images_fit(void **state)
{
	(void)state;
	struct vm_config vm;
	memset(&vm, 0, sizeof(vm));
	vm.mem_base = 0x80000000;
	vm.mem_size = 2 * MIB;
	struct guest_layout_error err;
	static const struct {
		uint64_t koff, ksize, initrd;
		int code;
	} cases[] = {
	    {0, 2 * MIB - GUEST_DTB_ROOM, 0, 0},              /* kernel ends where the DTB starts */
	    {0, 2 * MIB - GUEST_DTB_ROOM + 1, 0, -FV_ENOSPC}, /* one byte into it */
	    {0x1e0000, 0x10000, 0, 0},
	    {0x1fe000, 64, 0, -FV_ENOSPC},                     /* kernel at the top: no room */
	    {0, 0x1000, 2 * MIB - GUEST_DTB_ROOM - 0x1000, 0}, /* exactly full */
	    {0, 0x1000, 2 * MIB - GUEST_DTB_ROOM - 0xfff,
	     -FV_ENOSPC},                         /* initrd page-aligned down */
	    {0, 0x1000, 2 * MIB + 1, -FV_ENOSPC}, /* initrd larger than RAM */
	    {0, 0x1000, UINT64_MAX, -FV_ENOSPC},  /* no wrap */
	    {UINT64_MAX, 1, 0, -FV_ENOSPC},
	    {0x1000, UINT64_MAX, 0, -FV_ENOSPC},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vm.kernel_offset = cases[i].koff;
		vm.kernel_size = cases[i].ksize;
		vm.initrd_size = cases[i].initrd;
		int ret = guest_layout_check_vm(RV, &vm, &err);
		if (ret != cases[i].code)
			fail_msg("case %zu: %d, want %d (%s)", i, ret, cases[i].code, err.what);
	}
	vm.kernel_offset = 0x1fe000;
	vm.kernel_size = 0x18c0;
	vm.initrd_size = 0;
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), -FV_ENOSPC);
	assert_string_equal(err.what, "guest RAM (0x200000 bytes) cannot hold the kernel (0x18c0 "
	                              "bytes at offset 0x1fe000), a 64 KiB device tree and the "
	                              "initrd (0x0 bytes)");
	/* An overlap is reported before the images. */
	vm.has_uart = true;
	vm.uart_base = 0x80000000;
	assert_int_equal(guest_layout_check_vm(RV, &vm, &err), -FV_EEXIST);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(vm_cases) / sizeof(vm_cases[0]) + 4];
	size_t n = 0;
	for (size_t i = 0; i < sizeof(vm_cases) / sizeof(vm_cases[0]); i++)
		tests[n++] = (struct CMUnitTest){vm_cases[i].name, test_vm, NULL, NULL,
		                                 (void *)&vm_cases[i]};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_windows_of);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_raw_windows);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_rtc_window);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_images_fit);
	return _cmocka_run_group_tests("guest_layout", tests, n, NULL, NULL);
}
