// SPDX-License-Identifier: MIT
/* SSE streams of events and console output (see fvd_stream.h). */
#include "fvd_stream.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fvd_backend.h"

#define STREAM_SLICE_MS 500   /* longest wait before checking for a gone client */
#define STREAM_RAW_MAX  3072u /* console bytes per SSE event (4 KiB of base64) */
#define STREAM_BUF      8192u

struct stream {
	struct fvd_hub *hub;
	bool console;
	bool follow;
	bool audit; /* events: pass audit records on (admins only) */
	bool started;
	int fd; /* the client's socket, to notice it has gone while nothing is sent */
	int heartbeat_ms;
	uint64_t after; /* events: last seq sent */
	uint64_t pos;   /* console: next byte sequence number */
	char name[FVD_NAME_MAX + 1];
	size_t len, off; /* pending text in buf */
	char buf[STREAM_BUF];
	uint8_t raw[STREAM_RAW_MAX];
};

static int64_t stream_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True when the client closed its side (it sends nothing on an event stream). */
static bool stream_client_gone(const struct stream *s)
{
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	char c;

	if (s->fd < 0 || poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLHUP | POLLERR))
		return true;
	return recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Fills s->buf with the next piece of the stream; returns false at its end. */
static bool stream_fill(struct stream *s)
{
	int64_t quiet_until = stream_now_ms() + s->heartbeat_ms;

	s->off = 0;
	s->len = 0;
	if (!s->started) {
		/* Sent at once, so the client sees the response start before any event. */
		s->started = true;
		s->len =
		    (size_t)snprintf(s->buf, sizeof(s->buf), ": ferrovisord %s\nretry: 3000\n\n",
		                     s->console ? "console" : "events");
		return true;
	}
	for (;;) {
		int r;

		if (s->console) {
			uint64_t first = 0;

			r = fvd_hub_console_read(s->hub, s->name, &s->pos, &first, s->raw,
			                         sizeof(s->raw), STREAM_SLICE_MS);
			if (r > 0) {
				int n = snprintf(
				    s->buf, sizeof(s->buf),
				    "id: %llu\nevent: output\ndata: {\"seq\":%llu,\"b64\":\"",
				    (unsigned long long)first, (unsigned long long)first);

				s->len = (size_t)n;
				s->len += fvd_hub_base64(s->raw, (size_t)r, s->buf + s->len);
				memcpy(s->buf + s->len, "\"}\n\n", 4);
				s->len += 4;
				return true;
			}
		} else {
			char type[FVD_HUB_TYPE_MAX], text[FVD_HUB_EVENT_MAX];
			uint64_t seq = 0;

			r = fvd_hub_next_event(s->hub, s->after, text, &seq, type,
			                       s->follow ? STREAM_SLICE_MS : 0);
			if (r > 0 && !s->audit && strcmp(type, "audit") == 0) {
				/* Audit records are for admins: others never see them. */
				s->after = seq;
				continue;
			}
			if (r > 0) {
				s->after = seq;
				s->len = (size_t)snprintf(s->buf, sizeof(s->buf),
				                          "id: %llu\nevent: %s\ndata: %s\n\n",
				                          (unsigned long long)seq, type, text);
				return true;
			}
			if (r == 0 && !s->follow)
				return false;
		}
		if (r < 0 || stream_client_gone(s))
			return false;
		if (stream_now_ms() >= quiet_until) {
			s->len = (size_t)snprintf(s->buf, sizeof(s->buf), ": keepalive\n\n");
			return true;
		}
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	if (s->off == s->len && !stream_fill(s))
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = s->len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->buf + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	free(cls);
}

static struct MHD_Response *stream_response(struct stream *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r;

	s->fd = ci ? ci->connect_fd : -1;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BUF, stream_read, s,
	                                      stream_free);
	if (!r) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return r;
}

struct MHD_Response *fvd_stream_events(struct fvd_hub *hub, struct MHD_Connection *c,
                                       uint64_t since, bool follow, bool audit, int heartbeat_ms)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hub = hub;
	s->after = since;
	s->follow = follow;
	s->audit = audit;
	s->heartbeat_ms = heartbeat_ms;
	return stream_response(s, c);
}

struct MHD_Response *fvd_stream_console(struct fvd_hub *hub, struct MHD_Connection *c,
                                        const char *name, uint64_t tail, int heartbeat_ms)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hub = hub;
	s->console = true;
	s->follow = true;
	s->heartbeat_ms = heartbeat_ms;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->pos = fvd_hub_console_start(hub, name, tail);
	return stream_response(s, c);
}
