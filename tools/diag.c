// SPDX-License-Identifier: MIT
/* Error and warning messages of the configuration tool (format in diag.h). */
#include "diag.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void diag_init(struct diag *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

static void format(const struct diag *d, char *buf, size_t len, struct src_pos pos,
                   const char *prefix, const char *key, const char *fmt, va_list ap)
{
	int n;
	if (pos.line)
		n = snprintf(buf, len, "%s:%u:%u: %s%s: ", d->file, pos.line, pos.col, prefix, key);
	else
		n = snprintf(buf, len, "%s: %s%s: ", d->file, prefix, key);
	if (n < 0 || (size_t)n >= len)
		return;
	vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

int diag_error(struct diag *d, struct src_pos pos, const char *key, const char *fmt, ...)
{
	if (d->failed)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	format(d, d->msg, sizeof(d->msg), pos, "", key, fmt, ap);
	va_end(ap);
	d->failed = true;
	return -1;
}

void diag_warn(struct diag *d, struct src_pos pos, const char *key, const char *fmt, ...)
{
	if (d->nr_warn == DIAG_MAX_WARN)
		return;
	va_list ap;
	va_start(ap, fmt);
	format(d, d->warn[d->nr_warn++], DIAG_MSG_MAX, pos, "warning: ", key, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (2-4), or 0; *cp gets its code point. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n = c >= 0xc2 && c <= 0xdf   ? 2
	           : c >= 0xe0 && c <= 0xef ? 3
	           : c >= 0xf0 && c <= 0xf4 ? 4
	                                    : 0;
	if (!n)
		return 0;
	uint32_t v = c & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0; /* also stops at the NUL */
		v = (v << 6) | (s[i] & 0x3fu);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (v < min[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

void diag_fputs_safe(FILE *f, const char *str, bool keep_newline)
{
	const unsigned char *s = (const unsigned char *)str;
	while (*s) {
		uint32_t cp = 0;
		size_t n;
		if (*s == '\n' && keep_newline) {
			fputc('\n', f);
			s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(f, "\\x%02x", *s++);
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else if ((n = utf8_seq(s, &cp)) != 0 && cp >= 0xa0) {
			fwrite(s, 1, n, f);
			s += n;
		} else if (n) {
			fprintf(f, "\\u%04x", (unsigned)cp); /* a C1 control (U+009B is a CSI) */
			s += n;
		} else {
			fprintf(f, "\\x%02x", *s++); /* not UTF-8: a lone 0x9b is a CSI too */
		}
	}
}

void diag_log(FILE *f, const char *fmt, ...)
{
	char buf[DIAG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_fputs_safe(f, buf, true);
}

void diag_print(const struct diag *d)
{
	for (unsigned i = 0; i < d->nr_warn; i++) {
		diag_fputs_safe(stderr, d->warn[i], false);
		fputc('\n', stderr);
	}
	if (d->failed) {
		diag_fputs_safe(stderr, d->msg, false);
		fputc('\n', stderr);
	}
}
