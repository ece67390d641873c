/* SPDX-License-Identifier: MIT */
/*
 * Freestanding memory and string functions.
 *
 * memset/memcpy/memmove move a machine word at a time once the pointers are
 * word aligned; everything else is a plain byte loop. Misaligned word
 * accesses are avoided because on RISC-V they may trap to M-mode and be
 * emulated by OpenSBI, which is far slower than byte accesses.
 *
 * The compiler may turn a byte loop into a call to memset/memcpy (loop
 * idiom recognition); inside these very functions that would recurse. The
 * Makefile compiles this file with -fno-tree-loop-distribute-patterns (the
 * idiom recognizer off) and then fails the build if the object file calls
 * memset, memcpy or memmove (scripts/check-no-self-calls.sh).
 */
#include "lib/string.h"

#include <stdint.h>

/* A machine word that may alias any object (so word copies of char buffers are defined). */
typedef uintptr_t __attribute__((__may_alias__)) word_t;

#define WSIZE      sizeof(word_t)
#define WMASK      (WSIZE - 1)
#define ONES       ((word_t)-1 / 0xff) /* 0x0101...01 */
#define BIG_ENOUGH (4 * WSIZE)         /* below this, aligning costs more than it saves */

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;
	unsigned char b = (unsigned char)c;

	if (n >= BIG_ENOUGH) {
		word_t w = ONES * b;
		word_t *wp;

		while ((uintptr_t)p & WMASK) {
			*p++ = b;
			n--;
		}
		wp = (word_t *)(void *)p;
		for (; n >= 4 * WSIZE; n -= 4 * WSIZE, wp += 4) {
			wp[0] = w;
			wp[1] = w;
			wp[2] = w;
			wp[3] = w;
		}
		for (; n >= WSIZE; n -= WSIZE)
			*wp++ = w;
		p = (unsigned char *)wp;
	}
	while (n--)
		*p++ = b;
	return s;
}

/* Forward copy, safe for overlap when dst < src (every word is loaded before it is stored). */
static void copy_fwd(unsigned char *d, const unsigned char *s, size_t n)
{
	if (n >= BIG_ENOUGH && (((uintptr_t)d ^ (uintptr_t)s) & WMASK) == 0) {
		word_t *wd;
		const word_t *ws;

		while ((uintptr_t)d & WMASK) {
			*d++ = *s++;
			n--;
		}
		wd = (word_t *)(void *)d;
		ws = (const word_t *)(const void *)s;
		for (; n >= 4 * WSIZE; n -= 4 * WSIZE, wd += 4, ws += 4) {
			word_t a = ws[0], b = ws[1], c = ws[2], e = ws[3];

			wd[0] = a;
			wd[1] = b;
			wd[2] = c;
			wd[3] = e;
		}
		for (; n >= WSIZE; n -= WSIZE)
			*wd++ = *ws++;
		d = (unsigned char *)wd;
		s = (const unsigned char *)ws;
	} else if (n >= BIG_ENOUGH && (((uintptr_t)d ^ (uintptr_t)s) & 3) == 0) {
		/*
		 * Only 4-byte co-aligned, e.g. an image inside a flattened device tree
		 * (properties are 4-byte aligned) going to page-aligned guest RAM:
		 * 32-bit units still beat bytes by four.
		 */
		uint32_t *hd;
		const uint32_t *hs;

		while ((uintptr_t)d & 3) {
			*d++ = *s++;
			n--;
		}
		hd = (uint32_t *)(void *)d;
		hs = (const uint32_t *)(const void *)s;
		for (; n >= 16; n -= 16, hd += 4, hs += 4) {
			uint32_t a = hs[0], b = hs[1], c = hs[2], e = hs[3];

			hd[0] = a;
			hd[1] = b;
			hd[2] = c;
			hd[3] = e;
		}
		for (; n >= 4; n -= 4)
			*hd++ = *hs++;
		d = (unsigned char *)hd;
		s = (const unsigned char *)hs;
	}
	while (n--)
		*d++ = *s++;
}

/* Backward copy (from the end), safe for overlap when dst > src. */
static void copy_bwd(unsigned char *d, const unsigned char *s, size_t n)
{
	d += n;
	s += n;
	if (n >= BIG_ENOUGH && (((uintptr_t)d ^ (uintptr_t)s) & WMASK) == 0) {
		word_t *wd;
		const word_t *ws;

		while ((uintptr_t)d & WMASK) {
			*--d = *--s;
			n--;
		}
		wd = (word_t *)(void *)d;
		ws = (const word_t *)(const void *)s;
		for (; n >= 4 * WSIZE; n -= 4 * WSIZE) {
			word_t a = ws[-1], b = ws[-2], c = ws[-3], e = ws[-4];

			wd[-1] = a;
			wd[-2] = b;
			wd[-3] = c;
			wd[-4] = e;
			wd -= 4;
			ws -= 4;
		}
		for (; n >= WSIZE; n -= WSIZE)
			*--wd = *--ws;
		d = (unsigned char *)wd;
		s = (const unsigned char *)ws;
	}
	while (n--)
		*--d = *--s;
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	copy_fwd(dst, src, n);
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;

	/* Compare as integers: relational operators on unrelated pointers are undefined. */
	if (d - s >= n)
		copy_fwd(dst, src, n); /* dst below src, or no overlap */
	else
		copy_bwd(dst, src, n);
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;

	for (; n; n--, pa++, pb++) {
		if (*pa != *pb)
			return *pa - *pb;
	}
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && s[i]; i++)
		;
	return i;
}

int strcmp(const char *a, const char *b)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	while (*pa && *pa == *pb) {
		pa++;
		pb++;
	}
	return *pa - *pb;
}

int strncmp(const char *a, const char *b, size_t n)
{
	const unsigned char *pa = (const unsigned char *)a;
	const unsigned char *pb = (const unsigned char *)b;

	for (; n; n--, pa++, pb++) {
		if (*pa != *pb)
			return *pa - *pb;
		if (!*pa)
			break;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	char ch = (char)c;

	for (;; s++) {
		if (*s == ch)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	char ch = (char)c;
	const char *last = NULL;

	for (;; s++) {
		if (*s == ch)
			last = s;
		if (!*s)
			return (char *)last;
	}
}
