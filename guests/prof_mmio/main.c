// SPDX-License-Identifier: MIT
/*
 * prof_mmio: reads the UART's line status register (an emulated MMIO register under
 * Ferrovisor: every load is a guest page fault the hypervisor decodes and emulates) in a
 * loop forever, printing "prof_mmio: N loads" every 2^16 loads. The profiler test
 * (tests/integration/test_prof_hyp.py) profiles it: the hypervisor's samples inside those
 * exits name the MMIO emulation path.
 */
#include <stdint.h>

#include "config.h"
#include "plat.h"
#include "printf.h"

#define UART_LSR_OFFSET 5

void prof_mmio_hammer(const volatile uint8_t *lsr);

__attribute__((noinline)) void prof_mmio_hammer(const volatile uint8_t *lsr)
{
	for (unsigned long n = 1;; n++) {
		(void)*lsr;
		if ((n & 0xffff) == 0)
			printf("prof_mmio: %lu loads\n", n);
	}
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("prof_mmio: hart %lu hammering the UART LSR\n", hartid);
	prof_mmio_hammer((const volatile uint8_t *)(GUEST_UART_BASE + UART_LSR_OFFSET));
}
