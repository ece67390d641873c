/* SPDX-License-Identifier: MIT */
#ifndef FV_DRIVERS_UART_NS16550_H
#define FV_DRIVERS_UART_NS16550_H

/*
 * Driver for the physical ns16550a console UART (already set up by firmware): polled
 * transmit, receive polled or interrupt-driven (the interrupt is level: it stays raised
 * while received bytes wait, so the handler reads until getc returns -1).
 */
#include "lib/types.h"

struct uart_ns16550 {
	uintptr_t base;
	unsigned reg_shift;
	unsigned io_width; /* 1 or 4 */
};

void uart_ns16550_init(struct uart_ns16550 *u, uintptr_t base, unsigned reg_shift,
                       unsigned io_width);
void uart_ns16550_putc(struct uart_ns16550 *u, char c);
/* n bytes, each as uart_ns16550_putc sends it (polled, bounded wait). */
void uart_ns16550_write(struct uart_ns16550 *u, const char *s, size_t n);
/* Returns a received byte, or -1 if none is waiting. */
int uart_ns16550_getc(struct uart_ns16550 *u);
/* Enable (@on) or disable the received-data interrupt. */
void uart_ns16550_rx_irq(struct uart_ns16550 *u, bool on);

#endif
