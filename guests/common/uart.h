/* SPDX-License-Identifier: MIT */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include <stddef.h>

/*
 * Polled ns16550a console at GUEST_UART_BASE (reg-shift 0). Output of one call is written
 * under the console lock with interrupts off, so lines of different harts never interleave
 * as long as callers print whole lines.
 */
void uart_putc_raw(char c);
void uart_write(const char *s, size_t len);
/* Bypasses the console lock: only for the fatal-trap path, where the lock may be held. */
void uart_write_unlocked(const char *s, size_t len);
/* Returns the received byte or -1 when none is waiting. */
int uart_getc(void);
/* Take/drop the console lock around several writes (e.g. DBCN output in sbi_test). */
unsigned long uart_lock(void);
void uart_unlock(unsigned long flags);

#endif
