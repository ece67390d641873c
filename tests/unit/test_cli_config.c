/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests of the `ferrovisor` tool's configuration path: YAML
 * loader (tools/yaml_load.c), resolver (tools/resolve.c), scalars, paths,
 * image probing, the bundle writer (checked with the hypervisor's own
 * config_parse() and with libfdt) and the resolved printout (it must load
 * again as the same configuration).
 *
 * The core is two tables: configurations that must be rejected, each with
 * the exact message (FILE:LINE:COL: KEY: ...), and configurations that must
 * be accepted, each with a check of the resolved result. Every case is its
 * own cmocka test. The cases run in a temporary directory holding small
 * image files; "@" in an expected message stands for that directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../tools/arch_map.h"
#include "../../tools/bundle.h"
#include "../../tools/images.h"
#include "../../tools/paths.h"
#include "../../tools/print.h"
#include "../../tools/qemu.h"
#include "../../tools/resolve.h"
#include "../../tools/scalar.h"
#include "../../tools/yaml_load.h"

#define CFG "vm.yaml"

static char tmpdir[] = "/tmp/fv-cli-test.XXXXXX";
static char oldcwd[4096];

/* ------------------------------------------------------------------ fixture files */

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(name, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_text(const char *name, const char *text)
{
	write_file(name, text, strlen(text));
}

/* A fake RISC-V Linux Image: header with text_offset, image_size and both magics. */
static void write_linux_image(const char *name, uint64_t text_offset, uint64_t image_size)
{
	uint8_t img[4096] = {0};
	for (int i = 0; i < 8; i++) {
		img[8 + i] = (uint8_t)(text_offset >> (8 * i));
		img[16 + i] = (uint8_t)(image_size >> (8 * i));
	}
	memcpy(img + 48, "RISCV\0\0\0", 8);
	memcpy(img + 56, "RSC\x05", 4);
	write_file(name, img, sizeof(img));
}

static int group_setup(void **state)
{
	(void)state;
	assert_non_null(getcwd(oldcwd, sizeof(oldcwd)));
	assert_non_null(mkdtemp(tmpdir));
	assert_int_equal(chdir(tmpdir), 0);
	static const uint8_t flat[64] = {0x13, 0, 0, 0}; /* nop */
	write_file("flat.bin", flat, sizeof(flat));
	write_file("flat2.bin", flat, sizeof(flat));
	write_file("empty.bin", "", 0);
	write_file("prog.elf", "\177ELF\2\1\1", 7);
	static uint8_t big[3 << 20];
	write_file("big.bin", big, sizeof(big));
	write_linux_image("Image", 0x400000, 0x800000);
	write_file("initrd.img", flat, sizeof(flat));
	write_file("disk.img", big, 4096);
	write_file("disk2.img", big, 4096);
	write_file("disk.qcow2", "QFI\xfb\0\0\0\3", 8);
	write_file("disk.vmdk", "KDMV\1\0\0\0", 8);
	assert_int_equal(mkdir("sub", 0755), 0);
	write_file("sub/k.bin", flat, sizeof(flat));
	assert_int_equal(mkdir("home", 0755), 0);
	write_file("home/k.bin", flat, sizeof(flat));
	setenv("HOME", "home", 1);
	unsetenv("FV_TEST_UNSET");
	setenv("FV_TEST_DIR", "sub", 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	static const char *const files[] = {"flat.bin",   "flat2.bin",  "empty.bin",  "prog.elf",
	                                    "big.bin",    "Image",      "initrd.img", "disk.img",
	                                    "disk2.img",  "disk.qcow2", "disk.vmdk",  "sub/k.bin",
	                                    "home/k.bin", CFG,          "again.yaml"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir("sub");
	rmdir("home");
	assert_int_equal(chdir(oldcwd), 0);
	rmdir(tmpdir);
	return 0;
}

/* Load and resolve text as file CFG; returns 0 or -1 with the message in d. */
static int load(const char *text, struct model *m, struct diag *d)
{
	write_text(CFG, text);
	assert_int_equal(model_init(m, CFG), 0);
	diag_init(d, m->file);
	struct resolve_opts ro = {0};
	if (yload_file(m, d))
		return -1;
	return resolve_model(m, &ro, d);
}

/* expected with every "@" replaced by the temporary directory. */
static void expand_at(const char *expected, char *out, size_t len)
{
	size_t n = 0;
	for (const char *p = expected; *p && n + 1 < len; p++) {
		if (*p == '@') {
			size_t t = strlen(tmpdir);
			assert_true(n + t + 1 < len);
			memcpy(out + n, tmpdir, t);
			n += t;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
}

/* ------------------------------------------------------------------ bad configurations */

struct bad_case {
	const char *name;
	const char *yaml;
	const char *error;
};

#define KERNEL "kernel: flat.bin\n"

static const struct bad_case bad_cases[] = {
    {"null_twice", "name: a\nname: ~\n" KERNEL, "vm.yaml:2:1: name: given twice (first at line 1)"},
    {"nesting_too_deep",
     KERNEL
     "network: "
     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     "vm.yaml:2:41: config: nesting deeper than 32 levels"},
    {"size_not_a_size",
     "# vm-config.yaml\nname: \"my-first-vm\"\nvcpus: 2\nmemory: \"1Q\"\n" KERNEL,
     "vm.yaml:4:9: memory: \"1Q\" is not a size (e.g. 512M, 1G)"},
    {"unknown_key_suggestion", KERNEL "memroy: 1G\n",
     "vm.yaml:2:1: memroy: unknown key (did you mean memory?)"},
    {"unknown_key_list", KERNEL "colour: blue\n",
     "vm.yaml:2:1: colour: unknown key (known keys: name, vcpus, memory, memory_base, kernel, "
     "kernel_offset, initrd, command_line, weight, affinity, cpus, pin, autostart, template, "
     "uart, uart_base, network, storage, virtio_console, role, tokens, rtc, host, vms)"},
    {"duplicate_key", KERNEL "vcpus: 1\nvcpus: 2\n",
     "vm.yaml:3:1: vcpus: given twice (first at line 2)"},
    {"affinity_alias_twice", KERNEL "cpus: [0]\naffinity: [1]\n",
     "vm.yaml:3:1: affinity: given twice (first at line 2)"},
    {"vcpus_too_many", KERNEL "vcpus: 9\n", "vm.yaml:2:8: vcpus: must be between 1 and 8, not 9"},
    {"vcpus_zero", KERNEL "vcpus: 0\n", "vm.yaml:2:8: vcpus: must be between 1 and 8, not 0"},
    {"vcpus_not_number", KERNEL "vcpus: two\n",
     "vm.yaml:2:8: vcpus: \"two\" is not a whole number"},
    {"vcpus_negative", KERNEL "vcpus: -1\n", "vm.yaml:2:8: vcpus: \"-1\" is not a whole number"},
    {"vcpus_list", KERNEL "vcpus: [1]\n", "vm.yaml:2:8: vcpus: expected a number, not a list"},
    {"memory_not_2m_multiple", KERNEL "memory: 3M\n",
     "vm.yaml:2:9: memory: 3M is not a multiple of 2M"},
    {"memory_zero", KERNEL "memory: 0\n", "vm.yaml:2:9: memory: must be between 2M and 2T, not 0"},
    {"memory_overflow", KERNEL "memory: 99999999999T\n",
     "vm.yaml:2:9: memory: \"99999999999T\" is not a size (e.g. 512M, 1G)"},
    {"memory_base_unaligned", KERNEL "memory_base: 0x80001000\n",
     "vm.yaml:2:14: memory_base: 0x80001000 is not a multiple of 0x200000"},
    {"kernel_missing", "name: a\nvcpus: 1\n",
     "vm.yaml:1:1: kernel: missing (the guest image to boot)"},
    {"kernel_null", "name: a\nkernel:\n", "vm.yaml:1:1: kernel: missing (the guest image to boot)"},
    {"kernel_empty_string", "kernel: \"\"\n", "vm.yaml:1:9: kernel: must not be empty"},
    {"kernel_not_found", "kernel: nope.bin\n",
     "vm.yaml:1:9: kernel: cannot use @/nope.bin: No such file or directory"},
    {"kernel_empty_file", "kernel: empty.bin\n",
     "vm.yaml:1:9: kernel: cannot use @/empty.bin: empty file"},
    {"kernel_directory", "kernel: sub\n",
     "vm.yaml:1:9: kernel: cannot use @/sub: a directory, not a regular file"},
    {"kernel_elf", "kernel: prog.elf\n",
     "vm.yaml:1:9: kernel: @/prog.elf is an ELF file; give a flat binary (objcopy -O binary) or a "
     "Linux Image"},
    {"kernel_too_big", "kernel: big.bin\nmemory: 4M\n",
     "vm.yaml:1:9: kernel: 3145728-byte image does not fit in 4M of memory at kernel_offset "
     "0x200000"},
    {"kernel_offset_past_memory", KERNEL "memory: 2M\n",
     "vm.yaml:1:9: kernel: 64-byte image does not fit in 2M of memory at kernel_offset 0x200000"},
    {"linux_image_size_too_big", "kernel: Image\nmemory: 10M\n",
     "vm.yaml:1:9: kernel: 8388608-byte image does not fit in 10M of memory at kernel_offset "
     "0x400000"},
    {"initrd_does_not_fit", KERNEL "initrd: big.bin\nmemory: 4M\n",
     "vm.yaml:2:9: initrd: kernel and initrd (5242944 bytes) do not fit in 4M of memory"},
    {"initrd_not_found", KERNEL "initrd: none.img\n",
     "vm.yaml:2:9: initrd: cannot use @/none.img: No such file or directory"},
    {"unset_variable", "kernel: ${FV_TEST_UNSET}/k.bin\n",
     "vm.yaml:1:9: kernel: ${FV_TEST_UNSET} is not set"},
    {"bad_variable", "kernel: ${}/k.bin\n",
     "vm.yaml:1:9: kernel: bad ${...} (use ${NAME} or ${NAME:-default})"},
    {"tilde_user", "kernel: ~root/k.bin\n",
     "vm.yaml:1:9: kernel: only ~ or ~/... is supported, not ~user"},
    {"name_invalid", "name: my vm\n" KERNEL,
     "vm.yaml:1:7: name: \"my vm\" is not a valid name (1-31 letters, digits, '-', '_', '.'; not "
     "\"hyp\")"},
    {"name_hyp", "name: hyp\n" KERNEL,
     "vm.yaml:1:7: name: \"hyp\" is not a valid name (1-31 letters, digits, '-', '_', '.'; not "
     "\"hyp\")"},
    {"name_too_long", "name: abcdefghijabcdefghijabcdefghijab\n" KERNEL,
     "vm.yaml:1:7: name: \"abcdefghijabcdefghijabcdefghijab\" is not a valid name (1-31 letters, "
     "digits, '-', '_', '.'; not \"hyp\")"},
    {"name_nul", "name: \"a\\0b\"\n" KERNEL, "vm.yaml:1:7: name: contains a NUL character"},
    {"duplicate_names",
     "vms:\n  - name: web\n    kernel: flat.bin\n  - name: web\n    kernel: flat.bin\n",
     "vm.yaml:4:11: name: \"web\" is already the name of the VM at line 2"},
    {"weight_zero", KERNEL "weight: 0\n",
     "vm.yaml:2:9: weight: must be between 1 and 65535, not 0"},
    {"autostart_not_bool", KERNEL "autostart: maybe\n",
     "vm.yaml:2:12: autostart: \"maybe\" is not true or false"},
    {"command_line_too_long",
     KERNEL
     "command_line: "
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
     "vm.yaml:2:15: command_line: longer than 511 characters"},
    {"uart_overlaps_ram", KERNEL "uart_base: 0x80001000\n",
     "vm.yaml:2:12: uart_base: UART (0x80001000-0x800010ff) overlaps guest RAM "
     "(0x80000000-0x8fffffff)"},
    {"no_room_for_device_tree", KERNEL "memory: 2M\nkernel_offset: 0x1f0000\n",
     "vm.yaml:2:9: memory: guest RAM (0x200000 bytes) cannot hold the kernel (0x40 bytes at "
     "offset 0x1f0000), a 64 KiB device tree and the initrd (0x0 bytes)"},
    {"uart_over_virtio_window", KERNEL "uart_base: 0x10001000\nstorage: [{image: disk.img}]\n",
     "vm.yaml:2:12: uart_base: UART (0x10001000-0x100010ff) overlaps virtio-mmio window 0 "
     "(0x10001000-0x100011ff)"},
    {"uart_over_last_virtio_window",
     KERNEL "uart_base: 0x10008100\nvirtio_console: true\n"
            "network: [{}, {}, {}, {}, {}, {}, {}]\n",
     "vm.yaml:2:12: uart_base: UART (0x10008100-0x100081ff) overlaps virtio-mmio window 7 "
     "(0x10008000-0x100081ff)"},
    {"uart_over_interrupt_controller", KERNEL "uart_base: 0xfffff00\n",
     "vm.yaml:2:12: uart_base: UART (0xfffff00-0xfffffff) overlaps interrupt controller "
     "(0xc000000-0xfffffff)"},
    {"uart_over_rtc", KERNEL "uart_base: 0x101f00\n",
     "vm.yaml:2:12: uart_base: UART (0x101f00-0x101fff) overlaps RTC (0x101000-0x101fff)"},
    {"ram_over_rtc", KERNEL "memory_base: 0\nmemory: 4M\nkernel_offset: 0\nuart: false\n",
     "vm.yaml:2:14: memory_base: guest RAM (0x0-0x3fffff) overlaps RTC (0x101000-0x101fff)"},
    {"rtc_not_bool", KERNEL "rtc: sometimes\n",
     "vm.yaml:2:6: rtc: \"sometimes\" is not true or false"},
    {"uart_default_over_ram", KERNEL "memory_base: 0x10000000\n",
     "vm.yaml:2:14: memory_base: UART (0x10000000-0x100000ff) overlaps guest RAM "
     "(0x10000000-0x1fffffff)"},
    {"ram_over_interrupt_controller", KERNEL "memory_base: 0\nmemory: 256M\n",
     "vm.yaml:2:14: memory_base: guest RAM (0x0-0xfffffff) overlaps interrupt controller "
     "(0xc000000-0xfffffff)"},
    {"ram_over_virtio_window",
     KERNEL "uart: false\nmemory_base: 0x10000000\nmemory: 4M\nvirtio_console: true\n",
     "vm.yaml:3:14: memory_base: guest RAM (0x10000000-0x103fffff) overlaps virtio-mmio window "
     "0 (0x10001000-0x100011ff)"},
    {"ram_over_virtio_window_uart_given",
     KERNEL "uart_base: 0x20000000\nmemory_base: 0x10000000\nmemory: 4M\n"
            "network: [{}]\n",
     "vm.yaml:3:14: memory_base: guest RAM (0x10000000-0x103fffff) overlaps virtio-mmio window "
     "0 (0x10001000-0x100011ff)"},
    {"uart_base_unaligned", KERNEL "uart_base: 0x10000010\n",
     "vm.yaml:2:12: uart_base: 0x10000010 is not a multiple of 0x100"},
    {"pin_count_mismatch", KERNEL "vcpus: 2\npin: [0]\n",
     "vm.yaml:3:6: pin: lists 1 CPU for 2 vCPUs (one per vCPU)"},
    {"pin_more_vcpus_than_cpus", KERNEL "vcpus: 4\npin: [0, 1, 0, 1]\n",
     "vm.yaml:3:6: pin: 4 vCPUs pinned but the host has only 2 CPUs: 0-1"},
    {"pin_nonexistent_cpu", KERNEL "vcpus: 2\npin: [0, 5]\n",
     "vm.yaml:3:6: pin: CPU 5 does not exist (the host has 2 CPUs: 0-1)"},
    {"pin_same_cpu_twice", KERNEL "vcpus: 2\npin: [1, 1]\n",
     "vm.yaml:3:6: pin: vCPUs 0 and 1 are both pinned to CPU 1"},
    {"pin_outside_affinity", KERNEL "vcpus: 2\naffinity: [0]\npin: [0, 1]\n",
     "vm.yaml:4:6: pin: vCPU 1 is pinned to CPU 1, outside its affinity"},
    {"pin_cpu_above_63", KERNEL "pin: [64]\n", "vm.yaml:2:7: pin: CPU 64 is above 63"},
    {"pin_empty", KERNEL "pin: []\n", "vm.yaml:2:6: pin: empty list (omit it for no pinning)"},
    {"affinity_nonexistent_cpu", "host:\n  cpus: 1\n" KERNEL "affinity: [0, 1]\n",
     "vm.yaml:4:11: affinity: CPU 1 does not exist (the host has 1 CPU: 0)"},
    {"host_cpus_too_many", "host:\n  cpus: 9\n" KERNEL,
     "vm.yaml:2:9: host.cpus: must be between 1 and 8, not 9"},
    {"host_unknown_key", "host:\n  cpu: 2\n" KERNEL,
     "vm.yaml:2:3: host.cpu: unknown key (did you mean cpus?)"},
    {"host_not_mapping", "host: 2\n" KERNEL,
     "vm.yaml:1:7: host: expected a mapping of keys, not a scalar"},
    {"host_slice_range", "host:\n  time_slice_us: 50\n" KERNEL,
     "vm.yaml:2:18: host.time_slice_us: must be between 100 and 1000000, not 50"},
    {"host_memory_too_small", "host:\n  memory: 64M\n" KERNEL "memory: 64M\n",
     "vm.yaml:2:11: host.memory: 64M is too small: the VMs need 64M of RAM, the bundle 65600 "
     "bytes and the hypervisor 64M"},
    {"focus_unknown", "host:\n  console_focus: nobody\n" KERNEL,
     "vm.yaml:2:18: host.console_focus: \"nobody\" names no VM (one of: vm, hyp for the shell)"},
    {"vms_empty", "vms: []\n", "vm.yaml:1:6: vms: empty list (no VMs configured)"},
    {"vms_not_list", "vms:\n  name: a\n",
     "vm.yaml:2:3: vms: expected a list of VMs, not a mapping"},
    {"vms_item_not_mapping", "vms:\n  - a\n",
     "vm.yaml:2:5: vms[0]: expected a mapping of keys, not a scalar"},
    {"vm_key_next_to_vms", "vcpus: 2\nvms:\n  - kernel: flat.bin\n",
     "vm.yaml:1:1: vcpus: not allowed next to vms: (put it into a VM under vms:)"},
    {"unknown_key_next_to_vms", "hosts: {}\nvms:\n  - kernel: flat.bin\n",
     "vm.yaml:1:1: hosts: unknown key (did you mean host?)"},
    {"vms_twice", "vms:\n  - kernel: flat.bin\nvms:\n  - kernel: flat.bin\n",
     "vm.yaml:3:1: vms: given twice (first at line 1)"},
    {"too_many_vms",
     "vms:\n"
     "  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n"
     "  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n"
     "  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n  - {kernel: flat.bin}\n",
     "vm.yaml:10:5: vms: more than 8 VMs"},
    {"syntax_error", "name: a\n  vcpus: 2\n",
     "vm.yaml:2:8: syntax error: mapping values are not allowed in this context"},
    {"syntax_unclosed_flow", "pin: [0, 1\n" KERNEL,
     "vm.yaml:2:7: syntax error: did not find expected ',' or ']' (while parsing a flow sequence "
     "at line 1)"},
    {"syntax_bad_utf8", "name: \xff\n",
     "vm.yaml:1:7: syntax error: invalid leading UTF-8 octet (byte 0xff)"},
    {"undefined_alias", KERNEL "vcpus: *nothing\n",
     "vm.yaml:2:8: syntax error: found undefined alias"},
    {"empty_file", "", "vm.yaml:1:1: config: empty file (expected a VM, or host: and vms:)"},
    {"comment_only", "# nothing here\n",
     "vm.yaml:1:1: config: empty file (expected a VM, or host: and vms:)"},
    {"two_documents", KERNEL "---\n" KERNEL,
     "vm.yaml:3:1: config: more than one YAML document (remove the second ---)"},
    {"top_level_list", "- kernel: flat.bin\n",
     "vm.yaml:1:1: config: expected a mapping (a VM's keys, or host: and vms:), not a list"},
    {"key_not_scalar", KERNEL "[a]: 1\n", "vm.yaml:2:1: config: expected a key name, not a list"},
    {"network_not_list", KERNEL "network: virtio\n",
     "vm.yaml:2:10: network: expected a list of interfaces, not a scalar"},
    {"network_bad_type", KERNEL "network:\n  - type: e1000\n",
     "vm.yaml:3:11: network[0].type: \"e1000\" is not one of: virtio, virtio-net"},
    {"network_bad_tap", KERNEL "network:\n  - tap: \"a,b\"\n",
     "vm.yaml:3:10: network[0].tap: \"a,b\" is not an interface name (1-15 letters, digits, '-', "
     "'_', '.')"},
    {"network_long_tap", KERNEL "network:\n  - tap: abcdefghijklmnop\n",
     "vm.yaml:3:10: network[0].tap: \"abcdefghijklmnop\" is not an interface name (1-15 letters, "
     "digits, '-', '_', '.')"},
    {"network_bad_mac", KERNEL "network:\n  - mac: \"01:00:5e:00:00:01\"\n",
     "vm.yaml:3:10: network[0].mac: \"01:00:5e:00:00:01\" is not a unicast MAC address (e.g. "
     "52:54:00:12:34:56)"},
    {"network_unknown_key", KERNEL "network:\n  - tap: t0\n    bridge: br0\n",
     "vm.yaml:4:5: network[0].bridge: unknown key (known keys: type, switch, tap, mac, port)"},
    {"network_same_tap_two_switches",
     "vms:\n  - name: a\n    kernel: flat.bin\n    network: [{tap: t0}]\n"
     "  - name: b\n    kernel: flat.bin\n    network: [{switch: lan1, tap: t0}]\n",
     "vm.yaml:7:35: network[0].tap: tap \"t0\" is already the uplink of switch \"lan0\""},
    {"network_same_port_two_switches",
     KERNEL "network:\n  - port: 5555\n  - port: 5555\n    switch: b\n",
     "vm.yaml:4:11: network[1].port: port 5555 is already the uplink port of switch \"lan0\""},
    {"network_two_uplinks_one_switch", KERNEL "network:\n  - tap: t0\n  - tap: t1\n",
     "vm.yaml:4:10: network[1].tap: switch \"lan0\" already has the uplink tap t0 (line 3); a "
     "switch has one uplink"},
    {"network_tap_and_socket_one_switch", KERNEL "network:\n  - tap: t0\n  - port: 7000\n",
     "vm.yaml:4:11: network[1].port: switch \"lan0\" already has the uplink tap t0 (line 3); a "
     "switch has one uplink"},
    {"network_two_ports_one_tap",
     KERNEL "network:\n  - {tap: t0, port: 1}\n  - {tap: t0, port: 2}\n",
     "vm.yaml:4:21: network[1]: switch \"lan0\" already has its uplink on port 1 (line 3)"},
    {"network_tap_against_declared_uplink",
     "host:\n  switches: [{name: lan0, uplink: {user: true}}]\n" KERNEL "network: [{tap: t0}]\n",
     "vm.yaml:4:17: network[0].tap: switch \"lan0\" already has the uplink user-mode network "
     "(line 2); a switch has one uplink"},
    {"network_same_mac",
     KERNEL "network:\n  - mac: 52:54:00:00:00:01\n  - mac: 52:54:00:00:00:01\n",
     "vm.yaml:4:10: network[1]: MAC 52:54:00:00:00:01 is already used by VM \"vm\""},
    {"network_mac_is_a_default",
     "vms:\n  - {name: a, kernel: flat.bin, network: [{}]}\n"
     "  - {name: b, kernel: flat.bin, network: [{mac: \"02:46:56:00:00:00\"}]}\n",
     "vm.yaml:3:49: network[0]: MAC 02:46:56:00:00:00 is already used by VM \"a\""},
    {"network_mac_case",
     KERNEL "network:\n  - mac: 52:54:00:00:00:AB\n  - mac: 52:54:00:00:00:ab\n",
     "vm.yaml:4:10: network[1]: MAC 52:54:00:00:00:ab is already used by VM \"vm\""},
    {"uplink_mac_is_a_vm_mac",
     "host:\n  switches: [{name: lan0, uplink: {socket: true, mac: "
     "\"02:46:56:00:00:00\"}}]\n" KERNEL "network: [{}]\n",
     "vm.yaml:2:55: host.switches[0].uplink: MAC 02:46:56:00:00:00 is already used by VM \"vm\""},
    {"uplink_same_mac",
     "host:\n  switches:\n    - {name: a, uplink: {socket: true, mac: \"52:54:00:00:00:01\"}}\n"
     "    - {name: b, uplink: {socket: true, mac: \"52:54:00:00:00:01\"}}\n" KERNEL
     "network: [{switch: a}, {switch: b}]\n",
     "vm.yaml:4:25: host.switches[1].uplink: MAC 52:54:00:00:00:01 is already the uplink MAC of "
     "switch \"a\""},
    {"network_bad_switch_name", KERNEL "network:\n  - switch: LAN\n",
     "vm.yaml:3:13: network[0].switch: \"LAN\" is not a switch name (1-15 of a-z, 0-9, '-', '_')"},
    {"network_long_switch_name", KERNEL "network:\n  - switch: abcdefghijklmnop\n",
     "vm.yaml:3:13: network[0].switch: \"abcdefghijklmnop\" is not a switch name (1-15 of a-z, "
     "0-9, '-', '_')"},
    {"network_fifth_switch",
     "host:\n  switches: [{name: a}, {name: b}, {name: c}, {name: d}]\n" KERNEL
     "network: [{switch: a}, {switch: b}, {switch: c}, {switch: d}, {switch: e}]\n",
     "vm.yaml:4:72: network[4]: switch \"e\" would be a 5th switch; there are at most 4 "
     "(host.switches and those interfaces name)"},
    {"network_nine_interfaces", KERNEL "network: [{}, {}, {}, {}, {}, {}, {}, {}, {}]\n",
     "vm.yaml:2:43: network: more than 8 interfaces (a VM has at most 8 virtio devices)"},
    {"vm_nine_virtio_devices",
     KERNEL "storage: [{image: disk.img}, {image: disk2.img}]\n"
            "network: [{}, {}, {}, {}, {}, {}, {}]\n",
     "vm.yaml:3:35: network[6]: VM \"vm\" has more than 8 virtio devices (disks, interfaces and "
     "virtio console together)"},
    {"vm_nine_virtio_devices_console",
     KERNEL "virtio_console: on\nnetwork: [{}, {}, {}, {}, {}, {}, {}, {}]\n",
     "vm.yaml:2:17: virtio_console: VM \"vm\" has more than 8 virtio devices (disks, interfaces "
     "and virtio console together)"},
    {"virtio_console_not_bool", KERNEL "virtio_console: hvc0\n",
     "vm.yaml:2:17: virtio_console: \"hvc0\" is not true or false"},
    {"role_unknown", KERNEL "role: admin\n",
     "vm.yaml:2:7: role: \"admin\" is not one of: guest, service"},
    {"role_two_service_vms",
     "vms:\n  - {name: a, kernel: flat.bin, role: service}\n"
     "  - {name: b, kernel: flat.bin, role: service}\n",
     "vm.yaml:3:39: role: VM \"a\" is already the service VM (at most one)"},
    {"role_service_ninth_virtio_device",
     KERNEL "virtio_console: on\nrole: service\nnetwork: [{}, {}, {}, {}, {}, {}, {}]\n",
     "vm.yaml:3:7: role: VM \"vm\" has more than 8 virtio devices (disks, interfaces, virtio "
     "console and control channel)"},
    /* host.switches */
    {"switches_not_list", "host:\n  switches: lan0\n" KERNEL,
     "vm.yaml:2:13: host.switches: expected a list of switches, not a scalar"},
    {"switch_unknown_key", "host:\n  switches:\n    - name: lan0\n      uplinks: {}\n" KERNEL,
     "vm.yaml:4:7: host.switches[0].uplinks: unknown key (did you mean uplink?)"},
    {"switch_without_name", "host:\n  switches:\n    - uplink: {socket: true}\n" KERNEL,
     "vm.yaml:3:7: host.switches[0]: name: missing (the switch's name)"},
    {"switch_bad_name", "host:\n  switches:\n    - name: Lan0\n" KERNEL,
     "vm.yaml:3:13: host.switches[0].name: \"Lan0\" is not a switch name (1-15 of a-z, 0-9, "
     "'-', '_')"},
    {"switch_twice", "host:\n  switches:\n    - name: lan0\n    - name: lan0\n" KERNEL,
     "vm.yaml:4:13: host.switches[1].name: \"lan0\" is already the name of the switch at line 3"},
    {"five_switches",
     "host:\n  switches: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}]\n" KERNEL,
     "vm.yaml:2:58: host.switches: more than 4 switches"},
    {"uplink_empty", "host:\n  switches:\n    - name: lan0\n      uplink: {}\n" KERNEL,
     "vm.yaml:4:15: host.switches[0].uplink: needs one of tap: IFNAME, socket: true or user: "
     "true"},
    {"uplink_two_kinds",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        tap: t0\n"
     "        socket: true\n" KERNEL,
     "vm.yaml:6:17: host.switches[0].uplink.socket: an uplink is one of tap, socket and user, "
     "and tap is given too"},
    {"uplink_user_null",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        user:\n" KERNEL,
     "vm.yaml:5:9: host.switches[0].uplink: needs one of tap: IFNAME, socket: true or user: true"},
    {"uplink_user_list",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        user: [a]\n" KERNEL,
     "vm.yaml:5:15: host.switches[0].uplink.user: expected true, false or a mapping (hostfwd: "
     "[...]), not a list"},
    {"uplink_unknown_key",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        bridge: br0\n" KERNEL,
     "vm.yaml:5:9: host.switches[0].uplink.bridge: unknown key (known keys: tap, socket, user, "
     "port, mac)"},
    {"uplink_hostfwd_beside_user",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        user: true\n"
     "        hostfwd: []\n" KERNEL,
     "vm.yaml:6:9: host.switches[0].uplink.hostfwd: unknown key (known keys: tap, socket, user, "
     "port, mac)"},
    {"uplink_user_port",
     "host:\n  switches:\n    - name: lan0\n      uplink: {user: true, port: 5555}\n" KERNEL,
     "vm.yaml:4:34: host.switches[0].uplink.port: only for socket and tap uplinks (user-mode "
     "networking forwards ports with user.hostfwd)"},
    {"uplink_bad_tap",
     "host:\n  switches:\n    - name: lan0\n      uplink: {tap: \"t 0\"}\n" KERNEL,
     "vm.yaml:4:21: host.switches[0].uplink.tap: \"t 0\" is not an interface name (1-15 "
     "letters, digits, '-', '_', '.')"},
    {"uplink_bad_mac",
     "host:\n  switches:\n    - name: lan0\n      uplink: {socket: on, mac: "
     "\"ff:ff:ff:ff:ff:ff\"}\n" KERNEL,
     "vm.yaml:4:33: host.switches[0].uplink.mac: \"ff:ff:ff:ff:ff:ff\" is not a unicast MAC "
     "address (e.g. 52:54:00:12:34:56)"},
    {"uplink_same_tap",
     "host:\n  switches:\n    - {name: a, uplink: {tap: t0}}\n    - {name: b, uplink: {tap: "
     "t0}}\n" KERNEL,
     "vm.yaml:4:25: host.switches[1].uplink: tap \"t0\" is already the uplink of switch \"a\""},
    {"hostfwd_any_address",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n"
     "        user:\n          hostfwd: [\"tcp::8080-:80\"]\n" KERNEL,
     "vm.yaml:6:21: host.switches[0].uplink.user.hostfwd[0]: \"tcp::8080-:80\" listens on every "
     "host address; only 127.0.0.1 is allowed"},
    {"hostfwd_other_address",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n"
     "        user:\n          hostfwd: [\"tcp:0.0.0.0:8080-:80\"]\n" KERNEL,
     "vm.yaml:6:21: host.switches[0].uplink.user.hostfwd[0]: \"tcp:0.0.0.0:8080-:80\" listens on "
     "0.0.0.0; only 127.0.0.1 is allowed"},
    {"hostfwd_malformed",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n"
     "        user:\n          hostfwd:\n            - tcp:127.0.0.1:8080-:80\n"
     "            - \"tcp:127.0.0.1:8081-:80,smb=/\"\n" KERNEL,
     "vm.yaml:8:15: host.switches[0].uplink.user.hostfwd[1]: \"tcp:127.0.0.1:8081-:80,smb=/\" is "
     "not a port forward (tcp|udp:127.0.0.1:HOSTPORT-[GUESTADDR]:GUESTPORT)"},
    {"hostfwd_port_zero",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n"
     "        user:\n          hostfwd: [\"tcp:127.0.0.1:0-:80\"]\n" KERNEL,
     "vm.yaml:6:21: host.switches[0].uplink.user.hostfwd[0]: \"tcp:127.0.0.1:0-:80\" is not a "
     "port forward (tcp|udp:127.0.0.1:HOSTPORT-[GUESTADDR]:GUESTPORT)"},
    {"hostfwd_twice",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        user:\n"
     "          hostfwd: [\"tcp:127.0.0.1:80-:80\", \"tcp:127.0.0.1:80-:81\"]\n" KERNEL,
     "vm.yaml:6:45: host.switches[0].uplink.user.hostfwd[1]: host port tcp 80 is already "
     "forwarded by host.switches[0].uplink.user.hostfwd[0]"},
    {"hostfwd_not_list",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n"
     "        user: {hostfwd: \"tcp:127.0.0.1:80-:80\"}\n" KERNEL,
     "vm.yaml:5:25: host.switches[0].uplink.user.hostfwd: expected a list of port forwards (e.g. "
     "[\"tcp:127.0.0.1:8080-:80\"]), not a scalar"},
    {"hostfwd_on_socket_port",
     "host:\n  switches:\n    - {name: a, uplink: {socket: true, port: 8080}}\n"
     "    - {name: b, uplink: {user: {hostfwd: [\"tcp:127.0.0.1:8080-:80\"]}}}\n" KERNEL,
     "vm.yaml:4:42: host.switches[1].uplink.user.hostfwd[0]: port 8080 is already the uplink "
     "port of switch \"a\""},
    {"hostfwd_udp_two_switches",
     "host:\n  switches:\n    - {name: a, uplink: {user: {hostfwd: [\"udp:127.0.0.1:53-:53\"]}}}\n"
     "    - {name: b, uplink: {user: {hostfwd: [\"tcp:127.0.0.1:53-:53\", "
     "\"udp:127.0.0.1:53-:53\"]}}}\n" KERNEL,
     "vm.yaml:4:42: host.switches[1].uplink.user.hostfwd[1]: host port udp 53 is already "
     "forwarded by switch \"a\""},
    {"network_zero_mac", KERNEL "network:\n  - mac: \"00:00:00:00:00:00\"\n",
     "vm.yaml:3:10: network[0].mac: \"00:00:00:00:00:00\" is not a unicast MAC address (e.g. "
     "52:54:00:12:34:56)"},
    {"hostfwd_two_switches",
     "host:\n  switches:\n    - {name: a, uplink: {user: {hostfwd: [\"tcp:127.0.0.1:80-:80\"]}}}\n"
     "    - {name: b, uplink: {user: {hostfwd: [\"tcp:127.0.0.1:80-:80\"]}}}\n" KERNEL,
     "vm.yaml:4:42: host.switches[1].uplink.user.hostfwd[0]: host port tcp 80 is already "
     "forwarded by switch \"a\""},
    {"storage_missing_image", KERNEL "storage:\n  - type: virtio-blk\n",
     "vm.yaml:3:5: storage[0]: image: missing (the disk image file)"},
    {"storage_bad_type", KERNEL "storage:\n  - type: ide\n    image: disk.img\n",
     "vm.yaml:3:11: storage[0].type: \"ide\" is not one of: virtio-blk"},
    {"storage_bad_format", KERNEL "storage:\n  - image: disk.img\n    format: vmdk\n",
     "vm.yaml:4:13: storage[0].format: \"vmdk\" is not one of: auto, raw, qcow2"},
    {"storage_not_found", KERNEL "storage:\n  - image: nodisk.img\n",
     "vm.yaml:3:12: storage[0].image: cannot use @/nodisk.img: No such file or directory"},
    {"storage_same_disk_two_vms",
     "vms:\n  - name: a\n    kernel: flat.bin\n    storage:\n      - image: disk.img\n"
     "  - name: b\n    kernel: flat.bin\n    storage:\n      - image: ./sub/../disk.img\n",
     "vm.yaml:9:16: storage[0].image: @/disk.img is already the disk of VM \"a\" (line 5); a "
     "disk image belongs to one VM"},
    {"storage_same_disk_one_vm", KERNEL "storage:\n  - image: disk.img\n  - image: disk.img\n",
     "vm.yaml:4:12: storage[1].image: @/disk.img is already the disk of VM \"vm\" (line 3); a "
     "disk image belongs to one VM"},
    {"too_many_virtio_devices",
     "host:\n  switches:\n    - {name: s1, uplink: {socket: true}}\n"
     "vms:\n  - name: a\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img}, {image: disk2.img}, {image: disk.qcow2}]\n"
     "    network: [{switch: s2, port: 2}, {switch: s3, port: 3}, {switch: s4, port: 4}]\n"
     "  - name: b\n    kernel: flat.bin\n"
     "    storage: [{image: disk.vmdk}, {image: new.img, size: 1M}]\n"
     "    network: [{switch: s1}]\n",
     "vm.yaml:12:15: network[0]: the uplink of switch \"s1\" would be a 9th virtio-mmio "
     "device: QEMU virt has 8 virtio-mmio slots, shared by all disks and switch uplinks"},
    {"too_many_virtio_devices_disk",
     "host:\n  switches:\n    - {name: s1, uplink: {socket: true}}\n"
     "    - {name: s2, uplink: {socket: true}}\n    - {name: s3, uplink: {socket: true}}\n"
     "    - {name: s4, uplink: {socket: true}}\n"
     "vms:\n  - name: a\n    kernel: flat.bin\n"
     "    network: [{switch: s1}, {switch: s2}, {switch: s3}, {switch: s4}]\n"
     "  - name: b\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img}, {image: disk2.img}, {image: disk.qcow2}, "
     "{image: disk.vmdk}, {image: new.img, size: 1M}]\n",
     "vm.yaml:13:95: storage[4]: a 9th virtio-mmio device: QEMU virt has 8 virtio-mmio slots, "
     "shared by all disks and switch uplinks"},
    /* slices (disk.img is 4K) */
    {"slice_overlap_two_vms",
     "vms:\n  - name: a\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img, slice: {size: 3K}}]\n"
     "  - name: b\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img, slice: {offset: 2K}}]\n",
     "vm.yaml:7:40: storage[0].slice: offset 2K to the end overlaps the slice of VM \"a\" at line "
     "4 (offset 0, size 3K) of @/disk.img"},
    {"slice_overlap_one_vm",
     KERNEL "storage:\n  - {image: disk.img, slice: {offset: 1K, size: 2K}}\n"
            "  - {image: disk.img, slice: {size: 1536}}\n",
     "vm.yaml:4:30: storage[1].slice: offset 0, size 1536 overlaps the slice of VM \"vm\" at "
     "line 3 (offset 1K, size 2K) of @/disk.img"},
    {"slice_of_a_whole_disk",
     "vms:\n  - name: a\n    kernel: flat.bin\n    storage: [{image: disk.img}]\n"
     "  - name: b\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img, slice: {offset: 2K}}]\n",
     "vm.yaml:7:23: storage[0].image: @/disk.img is already a disk of VM \"a\" (line 4); entries "
     "share an image only if each has a slice"},
    {"whole_disk_after_a_slice",
     KERNEL "storage:\n  - {image: disk.img, slice: {size: 2K}}\n  - {image: ./disk.img}\n",
     "vm.yaml:4:13: storage[1].image: @/disk.img is already a disk of VM \"vm\" (line 3); "
     "entries share an image only if each has a slice"},
    {"slice_at_the_end", KERNEL "storage:\n  - image: disk.img\n    slice: {offset: 4K}\n",
     "vm.yaml:4:21: storage[0].slice: offset 4K is at or past the end of @/disk.img (4K)"},
    {"slice_past_the_end",
     KERNEL "storage:\n  - image: disk.img\n    slice: {offset: 2K, size: 4K}\n",
     "vm.yaml:4:12: storage[0].slice: offset 2K, size 4K runs past the end of @/disk.img (4K)"},
    {"slice_past_a_new_image",
     KERNEL "storage:\n  - {image: n.img, size: 1M, slice: {offset: 1M}}\n",
     "vm.yaml:3:46: storage[0].slice: offset 1M is at or past the end of @/n.img (1M)"},
    {"slice_offset_unaligned", KERNEL "storage:\n  - image: disk.img\n    slice: {offset: 1000}\n",
     "vm.yaml:4:21: storage[0].slice.offset: 1000 is not a multiple of 512"},
    {"slice_size_zero", KERNEL "storage:\n  - image: disk.img\n    slice: {size: 0}\n",
     "vm.yaml:4:19: storage[0].slice.size: must be between 512 and 16T, not 0"},
    {"slice_not_a_mapping", KERNEL "storage:\n  - image: disk.img\n    slice: 64M\n",
     "vm.yaml:4:12: storage[0].slice: expected a mapping (e.g. {offset: 64M, size: 64M}), not a "
     "scalar"},
    {"slice_unknown_key", KERNEL "storage:\n  - image: disk.img\n    slice: {start: 0}\n",
     "vm.yaml:4:13: storage[0].slice.start: unknown key (known keys: offset, size)"},
    {"slice_key_twice", KERNEL "storage:\n  - image: disk.img\n    slice: {size: 1K, size: 2K}\n",
     "vm.yaml:4:23: storage[0].slice.size: given twice (first at line 4)"},
    {"slices_readonly_differs",
     KERNEL "storage:\n  - {image: disk.img, slice: {size: 2K}}\n"
            "  - {image: disk.img, readonly: true, slice: {offset: 2K}}\n",
     "vm.yaml:4:33: storage[1].readonly: differs from the entry of VM \"vm\" at line 3: the "
     "slices of @/disk.img share one QEMU drive"},
    {"slices_format_differs",
     KERNEL "storage:\n  - {image: disk.img, slice: {size: 2K}}\n"
            "  - {image: disk.img, format: qcow2, slice: {offset: 2K}}\n",
     "vm.yaml:4:31: storage[1].format: differs from the entry of VM \"vm\" at line 3: the "
     "slices of @/disk.img share one QEMU drive"},
    {"slices_create_size_differs",
     KERNEL "storage:\n  - {image: n.img, size: 1M, slice: {size: 512K}}\n"
            "  - {image: n.img, size: 2M, slice: {offset: 512K}}\n",
     "vm.yaml:4:26: storage[1].size: differs from the entry of VM \"vm\" at line 3: the "
     "slices of @/n.img share one QEMU drive"},
    /* arm64's map (QEMU arm64 virt): RISC-V addresses are refused, naming the key. */
    {"arm64_riscv_uart_base", "host:\n  arch: arm64\n" KERNEL "uart_base: 0x10000000\n",
     "vm.yaml:4:12: uart_base: UART at 0x10000000 is outside QEMU arm64 virt's device space "
     "for it (0x0-0xfffffff)"},
    {"arm64_riscv_plic_uart", "host:\n  arch: arm64\n" KERNEL "uart_base: 0x8000000\n",
     "vm.yaml:4:12: uart_base: UART (0x8000000-0x80000ff) overlaps interrupt controller "
     "(0x8000000-0x8ffffff)"},
    {"arm64_ram_in_device_space", "host:\n  arch: arm64\n" KERNEL "memory_base: 0x10000000\n",
     "vm.yaml:4:14: memory_base: RAM at 0x10000000 is in QEMU arm64 virt's device space: arm64 "
     "guest RAM starts at or above 0x40000000"},
    {"arm64_uart_over_virtio",
     "host:\n  arch: arm64\n" KERNEL "uart_base: 0xa000100\n"
     "virtio_console: true\n",
     "vm.yaml:4:12: uart_base: UART (0xa000100-0xa0001ff) overlaps virtio-mmio window 0 "
     "(0xa000000-0xa0001ff)"},
    {"arm64_ram_past_ipa",
     "host:\n  arch: arm64\n" KERNEL "memory_base: 0x7fffe00000\n"
     "memory: 4M\n",
     "vm.yaml:4:14: memory_base: guest RAM must end below 512 GiB (0x8000000000)"},
    {"arch_unknown", "host:\n  arch: x86_64\n" KERNEL,
     "vm.yaml:2:9: host.arch: \"x86_64\" is not one of: riscv64, arm64"},
};

static void test_bad(void **state)
{
	const struct bad_case *c = *state;
	struct model m;
	struct diag d;
	char want[2048];
	int ret = load(c->yaml, &m, &d);
	if (ret == 0)
		fail_msg("case %s: accepted, expected: %s", c->name, c->error);
	expand_at(c->error, want, sizeof(want));
	if (strcmp(d.msg, want) != 0)
		fail_msg("case %s:\n  got:  %s\n  want: %s", c->name, d.msg, want);
	model_free(&m);
}

/* ------------------------------------------------------------------ good configurations */

struct good_case {
	const char *name;
	const char *yaml;
	void (*check)(const struct model *m);
};

static void check_minimal(const struct model *m)
{
	assert_true(m->single);
	assert_int_equal(m->nr_vms, 1);
	const struct model_vm *vm = &m->vms[0];
	assert_string_equal(vm->name, "vm"); /* from vm.yaml */
	assert_int_equal(vm->vcpus, 1);
	assert_int_equal(vm->memory, 256ULL << 20);
	assert_int_equal(vm->memory_base, 0x80000000ULL);
	assert_int_equal(vm->kernel_offset, 0x200000);
	assert_int_equal(vm->kernel_size, 64);
	assert_int_equal(vm->kernel_kind, IMAGE_FLAT);
	assert_null(vm->command_line);
	assert_int_equal(vm->weight, 256);
	assert_true(vm->autostart);
	assert_true(vm->uart);
	assert_int_equal(vm->nr_pin, 0);
	assert_int_equal(m->host.cpus, 2);
	assert_true(m->host.memory_auto);
	/* The 256M of guest RAM go below the bundle, which QEMU puts 288M into host RAM. */
	assert_int_equal(m->host.memory, 576ULL << 20);
	assert_string_equal(m->host.focus, "vm");
	char want[4096];
	snprintf(want, sizeof(want), "%s/flat.bin", tmpdir);
	assert_string_equal(vm->kernel_path, want);
}

static void check_issue_example(const struct model *m)
{
	const struct model_vm *vm = &m->vms[0];
	assert_string_equal(vm->name, "my-first-vm");
	assert_int_equal(vm->vcpus, 2);
	assert_int_equal(vm->memory, 1ULL << 30);
	assert_string_equal(vm->command_line, "console=ttyS0 root=/dev/vda");
	assert_int_equal(vm->nr_nics, 1);
	assert_string_equal(vm->nics[0].tap, "vm-tap0");
	/* The interface is a port on lan0; its tap is lan0's uplink, in the NIC's old slot. */
	assert_int_equal(m->host.nr_switches, 1);
	const struct model_switch *sw = &m->host.switches[0];
	assert_string_equal(sw->name, "lan0");
	assert_false(sw->declared);
	assert_int_equal(sw->up.kind, UPLINK_TAP);
	assert_string_equal(sw->up.tap, "vm-tap0");
	assert_int_equal(sw->up.slot, 1);
	assert_string_equal(sw->up.mac, "02:46:56:01:00:00");
	assert_int_equal(vm->nics[0].sw_index, 0);
	assert_string_equal(vm->nics[0].mac, "02:46:56:00:00:00");
	assert_false(vm->virtio_console);
	assert_int_equal(vm->nr_disks, 1);
	assert_string_equal(vm->disks[0].format, "qcow2");
	assert_int_equal(vm->disks[0].slot, 0);
	assert_int_equal(vm->initrd_size, 64);
	assert_true(m->host.memory >= (1ULL << 30) + (64ULL << 20));
	assert_true(resolve_placement_fits(m, m->host.memory, m->bundle_estimate));
}

static void check_multi(const struct model *m)
{
	assert_false(m->single);
	assert_int_equal(m->nr_vms, 2);
	assert_int_equal(m->host.cpus, 4);
	assert_int_equal(m->host.memory, 1ULL << 30);
	assert_false(m->host.memory_auto);
	assert_int_equal(m->host.time_slice_us, 2000);
	assert_string_equal(m->host.focus, "hyp");
	const struct model_vm *a = &m->vms[0], *b = &m->vms[1];
	assert_string_equal(a->name, "a");
	assert_int_equal(a->nr_pin, 2);
	assert_int_equal(a->pin[0], 3);
	assert_int_equal(a->pin[1], 2);
	assert_int_equal(a->affinity, 0xc);
	assert_int_equal(a->weight, 1000);
	assert_false(a->autostart);
	assert_string_equal(b->name, "vm2"); /* default name in a list */
	assert_int_equal(b->affinity, 0x2);
	assert_false(b->uart);
	assert_int_equal(b->memory_base, 0x40000000);
}

static void check_linux(const struct model *m)
{
	const struct model_vm *vm = &m->vms[0];
	assert_int_equal(vm->kernel_kind, IMAGE_LINUX);
	assert_int_equal(vm->kernel_offset, 0x400000); /* from the Image header */
	assert_string_equal(vm->command_line, "console=ttyS0 earlycon=sbi");
}

static void check_linux_explicit(const struct model *m)
{
	const struct model_vm *vm = &m->vms[0];
	assert_int_equal(vm->kernel_offset, 0x200000);
	assert_string_equal(vm->command_line, "");
}

static void check_paths(const struct model *m)
{
	char want[4096];
	snprintf(want, sizeof(want), "%s/home/k.bin", tmpdir);
	assert_string_equal(m->vms[0].kernel_path, want);
	snprintf(want, sizeof(want), "%s/sub/k.bin", tmpdir);
	assert_string_equal(m->vms[1].kernel_path, want);
	assert_string_equal(m->vms[2].kernel_path, want);
	snprintf(want, sizeof(want), "%s/flat.bin", tmpdir);
	assert_string_equal(m->vms[3].kernel_path, want);
}

static void check_sizes(const struct model *m)
{
	assert_int_equal(m->vms[0].memory, 64ULL << 20);
	assert_int_equal(m->vms[1].memory, 64ULL << 20);
	assert_int_equal(m->vms[2].memory, 64ULL << 20);
	assert_int_equal(m->vms[3].memory, 64ULL << 20);
	assert_int_equal(m->vms[3].memory_base, 0x80000000ULL);
}

static void check_bools(const struct model *m)
{
	assert_true(m->vms[0].autostart);
	assert_false(m->vms[1].autostart);
	assert_true(m->vms[2].autostart);
	assert_false(m->vms[3].autostart);
}

static void check_nulls(const struct model *m)
{
	assert_null(m->vms[0].initrd);
	assert_int_equal(m->vms[0].vcpus, 1);
	assert_true(m->vms[0].uart);
}

/* rtc: false reaches the hypervisor as no-rtc, and frees 0x101000 for RAM. */
static void check_rtc_off(const struct model *m)
{
	assert_false(m->vms[0].rtc);
	void *blob;
	size_t size;
	struct diag d;
	diag_init(&d, m->file);
	assert_int_equal(bundle_build(m, &blob, &size, &d), 0);
	static struct hyp_config cfg;
	char err[160];
	if (bundle_verify(blob, size, &cfg, err, sizeof(err)))
		fail_msg("parser: %s", err);
	assert_false(cfg.vms[0].has_rtc);
	assert_int_equal(cfg.vms[0].mem_base, 0);
	free(blob);
}

static void check_disks(const struct model *m)
{
	const struct model_vm *vm = &m->vms[0];
	assert_int_equal(vm->nr_disks, 4);
	assert_string_equal(vm->disks[0].format, "raw");
	assert_string_equal(vm->disks[1].format, "vmdk"); /* converted by `run` */
	assert_string_equal(vm->disks[2].format, "qcow2");
	assert_true(vm->disks[2].create);
	assert_int_equal(vm->disks[2].size, 1ULL << 30);
	assert_string_equal(vm->disks[3].format, "raw"); /* given: wins over the probe */
	assert_true(vm->disks[3].readonly);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(vm->disks[i].slot, (int)i);
}

static void check_eight_devices(const struct model *m)
{
	assert_int_equal(model_virtio_count(m), 8);
	const struct model_host *h = &m->host;
	assert_int_equal(h->nr_switches, 4);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(m->vms[0].disks[i].slot, (int)i);
	assert_int_equal(h->switches[0].up.slot, 3); /* s1, declared, at its first interface */
	assert_int_equal(h->switches[1].up.slot, 4);
	assert_int_equal(h->switches[2].up.slot, 5); /* s3, made by an interface with port */
	assert_int_equal(h->switches[2].up.kind, UPLINK_SOCKET);
	assert_int_equal(h->switches[2].up.port, 3);
	assert_false(h->switches[2].declared);
	assert_int_equal(m->vms[1].disks[0].slot, 6);
	assert_int_equal(h->switches[3].up.slot, 7);
	assert_int_equal(h->switches[3].up.kind, UPLINK_TAP);
	assert_true(m->vms[0].virtio_console);
	assert_int_equal(m->vms[1].nics[1].sw_index, 0);
}

/* Switches, uplinks of every kind, defaults and explicit MACs. */
static void check_switches(const struct model *m)
{
	const struct model_host *h = &m->host;
	assert_int_equal(h->nr_switches, 4);
	const struct model_switch *lan = &h->switches[0], *dmz = &h->switches[1],
	                          *wan = &h->switches[2], *priv = &h->switches[3];
	assert_string_equal(lan->name, "lan0");
	assert_true(lan->declared);
	assert_int_equal(lan->up.kind, UPLINK_USER);
	assert_int_equal(lan->up.nr_hostfwd, 2);
	assert_string_equal(lan->up.hostfwd[0], "tcp:127.0.0.1:8080-:80");
	assert_string_equal(lan->up.hostfwd[1], "udp:127.0.0.1:5353-10.0.2.15:53");
	assert_string_equal(lan->up.mac, "52:54:00:AA:bb:cc"); /* as written */
	assert_int_equal(lan->up.slot, 0);
	assert_int_equal(lan->nr_ports, 1);
	assert_int_equal(dmz->up.kind, UPLINK_NONE);
	assert_int_equal(dmz->up.slot, -1);
	assert_int_equal(dmz->nr_ports, 2);
	assert_int_equal(wan->up.kind, UPLINK_SOCKET);
	assert_int_equal(wan->up.port, 6000);
	assert_string_equal(wan->up.mac, "02:46:56:01:00:02");
	assert_int_equal(wan->up.slot, 1);
	assert_string_equal(priv->name, "priv");
	assert_false(priv->declared);
	const struct model_vm *a = &m->vms[0], *b = &m->vms[1];
	assert_int_equal(a->nics[0].sw_index, 0); /* lan0 by default */
	assert_string_equal(a->nics[0].mac, "02:46:56:00:00:00");
	assert_string_equal(a->nics[1].mac, "52:54:00:00:00:01");
	assert_int_equal(b->nics[0].sw_index, 1);
	assert_string_equal(b->nics[0].mac, "02:46:56:00:01:00");
	assert_int_equal(b->nics[2].sw_index, 3);
	assert_string_equal(b->nics[2].mac, "02:46:56:00:01:02");
}

/* Two interfaces of two VMs naming the same tap: one uplink of their switch. */
static void check_shared_tap(const struct model *m)
{
	assert_int_equal(m->host.nr_switches, 1);
	assert_int_equal(m->host.switches[0].up.kind, UPLINK_TAP);
	assert_int_equal(m->host.switches[0].up.port, 5555);
	assert_int_equal(m->host.switches[0].nr_ports, 2);
	assert_int_equal(model_virtio_count(m), 1);
}

static void check_eight_nics(const struct model *m)
{
	assert_int_equal(m->vms[0].nr_nics, 8);
	assert_int_equal(model_virtio_count(m), 0);
	assert_string_equal(m->vms[0].nics[7].mac, "02:46:56:00:00:07");
}

/* a: disk.img bytes 0-2K; b: disk2.img, disk.img from 2K, and two halves of a new image. */
static void check_slices(const struct model *m)
{
	const struct model_vm *a = &m->vms[0], *b = &m->vms[1];
	const struct model_disk *a0 = &a->disks[0];
	assert_true(a0->slice);
	assert_int_equal(a0->slice_offset, 0);
	assert_int_equal(a0->slice_size, 2048);
	assert_int_equal(a0->image_bytes, 4096);
	assert_int_equal(a0->slot, 0);
	assert_int_equal(a0->share_vm, -1);
	assert_false(b->disks[0].slice);
	assert_int_equal(b->disks[0].slot, 1);
	const struct model_disk *b1 = &b->disks[1], *b2 = &b->disks[2], *b3 = &b->disks[3];
	assert_int_equal(b1->slot, 0); /* a's drive */
	assert_int_equal(b1->share_vm, 0);
	assert_int_equal(b1->share_disk, 0);
	assert_int_equal(b1->slice_offset, 2048);
	assert_int_equal(b1->slice_size, 0);
	assert_true(b2->create);
	assert_int_equal(b2->slot, 2);
	assert_int_equal(b2->share_vm, -1);
	assert_true(b3->create); /* created by b2 */
	assert_int_equal(b3->slot, 2);
	assert_int_equal(b3->share_vm, 1);
	assert_int_equal(b3->share_disk, 2);
	assert_int_equal(b3->image_bytes, 1ULL << 20);
	assert_string_equal(b3->format, "qcow2");
	/* Three drives, five guest disks. */
	assert_int_equal(model_virtio_count(m), 3);
}

static void check_host_memory_ok(const struct model *m)
{
	assert_int_equal(m->host.memory, 256ULL << 20);
	assert_false(m->host.memory_auto);
}

/*
 * Every key documented to keep its default when null or empty does: the
 * model is the minimal one, and the bundle holds no trace of a null (the
 * hypervisor's parser reads the defaults, the name is the file's).
 */
static void check_nulls_are_defaults(const struct model *m)
{
	check_minimal(m);
	void *blob;
	size_t size;
	struct diag d;
	diag_init(&d, m->file);
	assert_int_equal(bundle_build(m, &blob, &size, &d), 0);
	static struct hyp_config cfg;
	char err[160];
	if (bundle_verify(blob, size, &cfg, err, sizeof(err)))
		fail_msg("parser: %s", err);
	assert_string_equal(cfg.vms[0].name, "vm");
	assert_int_equal(cfg.vms[0].vcpus, 1);
	assert_int_equal(cfg.vms[0].mem_base, 0x80000000ULL);
	assert_int_equal(cfg.vms[0].uart_base, 0x10000000ULL);
	assert_true(cfg.vms[0].has_uart);
	assert_true(cfg.vms[0].has_rtc);
	assert_int_equal(cfg.vms[0].bootargs[0], '\0');
	assert_string_equal(cfg.focus, "vm");
	free(blob);
}

/* A null kernel_offset or command_line still gets the Linux Image's defaults. */
static void check_linux_nulls(const struct model *m)
{
	const struct model_vm *vm = &m->vms[0];
	assert_int_equal(vm->kernel_offset, 0x400000);
	assert_non_null(vm->command_line);
	assert_string_equal(vm->command_line, MODEL_LINUX_BOOTARGS);
}

/* host.best_effort reaches the blob as /host/best-effort, read back by the hypervisor's parser. */
static void check_best_effort(const struct model *m)
{
	assert_true(m->host.best_effort);
	void *blob;
	size_t size;
	struct diag d;
	diag_init(&d, m->file);
	assert_int_equal(bundle_build(m, &blob, &size, &d), 0);
	static struct hyp_config cfg;
	char err[160];
	if (bundle_verify(blob, size, &cfg, err, sizeof(err)))
		fail_msg("parser: %s", err);
	assert_true(cfg.best_effort);
	free(blob);
}

/* Windows that touch but do not overlap are fine. */
static void check_adjacent(const struct model *m)
{
	assert_int_equal(m->vms[0].uart_base, 0x10000f00);
	assert_int_equal(m->vms[0].memory_base, 0x10200000);
}

static const struct good_case good_cases[] = {
    {"minimal", KERNEL, check_minimal},
    {"issue_example",
     "# vm-config.yaml\nname: \"my-first-vm\"\nvcpus: 2\nmemory: \"1G\"\nkernel: \"flat.bin\"\n"
     "initrd: \"initrd.img\"\ncommand_line: \"console=ttyS0 root=/dev/vda\"\nnetwork:\n"
     "  - type: \"virtio\"\n    tap: \"vm-tap0\"\nstorage:\n  - type: \"virtio-blk\"\n"
     "    image: \"disk.qcow2\"\n",
     check_issue_example},
    {"multi_vm",
     "host:\n  cpus: 4\n  memory: 1G\n  time_slice_us: 2000\n  console_focus: hyp\n"
     "vms:\n"
     "  - name: a\n    vcpus: 2\n    memory: 128M\n    kernel: flat.bin\n"
     "    affinity: [2, 3]\n    pin: [3, 2]\n    weight: 1000\n    autostart: false\n"
     "  - cpus: 1\n    kernel: flat.bin\n    uart: false\n    memory_base: 1G\n",
     check_multi},
    {"linux_image", "kernel: Image\nmemory: 64M\n", check_linux},
    {"linux_image_explicit", "kernel: Image\nmemory: 64M\nkernel_offset: 2M\ncommand_line: \"\"\n",
     check_linux_explicit},
    {"path_expansion",
     "vms:\n  - kernel: ~/k.bin\n  - kernel: ${FV_TEST_DIR}/k.bin\n"
     "  - kernel: ${FV_TEST_UNSET:-sub}/k.bin\n  - kernel: sub/../flat.bin\n",
     check_paths},
    {"size_spellings",
     "vms:\n  - {kernel: flat.bin, memory: 64MiB}\n  - {kernel: flat.bin, memory: 0x4000000}\n"
     "  - {kernel: flat.bin, memory: 67108864}\n"
     "  - {kernel: flat.bin, memory: 64MB, memory_base: 2G}\n",
     check_sizes},
    {"bool_spellings",
     "vms:\n  - {kernel: flat.bin, autostart: yes}\n  - {kernel: flat.bin, autostart: Off}\n"
     "  - {kernel: flat.bin, autostart: TRUE}\n  - {kernel: flat.bin, autostart: no}\n",
     check_bools},
    {"null_keeps_default", KERNEL "initrd: ~\nvcpus:\nuart: null\n", check_nulls},
    {"rtc_off", KERNEL "rtc: false\nuart: false\nmemory_base: 0\nmemory: 4M\nkernel_offset: 0\n",
     check_rtc_off},
    {"disks",
     KERNEL "storage:\n  - image: disk.img\n  - image: disk.vmdk\n"
            "  - image: new.qcow2\n    size: 1G\n"
            "  - image: disk.qcow2\n    format: raw\n    readonly: true\n",
     check_disks},
    {"eight_virtio_devices",
     "host:\n  switches:\n    - {name: s1, uplink: {socket: true}}\n"
     "    - {name: s2, uplink: {socket: true}}\n"
     "vms:\n  - name: a\n    kernel: flat.bin\n    virtio_console: true\n"
     "    storage: [{image: disk.img}, {image: disk2.img}, {image: disk.qcow2}]\n"
     "    network: [{switch: s1}, {switch: s2}, {switch: s3, port: 3}]\n"
     "  - name: b\n    kernel: flat.bin\n    storage: [{image: disk.vmdk}]\n"
     "    network: [{switch: s4, tap: t4}, {switch: s1}]\n",
     check_eight_devices},
    {"switches",
     "host:\n  switches:\n    - name: lan0\n      uplink:\n        mac: \"52:54:00:AA:bb:cc\"\n"
     "        user:\n          hostfwd: [\"tcp:127.0.0.1:8080-:80\", "
     "\"udp:127.0.0.1:5353-10.0.2.15:53\"]\n"
     "    - name: dmz\n    - name: wan\n      uplink: {socket: true, port: 6000}\n"
     "vms:\n  - name: a\n    kernel: flat.bin\n"
     "    network: [{}, {switch: dmz, mac: \"52:54:00:00:00:01\"}]\n"
     "  - name: b\n    kernel: flat.bin\n"
     "    network: [{switch: dmz}, {switch: wan}, {switch: priv}]\n",
     check_switches},
    {"shared_tap",
     "vms:\n  - name: a\n    kernel: flat.bin\n    network: [{tap: t0}]\n"
     "  - name: b\n    kernel: flat.bin\n    network: [{tap: t0, port: 5555}]\n",
     check_shared_tap},
    {"eight_interfaces_no_uplink", KERNEL "network: [{}, {}, {}, {}, {}, {}, {}, {}]\n",
     check_eight_nics},
    {"user_uplink_spellings",
     "host:\n  switches:\n    - {name: a, uplink: {user: true}}\n"
     "    - {name: b, uplink: {user: {}, socket: false}}\n"
     "    - {name: c, uplink: {user: {hostfwd: []}}}\n" KERNEL
     "network: [{switch: a}, {switch: b}, {switch: c}]\n",
     NULL},
    {"host_memory_exact", "host:\n  memory: 256M\n" KERNEL "memory: 64M\n", check_host_memory_ok},
    {"slices",
     "vms:\n  - name: a\n    kernel: flat.bin\n"
     "    storage: [{image: disk.img, slice: {offset: 0, size: 2K}}]\n"
     "  - name: b\n    kernel: flat.bin\n    storage:\n      - image: disk2.img\n"
     "      - image: ./sub/../disk.img\n        slice: {offset: 2K}\n"
     "      - {image: new.img, format: qcow2, size: 1M, slice: {size: 512K}}\n"
     "      - {image: new.img, slice: {offset: 512K}}\n",
     check_slices},
    {"slice_whole_image_and_null",
     KERNEL "storage:\n  - {image: disk.img, slice: {size: 4K}}\n"
            "  - {image: disk2.img, slice: ~}\n",
     NULL},
    {"null_keeps_defaults",
     "host:\n  cpus: ~\n  memory: null\n  time_slice_us:\n  console_focus: ~\n  switches: ~\n"
     "name: ~\nvcpus: null\nmemory:\nmemory_base: ~\n" KERNEL "kernel_offset: ~\ninitrd: ~\n"
     "command_line: ~\nweight: ~\naffinity: ~\npin: ~\nautostart: ~\nuart: ~\n"
     "uart_base: ~\nnetwork: ~\nstorage: ~\nvirtio_console: ~\n",
     check_nulls_are_defaults},
    {"null_empty_name", "name:\n" KERNEL, check_nulls_are_defaults},
    {"null_linux_defaults", "kernel: Image\nkernel_offset: ~\ncommand_line: null\n",
     check_linux_nulls},
    {"best_effort", "host:\n  best_effort: true\n" KERNEL, check_best_effort},
    {"adjacent_windows",
     KERNEL "uart_base: 0x10000f00\nmemory_base: 0x10200000\nmemory: 4M\nvirtio_console: true\n"
            "network: [{}, {}, {}, {}, {}, {}, {}]\n",
     check_adjacent},
    {"anchors_and_aliases",
     "vms:\n  - &base {kernel: flat.bin, memory: 32M, name: a}\n"
     "  - {kernel: flat.bin, memory: 32M, name: b}\n",
     NULL},
};

static void test_good(void **state)
{
	const struct good_case *c = *state;
	struct model m;
	struct diag d;
	if (load(c->yaml, &m, &d))
		fail_msg("case %s: rejected: %s", c->name, d.msg);
	if (c->check)
		c->check(&m);
	/* The resolved printout must load again as the same configuration. */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	print_resolved(f, &m);
	assert_int_equal(fclose(f), 0);
	struct model again;
	struct diag d2;
	write_text("again.yaml", text);
	assert_int_equal(model_init(&again, "again.yaml"), 0);
	diag_init(&d2, again.file);
	struct resolve_opts ro = {0};
	if (yload_file(&again, &d2) || resolve_model(&again, &ro, &d2))
		fail_msg("case %s: printout rejected: %s\n%s", c->name, d2.msg, text);
	assert_int_equal(again.nr_vms, m.nr_vms);
	for (unsigned i = 0; i < m.nr_vms; i++) {
		const struct model_vm *a = &m.vms[i], *b = &again.vms[i];
		assert_string_equal(a->name, b->name);
		assert_int_equal(a->vcpus, b->vcpus);
		assert_int_equal(a->memory, b->memory);
		assert_int_equal(a->memory_base, b->memory_base);
		assert_string_equal(a->kernel_path, b->kernel_path);
		assert_int_equal(a->kernel_offset, b->kernel_offset);
		assert_int_equal(a->affinity, b->affinity);
		assert_int_equal(a->nr_pin, b->nr_pin);
		assert_int_equal(a->weight, b->weight);
		assert_int_equal(a->autostart, b->autostart);
		assert_int_equal(a->uart, b->uart);
		assert_int_equal(a->nr_disks, b->nr_disks);
		assert_int_equal(a->nr_nics, b->nr_nics);
		for (unsigned j = 0; j < a->nr_nics; j++) {
			assert_string_equal(a->nics[j].mac, b->nics[j].mac);
			assert_int_equal(a->nics[j].sw_index, b->nics[j].sw_index);
		}
		for (unsigned j = 0; j < a->nr_disks; j++) {
			assert_int_equal(a->disks[j].slot, b->disks[j].slot);
			assert_int_equal(a->disks[j].slice, b->disks[j].slice);
			assert_int_equal(a->disks[j].slice_offset, b->disks[j].slice_offset);
			assert_int_equal(a->disks[j].slice_size, b->disks[j].slice_size);
			assert_int_equal(a->disks[j].share_vm, b->disks[j].share_vm);
		}
		assert_int_equal(a->virtio_console, b->virtio_console);
		if (a->command_line)
			assert_string_equal(a->command_line, b->command_line);
	}
	assert_int_equal(again.host.nr_switches, m.host.nr_switches);
	for (unsigned i = 0; i < m.host.nr_switches; i++) {
		const struct model_uplink *a = &m.host.switches[i].up,
		                          *b = &again.host.switches[i].up;
		assert_string_equal(m.host.switches[i].name, again.host.switches[i].name);
		assert_int_equal(a->kind, b->kind);
		assert_int_equal(a->slot, b->slot);
		assert_int_equal(a->port, b->port);
		assert_int_equal(a->nr_hostfwd, b->nr_hostfwd);
		if (a->kind != UPLINK_NONE)
			assert_string_equal(a->mac, b->mac);
		if (a->kind == UPLINK_TAP)
			assert_string_equal(a->tap, b->tap);
	}
	assert_int_equal(again.host.cpus, m.host.cpus);
	assert_int_equal(again.host.memory, m.host.memory);
	assert_string_equal(again.host.focus, m.host.focus);
	model_free(&again);
	free(text);
	model_free(&m);
}

/* ------------------------------------------------------------------ bundle */

static void test_bundle_matches_config(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	const char *yaml = "host:\n  console_focus: b\n  time_slice_us: 3000\nvms:\n"
	                   "  - name: a\n    vcpus: 2\n    memory: 32M\n    kernel: flat.bin\n"
	                   "    pin: [1, 0]\n    affinity: [0, 1]\n    weight: 7\n"
	                   "    command_line: \"console=ttyS0\"\n    initrd: initrd.img\n"
	                   "    storage: [{image: disk.img}, {image: disk2.img}]\n"
	                   "    network: [{tap: t0}]\n"
	                   "  - name: b\n    memory: 16M\n    kernel: Image\n    uart: false\n"
	                   "    autostart: false\n    template: true\n    virtio_console: true\n"
	                   "    role: service\n"
	                   "    network: [{switch: iso, mac: \"0a:00:00:00:00:01\"}, {}]\n";
	if (load(yaml, &m, &d))
		fail_msg("rejected: %s", d.msg);
	void *blob;
	size_t size;
	assert_int_equal(bundle_build(&m, &blob, &size, &d), 0);
	assert_int_equal(fdt_check_full(blob, size), 0);

	/* What the hypervisor reads. */
	static struct hyp_config cfg;
	char err[160];
	assert_int_equal(bundle_verify(blob, size, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_vms, 2);
	assert_string_equal(cfg.focus, "b");
	assert_int_equal(cfg.slice_us, 3000);
	const struct vm_config *a = &cfg.vms[0], *b = &cfg.vms[1];
	assert_string_equal(a->name, "a");
	assert_int_equal(a->vcpus, 2);
	assert_int_equal(a->mem_size, 32ULL << 20);
	assert_int_equal(a->mem_base, 0x80000000ULL);
	assert_int_equal(a->weight, 7);
	assert_int_equal(a->affinity, 3);
	assert_int_equal(a->vcpu_pin[0], 1);
	assert_int_equal(a->vcpu_pin[1], 0);
	assert_int_equal(a->kernel_size, 64);
	assert_int_equal(a->kernel[0], 0x13);
	assert_int_equal(a->initrd_size, 64);
	assert_string_equal(a->bootargs, "console=ttyS0");
	assert_true(a->autostart);
	assert_true(a->has_uart);
	assert_int_equal(a->uart_base, 0x10000000ULL);
	assert_string_equal(b->name, "b");
	assert_int_equal(b->kernel_offset, 0x400000);
	assert_int_equal(b->kernel_size, 4096);
	assert_false(b->has_uart);
	assert_false(b->autostart);
	assert_false(a->is_template);
	assert_true(b->is_template); /* `template: true`: created by `vm create b` only */
	assert_false(a->service);
	assert_true(b->service); /* role: service reaches the blob */
	assert_string_equal(b->bootargs, "console=ttyS0 earlycon=sbi");

	/* Virtio: a's disks on slots 0 and 1, lan0's uplink (a's tap) on slot 2. */
	assert_int_equal(cfg.nr_switches, 2);
	assert_string_equal(cfg.switches[0].name, "lan0");
	assert_int_equal(cfg.switches[0].uplink_slot, 2);
	assert_string_equal(cfg.switches[1].name, "iso");
	assert_int_equal(cfg.switches[1].uplink_slot, -1);
	assert_int_equal(a->nr_disks, 2);
	assert_int_equal(a->disk_slot[0], 0);
	assert_int_equal(a->disk_slot[1], 1);
	assert_int_equal(a->nr_nics, 1);
	assert_int_equal(a->nic_switch[0], 0);
	assert_memory_equal(a->nic_mac[0], "\x02\x46\x56\x00\x00\x00", 6);
	assert_false(a->virtio_console);
	assert_int_equal(b->nr_disks, 0);
	assert_int_equal(b->nr_nics, 2);
	assert_int_equal(b->nic_switch[0], 1);
	assert_int_equal(b->nic_switch[1], 0);
	assert_memory_equal(b->nic_mac[0], "\x0a\x00\x00\x00\x00\x01", 6);
	assert_memory_equal(b->nic_mac[1], "\x02\x46\x56\x00\x01\x01", 6);
	assert_true(b->virtio_console);

	/* The properties as written, read with libfdt. */
	int node = fdt_path_offset(blob, "/vms/a");
	assert_true(node >= 0);
	int len;
	const fdt32_t *slots = fdt_getprop(blob, node, "virtio-blk-slots", &len);
	assert_non_null(slots);
	assert_int_equal(len, 8);
	assert_int_equal(fdt32_to_cpu(slots[0]), 0);
	assert_int_equal(fdt32_to_cpu(slots[1]), 1);
	assert_null(fdt_getprop(blob, node, "virtio-net-slots", &len)); /* obsolete */
	const char *sw = fdt_getprop(blob, node, "virtio-net-switch", &len);
	assert_non_null(sw);
	assert_int_equal(len, 5);
	assert_memory_equal(sw, "lan0", 5);
	assert_non_null(fdt_getprop(blob, node, "virtio-net-mac", &len));
	assert_int_equal(len, 6);
	assert_null(fdt_getprop(blob, node, "virtio-console", &len));
	node = fdt_path_offset(blob, "/vms/b");
	assert_null(fdt_getprop(blob, node, "virtio-blk-slots", &len));
	sw = fdt_getprop(blob, node, "virtio-net-switch", &len);
	assert_int_equal(len, 9);
	assert_memory_equal(sw, "iso\0lan0", 9);
	assert_non_null(fdt_getprop(blob, node, "virtio-console", &len));
	assert_int_equal(len, 0);
	node = fdt_path_offset(blob, "/host/switches/lan0");
	assert_true(node >= 0);
	slots = fdt_getprop(blob, node, "uplink-slot", &len);
	assert_non_null(slots);
	assert_int_equal(len, 4);
	assert_int_equal(fdt32_to_cpu(slots[0]), 2);
	node = fdt_path_offset(blob, "/host/switches/iso");
	assert_true(node >= 0);
	assert_null(fdt_getprop(blob, node, "uplink-slot", &len));

	/* Written atomically and recognised as unchanged. */
	char msg[256];
	assert_int_equal(bundle_write_file("b.fvb", blob, size, msg, sizeof(msg)), 0);
	assert_true(bundle_same_file("b.fvb", blob, size));
	((char *)blob)[size - 1] ^= 1;
	assert_false(bundle_same_file("b.fvb", blob, size));
	assert_false(bundle_same_file("b.fvb", blob, size - 1));
	unlink("b.fvb");
	free(blob);
	model_free(&m);
}

/* A blob the hypervisor's parser rejects is never handed out. */
/*
 * host.arch: arm64 takes the defaults from arm64's map (RAM 0x40000000, PL011
 * 0x09000000), the blob says arch = "arm64", and the hypervisor's parser
 * of that architecture reads them back; one of RISC-V refuses the blob.
 */
static void test_arm64_map_defaults(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	if (load("host:\n  arch: arm64\n" KERNEL "virtio_console: true\n", &m, &d))
		fail_msg("rejected: %s", d.msg);
	assert_ptr_equal(m.map, tool_guest_map_find("arm64"));
	assert_int_equal(m.vms[0].memory_base, 0x40000000ULL);
	assert_int_equal(m.vms[0].uart_base, 0x09000000ULL);
	void *blob;
	size_t size;
	assert_int_equal(bundle_build(&m, &blob, &size, &d), 0);
	int host = fdt_path_offset(blob, "/host");
	assert_true(host >= 0);
	assert_string_equal(fdt_getprop(blob, host, "arch", NULL), "arm64");
	static struct hyp_config cfg;
	char err[160];
	assert_int_equal(bundle_verify(blob, size, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.vms[0].mem_base, 0x40000000ULL);
	assert_int_equal(cfg.vms[0].uart_base, 0x09000000ULL);
	/* A RISC-V hypervisor reads it as another architecture's and refuses it whole. */
	tool_guest_map_select(tool_guest_map_find("riscv64"));
	assert_int_not_equal(config_parse(blob, size, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "host: arch: the configuration is for arm64, this is riscv64");
	free(blob);
	model_free(&m);

	/* Without host.arch: riscv64's map, and the blob does not name it (unchanged bytes). */
	if (load(KERNEL, &m, &d))
		fail_msg("rejected: %s", d.msg);
	assert_int_equal(m.vms[0].memory_base, 0x80000000ULL);
	assert_int_equal(m.vms[0].uart_base, 0x10000000ULL);
	assert_int_equal(bundle_build(&m, &blob, &size, &d), 0);
	assert_null(fdt_getprop(blob, fdt_path_offset(blob, "/host"), "arch", NULL));
	free(blob);
	model_free(&m);
}

static void test_bundle_rejected_by_parser(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	if (load(KERNEL, &m, &d))
		fail_msg("rejected: %s", d.msg);
	m.vms[0].vcpus = 9; /* past the loader's checks */
	void *blob = NULL;
	size_t size = 0;
	assert_int_equal(bundle_build(&m, &blob, &size, &d), -1);
	assert_null(blob);
	assert_string_equal(d.msg, "vm.yaml: bundle: the hypervisor's parser rejects it: vms/vm: "
	                           "vcpus: must be between 1 and 8");
	model_free(&m);
}

/* ------------------------------------------------------------------ QEMU command line */

/* The argument after the first one equal to opt whose value starts with prefix, or NULL. */
static const char *arg_after(const struct qemu_cmd *c, const char *opt, const char *prefix)
{
	for (unsigned i = 0; i + 1 < c->argc; i++)
		if (strcmp(c->argv[i], opt) == 0 &&
		    strncmp(c->argv[i + 1], prefix, strlen(prefix)) == 0)
			return c->argv[i + 1];
	return NULL;
}

/*
 * Disks and switch uplinks become QEMU devices on their slots; interfaces
 * do not; virtio-mmio is always modern; the choice of backend is reported.
 */
static void test_qemu_plan(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	const char *yaml =
	    "host:\n  switches:\n"
	    "    - name: web\n      uplink:\n        mac: \"52:54:00:00:00:99\"\n"
	    "        user: {hostfwd: [\"tcp:127.0.0.1:8080-:80\"]}\n"
	    "    - {name: wan, uplink: {socket: true, port: 6000}}\n"
	    "    - {name: iso}\n"
	    "vms:\n  - name: a\n    kernel: flat.bin\n    storage: [{image: disk.img}]\n"
	    "    network: [{tap: fv-no-such-tap0, port: 5555}, {switch: web}]\n"
	    "  - name: b\n    kernel: flat.bin\n"
	    "    network: [{switch: iso}, {switch: wan}, {switch: web}]\n";
	if (load(yaml, &m, &d))
		fail_msg("rejected: %s", d.msg);
	char *log = NULL;
	size_t loglen = 0;
	FILE *lf = open_memstream(&log, &loglen);
	assert_non_null(lf);
	struct qemu_opts o = {.qemu = "qemu-system-riscv64",
	                      .hypervisor = "hyp.bin",
	                      .bundle = "b.fvb",
	                      .dry_run = true,
	                      .log = lf};
	struct qemu_cmd c;
	assert_int_equal(qemu_plan(&m, &o, &c, &d), 0);
	assert_int_equal(fclose(lf), 0);

	assert_non_null(arg_after(&c, "-global", "virtio-mmio.force-legacy=false"));
	assert_string_equal(arg_after(&c, "-device", "virtio-blk-device"),
	                    "virtio-blk-device,drive=fvblk0,bus=virtio-mmio-bus.0");
	/*
	 * lan0 (a's tap; no such interface) on slot 1: no uplink without the operator's
	 * --uplink-fallback, never a TCP port (its port: is not used).
	 */
	assert_null(arg_after(&c, "-netdev", "socket,id=fvnet1"));
	assert_null(arg_after(&c, "-device", "virtio-net-device,netdev=fvnet1"));
	/* web (user-mode) on slot 2, with its own MAC. */
	assert_string_equal(arg_after(&c, "-netdev", "user"),
	                    "user,id=fvnet2,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80");
	assert_string_equal(arg_after(&c, "-device", "virtio-net-device,netdev=fvnet2"),
	                    "virtio-net-device,netdev=fvnet2,mac=52:54:00:00:00:99,"
	                    "bus=virtio-mmio-bus.2");
	/* wan (socket) on slot 3; iso has no uplink: no device. */
	assert_string_equal(arg_after(&c, "-netdev", "socket,id=fvnet3"),
	                    "socket,id=fvnet3,listen=127.0.0.1:6000");
	unsigned devices = 0;
	for (unsigned i = 0; i < c.argc; i++)
		devices += strcmp(c.argv[i], "-device") == 0;
	assert_int_equal(devices, 3);
	assert_non_null(strstr(
	    log, "ferrovisor: WARNING: switch lan0 uplink: tap fv-no-such-tap0 not usable ("));
	assert_non_null(strstr(log, "the switch runs WITHOUT an uplink"));
	assert_null(strstr(log, "127.0.0.1:5555"));
	assert_non_null(strstr(log,
	                       "ferrovisor: switch web uplink: user-mode network (restrict=on; "
	                       "forwards tcp:127.0.0.1:8080-:80) on virtio-mmio slot 2"));
	assert_null(strstr(log, "switch iso"));
	qemu_cmd_free(&c);
	free(log);

	/* The operator allows the fallback: a Unix socket in a private directory (dry run: the
	 * template, nothing made). */
	lf = open_memstream(&log, &loglen);
	assert_non_null(lf);
	o.log = lf;
	o.fallback = QEMU_FALLBACK_UNIX;
	setenv("XDG_RUNTIME_DIR", "", 1);
	setenv("TMPDIR", "/nonexistent-fv", 1);
	assert_int_equal(qemu_plan(&m, &o, &c, &d), 0);
	assert_int_equal(fclose(lf), 0);
	assert_string_equal(arg_after(&c, "-netdev", "stream,id=fvnet1"),
	                    "stream,id=fvnet1,server=on,addr.type=unix,"
	                    "addr.path=/nonexistent-fv/ferrovisor-net-XXXXXX/lan0.sock");
	assert_string_equal(arg_after(&c, "-device", "virtio-net-device,netdev=fvnet1"),
	                    "virtio-net-device,netdev=fvnet1,mac=02:46:56:01:00:03,"
	                    "bus=virtio-mmio-bus.1");
	assert_non_null(strstr(log, "falling back (--uplink-fallback unix) to the Unix socket "
	                            "/nonexistent-fv/ferrovisor-net-XXXXXX/lan0.sock"));
	assert_false(c.sock_dir_made);
	qemu_cmd_remove_sockets(&c);
	qemu_cmd_free(&c);
	free(log);
	unsetenv("TMPDIR");
	model_free(&m);
}

/* Messages cannot drive the terminal: a table of inputs and what stderr would get. */
static void test_diag_escape(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool keep_newline;
		const char *out;
	} rows[] = {
	    {"plain text, UTF-8 caf\xc3\xa9", false, "plain text, UTF-8 caf\xc3\xa9"},
	    {"k\x1b]0;title\x07", false, "k\\x1b]0;title\\x07"},
	    {"a\nb\r", false, "a\\x0ab\\x0d"},
	    {"a\nb\n", true, "a\nb\n"},
	    {"c1 \xc2\x9b"
	     "2J",
	     false, "c1 \\u009b2J"},
	    {"lone \x9b"
	     "2J \xff \xc3",
	     false, "lone \\x9b2J \\xff \\xc3"},
	    {"overlong \xc0\xaf surrogate \xed\xa0\x80", false,
	     "overlong \\xc0\\xaf surrogate \\xed\\xa0\\x80"},
	    {"del \x7f nbsp \xc2\xa0 emoji \xf0\x9f\x98\x80", false,
	     "del \\x7f nbsp \xc2\xa0 emoji \xf0\x9f\x98\x80"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_non_null(f);
		diag_fputs_safe(f, rows[i].in, rows[i].keep_newline);
		assert_int_equal(fclose(f), 0);
		if (strcmp(buf, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, buf, rows[i].out);
		free(buf);
	}
}

/*
 * Slices: the blob says which sectors of which slot each disk is (and the
 * hypervisor's parser agrees), QEMU gets one drive per image.
 */
static void test_slices_bundle_and_qemu(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	const char *yaml =
	    "vms:\n  - name: a\n    memory: 16M\n    kernel: flat.bin\n"
	    "    storage: [{image: disk.img, slice: {size: 2K}}]\n"
	    "  - name: b\n    memory: 16M\n    kernel: flat.bin\n"
	    "    storage: [{image: disk2.img}, {image: disk.img, slice: {offset: 2K}},\n"
	    "              {image: new.img, size: 1M, slice: {size: 512K}},\n"
	    "              {image: new.img, slice: {offset: 512K}}]\n"
	    "  - name: c\n    memory: 16M\n    kernel: flat.bin\n"
	    "    storage: [{image: disk.qcow2}]\n";
	if (load(yaml, &m, &d))
		fail_msg("rejected: %s", d.msg);
	void *blob;
	size_t size;
	assert_int_equal(bundle_build(&m, &blob, &size, &d), 0);
	static struct hyp_config cfg;
	char err[256];
	assert_int_equal(bundle_verify(blob, size, &cfg, err, sizeof(err)), 0);
	const struct vm_config *a = &cfg.vms[0], *b = &cfg.vms[1], *c = &cfg.vms[2];
	assert_int_equal(a->nr_disks, 1);
	assert_int_equal(a->disk_slot[0], 0);
	assert_int_equal(a->disk_start[0], 0);
	assert_int_equal(a->disk_sectors[0], 4);
	static const uint32_t bslot[] = {1, 0, 2, 2};
	static const uint64_t bstart[] = {0, 4, 0, 1024}, bcount[] = {0, 0, 1024, 0};
	assert_int_equal(b->nr_disks, 4);
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(b->disk_slot[k], bslot[k]);
		assert_int_equal(b->disk_start[k], bstart[k]);
		assert_int_equal(b->disk_sectors[k], bcount[k]);
	}
	assert_int_equal(c->disk_slot[0], 3);
	int node = fdt_path_offset(blob, "/vms/b");
	int len;
	const fdt64_t *sl = fdt_getprop(blob, node, "virtio-blk-slices", &len);
	assert_non_null(sl);
	assert_int_equal(len, 4 * 16);
	assert_int_equal(fdt64_to_cpu(sl[3]), 0); /* disk 1: from sector 4 to the end */
	node = fdt_path_offset(blob, "/vms/c");
	assert_null(fdt_getprop(blob, node, "virtio-blk-slices", &len)); /* whole disks only */
	free(blob);

	char *log = NULL;
	size_t loglen = 0;
	FILE *lf = open_memstream(&log, &loglen);
	assert_non_null(lf);
	struct qemu_opts o = {.qemu = "qemu-system-riscv64",
	                      .hypervisor = "hyp.bin",
	                      .bundle = "b.fvb",
	                      .dry_run = true,
	                      .log = lf};
	struct qemu_cmd q;
	assert_int_equal(qemu_plan(&m, &o, &q, &d), 0);
	assert_int_equal(fclose(lf), 0);
	unsigned drives = 0;
	for (unsigned i = 0; i < q.argc; i++)
		drives += strcmp(q.argv[i], "-drive") == 0;
	assert_int_equal(drives, 4);
	assert_string_equal(arg_after(&q, "-device", "virtio-blk-device,drive=fvblk2"),
	                    "virtio-blk-device,drive=fvblk2,bus=virtio-mmio-bus.2");
	char want[512];
	snprintf(want, sizeof(want),
	         "ferrovisor: vm b storage[1]: %s/disk.img, sectors 4 to the end on virtio-mmio "
	         "slot 0, the drive of vm a storage[0]\n",
	         tmpdir);
	assert_non_null(strstr(log, want));
	snprintf(
	    want, sizeof(want),
	    "ferrovisor: vm a storage[0]: %s/disk.img (raw), sectors 0-3 on virtio-mmio slot 0 "
	    "(0x10001000)\n",
	    tmpdir);
	assert_non_null(strstr(log, want));
	qemu_cmd_free(&q);
	free(log);
	model_free(&m);
}

/* ------------------------------------------------------------------ pieces */

static void test_scalars(void **state)
{
	(void)state;
	uint64_t v;
	bool b;
	char buf[32];
	assert_int_equal(scalar_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(scalar_size("1G", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(scalar_size("64MiB", &v), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(scalar_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(scalar_size("0x1000", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(scalar_size("1Q", &v), -1);
	assert_int_equal(scalar_size("", &v), -1);
	assert_int_equal(scalar_size("G", &v), -1);
	assert_int_equal(scalar_size("1.5G", &v), -1);
	assert_int_equal(scalar_size("18446744073709551616", &v), -1);
	assert_int_equal(scalar_u64("18446744073709551615", &v), 0);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(scalar_u64("0x", &v), -1);
	assert_int_equal(scalar_u64("0x10000000000000000", &v), -1);
	assert_int_equal(scalar_u64(" 1", &v), -1);
	assert_int_equal(scalar_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(scalar_bool("OFF", &b), 0);
	assert_false(b);
	assert_int_equal(scalar_bool("1", &b), -1);
	assert_true(scalar_is_null("~"));
	assert_true(scalar_is_null("NULL"));
	assert_false(scalar_is_null("nil"));
	scalar_fmt_size(3ULL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "3G");
	scalar_fmt_size(1536ULL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1536M");
	scalar_fmt_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
	scalar_fmt_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_true(scalar_mac_ok("52:54:00:AB:cd:01"));
	assert_false(scalar_mac_ok("53:54:00:ab:cd:01"));
	assert_false(scalar_mac_ok("52:54:00:ab:cd"));
	assert_false(scalar_mac_ok("52-54-00-ab-cd-01"));
	assert_false(scalar_mac_ok("00:00:00:00:00:00"));
	assert_true(scalar_mac_ok("00:00:00:00:00:01"));
	struct scalar_fwd fw;
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:8080-:80", &fw), 0);
	assert_false(fw.udp);
	assert_string_equal(fw.host_addr, "127.0.0.1");
	assert_int_equal(fw.host_port, 8080);
	assert_int_equal(fw.guest_port, 80);
	assert_int_equal(scalar_fwd("udp::65535-10.0.2.15:1", &fw), 0);
	assert_true(fw.udp);
	assert_string_equal(fw.host_addr, "");
	assert_int_equal(fw.host_port, 65535);
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:65536-:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:80-:0", &fw), -1);
	assert_int_equal(scalar_fwd(":127.0.0.1:80-:80", &fw), -1); /* QEMU's default: say tcp */
	assert_int_equal(scalar_fwd("sctp:127.0.0.1:80-:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0.256:80-:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0:80-:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:localhost:80-:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:80-:80:1", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:80:80", &fw), -1);
	assert_int_equal(scalar_fwd("tcp:127.0.0.1:80-10.0.2.15.1:80", &fw), -1);
	assert_int_equal(scalar_fwd("", &fw), -1);
	assert_int_equal(scalar_distance("memroy", "memory"), 2);
	assert_int_equal(scalar_distance("cpu", "cpus"), 1);
	assert_int_equal(scalar_distance("", "abc"), 3);
}

static void test_paths(void **state)
{
	(void)state;
	char err[128];
	char *p = path_expand("a/b", "/base", err, sizeof(err));
	assert_string_equal(p, "/base/a/b");
	free(p);
	p = path_expand("./a", "/base/", err, sizeof(err));
	assert_string_equal(p, "/base/a");
	free(p);
	p = path_expand("/abs/x", "/base", err, sizeof(err));
	assert_string_equal(p, "/abs/x");
	free(p);
	setenv("HOME", "/home/op", 1);
	p = path_expand("~/x", "/base", err, sizeof(err));
	assert_string_equal(p, "/home/op/x");
	free(p);
	unsetenv("FERROVISOR_CACHE");
	p = path_expand("${FERROVISOR_CACHE}/images/Image", "/base", err, sizeof(err));
	assert_string_equal(p, "/home/op/.cache/ferrovisor/images/Image");
	free(p);
	setenv("FERROVISOR_CACHE", "/cache", 1);
	p = path_expand("${FERROVISOR_CACHE}/Image", "/base", err, sizeof(err));
	assert_string_equal(p, "/cache/Image");
	free(p);
	unsetenv("FERROVISOR_CACHE");
	p = path_expand("$HOME/x", "/base", err, sizeof(err)); /* only ${...} expands */
	assert_string_equal(p, "/base/$HOME/x");
	free(p);
	assert_null(path_expand("${NOPE_NOT_SET_X}", "/b", err, sizeof(err)));
	assert_string_equal(err, "${NOPE_NOT_SET_X} is not set");
	assert_null(path_expand("${A", "/b", err, sizeof(err)));
	assert_null(path_expand("", "/b", err, sizeof(err)));
	assert_string_equal(err, "empty file name");
	setenv("HOME", "home", 1);
	p = path_dir_of("/a/b/c.yaml");
	assert_true(p != NULL);
	free(p);
}

static void test_image_classify(void **state)
{
	(void)state;
	struct image_info info;
	uint8_t head[64] = {0};
	image_classify(head, sizeof(head), 64, &info);
	assert_false(info.is_linux);
	assert_false(info.is_elf);
	memcpy(head + 56, "RSC\x05", 4);
	head[8] = 0x00;
	head[10] = 0x20; /* text_offset 0x200000 */
	image_classify(head, sizeof(head), 100, &info);
	assert_true(info.is_linux);
	assert_int_equal(info.text_offset, 0x200000);
	image_classify(head, 60, 60, &info); /* too short for the header */
	assert_false(info.is_linux);
	image_classify((const uint8_t *)"\177ELF", 4, 4, &info);
	assert_true(info.is_elf);
	assert_string_equal(image_disk_format((const uint8_t *)"QFI\xfb", 4), "qcow2");
	assert_string_equal(image_disk_format((const uint8_t *)"QFI", 3), "raw");
	assert_string_equal(image_disk_format((const uint8_t *)"vhdxfile", 8), "vhdx");
	uint8_t vdi[0x44] = {0};
	memcpy(vdi + 0x40, "\x7f\x10\xda\xbe", 4);
	assert_string_equal(image_disk_format(vdi, sizeof(vdi)), "vdi");
	/* Disk sizes as a guest sees them: raw in whole sectors, qcow2 from its header. */
	uint8_t q[32] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3};
	q[24 + 4] = 0x04; /* 64 MiB, big-endian */
	assert_int_equal(image_disk_bytes(q, sizeof(q), "qcow2", 196608), 64ULL << 20);
	assert_int_equal(image_disk_bytes(q, 31, "qcow2", 196608), 0); /* short header */
	assert_int_equal(image_disk_bytes(q, sizeof(q), "raw", 4097), 4096);
	assert_int_equal(image_disk_bytes(q, sizeof(q), "vmdk", 4096), 0);
}

static void test_placement(void **state)
{
	(void)state;
	struct model m;
	memset(&m, 0, sizeof(m));
	m.nr_vms = 1;
	m.vms[0].memory = 1ULL << 30;
	/* QEMU puts the bundle 512M above the hypervisor: a 1G VM needs RAM above it. */
	assert_false(resolve_placement_fits(&m, 1280ULL << 20, 1 << 20));
	assert_true(resolve_placement_fits(&m, 1600ULL << 20, 40ULL << 20));
	m.nr_vms = 2;
	m.vms[1].memory = 256ULL << 20;
	assert_true(resolve_placement_fits(&m, 1600ULL << 20, 40ULL << 20)); /* 256M fits below */
	m.vms[1].memory = 600ULL << 20;
	assert_false(resolve_placement_fits(&m, 1600ULL << 20, 40ULL << 20));
}

/* `run --smp/--mem` replace host.cpus/host.memory and are checked like them. */
static void test_overrides_and_warning(void **state)
{
	(void)state;
	struct model m;
	struct diag d;
	struct resolve_opts ro = {.cpus = 1};
	write_text(CFG, KERNEL "vcpus: 2\npin: [0, 1]\n");
	assert_int_equal(model_init(&m, CFG), 0);
	diag_init(&d, m.file);
	assert_int_equal(yload_file(&m, &d), 0);
	assert_int_equal(resolve_model(&m, &ro, &d), -1);
	assert_string_equal(d.msg,
	                    "vm.yaml:3:6: pin: 2 vCPUs pinned but the host has only 1 CPU: 0");
	model_free(&m);

	ro = (struct resolve_opts){.memory = 128ULL << 20};
	write_text(CFG, KERNEL "memory: 128M\n");
	assert_int_equal(model_init(&m, CFG), 0);
	diag_init(&d, m.file);
	assert_int_equal(yload_file(&m, &d), 0);
	assert_int_equal(resolve_model(&m, &ro, &d), -1);
	assert_string_equal(d.msg,
	                    "vm.yaml: --mem: 128M is too small: the VMs need 128M of RAM, the "
	                    "bundle 65600 bytes and the hypervisor 64M");
	model_free(&m);

	/* A declared switch that no interface uses is allowed, with a warning. */
	write_text(CFG,
	           "host:\n  switches:\n    - {name: lonely, uplink: {socket: true}}\n" KERNEL);
	assert_int_equal(model_init(&m, CFG), 0);
	diag_init(&d, m.file);
	ro = (struct resolve_opts){0};
	assert_int_equal(yload_file(&m, &d), 0);
	assert_int_equal(resolve_model(&m, &ro, &d), 0);
	assert_int_equal(d.nr_warn, 1);
	assert_string_equal(d.warn[0], "vm.yaml:3:7: warning: host.switches[0]: switch \"lonely\" "
	                               "has no interfaces");
	assert_int_equal(m.host.switches[0].up.slot, 0);
	model_free(&m);

	/* Enough in total, but a 1G VM does not fit beside where QEMU puts the bundle. */
	write_text(CFG, "host:\n  memory: 1152M\n" KERNEL "memory: 1G\n");
	assert_int_equal(model_init(&m, CFG), 0);
	diag_init(&d, m.file);
	ro = (struct resolve_opts){0};
	assert_int_equal(yload_file(&m, &d), 0);
	assert_int_equal(resolve_model(&m, &ro, &d), 0);
	assert_int_equal(d.nr_warn, 1);
	assert_string_equal(
	    d.warn[0], "vm.yaml:2:11: warning: host.memory: 1152M may be too fragmented for the "
	               "VMs' RAM (each VM needs one contiguous block; QEMU loads the bundle "
	               "min(RAM/2, 512M) above the hypervisor); 1600M is enough");
	model_free(&m);
}

/* The loader must free everything on every error path (ASan/LeakSanitizer check it). */
static void test_truncated_inputs(void **state)
{
	(void)state;
	const char *yaml =
	    "host:\n  cpus: 2\n  switches:\n"
	    "    - {name: web, uplink: {user: {hostfwd: [\"tcp:127.0.0.1:80-:80\"]}}}\n"
	    "    - {name: up, uplink: {tap: t1, port: 9}}\n"
	    "vms:\n  - name: a\n    kernel: flat.bin\n    virtio_console: true\n"
	    "    network: [{tap: t0, mac: \"52:54:00:00:00:01\"}, {switch: web}]\n"
	    "    storage: [{image: disk.img, size: 1G, slice: {size: 1M}},\n"
	    "              {image: disk.img, slice: {offset: 1M}},\n"
	    "              {image: disk2.img, slice: {offset: 0, size: 2K}}]\n";
	size_t len = strlen(yaml);
	for (size_t n = 0; n <= len; n++) {
		struct model m;
		struct diag d;
		assert_int_equal(model_init(&m, CFG), 0);
		diag_init(&d, m.file);
		struct resolve_opts ro = {.no_files = true};
		if (yload_buffer(&m, (const unsigned char *)yaml, n, &d) == 0)
			resolve_model(&m, &ro, &d);
		model_free(&m);
	}
}

int main(void)
{
	enum { NB = sizeof(bad_cases) / sizeof(bad_cases[0]) };
	enum { NG = sizeof(good_cases) / sizeof(good_cases[0]) };
	static struct CMUnitTest tests[NB + NG + 16];
	static char names[NB + NG][64];
	size_t n = 0;
	for (size_t i = 0; i < NB; i++) {
		snprintf(names[i], sizeof(names[i]), "bad_%s", bad_cases[i].name);
		tests[n++] =
		    (struct CMUnitTest){names[i], test_bad, NULL, NULL, (void *)&bad_cases[i]};
	}
	for (size_t i = 0; i < NG; i++) {
		snprintf(names[NB + i], sizeof(names[0]), "good_%s", good_cases[i].name);
		tests[n++] = (struct CMUnitTest){names[NB + i], test_good, NULL, NULL,
		                                 (void *)&good_cases[i]};
	}
	const struct CMUnitTest more[] = {
	    cmocka_unit_test(test_bundle_matches_config),
	    cmocka_unit_test(test_bundle_rejected_by_parser),
	    cmocka_unit_test(test_arm64_map_defaults),
	    cmocka_unit_test(test_qemu_plan),
	    cmocka_unit_test(test_diag_escape),
	    cmocka_unit_test(test_slices_bundle_and_qemu),
	    cmocka_unit_test(test_scalars),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_image_classify),
	    cmocka_unit_test(test_placement),
	    cmocka_unit_test(test_truncated_inputs),
	    cmocka_unit_test(test_overrides_and_warning),
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		tests[n++] = more[i];
	return _cmocka_run_group_tests("cli_config", tests, n, group_setup, group_teardown);
}
