// SPDX-License-Identifier: MIT
/* The host dump stream's framing (see dump_frame.h). */
#include "core/dump_frame.h"
#include "core/ctl_proto.h"
#include "lib/string.h"

/* Append byte b, escaped, at out[*n] (room cap); false when it does not fit. */
static bool put_stuffed(uint8_t *out, size_t cap, size_t *n, uint8_t b)
{
	if (b == DUMP_FRAME_FLAG || b == DUMP_FRAME_ESC) {
		if (cap - *n < 2)
			return false;
		out[(*n)++] = DUMP_FRAME_ESC;
		out[(*n)++] = (uint8_t)(b ^ 0x20);
		return true;
	}
	if (cap - *n < 1)
		return false;
	out[(*n)++] = b;
	return true;
}

static bool put_block(uint8_t *out, size_t cap, size_t *n, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!put_stuffed(out, cap, n, p[i]))
			return false;
	return true;
}

size_t dump_frame_encode(uint8_t *out, size_t cap, uint8_t type, uint32_t seq, const void *head,
                         size_t hlen, const void *data, size_t dlen)
{
	if (hlen > DUMP_FRAME_MAX_PAYLOAD || dlen > DUMP_FRAME_MAX_PAYLOAD - hlen || cap < 2)
		return 0;
	uint8_t hdr[DUMP_FRAME_HDR] = {type, DUMP_FRAME_VERSION, 0, 0};
	ctl_put32(hdr + 4, seq);
	uint32_t crc = ctl_crc32c(0, hdr, sizeof(hdr));
	crc = ctl_crc32c(crc, head, hlen);
	crc = ctl_crc32c(crc, data, dlen);
	uint8_t tail[DUMP_FRAME_CRC];
	ctl_put32(tail, crc);
	size_t n = 0;
	out[n++] = DUMP_FRAME_FLAG;
	if (!put_block(out, cap, &n, hdr, sizeof(hdr)) || !put_block(out, cap, &n, head, hlen) ||
	    !put_block(out, cap, &n, data, dlen) || !put_block(out, cap, &n, tail, sizeof(tail)) ||
	    cap - n < 1)
		return 0;
	out[n++] = DUMP_FRAME_FLAG;
	return n;
}

void dump_frame_rx_init(struct dump_frame_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/* A FLAG ended the bytes in rx->buf: deliver them if they form a good frame. */
static void rx_finish(struct dump_frame_rx *rx, dump_frame_fn fn, void *ctx)
{
	size_t len = rx->len;
	bool bad = rx->overflow || rx->esc;
	rx->len = 0;
	rx->esc = false;
	rx->overflow = false;
	if (len == 0 && !bad)
		return; /* FLAG FLAG between two frames */
	if (bad || len < DUMP_FRAME_HDR + DUMP_FRAME_CRC) {
		rx->bad++;
		return;
	}
	size_t body = len - DUMP_FRAME_CRC;
	if (ctl_crc32c(0, rx->buf, body) != ctl_get32(rx->buf + body) ||
	    rx->buf[1] != DUMP_FRAME_VERSION) {
		rx->bad++;
		return;
	}
	struct dump_frame f = {rx->buf[0], ctl_get32(rx->buf + 4), rx->buf + DUMP_FRAME_HDR,
	                       body - DUMP_FRAME_HDR};
	rx->frames++;
	fn(ctx, &f);
}

void dump_frame_rx_feed(struct dump_frame_rx *rx, const uint8_t *data, size_t n, dump_frame_fn fn,
                        void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t b = data[i];
		if (b == DUMP_FRAME_FLAG) {
			if (rx->synced)
				rx_finish(rx, fn, ctx);
			rx->synced = true;
			continue;
		}
		if (!rx->synced)
			continue; /* before the first FLAG: the middle of something we missed */
		if (b == DUMP_FRAME_ESC && !rx->esc) {
			rx->esc = true;
			continue;
		}
		if (rx->esc) {
			b ^= 0x20;
			rx->esc = false;
		}
		if (rx->len == sizeof(rx->buf))
			rx->overflow = true;
		else
			rx->buf[rx->len++] = b;
	}
}
