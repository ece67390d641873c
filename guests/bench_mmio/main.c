// SPDX-License-Identifier: MIT
/*
 * bench_mmio: cost of an MMIO read that the hypervisor traps and emulates, for
 * `-icount shift=0` (instret = emulated ns = instructions). Each batch runs the same loop of
 * ITERS byte loads twice, on the UART's line status register (LSR, base + 5) and on a byte of
 * RAM; instret deltas / ITERS give ns per iteration of each loop. Natively the UART is QEMU's
 * own device model (an MMIO access costs one instruction under icount); under Ferrovisor
 * every LSR read is a guest page fault emulated by the vUART.
 * Prints {"bench":"mmio","iters":N,"uart_ns":[...],"ram_ns":[...]} (ns per iteration, one
 * value per batch, integer-rounded x1000 as "milli-ns" to keep the output integral) and shuts
 * down.
 */
#include <stdint.h>

#include "config.h"
#include "counters.h"
#include "loop.h"
#include "plat.h"
#include "printf.h"
#include "test.h"

#define ITERS           2000UL
#define BATCHES         9
#define UART_LSR_OFFSET 5

static volatile uint8_t ram_byte;

static int64_t measure(const volatile uint8_t *addr)
{
	int64_t a = counter_instret();

	mmio_load_loop(ITERS, addr);
	return (counter_instret() - a) * 1000 / (int64_t)ITERS;
}

static void print_list(const char *key, const int64_t *v, unsigned n, const char *tail)
{
	char buf[300];
	int len = snprintf(buf, sizeof(buf), "\"%s\":[", key);

	for (unsigned i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - (unsigned)len, "%s%ld", i ? "," : "",
		                (long)v[i]);
	printf("%s]%s", buf, tail);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	const volatile uint8_t *lsr = (const volatile uint8_t *)(GUEST_UART_BASE + UART_LSR_OFFSET);
	int64_t uart[BATCHES], ram[BATCHES];

	(void)dtb;
	printf("bench_mmio: hart %lu, %u batches of %lu loads\n", hartid, BATCHES, ITERS);
	if (counter_instret() < 0) {
		printf("{\"bench\":\"mmio\",\"error\":\"instret not readable\"}\n");
		test_shutdown(true);
	}
	/* Warm up QEMU's translation cache and the hypervisor's decode path. */
	mmio_load_loop(100, lsr);
	mmio_load_loop(100, &ram_byte);
	for (unsigned b = 0; b < BATCHES; b++) {
		uart[b] = measure(lsr);
		ram[b] = measure(&ram_byte);
	}
	printf("{\"bench\":\"mmio\",\"iters\":%lu,\"unit\":\"milli-ns per iteration\",", ITERS);
	print_list("uart_mns", uart, BATCHES, ",");
	print_list("ram_mns", ram, BATCHES, "}\n");
	test_shutdown(false);
}
