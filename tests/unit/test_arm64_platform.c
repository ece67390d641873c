/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/arm64/platform.c (platform_parse on arm64): QEMU's own
 * arm64 virt device tree (virtualization=on, gic-version=3), dumped at test time when
 * qemu-system-aarch64 is installed (skipped cleanly otherwise), checked field by field;
 * then random byte mutations of it: platform_parse never crashes or reads past the blob.
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

#include "core/platform.h"

/* The two calls platform.c makes into cpu.c, faked. */
static uint64_t early_uart_seen;
uint64_t arm64_cntfrq(void);
void arm64_early_uart_found(uint64_t base);
uint64_t arm64_cntfrq(void)
{
	return 62500000; /* what the parser falls back to when the tree has no frequency */
}
void arm64_early_uart_found(uint64_t base)
{
	early_uart_seen = base;
}

static uint8_t *qemu_dtb(size_t *size)
{
	if (system("command -v qemu-system-aarch64 >/dev/null 2>&1") != 0)
		return NULL;
	char path[] = "/tmp/fv_test_arm64_platform_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "qemu-system-aarch64 -M virt,virtualization=on,gic-version=3,dumpdtb=%s "
	         "-cpu max -smp 2 -m 1G -nographic </dev/null >/dev/null 2>&1",
	         path);
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

static void test_qemu_virt_arm64(void **state)
{
	(void)state;
	size_t size;
	uint8_t *blob = qemu_dtb(&size);
	if (!blob) {
		print_message("qemu-system-aarch64 not found: skipping\n");
		skip();
	}
	struct platform p;
	assert_int_equal(platform_parse(blob, size, &p), 0);
	assert_int_equal(p.nr_mem, 1);
	assert_int_equal(p.mem[0].base, 0x40000000);
	assert_int_equal(p.mem[0].size, 1ULL << 30);
	assert_int_equal(p.nr_cpus, 2);
	assert_int_equal(p.cpu_hwid[0], 0);
	assert_int_equal(p.cpu_hwid[1], 1);
	/* QEMU's tree gives no timer frequency: the counter's own (CNTFRQ_EL0) is used. */
	assert_int_equal(p.timebase_hz, 62500000);
	assert_true(p.uart.present);
	assert_true(p.uart_pl011);
	assert_int_equal(p.uart.base, 0x09000000);
	assert_int_equal(p.uart.irq, 32 + 1); /* SPI 1 */
	assert_int_equal(early_uart_seen, 0x09000000);
	/* The PL031 is the host's wall clock (core/wallclock.c reads it by rtc_kind). */
	assert_true(p.rtc.present);
	assert_int_equal(p.rtc_kind, PLAT_RTC_PL031);
	assert_int_equal(p.rtc.base, 0x09010000);
	assert_int_equal(p.rtc.size, 0x1000);
	assert_int_equal(p.rtc.irq, 32 + 2); /* SPI 2 */
	assert_true(p.arch.gicd.present);
	assert_int_equal(p.arch.gicd.base, 0x08000000);
	assert_true(p.arch.gicr.present);
	assert_int_equal(p.arch.gicr.base, 0x080a0000);
	assert_true(p.arch.gicr.size >= 2 * 0x20000);
	assert_int_equal(p.arch.timer_hyp_intid, 26);  /* PPI 10 */
	assert_int_equal(p.arch.timer_virt_intid, 27); /* PPI 11 */
	assert_int_equal(p.arch.psci, ARM64_PSCI_SMC); /* EL2 present, no EL3 */
	/* virtio-mmio slots, lowest address first (QEMU lists them top down). */
	assert_int_equal(p.nr_virtio, 8);
	for (unsigned i = 0; i < p.nr_virtio; i++) {
		assert_int_equal(p.virtio[i].base, 0x0a000000 + 0x200 * i);
		assert_int_equal(p.virtio[i].irq, 32 + 16 + i);
	}
	assert_int_equal(p.initrd_start, 0);
	free(blob);
}

static void test_mutations_never_crash(void **state)
{
	(void)state;
	size_t size;
	uint8_t *blob = qemu_dtb(&size);
	if (!blob) {
		print_message("qemu-system-aarch64 not found: skipping\n");
		skip();
	}
	srand(42);
	for (unsigned round = 0; round < 2000; round++) {
		uint8_t *m = malloc(size);
		assert_non_null(m);
		memcpy(m, blob, size);
		for (unsigned k = 0; k < 1 + round % 8; k++)
			m[(size_t)rand() % size] = (uint8_t)rand();
		struct platform p;
		int r = platform_parse(m, size, &p);
		if (r == 0) {
			assert_true(p.nr_cpus > 0 && p.nr_cpus <= PLAT_MAX_CPUS);
			assert_true(p.nr_mem <= PLAT_MAX_MEM && p.nr_virtio <= PLAT_MAX_VIRTIO);
		}
		free(m);
	}
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qemu_virt_arm64),
	    cmocka_unit_test(test_mutations_never_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
