/* SPDX-License-Identifier: MIT */
#ifndef FV_LIB_STRING_H
#define FV_LIB_STRING_H

/*
 * Freestanding memory and string functions (C11 §7.24 names and prototypes).
 *
 * The hypervisor links no libc, and the compiler emits calls to memcpy,
 * memset, memmove and memcmp on its own (struct copies, zeroing), so these
 * keep their standard names. The prototypes are exactly the ISO C ones: in
 * host unit tests (FV_HOST_TEST) hyp/lib/string.c is not linked and these
 * declarations simply re-declare the host libc functions.
 *
 * All functions are reentrant, take no locks and may be called from any
 * context, including trap handlers and before per-CPU state exists.
 */
#include <stddef.h>

/* Fill n bytes at s with (unsigned char)c. Returns s. */
void *memset(void *s, int c, size_t n);

/* Copy n bytes from src to dst; the regions must not overlap. Returns dst. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);

/* Copy n bytes from src to dst; the regions may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n);

/*
 * Compare n bytes as unsigned char. Returns <0, 0 or >0 as a sorts before,
 * equal to or after b.
 */
int memcmp(const void *a, const void *b, size_t n);

/* Length of the NUL-terminated string s, without the NUL. */
size_t strlen(const char *s);

/* Like strlen, but never reads more than max bytes; returns at most max. */
size_t strnlen(const char *s, size_t max);

/* Compare two NUL-terminated strings as unsigned char, like memcmp. */
int strcmp(const char *a, const char *b);

/* Like strcmp, but compares at most n characters. */
int strncmp(const char *a, const char *b, size_t n);

/*
 * First occurrence of (char)c in s, or NULL. The terminating NUL is part of
 * the string, so strchr(s, 0) returns a pointer to it.
 */
char *strchr(const char *s, int c);

/* Last occurrence of (char)c in s (the NUL included), or NULL. */
char *strrchr(const char *s, int c);

#endif
