/* SPDX-License-Identifier: MIT */
/*
 * The REST server of ferrovisord: libmicrohttpd with a thread per connection (event and
 * console streams block their own connection only); backend operations may run from
 * several threads at once and are serialised by the backend.
 */
#ifndef FVD_HTTP_H
#define FVD_HTTP_H

#include <stdint.h>

#include "fvd_audit.h"
#include "fvd_auth.h"
#include "fvd_backend.h"
#include "fvd_hub.h"

struct fvd_http;

struct fvd_http_opts {
	const char *listen;      /* IPv4 address to bind, e.g. "127.0.0.1" or "0.0.0.0" */
	uint16_t port;           /* 0: any free port */
	const char *openapi;     /* file served at /api/v1/openapi.yaml, or NULL */
	const char *www;         /* dashboard directory served at / and /ui/, NULL: the default */
	struct fvd_auth *auth;   /* tokens; NULL serves without authentication (unit tests) */
	struct fvd_audit *audit; /* audit log; NULL records nothing */
	struct fvd_hub *hub;     /* events and console history (fvd_hub.h), required */
	int heartbeat_ms;        /* SSE keepalive comment after this much silence (0: 15 s) */
};

/* Starts serving; returns NULL with a message on stderr when the address is bad or the
 * socket cannot be bound. The backend must outlive the server. */
struct fvd_http *fvd_http_start(const struct fvd_http_opts *o, struct fvd_backend *be);

/* The port actually bound (differs from opts.port when that was 0). */
uint16_t fvd_http_port(const struct fvd_http *h);

/* Stops the server; uploads in progress are aborted in the backend. */
void fvd_http_stop(struct fvd_http *h);

#endif /* FVD_HTTP_H */
