/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CONSOLE_H
#define FV_CORE_CONSOLE_H

/*
 * The physical console: one output stream shared by the hypervisor and all
 * VMs. Every line is tagged with its source ("[hyp] ", "[vm-name] ") and
 * lines from different sources never interleave mid-line.
 */
#include "lib/types.h"
#include <stdarg.h>

struct console_driver {
	void (*putc)(void *ctx, char c);
	int (*getc)(void *ctx); /* -1 when nothing is waiting */
	void *ctx;
	void (*rx_irq)(void *ctx, bool on); /* receive interrupt on/off; NULL: polled only */
	/* Optional: n bytes as n putc calls would send them (no '\n' translation); NULL: putc. */
	void (*write)(void *ctx, const char *s, size_t n);
};

/*
 * Enable the physical console's receive interrupt. 0, or -FV_ENOTSUP when the driver has
 * none (input stays polled). Boot CPU.
 */
int console_rx_irq_enable(void);
/* Install the physical console driver (replaces the early firmware console). */
void console_set_driver(const struct console_driver *drv);
/*
 * Write len bytes of source `tag` (NUL-terminated name). Bytes after the
 * last newline stay "open": a later write from the same source continues
 * the line, a write from another source first ends it.
 */
void console_write(const char *tag, const char *s, size_t len);
/*
 * Console_write() for a guest's bytes: control bytes and bytes >= 0x80 are
 * rendered visibly (core/conesc.h) so the guest cannot drive the terminal,
 * unless raw (the operator's `console raw on`, focused VM only).
 */
void console_write_guest(const char *tag, const char *s, size_t len, bool raw);
/*
 * Write a guest's (possibly still partial) line of which the first `shown` bytes were
 * written before: only the rest if tag's line is still the open one on the screen, else
 * the whole line again under a fresh tag. Filtered like console_write_guest().
 */
void console_write_guest_line(const char *tag, const char *line, size_t len, size_t shown,
                              bool raw);
/*
 * The hypervisor's own partial line (the shell's prompt and typed text) as
 * console_write_guest_line does it, unfiltered: line[shown..len) if tag's line is
 * still the open one, else the whole line again, decided under the console lock.
 */
void console_write_line(const char *tag, const char *line, size_t len, size_t shown);
/* Hypervisor log line, printf-style, tagged "hyp". */
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vprintf(const char *fmt, va_list ap);
/* Raw output with no tagging or locking (panic path). */
void console_raw_puts(const char *s);
/* Poll the physical console for one input byte; -1 if none. */
int console_getc(void);
/* Early output before a driver exists (arch hook: the firmware's console). */
void arch_early_putc(char c);

#define pr_info(...) log_printf(__VA_ARGS__)
#define pr_warn(...) log_printf("warning: " __VA_ARGS__)
#define pr_err(...)  log_printf("error: " __VA_ARGS__)

/* Stop the hypervisor after a broken internal invariant. Never for guest input. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define BUG_ON(c)                                                                                  \
	do {                                                                                       \
		if (c)                                                                             \
			panic("BUG: %s at %s:%d", #c, __FILE__, __LINE__);                         \
	} while (0)

#endif
