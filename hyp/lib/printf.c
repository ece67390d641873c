/* SPDX-License-Identifier: MIT */
/*
 * Integer-only printf core. One formatter (format()) drives an output
 * callback; fv_vsnprintf() is that formatter with a bounded-buffer callback.
 * Semantics follow C11 §7.21.6.1 for the supported subset so that host
 * unit tests can compare the output with the host libc byte for byte.
 */
#include "lib/printf.h"

#include "lib/string.h"
#include "lib/types.h"

enum {
	F_LEFT = 1 << 0,  /* '-': pad on the right */
	F_ZERO = 1 << 1,  /* '0': pad numbers with zeros */
	F_PLUS = 1 << 2,  /* '+': always print a sign */
	F_SPACE = 1 << 3, /* ' ': space instead of '+' */
	F_ALT = 1 << 4,   /* '#': 0x prefix / leading octal zero */
};

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

/* One parsed conversion specification. */
struct spec {
	unsigned int flags;
	int width;
	int prec; /* -1: not given */
	enum len_mod len;
	char conv;
};

/* Output sink: the callback plus the running character count. */
struct sink {
	void (*out)(void *arg, char c);
	/* Optional: n bytes at once, as n out() calls would store them (NULL: out() each). */
	void (*write)(void *arg, const char *p, size_t n);
	void *arg;
	size_t count;
};

/* No <limits.h> in our freestanding subset. */
#define INT_LIMIT ((int)(~0U >> 1))

/* Width/precision digits saturate here instead of overflowing int. */
#define NUM_MAX (INT_LIMIT / 16)

static void put(struct sink *s, char c)
{
	s->out(s->arg, c);
	s->count++;
}

static void put_rep(struct sink *s, char c, int n)
{
	for (; n > 0; n--)
		put(s, c);
}

static void put_mem(struct sink *s, const char *p, size_t n)
{
	if (s->write) {
		s->write(s->arg, p, n);
		s->count += n;
		return;
	}
	while (n--)
		put(s, *p++);
}

/*
 * Print one integer. mag is the magnitude, neg its sign (signed conversions
 * only). Layout: [spaces] [sign or 0x] [zeros] digits [spaces].
 */
static void put_int(struct sink *s, const struct spec *sp, unsigned long long mag, bool neg)
{
	static const char lower[] = "0123456789abcdef";
	static const char upper[] = "0123456789ABCDEF";
	const char *dig = sp->conv == 'X' ? upper : lower;
	unsigned int base = 10;
	char digits[24]; /* 22 octal digits for 64 bits */
	char prefix[2];
	int nd = 0, np = 0, zeros, total;

	if (sp->conv == 'o')
		base = 8;
	else if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p')
		base = 16;

	if (sp->conv == 'd' || sp->conv == 'i') {
		if (neg)
			prefix[np++] = '-';
		else if (sp->flags & F_PLUS)
			prefix[np++] = '+';
		else if (sp->flags & F_SPACE)
			prefix[np++] = ' ';
	} else if (sp->conv == 'p' || (mag && (sp->flags & F_ALT) && base == 16)) {
		prefix[np++] = '0';
		prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
	}

	/* Digits least significant first; zero has no digits (precision adds them). */
	for (; mag; mag /= base)
		digits[nd++] = dig[mag % base];

	zeros = (sp->prec < 0 ? 1 : sp->prec) - nd;
	if (zeros < 0)
		zeros = 0;
	/* '#' with 'o': the first digit must be 0, and only a precision zero is ever leading. */
	if (sp->conv == 'o' && (sp->flags & F_ALT) && zeros == 0)
		zeros = 1;

	total = np + zeros + nd;
	/* '0' pads with zeros after the sign/prefix, but is ignored with a precision. */
	if ((sp->flags & (F_ZERO | F_LEFT)) == F_ZERO && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}

	if (!(sp->flags & F_LEFT))
		put_rep(s, ' ', sp->width - total);
	put_mem(s, prefix, (size_t)np);
	put_rep(s, '0', zeros);
	while (nd > 0)
		put(s, digits[--nd]);
	if (sp->flags & F_LEFT)
		put_rep(s, ' ', sp->width - total);
}

