// SPDX-License-Identifier: MIT
/* Error and warning messages of the configuration tool (format in diag.h). */
#include "diag.h"

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

void diag_print(const struct diag *d)
{
	for (unsigned i = 0; i < d->nr_warn; i++)
		fprintf(stderr, "%s\n", d->warn[i]);
	if (d->failed)
		fprintf(stderr, "%s\n", d->msg);
}
