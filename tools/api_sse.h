/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_API_SSE_H
#define FV_TOOLS_API_SSE_H

/*
 * A parser of server-sent events (text/event-stream, as ferrovisord's /events and
 * /vms/{name}/console send them) fed with the bytes of a stream in pieces of any size,
 * and a base64 decoder for the console's output chunks. Pure C; unit-tested.
 */
#include <stdbool.h>
#include <stddef.h>

#define API_SSE_LINE_MAX  16384 /* longer lines are cut (a console event is ~4 KiB) */
#define API_SSE_EVENT_MAX 64

/* Called per complete event: its type ("message" when none was named), data (lines
 * joined with '\n', NUL-terminated) and id ("" when none). Return false to stop. */
typedef bool (*api_sse_cb)(void *ctx, const char *event, const char *data, const char *id);

struct api_sse {
	api_sse_cb cb;
	void *ctx;
	bool stopped; /* the callback returned false */
	size_t line_len;
	bool line_cut;
	char line[API_SSE_LINE_MAX + 1];
	char event[API_SSE_EVENT_MAX];
	char id[API_SSE_EVENT_MAX];
	bool has_data;
	size_t data_len;
	char data[API_SSE_LINE_MAX + 1];
};

void api_sse_init(struct api_sse *s, api_sse_cb cb, void *ctx);

/* Feeds n bytes; returns false once the callback asked to stop. */
bool api_sse_feed(struct api_sse *s, const char *p, size_t n);

/* Decodes base64 (RFC 4648, padding optional, no whitespace) into out (room for
 * 3 * strlen(in) / 4 bytes); returns the byte count, or -1 on a bad character. */
long api_base64_decode(const char *in, unsigned char *out);

#endif
