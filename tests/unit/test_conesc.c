/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hyp/core/conesc.c (guest console bytes in the multiplexed
 * view) and hyp/lib/fv_err.c (error code words): a table of guest byte
 * strings and the text the terminal receives, every byte value checked for
 * "no control byte but the allowed ones gets through", and the backspace
 * allowance that keeps a guest off its own tag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/conesc.h"
#include "lib/fv_err.h"

/* Render s (n bytes) from column col; returns the text (static buffer). */
static const char *render(const char *s, size_t n, unsigned *col)
{
	static char out[1024];
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		char b[CONESC_MAX];
		size_t k = conesc_byte((uint8_t)s[i], col, b);
		assert_true(k <= CONESC_MAX);
		assert_true(len + k < sizeof(out));
		memcpy(out + len, b, k);
		len += k;
	}
	out[len] = '\0';
	return out;
}

static void test_table(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t n; /* 0: strlen(in) */
		const char *out;
	} rows[] = {
	    {"hello, world 0123 ~!", 0, "hello, world 0123 ~!"},
	    {"line\r\n", 0, "line\n"},
	    {"a\tb", 0, "a\tb"},
	    {"\x1b]0;pwned\x07", 0, "^[]0;pwned^G"},
	    {"\r\x1b[2K[hyp] fake", 0, "^[[2K[hyp] fake"},
	    {"\x9b"
	     "31m",
	     0, "M-^[31m"},
	    {"\xc3\xa9", 0, "M-CM-)"},
	    {"\xc2\x9b", 0, "M-BM-^["},
	    {"\x7f\xff\xa0", 0, "^?M-^?M- "},
	    {"\x00\x01\x1f", 3, "^@^A^_"},
	    {"\x0c\x0b\x0e\x0f", 0, "^L^K^N^O"},
	    /* Backspace only over the guest's own plain text: the two letters. */
	    {"ab\b\b\b\b", 0, "ab\b\b^H^H"},
	    {"\b[hyp] x", 0, "^H[hyp] x"},
	    /* A line end gives no backspace credit to the next line. */
	    {"abc\n\b", 0, "abc\n^H"},
	    /* Escaped bytes earn no credit; a tab earns one cell. */
	    {"\x1b\b\b", 0, "^[^H^H"},
	    {"\t\b\b", 0, "\t\b^H"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned col = 0;
		size_t n = rows[i].n ? rows[i].n : strlen(rows[i].in);
		const char *got = render(rows[i].in, n, &col);
		if (strcmp(got, rows[i].out) != 0)
			fail_msg("row %zu: got \"%s\", want \"%s\"", i, got, rows[i].out);
	}
}

/* Whatever the byte and the column, only printable ASCII, '\n', '\t' and an earned '\b' pass. */
static void test_every_byte(void **state)
{
	(void)state;
	for (unsigned col0 = 0; col0 < 3; col0++) {
		for (unsigned ch = 0; ch < 256; ch++) {
			unsigned col = col0;
			char b[CONESC_MAX];
			size_t k = conesc_byte((uint8_t)ch, &col, b);
			for (size_t j = 0; j < k; j++) {
				uint8_t o = (uint8_t)b[j];
				bool ok = (o >= 0x20 && o < 0x7f) || o == '\n' || o == '\t' ||
				          (o == '\b' && col0 > 0);
				if (!ok)
					fail_msg("byte 0x%02x at col %u emits 0x%02x", ch, col0, o);
			}
			if (ch == '\r')
				assert_int_equal(k, 0);
			else
				assert_true(k >= 1);
			/* Credit: one per plain cell, taken back by '\b', none for escapes. */
			bool plain = (ch >= 0x20 && ch < 0x7f) || ch == '\t';
			if (ch == '\n')
				assert_int_equal(col, 0);
			else if (ch == '\b' && col0 > 0)
				assert_int_equal(col, col0 - 1);
			else
				assert_int_equal(col, col0 + (plain ? 1 : 0));
		}
	}
}

/*
 * However many backspaces follow, the cursor never goes left of where the
 * guest's line began (the end of its tag): cells shown minus '\b' passed
 * stays >= the credit, which stays >= 0.
 */
static void test_backspace_bounded(void **state)
{
	(void)state;
	char in[64];
	memset(in, '\b', sizeof(in));
	memcpy(in, "xyz", 3);
	memcpy(in + 10, "\x1b\tq", 3);
	unsigned col = 0;
	long cursor = 0;
	for (size_t i = 0; i < sizeof(in); i++) {
		char b[CONESC_MAX];
		size_t k = conesc_byte((uint8_t)in[i], &col, b);
		for (size_t j = 0; j < k; j++)
			cursor += b[j] == '\b' ? -1 : 1;
		assert_true(cursor >= (long)col);
	}
}

static void test_fv_strerror(void **state)
{
	(void)state;
	assert_string_equal(fv_strerror(-FV_ENOENT), "not found");
	assert_string_equal(fv_strerror(FV_ENOMEM), "out of memory");
	assert_string_equal(fv_strerror(-FV_ENODEV), "no such device");
	assert_string_equal(fv_strerror(0), "success");
	assert_string_equal(fv_strerror(-(FV_ENODEV + 1)), "unknown error");
	assert_string_equal(fv_strerror(-2147483647 - 1), "unknown error");
	assert_string_equal(fv_strerror(1000), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_every_byte),
	    cmocka_unit_test(test_backspace_bounded),
	    cmocka_unit_test(test_fv_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
