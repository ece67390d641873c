/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_GDB_RSP_H
#define FV_CORE_GDB_RSP_H

/*
 * gdb Remote Serial Protocol framing (gdb manual, "Overview" of the remote
 * protocol): packets `$payload#cs` with cs the modulo-256 sum of the payload
 * bytes as two hex digits, `+`/`-` acknowledgements, a bare 0x03 byte as the
 * interrupt request, `}` escapes (the next byte XOR 0x20) and run-length
 * encoding (`X*n`: X repeated n - 29 more times).
 *
 * Pure logic: no hypervisor state, compiled unchanged into the host unit test
 * and fuzzer. The decoder takes one byte at a time from an untrusted peer and
 * never writes past its buffer; an over-long or malformed packet is reported
 * as GDB_RSP_BAD (the caller answers `-`).
 */
#include "lib/types.h"

#define GDB_RSP_MAX 4096 /* payload bytes after unescaping; qSupported PacketSize */

enum gdb_rsp_event {
	GDB_RSP_NONE = 0,  /* byte consumed, nothing complete yet */
	GDB_RSP_PACKET,    /* r->buf[0..r->len) holds a packet with a good checksum */
	GDB_RSP_BAD,       /* checksum mismatch, bad hex digit or overflow: answer `-` */
	GDB_RSP_INTERRUPT, /* 0x03 outside a packet (Ctrl-C) */
	GDB_RSP_ACK,       /* `+` */
	GDB_RSP_NAK,       /* `-`: resend the last packet */
};

struct gdb_rsp {
	uint8_t state;  /* decoder state (gdb_rsp.c) */
	bool bad;       /* the current packet overflowed or has a bad run-length */
	bool escape;    /* last byte was `}` */
	bool rle;       /* last byte was `*`: a count byte follows */
	uint8_t sum;    /* running checksum of the raw bytes */
	uint8_t rx_sum; /* checksum digits received so far */
	uint32_t len;
	uint8_t buf[GDB_RSP_MAX + 1]; /* NUL-terminated after GDB_RSP_PACKET */
};

/* Start (or restart) decoding: drops any partial packet. */
void gdb_rsp_init(struct gdb_rsp *r);

/* Feed one byte from the peer; see enum gdb_rsp_event. Never fails otherwise. */
enum gdb_rsp_event gdb_rsp_feed(struct gdb_rsp *r, uint8_t byte);

/*
 * Frame payload[0..len) as `$...#cs` into out (cap bytes), escaping `$ # } *`
 * and run-length encoding runs of more than 3 equal bytes. Returns the frame
 * length, or 0 if it does not fit.
 */
size_t gdb_rsp_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

/* Hex helpers. Digit value 0..15, or -1 for a non-hex character. */
int gdb_hex_digit(uint8_t c);
/*
 * Parse a hex number at *p (at least one digit, at most 16) and advance *p past it.
 * false (and *p unchanged) on no digit or overflow.
 */
bool gdb_hex_u64(const char **p, uint64_t *out);
/* 2*len hex digits of buf (bytes in order) into out (NUL-terminated; cap >= 2*len+1). */
void gdb_hex_encode(const uint8_t *buf, size_t len, char *out);
/* Exactly 2*len hex digits at s into buf; false on a bad digit. */
bool gdb_hex_decode(const char *s, uint8_t *buf, size_t len);
/* A little-endian value of size bytes as hex (target byte order). */
void gdb_hex_le(uint64_t v, unsigned size, char *out);

#endif
