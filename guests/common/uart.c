// SPDX-License-Identifier: MIT
/* Polled ns16550a driver: THR/RBR at +0, LSR at +5 (bit 5 THRE, bit 0 DR). */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "spinlock.h"
#include "uart.h"

#define UART_THR 0
#define UART_RBR 0
#define UART_LSR 5
#define LSR_DR   0x01
#define LSR_THRE 0x20

/* Serialises console output between harts; taken with interrupts off so a trap handler on
 * the same hart never spins on a lock its own hart holds. */
static struct spinlock console_lock = SPINLOCK_INIT;

static inline uint8_t reg_read(unsigned int off)
{
	return *(volatile uint8_t *)(GUEST_UART_BASE + off);
}

static inline void reg_write(unsigned int off, uint8_t v)
{
	*(volatile uint8_t *)(GUEST_UART_BASE + off) = v;
}

void uart_putc_raw(char c)
{
	while (!(reg_read(UART_LSR) & LSR_THRE))
		cpu_relax();
	reg_write(UART_THR, (uint8_t)c);
}

void uart_write_unlocked(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		uart_putc_raw(s[i]);
}

unsigned long uart_lock(void)
{
	unsigned long flags = irq_save();

	spin_lock(&console_lock);
	return flags;
}

void uart_unlock(unsigned long flags)
{
	spin_unlock(&console_lock);
	irq_restore(flags);
}

void uart_write(const char *s, size_t len)
{
	unsigned long flags = uart_lock();

	uart_write_unlocked(s, len);
	uart_unlock(flags);
}

int uart_getc(void)
{
	if (reg_read(UART_LSR) & LSR_DR)
		return reg_read(UART_RBR);
	return -1;
}
