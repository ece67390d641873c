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
#include <stdio.h>

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

/*
 * Print the warnings and the error (if any) to stderr, one per line, through
 * diag_fputs_safe(): keys, values and paths from the file cannot drive the
 * terminal.
 */
void diag_print(const struct diag *d);

/*
 * Write s to f with what a terminal would obey shown as text: C0 controls
 * and DEL as \xNN (newlines too unless keep_newline), bytes that are not
 * UTF-8 as \xNN, C1 controls written in UTF-8 as \u00NN; printable UTF-8
 * passes. For anything the tool prints that holds names, keys or paths.
 */
void diag_fputs_safe(FILE *f, const char *s, bool keep_newline);

/* fprintf() to f through diag_fputs_safe() (newlines kept); at most DIAG_MSG_MAX - 1 bytes. */
void diag_log(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
