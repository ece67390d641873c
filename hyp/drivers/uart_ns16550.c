// SPDX-License-Identifier: MIT
/* Physical ns16550a console: polled TX; RX polled or on its receive interrupt. */
#include "drivers/uart_ns16550.h"

#define REG_THR   0
#define REG_RBR   0
#define REG_IER   1
#define REG_MCR   4
#define REG_LSR   5
#define IER_ERBFI 0x01 /* received data available (and character timeout) */
#define MCR_OUT2  0x08 /* gates the interrupt line on PC-style boards */
#define LSR_DR    0x01
#define LSR_THRE  0x20

static uint8_t reg_read(const struct uart_ns16550 *u, unsigned reg)
{
	uintptr_t a = u->base + ((uintptr_t)reg << u->reg_shift);
	if (u->io_width == 4)
		return (uint8_t) * (volatile uint32_t *)a;
	return *(volatile uint8_t *)a;
}

static void reg_write(const struct uart_ns16550 *u, unsigned reg, uint8_t v)
{
	uintptr_t a = u->base + ((uintptr_t)reg << u->reg_shift);
	if (u->io_width == 4)
		*(volatile uint32_t *)a = v;
	else
		*(volatile uint8_t *)a = v;
}

void uart_ns16550_init(struct uart_ns16550 *u, uintptr_t base, unsigned reg_shift,
                       unsigned io_width)
{
	u->base = base;
	u->reg_shift = reg_shift;
	u->io_width = io_width == 4 ? 4 : 1;
}

void uart_ns16550_putc(struct uart_ns16550 *u, char c)
{
	/* Bounded wait: a wedged UART must not hang the hypervisor forever. */
	for (unsigned i = 0; i < 1000000; i++) {
		if (reg_read(u, REG_LSR) & LSR_THRE)
			break;
	}
	reg_write(u, REG_THR, (uint8_t)c);
}

/* Wait (bounded, as in putc: a wedged UART must not hang the hypervisor) until THR is empty. */
static inline void wait_thre8(uintptr_t lsr)
{
	for (unsigned i = 0; i < 1000000 && !(*(volatile uint8_t *)lsr & LSR_THRE); i++)
		;
}

static inline void wait_thre32(uintptr_t lsr)
{
	for (unsigned i = 0; i < 1000000 && !(*(volatile uint32_t *)lsr & LSR_THRE); i++)
		;
}

void uart_ns16550_write(struct uart_ns16550 *u, const char *s, size_t n)
{
	/* putc's loop with the register addresses and access width worked out once. */
	uintptr_t lsr = u->base + ((uintptr_t)REG_LSR << u->reg_shift);
	uintptr_t thr = u->base + ((uintptr_t)REG_THR << u->reg_shift);
	if (u->io_width == 4) {
		for (size_t k = 0; k < n; k++) {
			wait_thre32(lsr);
			*(volatile uint32_t *)thr = (uint8_t)s[k];
		}
		return;
	}
	for (size_t k = 0; k < n; k++) {
		wait_thre8(lsr);
		*(volatile uint8_t *)thr = (uint8_t)s[k];
	}
}

int uart_ns16550_getc(struct uart_ns16550 *u)
{
	if (reg_read(u, REG_LSR) & LSR_DR)
		return reg_read(u, REG_RBR);
	return -1;
}

void uart_ns16550_rx_irq(struct uart_ns16550 *u, bool on)
{
	/*
	 * Only the receive interrupt: transmission stays polled (putc waits for THRE). OUT2
	 * too, which some boards AND into the interrupt line; QEMU ignores it.
	 */
	uint8_t mcr = reg_read(u, REG_MCR);
	reg_write(u, REG_MCR, on ? (uint8_t)(mcr | MCR_OUT2) : mcr);
	reg_write(u, REG_IER, on ? IER_ERBFI : 0);
}
