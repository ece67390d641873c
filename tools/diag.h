/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_DIAG_H
#define FV_TOOLS_DIAG_H

/*
 * Diagnostics of the configuration tool. An error is one line,
 *   FILE:LINE:COL: KEY: what is wrong
 * (FILE as the user named it, LINE and COL 1-based), or "FILE: KEY: ..."
 * when there is no position. The first error wins: later diag_error()
 * calls keep the first message. Warnings are kept in order, up to a limit.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "model.h"

#define DIAG_MSG_MAX  1024
#define DIAG_MAX_WARN 8

struct diag {
	const char *file;
	bool failed;
	char msg[DIAG_MSG_MAX];
	unsigned nr_warn;
	char warn[DIAG_MAX_WARN][DIAG_MSG_MAX];
};

/* Start collecting for file (the name is not copied). */
void diag_init(struct diag *d, const char *file);

/* Record an error at pos about key; returns -1 so callers can `return diag_error(...)`. */
int diag_error(struct diag *d, struct src_pos pos, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record a warning (same format, "warning: " before the key). */
void diag_warn(struct diag *d, struct src_pos pos, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Print the warnings and the error (if any) to stderr, one per line. */
void diag_print(const struct diag *d);

#endif
