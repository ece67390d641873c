/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_PL011_H
#define FV_DRIVERS_PL011_H

/*
 * Polled driver for a physical Arm PL011 console UART ("arm,pl011"), the console of QEMU's
 * arm64 virt machine. The boot firmware (or QEMU itself) leaves it enabled; the driver only
 * moves bytes, as uart_ns16550 does for RISC-V.
 */
#include "lib/types.h"

struct pl011 {
	uintptr_t base;
};

void pl011_init(struct pl011 *u, uintptr_t base);
/* Send one byte; waits (bounded) while the transmit FIFO is full. */
void pl011_putc(struct pl011 *u, char c);
/* Returns a received byte, or -1 if none is waiting. */
int pl011_getc(struct pl011 *u);

#endif
