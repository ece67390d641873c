// SPDX-License-Identifier: MIT
/* Server-sent events parser and base64 decoder (see api_sse.h). */
#include "api_sse.h"

#include <stdio.h>
#include <string.h>

void api_sse_init(struct api_sse *s, api_sse_cb cb, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->cb = cb;
	s->ctx = ctx;
}

/* One complete line (without its end); a blank one dispatches the event. */
static void sse_line(struct api_sse *s)
{
	char *l = s->line, *v;

	if (s->line_len == 0) {
		/* Only blocks with data are events (a block of just "retry:" is not). */
		if (s->has_data && !s->stopped)
			s->stopped =
			    !s->cb(s->ctx, s->event[0] ? s->event : "message", s->data, s->id);
		s->event[0] = '\0';
		s->has_data = false;
		s->data_len = 0;
		s->data[0] = '\0';
		return;
	}
	if (l[0] == ':')
		return; /* comment: keepalive */
	v = strchr(l, ':');
	if (v) {
		*v++ = '\0';
		if (*v == ' ')
			v++;
	} else {
		v = l + s->line_len; /* a field without value */
	}
	if (strcmp(l, "data") == 0) {
		size_t n = strlen(v);

		if (s->has_data && s->data_len < API_SSE_LINE_MAX)
			s->data[s->data_len++] = '\n';
		if (n > API_SSE_LINE_MAX - s->data_len)
			n = API_SSE_LINE_MAX - s->data_len;
		memcpy(s->data + s->data_len, v, n);
		s->data_len += n;
		s->data[s->data_len] = '\0';
		s->has_data = true;
	} else if (strcmp(l, "event") == 0) {
		snprintf(s->event, sizeof(s->event), "%s", v);
	} else if (strcmp(l, "id") == 0) {
		snprintf(s->id, sizeof(s->id), "%s", v);
	}
}

bool api_sse_feed(struct api_sse *s, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !s->stopped; i++) {
		char c = p[i];

		if (c == '\n') {
			if (s->line_len && s->line[s->line_len - 1] == '\r')
				s->line_len--;
			s->line[s->line_len] = '\0';
			sse_line(s);
			s->line_len = 0;
			continue;
		}
		if (s->line_len < API_SSE_LINE_MAX)
			s->line[s->line_len++] = c;
	}
	return !s->stopped;
}

long api_base64_decode(const char *in, unsigned char *out)
{
	unsigned long acc = 0;
	int bits = 0;
	long n = 0;

	for (const char *p = in; *p && *p != '='; p++) {
		int v;

		if (*p >= 'A' && *p <= 'Z')
			v = *p - 'A';
		else if (*p >= 'a' && *p <= 'z')
			v = *p - 'a' + 26;
		else if (*p >= '0' && *p <= '9')
			v = *p - '0' + 52;
		else if (*p == '+')
			v = 62;
		else if (*p == '/')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	return n;
}
