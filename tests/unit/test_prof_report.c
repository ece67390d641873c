/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the profiler's host side (tools/prof_sym.c, tools/prof_report.c):
 * an ELF64 .symtab built in memory (sized functions, a label, a data object, an
 * undefined symbol), lookups at every boundary, malformed files refused, the folded
 * stack format "root;...;leaf COUNT" with merging, and the top list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/prof_report.h"

static void w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void w64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Layout: ehdr 0..64, strtab at 64, symtab at 256, section headers at 512 (3 of them). */
static const char strtab[] = "\0main\0spin_here\0_start\0counter\0extern_fn\0.Lloop";
static size_t elf_len = 512 + 3 * 64;

static void sym(uint8_t *p, const char *name, uint8_t info, uint16_t shndx, uint64_t v, uint64_t sz)
{
	const char *at = NULL;
	for (size_t i = 0; i < sizeof(strtab); i++)
		if (strcmp(strtab + i, name) == 0) {
			at = strtab + i;
			break;
		}
	assert_non_null(at);
	w32(p, (uint32_t)(at - strtab));
	p[4] = info;
	w16(p + 6, shndx);
	w64(p + 8, v);
	w64(p + 16, sz);
}

static uint8_t *make_elf(void)
{
	uint8_t *b = calloc(1, elf_len);
	memcpy(b, "\177ELF", 4);
	b[4] = 2; /* 64-bit */
	b[5] = 1; /* little-endian */
	w64(b + 40, 512);
	w16(b + 58, 64);
	w16(b + 60, 3);
	memcpy(b + 64, strtab, sizeof(strtab));
	uint8_t *s = b + 256;
	/* symbol 0 is the null symbol */
	sym(s + 24 * 1, "main", 0x12, 1, 0x80001000, 0x40);      /* global FUNC */
	sym(s + 24 * 2, "spin_here", 0x02, 1, 0x80001100, 0x20); /* local FUNC */
	sym(s + 24 * 3, "_start", 0x10, 1, 0x80000000, 0);       /* NOTYPE label */
	sym(s + 24 * 4, "counter", 0x11, 2, 0x80002000, 8);      /* OBJECT: not code */
	sym(s + 24 * 5, "extern_fn", 0x12, 0, 0, 0);             /* undefined */
	sym(s + 24 * 6, ".Lloop", 0x00, 1, 0x80001010, 0);       /* assembler temporary */
	uint8_t *sh = b + 512;
	/* [1] .symtab -> link 2 */
	w32(sh + 64 + 4, 2);
	w64(sh + 64 + 24, 256);
	w64(sh + 64 + 32, 7 * 24);
	w32(sh + 64 + 40, 2);
	/* [2] .strtab */
	w32(sh + 128 + 4, 3);
	w64(sh + 128 + 24, 64);
	w64(sh + 128 + 32, sizeof(strtab));
	return b;
}

static const char *look(const struct prof_symtab *t, uint64_t a, uint64_t *off)
{
	const struct prof_sym *s = prof_sym_lookup(t, a, off);
	return s ? s->name : NULL;
}

static void test_symbols(void **state)
{
	(void)state;
	uint8_t *b = make_elf();
	struct prof_symtab t;
	char err[64];
	uint64_t off;

	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 3); /* main, spin_here, _start */
	assert_string_equal(look(&t, 0x80001000, &off), "main");
	assert_int_equal(off, 0);
	assert_string_equal(look(&t, 0x8000103f, &off), "main");
	assert_int_equal(off, 0x3f);
	assert_null(look(&t, 0x80001040, &off)); /* just past main */
	assert_string_equal(look(&t, 0x80001110, &off), "spin_here");
	assert_null(look(&t, 0x80001120, &off));
	/* A label covers what follows it up to the next symbol. */
	assert_string_equal(look(&t, 0x80000abc, &off), "_start");
	assert_int_equal(off, 0xabc);
	assert_null(look(&t, 0x7fffffff, &off));
	assert_null(look(&t, 0x80002000, &off)); /* data object, not listed */

	char name[64];
	prof_report_name(&t, false, 0x80001104, false, name, sizeof(name));
	assert_string_equal(name, "spin_here+0x4");
	/* A return address at the very end of main is still main's (looked up at -1). */
	prof_report_name(&t, false, 0x80001040, true, name, sizeof(name));
	assert_string_equal(name, "main+0x40");
	prof_report_name(&t, false, 0x90000000, false, name, sizeof(name));
	assert_string_equal(name, "0x90000000");
	prof_report_name(&t, true, 0x80001000, false, name, sizeof(name));
	assert_string_equal(name, "[hypervisor]");
	prof_report_name(NULL, false, 0x80001000, false, name, sizeof(name));
	assert_string_equal(name, "0x80001000");
	/* --hyp-elf: hypervisor addresses named from its own table, guest ones are not. */
	struct prof_symtab g = {0};
	g.hyp = &t;
	prof_report_name(&g, true, 0x80001104, false, name, sizeof(name));
	assert_string_equal(name, "[hypervisor] spin_here+0x4");
	prof_report_name(&g, true, 0x90000000, false, name, sizeof(name));
	assert_string_equal(name, "[hypervisor]");
	prof_report_name(&g, false, 0x80001104, false, name, sizeof(name));
	assert_string_equal(name, "0x80001104");
	prof_sym_free(&t);
	free(b);
}

