/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/lib/printf.c: every supported conversion is
 * compared byte for byte (and by return value) with the host libc, over a
 * generated table of flag/width/precision/length combinations and over
 * several buffer sizes (truncation, size 0). Behaviour the C standard leaves
 * undefined (e.g. '#' with %d) is not compared. Our own extensions
 * (verbatim unknown conversions, %p of NULL) are checked against fixed
 * strings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/printf.h"
#include "lib/types.h"
#include "lib/string.h" /* must coexist with the host <string.h> */

#define BUF_SIZE 512
#define GUARD    0xa5

static unsigned long n_compared;

/* Collects fv_vcbprintf() output. */
struct collect {
	char buf[BUF_SIZE];
	size_t n;
};

static void collect_out(void *arg, char c)
{
	struct collect *col = arg;

	if (col->n < sizeof(col->buf))
		col->buf[col->n] = c;
	col->n++;
}

static int cb_vprintf(struct collect *col, const char *fmt, va_list ap)
{
	col->n = 0;
	return fv_vcbprintf(collect_out, col, fmt, ap);
}

/*
 * Buffer sizes tried for each format (full is the untruncated length): all
 * of them for hand-written cases, a representative few for the large
 * generated table so the whole suite stays fast.
 */
static bool all_sizes = true;

static size_t pick_size(int i, size_t full, bool *last)
{
	static const size_t fixed[] = {0, 1, 2, 3, 5, 8};
	int nfixed = all_sizes ? (int)ARRAY_SIZE(fixed) : 1;

	*last = false;
	if (i < nfixed)
		return fixed[i];
	switch (i - nfixed) {
	case 0:
		return full > 0 ? full - 1 : 0;
	case 1:
		if (all_sizes)
			return full;
		*last = true;
		return BUF_SIZE;
	case 2:
		return full + 1;
	default:
		*last = true;
		return BUF_SIZE;
	}
}

/*
 * Compare fv_vsnprintf() and fv_vcbprintf() with the host vsnprintf() for
 * one format and argument list, at several buffer sizes.
 */
static void vcompare(int line, const char *fmt, va_list ap)
{
	char want[BUF_SIZE], got[BUF_SIZE + 16];
	struct collect col;
	int want_n, got_n, i;
	bool last;
	va_list aq;

	va_copy(aq, ap);
	want_n = vsnprintf(want, sizeof(want), fmt, aq);
	va_end(aq);
	assert_true(want_n >= 0 && want_n < BUF_SIZE);

	for (i = 0, last = false; !last; i++) {
		size_t size = pick_size(i, (size_t)want_n, &last);
		size_t end = size == 0 ? 0 : MIN((size_t)want_n, size - 1);

		memset(got, GUARD, sizeof(got));
		va_copy(aq, ap);
		got_n = fv_vsnprintf(size ? got : NULL, size, fmt, aq);
		va_end(aq);
		if (got_n != want_n || (size && (memcmp(got, want, end) || got[end] != '\0'))) {
			print_error("line %d fmt \"%s\" size %zu: want %d \"%s\" got %d \"%.*s\"\n",
			            line, fmt, size, want_n, want, got_n, (int)end, got);
			fail();
		}
		/* Nothing may be written past the terminating NUL or past size. */
		for (size_t k = size ? end + 1 : 0; k < sizeof(got); k++) {
			if ((unsigned char)got[k] != GUARD)
				fail_msg("line %d fmt \"%s\" size %zu: wrote byte %zu", line, fmt,
				         size, k);
		}
	}

	va_copy(aq, ap);
	got_n = cb_vprintf(&col, fmt, aq);
	va_end(aq);
	if (got_n != want_n || col.n != (size_t)want_n || memcmp(col.buf, want, col.n))
		fail_msg("line %d fmt \"%s\": callback output differs", line, fmt);
	n_compared++;
}

static void compare(int line, const char *fmt, ...) FV_PRINTF(2, 3);
static void compare(int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcompare(line, fmt, ap);
	va_end(ap);
}

#define CMP(...) compare(__LINE__, __VA_ARGS__)

/* Check our output against a fixed expectation (our own, non-libc behaviour). */
static void expect(int line, const char *want, const char *fmt, ...)
{
	char got[BUF_SIZE];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fv_vsnprintf(got, sizeof(got), fmt, ap);
	va_end(ap);
	if (n != (int)strlen(want) || strcmp(got, want))
		fail_msg("line %d fmt \"%s\": want \"%s\" got %d \"%s\"", line, fmt, want, n, got);
}

#define EXPECT(want, ...) expect(__LINE__, want, __VA_ARGS__)