/* Print n bytes of p padded to the field width (%s, %c). */
static void put_field(struct sink *s, const struct spec *sp, const char *p, size_t n)
{
	int pad = 0;

	if (sp->width > 0 && (size_t)sp->width > n)
		pad = sp->width - (int)n;
	if (!(sp->flags & F_LEFT))
		put_rep(s, ' ', pad);
	put_mem(s, p, n);
	if (sp->flags & F_LEFT)
		put_rep(s, ' ', pad);
}

static long long arg_signed(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (signed char)va_arg(*ap, int);
	case LEN_H:
		return (short)va_arg(*ap, int);
	case LEN_L:
		return va_arg(*ap, long);
	case LEN_LL:
		return va_arg(*ap, long long);
	case LEN_Z: /* the signed type of size_t's width */
	case LEN_T:
		return va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, intmax_t);
	case LEN_NONE:
		break;
	}
	return va_arg(*ap, int);
}

static unsigned long long arg_unsigned(enum len_mod len, va_list *ap)
{
	switch (len) {
	case LEN_HH:
		return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H:
		return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L:
		return va_arg(*ap, unsigned long);
	case LEN_LL:
		return va_arg(*ap, unsigned long long);
	case LEN_Z:
		return va_arg(*ap, size_t);
	case LEN_T: /* the unsigned type of ptrdiff_t's width */
		return (size_t)va_arg(*ap, ptrdiff_t);
	case LEN_J:
		return va_arg(*ap, uintmax_t);
	case LEN_NONE:
		break;
	}
	return va_arg(*ap, unsigned int);
}

/* Parse a decimal number at *pp, saturating at NUM_MAX. */
static int parse_num(const char **pp)
{
	const char *p = *pp;
	int n = 0;

	for (; *p >= '0' && *p <= '9'; p++)
		n = n >= NUM_MAX / 10 ? NUM_MAX : n * 10 + (*p - '0');
	*pp = p;
	return n;
}

/* Parse flags, width, precision and length after a '%'; stops at the conversion character. */
static const char *parse_spec(const char *p, struct spec *sp, va_list *ap)
{
	sp->flags = 0;
	sp->width = 0;
	sp->prec = -1;
	sp->len = LEN_NONE;

	for (;; p++) {
		if (*p == '-')
			sp->flags |= F_LEFT;
		else if (*p == '0')
			sp->flags |= F_ZERO;
		else if (*p == '+')
			sp->flags |= F_PLUS;
		else if (*p == ' ')
			sp->flags |= F_SPACE;
		else if (*p == '#')
			sp->flags |= F_ALT;
		else
			break;
	}

	if (*p == '*') {
		int w = va_arg(*ap, int);

		p++;
		if (w < 0) {
			/* A negative '*' width is a '-' flag plus a positive width. */
			sp->flags |= F_LEFT;
			w = w < -NUM_MAX ? NUM_MAX : -w;
		}
		sp->width = w > NUM_MAX ? NUM_MAX : w;
	} else {
		sp->width = parse_num(&p);
	}

	if (*p == '.') {
		p++;
		if (*p == '*') {
			int pr = va_arg(*ap, int);

			p++;
			sp->prec = pr < 0 ? -1 : (pr > NUM_MAX ? NUM_MAX : pr);
		} else {
			sp->prec = parse_num(&p);
		}
	}

	switch (*p) {
	case 'h':
		p++;
		sp->len = LEN_H;
		if (*p == 'h') {
			p++;
			sp->len = LEN_HH;
		}
		break;
	case 'l':
		p++;
		sp->len = LEN_L;
		if (*p == 'l') {
			p++;
			sp->len = LEN_LL;
		}
		break;
	case 'z':
		p++;
		sp->len = LEN_Z;
		break;
	case 't':
		p++;
		sp->len = LEN_T;
		break;
	case 'j':
		p++;
		sp->len = LEN_J;
		break;
	default:
		break;
	}
	sp->conv = *p;
	return p;
}

