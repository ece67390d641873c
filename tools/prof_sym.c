// SPDX-License-Identifier: MIT
/* ELF64 .symtab reader for the profiler's symbolization (see prof_sym.h). */
#include "prof_sym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHT_SYMTAB_ 2u
#define SHT_DYNSYM_ 11u
#define STT_NOTYPE_ 0u
#define STT_FUNC_   2u
#define SHN_UNDEF_  0u
#define SHN_ABS_    0xfff1u

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int sym_fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

/* [off, off+size) lies inside a buffer of len bytes. */
static int in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct prof_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address the sized symbol (a function) first: lookups take the first. */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Symbols a profile can name: functions, and untyped labels that are not local
 * assembler temporaries (entry points written in assembly). */
static int sym_wanted(uint8_t info, uint16_t shndx, const char *name)
{
	unsigned type = info & 0xfu;

	if (shndx == SHN_UNDEF_ || shndx == SHN_ABS_ || name[0] == '\0')
		return 0;
	if (type == STT_FUNC_)
		return 1;
	return type == STT_NOTYPE_ && name[0] != '.' && name[0] != '$';
}

/* The symbol table section of the given type and its string table; 0 when found. */
static int find_table(const uint8_t *b, size_t len, uint32_t want, uint64_t *sym_off,
                      uint64_t *sym_size, uint64_t *str_off, uint64_t *str_size)
{
	uint64_t shoff = rd64(b + 40);
	uint16_t shentsize = rd16(b + 58), shnum = rd16(b + 60);

	for (uint16_t i = 0; i < shnum; i++) {
		const uint8_t *sh = b + shoff + (uint64_t)i * shentsize;
		if (rd32(sh + 4) != want)
			continue;
		uint32_t link = rd32(sh + 40);
		if (link >= shnum)
			return -1;
		const uint8_t *st = b + shoff + (uint64_t)link * shentsize;
		*sym_off = rd64(sh + 24);
		*sym_size = rd64(sh + 32);
		*str_off = rd64(st + 24);
		*str_size = rd64(st + 32);
		if (!in_file(*sym_off, *sym_size, len) || !in_file(*str_off, *str_size, len) ||
		    *str_size == 0)
			return -1;
		return 0;
	}
	return 1;
}

int prof_sym_load_mem(const void *buf, size_t len, struct prof_symtab *t, char *err, size_t errlen)
{
	const uint8_t *b = buf;
	uint64_t so, ss, to, ts;
	int r;

	memset(t, 0, sizeof(*t));
	if (len < 64 || memcmp(b, "\177ELF", 4) != 0)
		return sym_fail(err, errlen, "not an ELF file");
	if (b[4] != 2 || b[5] != 1)
		return sym_fail(err, errlen, "not a 64-bit little-endian ELF file");
	uint64_t shoff = rd64(b + 40);
	uint16_t shentsize = rd16(b + 58), shnum = rd16(b + 60);
	if (shentsize < 64 || !in_file(shoff, (uint64_t)shentsize * shnum, len))
		return sym_fail(err, errlen, "section headers outside the file");
	r = find_table(b, len, SHT_SYMTAB_, &so, &ss, &to, &ts);
	if (r > 0)
		r = find_table(b, len, SHT_DYNSYM_, &so, &ss, &to, &ts);
	if (r > 0)
		return sym_fail(err, errlen, "no symbol table (stripped?)");
	if (r < 0)
		return sym_fail(err, errlen, "malformed symbol table");
	size_t nsym = (size_t)(ss / 24);
	t->syms = calloc(nsym ? nsym : 1, sizeof(*t->syms));
	if (!t->syms)
		return sym_fail(err, errlen, "out of memory");
	for (size_t i = 0; i < nsym; i++) {
		const uint8_t *s = b + so + i * 24;
		uint32_t name = rd32(s);
		if (name >= ts)
			continue;
		const char *nm = (const char *)b + to + name;
		size_t max = (size_t)(ts - name);
		size_t nl = strnlen(nm, max);
		if (nl == max) /* not terminated inside the string table */
			continue;
		if (!sym_wanted(s[4], rd16(s + 6), nm))
			continue;
		struct prof_sym *d = &t->syms[t->n];
		d->addr = rd64(s + 8);
		d->size = rd64(s + 16);
		d->name = strndup(nm, nl);
		if (!d->name) {
			prof_sym_free(t);
			return sym_fail(err, errlen, "out of memory");
		}
		t->n++;
	}
	qsort(t->syms, t->n, sizeof(*t->syms), sym_cmp);
	return 0;
}

int prof_sym_load_file(const char *path, struct prof_symtab *t, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;
	int r = -1;

	memset(t, 0, sizeof(*t));
	if (!f)
		return sym_fail(err, errlen, "cannot open");
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len)
			r = prof_sym_load_mem(buf, (size_t)len, t, err, errlen);
		else
			sym_fail(err, errlen, "cannot read");
	} else {
		sym_fail(err, errlen, "cannot read");
	}
	free(buf);
	fclose(f);
	return r;
}

void prof_sym_free(struct prof_symtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->syms[i].name);
	free(t->syms);
	memset(t, 0, sizeof(*t));
}

const struct prof_sym *prof_sym_lookup(const struct prof_symtab *t, uint64_t addr, uint64_t *off)
{
	size_t lo = 0, hi = t->n;

	/* The first symbol above addr: lo after the loop. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* The symbols at the highest address at or below addr, largest first (sym_cmp): the
	 * first sized one containing addr, else a label there, names it. */
	uint64_t a = t->syms[lo - 1].addr;
	size_t first = lo - 1;
	while (first > 0 && t->syms[first - 1].addr == a)
		first--;
	for (size_t i = first; i < lo; i++) {
		const struct prof_sym *s = &t->syms[i];
		if (s->size == 0 || addr - a < s->size) {
			*off = addr - a;
			return s;
		}
	}
	return NULL;
}