static void test_literal_cases(void **state)
{
	const char *volatile fmt;

	(void)state;
	CMP("plain text");
	CMP("%%");
	CMP("100%% sure %d%%", 5);
	CMP("%d", 0);
	CMP("%d %i", 123, -456);
	CMP("%d", INT_MAX);
	CMP("%d", INT_MIN);
	CMP("%u", UINT_MAX);
	CMP("%x %X %o", 0xdeadbeefU, 0xdeadbeefU, 0755U);
	CMP("%lld", (long long)INT64_MIN);
	CMP("%lld", (long long)INT64_MAX);
	CMP("%llu", (unsigned long long)UINT64_MAX);
	CMP("%llx", (unsigned long long)UINT64_MAX);
	CMP("%llo", (unsigned long long)UINT64_MAX);
	CMP("%#llo", (unsigned long long)UINT64_MAX);
	CMP("%jd %ju", (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX);
	CMP("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)0x1234, (ptrdiff_t)-5);
	CMP("%td %tx", (ptrdiff_t)PTRDIFF_MIN, (ptrdiff_t)-1);
	/* int arguments out of range for hh/h: the conversion must truncate (non-literal
	 * formats because clang's -Wformat flags the deliberate mismatch). */
	fmt = "%hhd %hhu %hhx";
	CMP(fmt, 200, 300, -1);
	fmt = "%hd %hu %hx";
	CMP(fmt, 70000, 70000, -1);
	CMP("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0x123456789abcdefUL);
	CMP("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d]", 42, 42, 42, 42, 42, 42, 42);
	CMP("[%05d] [%+05d] [% 05d]", -42, 42, 42);
	CMP("[%.0d] [%.0x] [%#.0x] [%#.0o] [%5.0d] [%-5.0u]", 0, 0U, 0U, 0U, 0, 0U);
	CMP("[%.3d] [%.3d] [%8.3d] [%-8.3d] [%+.3d]", 7, -7, 7, -7, 7);
	CMP("[%#x] [%#X] [%#o] [%#x] [%#o] [%#10x] [%#-10x] [%#010x]", 255U, 255U, 8U, 0U, 0U, 255U,
	    255U, 255U);
	CMP("[%#.5x] [%#.5o] [%#5o] [%#05o]", 255U, 8U, 8U, 8U);
	CMP("[%*d] [%-*d] [%*d] [%.*d] [%.*d] [%*.*d]", 6, 1, 6, 1, -6, 1, 4, 1, -4, 1, 8, 3, -1);
	CMP("[%c] [%5c] [%-5c] [%c]", 'a', 'b', 'c', 0);
	CMP("[%s] [%10s] [%-10s] [%.2s] [%10.2s] [%-10.2s] [%.0s] [%.*s]", "hello", "hello",
	    "hello", "hello", "hello", "hello", "hello", 3, "hello");
	CMP("[%s] [%.20s] [%*s]", "", "short", -8, "x");
	CMP("%s and %s", "first", "second");
	CMP("%300d", 1); /* longer than some buffer sizes tried */
	CMP("%-300s|", "x");
	CMP("%.300d", -1);
	CMP("%p", (void *)0x1234);
	CMP("%20p|%-20p|", (void *)0x80200000UL, (void *)0xffffffffffffffffUL);
}

/* Precision on %s must never read past the precision (unterminated arrays). */
static void test_string_precision_bound(void **state)
{
	char *p = malloc(4);
	char buf[16];

	(void)state;
	assert_non_null(p);
	memcpy(p, "abcd", 4); /* no NUL: ASan would catch a read of p[4] */
	assert_int_equal(fv_snprintf(buf, sizeof(buf), "%.4s|%.2s", p, p), 7);
	assert_string_equal(buf, "abcd|ab");
	free(p);
}

static void test_null_and_pointer(void **state)
{
	char want[64];

	(void)state;
	EXPECT("(null)", "%s", (char *)NULL);
	EXPECT("0x0", "%p", (void *)NULL);
	EXPECT("[       0x0]", "[%10p]", (void *)NULL);
	snprintf(want, sizeof(want), "%#lx", (unsigned long)(uintptr_t)&want);
	EXPECT(want, "%p", (void *)&want);
}

/* Unsupported conversions are echoed and consume no argument. */
static void test_unknown_verbatim(void **state)
{
	/* Through a variable so the compiler does not check the (deliberately bad) formats. */
	const char *volatile fmt;

	(void)state;
	fmt = "%y";
	EXPECT("%y", fmt, 0);
	fmt = "a%5.3yb%d";
	EXPECT("a%5.3yb7", fmt, 7);
	fmt = "trailing %";
	EXPECT("trailing %", fmt, 0);
	fmt = "trailing %-08.";
	EXPECT("trailing %-08.", fmt, 0);
	fmt = "%n%d";
	EXPECT("%n3", fmt, 3);
	fmt = "%f %Lf %q %lc %ls %hp %d";
	EXPECT("%f %Lf %q %lc %ls %hp 9", fmt, 9);
	fmt = "%*y%d";
	EXPECT("%*y2", fmt, 1, 2); /* '*' was parsed, so its argument is used */
}

static void test_truncation_and_return(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(fv_snprintf(NULL, 0, "%d", 12345), 5);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(fv_snprintf(buf, 0, "abc"), 3);
	assert_int_equal(buf[0], 'x'); /* size 0: nothing written */
	assert_int_equal(fv_snprintf(buf, 1, "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');
	assert_int_equal(fv_snprintf(buf, sizeof(buf), "0123456789"), 10);
	assert_string_equal(buf, "0123456");
	assert_int_equal(fv_snprintf(buf, sizeof(buf), "%s", ""), 0);
	assert_string_equal(buf, "");
}

struct cbcount {
	unsigned long calls;
	char last;
};

static void count_out(void *arg, char c)
{
	struct cbcount *cc = arg;

	cc->calls++;
	cc->last = c;
}

static int cbprintf(struct cbcount *cc, const char *fmt, ...) FV_PRINTF(2, 3);
static int cbprintf(struct cbcount *cc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = fv_vcbprintf(count_out, cc, fmt, ap);
	va_end(ap);
	return n;
}

static void test_callback(void **state)
{
	struct cbcount cc = {0, 0};

	(void)state;
	/* A long output goes straight to the callback, never through a buffer. */
	assert_int_equal(cbprintf(&cc, "%-100000d!", 1), 100001);
	assert_int_equal(cc.calls, 100001);
	assert_int_equal(cc.last, '!');
	cc.calls = 0;
	assert_int_equal(cbprintf(&cc, "%s", ""), 0);
	assert_int_equal(cc.calls, 0);
}

/* Huge widths saturate instead of overflowing int (the output is just long). */
static void test_huge_width(void **state)
{
	char buf[8];
	const char *volatile fmt = "%99999999999999999999d";

	(void)state;
	assert_true(fv_snprintf(buf, sizeof(buf), fmt, 1) > 1000000);
	assert_string_equal(buf, "       ");
}

/* ---- generated table: flags x width x precision x length x value ---- */

enum kind { K_INT, K_UINT, K_STR, K_CHR };

/* Length modifiers; cmp_int() passes the matching C type by index. */
static const char *const lens[] = {"hh", "h", "", "l", "ll", "z", "t", "j"};

static const long long int_vals[] = {
    0,
    1,
    -1,
    7,
    -7,
    42,
    127,
    -128,
    255,
    32767,
    -32768,
    65535,
    123456789,
    -987654321,
    INT32_MAX,
    INT32_MIN,
    0x123456789LL,
    -0x123456789LL,
    INT64_MAX,
    INT64_MIN,
};

static const char *const str_vals[] = {"", "a", "hello", "a longer string of text"};
static const int chr_vals[] = {'a', ' ', '%'};

/* Arguments for '*' width / precision, and which stars the format has. */
struct stars {
	int n; /* 0: none, 1: width, 2: precision, 3: both */
	int w, p;
};

/* Call compare() with the star arguments in front of the value. */
#define CMP_STARS(line, fmt, st, val)                                                              \
	do {                                                                                       \
		switch ((st)->n) {                                                                 \
		case 0:                                                                            \
			compare(line, fmt, val);                                                   \
			break;                                                                     \
		case 1:                                                                            \
			compare(line, fmt, (st)->w, val);                                          \
			break;                                                                     \
		case 2:                                                                            \
			compare(line, fmt, (st)->p, val);                                          \
			break;                                                                     \
		default:                                                                           \
			compare(line, fmt, (st)->w, (st)->p, val);                                 \
			break;                                                                     \
		}                                                                                  \
	} while (0)

/* Pass v with the C type the length modifier expects (after default promotion). */
static void cmp_int(const char *fmt, const struct stars *st, int li, bool is_signed, long long v)
{
	unsigned long long u = (unsigned long long)v;

	if (is_signed) {
		switch (li) {
		case 0:
			CMP_STARS(__LINE__, fmt, st, (signed char)v);
			break;
		case 1:
			CMP_STARS(__LINE__, fmt, st, (short)v);
			break;
		case 2:
			CMP_STARS(__LINE__, fmt, st, (int)v);
			break;
		case 3:
			CMP_STARS(__LINE__, fmt, st, (long)v);
			break;
		case 4:
			CMP_STARS(__LINE__, fmt, st, v);
			break;
		case 5:
		case 6:
			CMP_STARS(__LINE__, fmt, st, (ptrdiff_t)v);
			break;
		default:
			CMP_STARS(__LINE__, fmt, st, (intmax_t)v);
			break;
		}
		return;
	}
	switch (li) {
	case 0:
		CMP_STARS(__LINE__, fmt, st, (unsigned char)u);
		break;
	case 1:
		CMP_STARS(__LINE__, fmt, st, (unsigned short)u);
		break;
	case 2:
		CMP_STARS(__LINE__, fmt, st, (unsigned int)u);
		break;
	case 3:
		CMP_STARS(__LINE__, fmt, st, (unsigned long)u);
		break;
	case 4:
		CMP_STARS(__LINE__, fmt, st, u);
		break;
	case 5:
		CMP_STARS(__LINE__, fmt, st, (size_t)u);
		break;
	case 6:
		CMP_STARS(__LINE__, fmt, st, (ptrdiff_t)v);
		break;
	default:
		CMP_STARS(__LINE__, fmt, st, (uintmax_t)u);
		break;
	}
}

static const char *const flag_sets[] = {
    "", "-", "0", "+", " ", "#", "-0", "+ ", "0#", "-#", "+0", " 0", "-+ #0", "00--",
};
static const char *const widths[] = {"", "1", "3", "8", "25", "*"};
static const char *const precs[] = {"", ".", ".0", ".1", ".4", ".22", ".*"};
static const int star_w[] = {-12, 0, 30};
static const int star_p[] = {-3, 0, 24};

/* Flags whose meaning C leaves undefined for this conversion are skipped. */
static bool flags_ok(const char *flags, char conv)
{
	bool has_alt = strchr(flags, '#') != NULL;
	bool has_zero = strchr(flags, '0') != NULL;

	switch (conv) {
	case 'd':
	case 'i':
	case 'u':
		return !has_alt;
	case 's':
	case 'c':
		return !has_alt && !has_zero;
	default:
		return true;
	}
}

static void run_one(const char *flags, const char *w, const char *p, const char *mod, char conv,
                    enum kind k, int li)
{
	char fmt[32];
	struct stars st = {0, 0, 0};
	size_t nw = 1, np = 1;

	snprintf(fmt, sizeof(fmt), "<%%%s%s%s%s%c>", flags, w, p, mod, conv);
	if (w[0] == '*') {
		st.n |= 1;
		nw = ARRAY_SIZE(star_w);
	}
	if (p[0] == '.' && p[1] == '*') {
		st.n |= 2;
		np = ARRAY_SIZE(star_p);
	}
	for (size_t iw = 0; iw < nw; iw++) {
		for (size_t ip = 0; ip < np; ip++) {
			st.w = star_w[iw];
			st.p = star_p[ip];
			switch (k) {
			case K_INT:
			case K_UINT:
				for (size_t iv = 0; iv < ARRAY_SIZE(int_vals); iv++)
					cmp_int(fmt, &st, li, k == K_INT, int_vals[iv]);
				break;
			case K_STR:
				for (size_t iv = 0; iv < ARRAY_SIZE(str_vals); iv++)
					CMP_STARS(__LINE__, fmt, &st, str_vals[iv]);
				break;
			case K_CHR:
				for (size_t iv = 0; iv < ARRAY_SIZE(chr_vals); iv++)
					CMP_STARS(__LINE__, fmt, &st, chr_vals[iv]);
				break;
			}
		}
	}
}

static void test_generated_table(void **state)
{
	static const char int_convs[] = "diuxXo";
	unsigned long before = n_compared;

	(void)state;
	all_sizes = false;
	for (size_t f = 0; f < ARRAY_SIZE(flag_sets); f++) {
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
			for (size_t p = 0; p < ARRAY_SIZE(precs); p++) {
				for (const char *c = int_convs; *c; c++) {
					enum kind k = (*c == 'd' || *c == 'i') ? K_INT : K_UINT;

					if (!flags_ok(flag_sets[f], *c))
						continue;
					for (size_t li = 0; li < ARRAY_SIZE(lens); li++)
						run_one(flag_sets[f], widths[w], precs[p], lens[li],
						        *c, k, (int)li);
				}
				if (flags_ok(flag_sets[f], 's'))
					run_one(flag_sets[f], widths[w], precs[p], "", 's', K_STR,
					        0);
				/* Precision with %c is undefined. */
				if (flags_ok(flag_sets[f], 'c') && precs[p][0] == '\0')
					run_one(flag_sets[f], widths[w], "", "", 'c', K_CHR, 0);
			}
		}
	}
	all_sizes = true;
	print_message("generated table: %lu formats compared with libc\n", n_compared - before);
	assert_true(n_compared - before > 100000);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literal_cases),
	    cmocka_unit_test(test_string_precision_bound),
	    cmocka_unit_test(test_null_and_pointer),
	    cmocka_unit_test(test_unknown_verbatim),
	    cmocka_unit_test(test_truncation_and_return),
	    cmocka_unit_test(test_callback),
	    cmocka_unit_test(test_huge_width),
	    cmocka_unit_test(test_generated_table),
	};

	return cmocka_run_group_tests_name("printf", tests, NULL, NULL);
}