static void test_malformed(void **state)
{
	(void)state;
	struct prof_symtab t;
	char err[64];
	uint8_t *b = make_elf();

	assert_int_equal(prof_sym_load_mem(b, 32, &t, err, sizeof(err)), -1);
	assert_int_equal(prof_sym_load_mem(b, 600, &t, err, sizeof(err)), -1); /* shdrs cut */
	b[4] = 1;
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), -1);
	free(b);
	b = make_elf();
	w64(b + 512 + 64 + 32, 100000); /* symtab runs past the file */
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), -1);
	free(b);
	b = make_elf();
	w32(b + 512 + 64 + 40, 9); /* link to a section that does not exist */
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), -1);
	free(b);
	b = make_elf();
	w32(b + 512 + 64 + 4, 1); /* no symbol table at all */
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), -1);
	assert_string_equal(err, "no symbol table (stripped?)");
	free(b);
	b = make_elf();
	w32(b + 256 + 24 + 0, 5000);      /* a name offset past the string table: skipped */
	b[64 + sizeof(strtab) - 1] = 'x'; /* and the last name unterminated: skipped */
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	prof_sym_free(&t);
	free(b);
}

static char *capture(int (*fn)(FILE *, const struct prof_stack *, size_t,
                               const struct prof_symtab *),
                     const struct prof_stack *s, size_t n, const struct prof_symtab *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(fn(f, s, n, t), 0);
	fclose(f);
	return buf;
}

static int top3(FILE *f, const struct prof_stack *s, size_t n, const struct prof_symtab *t)
{
	return prof_report_top(f, s, n, t, 3);
}

static void test_folded_and_top(void **state)
{
	(void)state;
	uint8_t *b = make_elf();
	struct prof_symtab t;
	char err[64];
	assert_int_equal(prof_sym_load_mem(b, elf_len, &t, err, sizeof(err)), 0);
	struct prof_stack s[4] = {
	    /* spin_here called from main called from _start; two pcs in spin_here merge */
	    {false, 0x80001104, {0x80001010, 0x80000040}, 2, 70},
	    {false, 0x80001108, {0x80001010, 0x80000040}, 2, 20},
	    {false, 0x80001020, {0x80000040}, 1, 6},
	    {true, 0x80200000, {0}, 0, 4},
	};
	char *out = capture(prof_report_folded, s, 4, &t);
	assert_string_equal(out, "[hypervisor] 4\n"
	                         "_start;main 6\n"
	                         "_start;main;spin_here 90\n");
	free(out);
	out = capture(top3, s, 4, &t);
	assert_string_equal(out, "   PCT  SAMPLES  FUNCTION\n"
	                         " 90.0%       90  spin_here\n"
	                         "  6.0%        6  main\n"
	                         "  4.0%        4  [hypervisor]\n");
	free(out);
	/* With the hypervisor's symbols its samples get a frame per function. */
	struct prof_symtab g = t;
	g.hyp = &t;
	s[3].pc = 0x80001104;
	out = capture(prof_report_folded, s + 3, 1, &g);
	assert_string_equal(out, "[hypervisor] spin_here 4\n");
	free(out);
	s[3].pc = 0x80200000;
	/* Without symbols every address is hex. */
	out = capture(prof_report_folded, s + 2, 1, NULL);
	assert_string_equal(out, "0x80000040;0x80001020 6\n");
	free(out);
	prof_sym_free(&t);
	free(b);
}

static void test_parse(void **state)
{
	(void)state;
	struct prof_stack *s;
	size_t n;
	cJSON *j =
	    cJSON_Parse("{\"stacks\":[{\"kind\":\"guest\",\"pc\":\"0x10\","
	                "\"stack\":[\"0x20\",\"0x30\"],\"count\":5},"
	                "{\"kind\":\"hypervisor\",\"pc\":\"0x40\",\"stack\":[],\"count\":1}]}");
	assert_int_equal(prof_report_parse(j, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(s[0].pc, 0x10);
	assert_int_equal(s[0].depth, 2);
	assert_int_equal(s[0].ra[1], 0x30);
	assert_int_equal(s[0].count, 5);
	assert_false(s[0].hyp);
	assert_true(s[1].hyp);
	free(s);
	cJSON_Delete(j);
	static const char *const bad[] = {
	    "{}",
	    "{\"stacks\":[{\"kind\":\"guest\",\"pc\":\"16\",\"stack\":[],\"count\":1}]}",
	    "{\"stacks\":[{\"kind\":\"guest\",\"pc\":\"0x1\",\"stack\":[\"zz\"],\"count\":1}]}",
	    "{\"stacks\":[{\"kind\":\"guest\",\"pc\":\"0x1\",\"stack\":[],\"count\":0}]}",
	    "{\"stacks\":[{\"kind\":\"guest\",\"pc\":\"0x1\",\"stack\":[\"0x1\",\"0x1\",\"0x1\","
	    "\"0x1\",\"0x1\",\"0x1\",\"0x1\",\"0x1\",\"0x1\"],\"count\":1}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = cJSON_Parse(bad[i]);
		assert_non_null(j);
		assert_int_equal(prof_report_parse(j, &s, &n), -1);
		assert_null(s);
		cJSON_Delete(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_symbols),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_folded_and_top),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
