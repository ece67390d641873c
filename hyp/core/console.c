// SPDX-License-Identifier: MIT
/* Physical console output with per-source line tagging, and log/panic. */
#include "core/console.h"
#include "core/arch.h"
#include "core/conesc.h"
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
/* Backspace credit of the open guest line (conesc_byte()): its own plain cells. */
static unsigned open_col;

/* How console_write_src() treats the bytes it writes. */
enum src_mode {
	SRC_HYP,       /* the hypervisor's own text: as is, '\r' dropped */
	SRC_GUEST,     /* guest text: rendered by conesc_byte() */
	SRC_GUEST_RAW, /* guest text the operator asked to see unchanged */
};

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

/*
 * n bytes holding no '\n' (which out_c turns into "\r\n"): in one driver call when the
 * driver has one. Per-byte calls through two function pointers cost ~40 instructions a
 * byte, a tenth of the hypervisor's boot (docs/performance.md, boot path).
 */
static void out_n(const char *s, size_t n)
{
	if (cons_has_drv && cons_drv.write) {
		cons_drv.write(cons_drv.ctx, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		out_c(s[i]);
}

static void out_s(const char *s)
{
	out_n(s, strlen(s));
}

void console_set_driver(const struct console_driver *drv)
{
	spin_lock(&cons_lock);
	cons_drv = *drv;
	cons_has_drv = true;
	spin_unlock(&cons_lock);
}

/* cons_lock held: start tag's line unless it is the open one. */
static void open_line_locked(const char *tag)
{
	if (open_tag == tag)
		return;
	if (open_tag)
		out_c('\n');
	out_c('[');
	out_s(tag);
	out_s("] ");
	open_tag = tag;
	open_col = 0;
}

/* cons_lock held: write one source's bytes, tagging a line whenever it (re)opens. */
static void write_src_locked(const char *tag, const char *s, size_t len, enum src_mode mode)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		open_line_locked(tag);
		if (mode != SRC_GUEST && c != '\n' && (c != '\r' || mode == SRC_GUEST_RAW)) {
			/* A run of bytes that go out as they are: one driver call. */
			size_t j = i + 1;
			while (j < len && s[j] != '\n' && (s[j] != '\r' || mode == SRC_GUEST_RAW))
				j++;
			out_n(s + i, j - i);
			i = j - 1;
			continue;
		}
		if (c == '\n') {
			out_c('\n');
			open_tag = NULL;
		} else if (mode == SRC_GUEST) {
			char buf[CONESC_MAX];
			size_t n = conesc_byte((uint8_t)c, &open_col, buf);
			for (size_t j = 0; j < n; j++)
				out_c(buf[j]);
		} else if (c != '\r' || mode == SRC_GUEST_RAW) {
			out_c(c);
		}
	}
}

static void console_write_src(const char *tag, const char *s, size_t len, enum src_mode mode)
{
	spin_lock(&cons_lock);
	write_src_locked(tag, s, len, mode);
	spin_unlock(&cons_lock);
}

void console_write(const char *tag, const char *s, size_t len)
{
	console_write_src(tag, s, len, SRC_HYP);
}

void console_write_guest(const char *tag, const char *s, size_t len, bool raw)
{
	console_write_src(tag, s, len, raw ? SRC_GUEST_RAW : SRC_GUEST);
}

/*
 * One decision under cons_lock: if the screen still shows this line open, only its new
 * bytes follow; if anything else was written since (a log line, another VM), the line
 * starts again with its tag and everything so far, so every line a source completes
 * appears whole on one terminal line, however often it was interrupted.
 */
static void write_line_src(const char *tag, const char *line, size_t len, size_t shown,
                           enum src_mode mode)
{
	spin_lock(&cons_lock);
	if (shown > 0 && shown <= len && open_tag == tag)
		write_src_locked(tag, line + shown, len - shown, mode);
	else
		write_src_locked(tag, line, len, mode);
	spin_unlock(&cons_lock);
}

void console_write_guest_line(const char *tag, const char *line, size_t len, size_t shown, bool raw)
{
	write_line_src(tag, line, len, shown, raw ? SRC_GUEST_RAW : SRC_GUEST);
}

void console_write_line(const char *tag, const char *line, size_t len, size_t shown)
{
	write_line_src(tag, line, len, shown, SRC_HYP);
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

int console_rx_irq_enable(void)
{
	if (!cons_has_drv || !cons_drv.rx_irq)
		return -FV_ENOTSUP;
	cons_drv.rx_irq(cons_drv.ctx, true);
	return 0;
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
	fv_snprintf(head, sizeof(head),
	            "\n[hyp] PANIC on cpu %u (" ARCH_CPU_ID_NAME " %lu): ", c ? c->id : 0U,
	            c ? (unsigned long)c->hw_id : 0UL);
	out_s(head);
	out_s(buf);
	out_s("\n");
	if (locked)
		spin_unlock(&cons_lock);
	arch_system_poweroff();
}
