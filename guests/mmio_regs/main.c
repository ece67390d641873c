// SPDX-License-Identifier: MIT
/*
 * mmio_regs: an emulated MMIO load and store through every general register. Under
 * Ferrovisor an access through s0-s11 takes the full exit path and one through any other
 * register the partial one (hyp/arch/riscv/trap.S, riscv_exit_gpf); either must load into or
 * store from exactly the named register and leave all others as they were. The device is the
 * UART (ns16550): loads read the line status register, stores write the scratch register,
 * which is read back. Natively (QEMU's own UART) the same checks are the baseline.
 * Checks: mmio.load.x<n> and mmio.store.x<n> for n = 1, 3..31.
 */
#include <stdint.h>

#include "mmio_regs.h"
#include "plat.h"
#include "printf.h"
#include "test.h"

#define UART_BASE 0x10000000UL
#define UART_LSR  5
#define UART_SCR  7

static volatile uint8_t *const uart = (volatile uint8_t *)UART_BASE;

/* Registers other than n and the base hold their pattern; returns the first that does not. */
static int others_intact(const uint64_t *out, unsigned n)
{
	unsigned base = n == 31 ? 30 : 31;
	for (unsigned k = 1; k < 32; k++) {
		if (k == 2 || k == n || k == base)
			continue;
		if (out[k] != (uint64_t)MMIO_REGS_PATTERN(k))
			return (int)k;
	}
	return 0;
}

static void check_load(unsigned n)
{
	uint64_t out[32];
	char name[32];
	uint8_t lsr = uart[UART_LSR];
	mmio_regs_load(n, out, UART_BASE + UART_LSR);
	int bad = others_intact(out, n);
	snprintf(name, sizeof(name), "mmio.load.x%u", n);
	test_checkf(out[n] == lsr && bad == 0, name, "x%u=0x%lx (LSR 0x%x), x%d=0x%lx", n,
	            (unsigned long)out[n], lsr, bad, bad ? (unsigned long)out[bad] : 0UL);
}

static void check_store(unsigned n)
{
	uint64_t out[32];
	char name[32];
	uart[UART_SCR] = 0;
	mmio_regs_store(n, out, UART_BASE + UART_SCR);
	uint8_t scr = uart[UART_SCR];
	int bad = others_intact(out, n);
	snprintf(name, sizeof(name), "mmio.store.x%u", n);
	test_checkf(scr == (uint8_t)MMIO_REGS_PATTERN(n) &&
	                out[n] == (uint64_t)MMIO_REGS_PATTERN(n) && bad == 0,
	            name, "SCR 0x%x want 0x%x, x%u=0x%lx, x%d=0x%lx", scr,
	            (uint8_t)MMIO_REGS_PATTERN(n), n, (unsigned long)out[n], bad,
	            bad ? (unsigned long)out[bad] : 0UL);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("mmio_regs on hart %lu\n", hartid);
	for (unsigned n = 1; n < 32; n++) {
		if (n == 2)
			continue; /* sp: the routine's own stack */
		check_load(n);
		check_store(n);
	}
}
