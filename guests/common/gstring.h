/* SPDX-License-Identifier: MIT */
#ifndef GUEST_GSTRING_H
#define GUEST_GSTRING_H

#include <stddef.h>

/* Freestanding string helpers (string.c). Named like libc because GCC emits calls to them. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

#endif
