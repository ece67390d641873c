/* SPDX-License-Identifier: MIT */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Minimal formatter: %d %i %u %x %X %p %s %c %%, flags '-' and '0', a field width, and the
 * length modifiers l, ll, z. No floating point (the FPU test relies on that: formatting never
 * touches f registers). Output is NUL-terminated and truncated to size; the return value is
 * the length that the full output would have had.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Formats into a 512-byte buffer and writes it to the console in one locked write.
 * Callers print whole lines ending in '\n'. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
