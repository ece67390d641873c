// SPDX-License-Identifier: MIT
/* gdb RSP framing and hex helpers; see gdb_rsp.h. */
#include "core/gdb_rsp.h"
#include "lib/string.h"

enum {
	ST_IDLE = 0, /* between packets */
	ST_DATA,     /* after `$` */
	ST_CS1,      /* after `#` */
	ST_CS2,      /* after the first checksum digit */
};

static const char hexchars[] = "0123456789abcdef";

int gdb_hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void gdb_rsp_init(struct gdb_rsp *r)
{
	r->state = ST_IDLE;
	r->bad = false;
	r->escape = false;
	r->rle = false;
	r->sum = 0;
	r->rx_sum = 0;
	r->len = 0;
	r->buf[0] = 0;
}

/* Append one decoded byte; sets overflow instead of writing past the buffer. */
static void put(struct gdb_rsp *r, uint8_t c)
{
	if (r->len >= GDB_RSP_MAX)
		r->bad = true;
	else
		r->buf[r->len++] = c;
}

/* A payload byte in ST_DATA (already added to the checksum). */
static void data_byte(struct gdb_rsp *r, uint8_t c)
{
	if (r->rle) {
		/*
		 * Run-length count byte: the previous byte n - 29 more times. A
		 * count below 3 repeats or without a previous byte is malformed.
		 */
		r->rle = false;
		if (r->len == 0 || c < 29 + 3 || c > 126) {
			r->bad = true;
			return;
		}
		uint8_t prev = r->buf[r->len - 1];
		for (unsigned k = 0; k < (unsigned)c - 29; k++)
			put(r, prev);
		return;
	}
	if (r->escape) {
		r->escape = false;
		put(r, c ^ 0x20);
		return;
	}
	if (c == '}')
		r->escape = true;
	else if (c == '*')
		r->rle = true;
	else
		put(r, c);
}

enum gdb_rsp_event gdb_rsp_feed(struct gdb_rsp *r, uint8_t c)
{
	int d;
	switch (r->state) {
	case ST_IDLE:
		if (c == '$') {
			r->state = ST_DATA;
			r->len = 0;
			r->sum = 0;
			r->escape = false;
			r->rle = false;
			r->bad = false;
			return GDB_RSP_NONE;
		}
		if (c == 0x03)
			return GDB_RSP_INTERRUPT;
		if (c == '+')
			return GDB_RSP_ACK;
		if (c == '-')
			return GDB_RSP_NAK;
		return GDB_RSP_NONE; /* noise between packets is ignored, as gdb does */
	case ST_DATA:
		if (c == '#') {
			r->state = ST_CS1;
			return GDB_RSP_NONE;
		}
		if (c == '$') {
			/* A new packet start inside a packet: the old one was garbage. */
			r->len = 0;
			r->sum = 0;
			r->escape = false;
			r->rle = false;
			r->bad = false;
			return GDB_RSP_BAD;
		}
		r->sum = (uint8_t)(r->sum + c);
		data_byte(r, c);
		return GDB_RSP_NONE;
	case ST_CS1:
		d = gdb_hex_digit(c);
		if (d < 0) {
			r->state = ST_IDLE;
			return GDB_RSP_BAD;
		}
		r->rx_sum = (uint8_t)(d << 4);
		r->state = ST_CS2;
		return GDB_RSP_NONE;
	default:
		r->state = ST_IDLE;
		d = gdb_hex_digit(c);
		if (d < 0)
			return GDB_RSP_BAD;
		r->rx_sum = (uint8_t)(r->rx_sum | d);
		if (r->rx_sum != r->sum || r->bad || r->escape || r->rle) {
			r->len = 0;
			return GDB_RSP_BAD;
		}
		r->buf[r->len] = 0;
		return GDB_RSP_PACKET;
	}
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t gdb_rsp_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;
	uint8_t sum = 0;
	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len;) {
		uint8_t c = payload[i];
		size_t run = 1;
		while (i + run < len && payload[i + run] == c && run < 98)
			run++;
		if (needs_escape(c)) {
			if (o + 2 > cap - 3)
				return 0;
			out[o++] = '}';
			out[o++] = c ^ 0x20;
			sum = (uint8_t)(sum + '}' + (c ^ 0x20));
			i++;
			continue;
		}
		if (o + 1 > cap - 3)
			return 0;
		out[o++] = c;
		sum = (uint8_t)(sum + c);
		i++;
		/*
		 * Runs: the count byte is rep + 29, printable; 6 and 7 would give
		 * `#` and `$`, so such runs are shortened to 5.
		 */
		size_t rep = run - 1;
		if (rep >= 3) {
			if (rep == 6 || rep == 7)
				rep = 5;
			if (o + 2 > cap - 3)
				return 0;
			out[o++] = '*';
			out[o++] = (uint8_t)(rep + 29);
			sum = (uint8_t)(sum + '*' + rep + 29);
			i += rep;
		}
	}
	out[o++] = '#';
	out[o++] = (uint8_t)hexchars[sum >> 4];
	out[o++] = (uint8_t)hexchars[sum & 15];
	return o;
}

bool gdb_hex_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned n = 0;
	int d;
	while ((d = gdb_hex_digit((uint8_t)s[n])) >= 0) {
		if (n == 16)
			return false;
		v = (v << 4) | (uint64_t)d;
		n++;
	}
	if (!n)
		return false;
	*p = s + n;
	*out = v;
	return true;
}

void gdb_hex_encode(const uint8_t *buf, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexchars[buf[i] >> 4];
		out[2 * i + 1] = hexchars[buf[i] & 15];
	}
	out[2 * len] = 0;
}

bool gdb_hex_decode(const char *s, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi = gdb_hex_digit((uint8_t)s[2 * i]);
		if (hi < 0)
			return false;
		int lo = gdb_hex_digit((uint8_t)s[2 * i + 1]);
		if (lo < 0)
			return false;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void gdb_hex_le(uint64_t v, unsigned size, char *out)
{
	uint8_t b[8];
	for (unsigned i = 0; i < size && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	gdb_hex_encode(b, size < 8 ? size : 8, out);
}
