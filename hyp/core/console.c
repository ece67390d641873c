// SPDX-License-Identifier: MIT
/* Physical console output with per-source line tagging, and log/panic. */
#include "core/console.h"
#include "core/arch.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "lib/printf.h"
#include "lib/string.h"

static struct console_driver cons_drv;
static bool cons_has_drv;
/* Protects the output stream and open_tag. */
static struct spinlock cons_lock = SPINLOCK_INIT;
/* Source whose line is open (no newline yet) on the screen, or NULL. */
static const char *open_tag;

static void out_c(char c)
{
	if (cons_has_drv) {
		if (c == '\n')
			cons_drv.putc(cons_drv.ctx, '\r');
		cons_drv.putc(cons_drv.ctx, c);
	} else {
		arch_early_putc(c);
	}
}

static void out_s(const char *s)
{
	while (*s)
		out_c(*s++);
}

void console_set_driver(const struct console_driver *drv)
{
	spin_lock(&cons_lock);
	cons_drv = *drv;
	cons_has_drv = true;
	spin_unlock(&cons_lock);
}

void console_write(const char *tag, const char *s, size_t len)
{
	spin_lock(&cons_lock);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (open_tag != tag) {
			if (open_tag)
				out_c('\n');
			out_c('[');
			out_s(tag);
			out_s("] ");
			open_tag = tag;
		}
		if (c == '\n') {
			out_c('\n');
			open_tag = NULL;
		} else if (c != '\r') {
			out_c(c);
		}
	}
	spin_unlock(&cons_lock);
}

static const char hyp_tag[] = "hyp";

void log_vprintf(const char *fmt, va_list ap)
{
	char buf[256];
	int n = fv_vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(buf) - 2 ? (size_t)n : sizeof(buf) - 2;
	if (len == 0 || buf[len - 1] != '\n')
		buf[len++] = '\n';
	console_write(hyp_tag, buf, len);
}

void log_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vprintf(fmt, ap);
	va_end(ap);
}

void console_raw_puts(const char *s)
{
	out_s(s);
}

int console_getc(void)
{
	if (!cons_has_drv || !cons_drv.getc)
		return -1;
	return cons_drv.getc(cons_drv.ctx);
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	fv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/*
	 * Do not wait forever for the console lock: the panic may come from
	 * inside it. Try for a while, then write anyway.
	 */
	bool locked = false;
	for (unsigned i = 0; i < 100000 && !locked; i++)
		locked = spin_trylock(&cons_lock);
	struct cpu *c = cpu_this();
	char head[96];
	fv_snprintf(head, sizeof(head), "\n[hyp] PANIC on cpu %u (hart %lu): ", c ? c->id : 0U,
	            c ? (unsigned long)c->hartid : 0UL);
	out_s(head);
	out_s(buf);
	out_s("\n");
	if (locked)
		spin_unlock(&cons_lock);
	arch_system_poweroff();
}