/*
 * Handle one conversion. Returns false if the conversion is not supported
 * (the caller then prints the specification verbatim).
 */
static bool convert(struct sink *s, const struct spec *sp, va_list *ap)
{
	long long v;
	const char *str;
	char c;

	switch (sp->conv) {
	case 'd':
	case 'i':
		v = arg_signed(sp->len, ap);
		/* 0 - (unsigned)v is the magnitude even for LLONG_MIN. */
		put_int(s, sp, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0);
		return true;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		put_int(s, sp, arg_unsigned(sp->len, ap), false);
		return true;
	case 'p':
		if (sp->len != LEN_NONE)
			return false;
		put_int(s, sp, (uintptr_t)va_arg(*ap, void *), false);
		return true;
	case 'c':
		if (sp->len != LEN_NONE)
			return false; /* no wide characters */
		c = (char)va_arg(*ap, int);
		put_field(s, sp, &c, 1);
		return true;
	case 's':
		if (sp->len != LEN_NONE)
			return false; /* no wide strings */
		str = va_arg(*ap, const char *);
		if (!str)
			str = "(null)";
		/* With a precision the array need not be NUL-terminated: never read past it. */
		put_field(s, sp, str, sp->prec < 0 ? strlen(str) : strnlen(str, (size_t)sp->prec));
		return true;
	case '%':
		put(s, '%');
		return true;
	default:
		return false;
	}
}

static size_t format(struct sink *s, const char *fmt, va_list *ap)
{
	const char *p = fmt;
	struct spec sp;

	while (*p) {
		const char *start;

		if (*p != '%') {
			/* The literal run up to the next conversion in one piece (a sink with
			 * write() copies it at once: log lines at boot, docs/performance.md). */
			start = p;
			while (*p && *p != '%')
				p++;
			put_mem(s, start, (size_t)(p - start));
			continue;
		}
		start = p;
		p = parse_spec(p + 1, &sp, ap);
		if (convert(s, &sp, ap)) {
			p++;
			continue;
		}
		/* Unsupported: echo it, including the unknown character unless that is the NUL. */
		if (*p)
			p++;
		put_mem(s, start, (size_t)(p - start));
	}
	return s->count;
}

static int count_to_int(size_t n)
{
	return n > (size_t)INT_LIMIT ? -FV_ERANGE : (int)n;
}

int fv_vcbprintf(void (*out)(void *arg, char c), void *arg, const char *fmt, va_list ap)
{
	struct sink s = {.out = out, .arg = arg, .count = 0};
	va_list args;
	size_t n;

	/* A local copy so helpers can share it by pointer (va_list may be an array type). */
	va_copy(args, ap);
	n = format(&s, fmt, &args);
	va_end(args);
	return count_to_int(n);
}

/* Bounded buffer for fv_vsnprintf(); pos counts every character, stored or not. */
struct bufsink {
	char *buf;
	size_t size;
	size_t pos;
};

static void buf_out(void *arg, char c)
{
	struct bufsink *b = arg;

	if (b->pos + 1 < b->size)
		b->buf[b->pos] = c;
	b->pos++;
}

/* buf_out for n bytes: the part that fits (leaving room for the NUL) in one copy. */
static void buf_write(void *arg, const char *p, size_t n)
{
	struct bufsink *b = arg;

	if (b->pos + 1 < b->size) {
		size_t room = b->size - 1 - b->pos;

		memcpy(b->buf + b->pos, p, n < room ? n : room);
	}
	b->pos += n;
}

int fv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct bufsink b = {.buf = buf, .size = size, .pos = 0};
	struct sink s = {.out = buf_out, .write = buf_write, .arg = &b, .count = 0};
	va_list args;
	size_t n;

	va_copy(args, ap);
	n = format(&s, fmt, &args);
	va_end(args);
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return count_to_int(n);
}

int fv_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = fv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return ret;
}
