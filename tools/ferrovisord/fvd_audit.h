/* SPDX-License-Identifier: MIT */
/*
 * The audit log of ferrovisord: one JSON line per mutating request and per authentication
 * failure, appended to <state-dir>/audit.log and fsync'ed before the response is sent, each
 * record chained to the one before it by its hash (fvd_chain.h). Without a state directory
 * the log lives in an anonymous temporary file for the daemon's lifetime.
 * Any thread may append or read a page: the struct's lock serialises them (the listener is
 * called with it held, so records reach it in order).
 */
#ifndef FVD_AUDIT_H
#define FVD_AUDIT_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>

#include "fvd_chain.h"

#define FVD_AUDIT_PAGE_MAX 500u

/* Called with every sealed record (one JSON line, no newline) after it is on disk: the hook
 * of the event stream (`type: "audit"`). */
typedef void (*fvd_audit_listener)(void *ctx, const char *line);

struct fvd_audit {
	int fd;
	uint64_t seq;                /* of the last record; 0 for an empty log */
	char prev[FVD_HASH_HEX + 1]; /* hash of the last record, or the genesis value */
	fvd_audit_listener listener; /* NULL: none */
	void *listener_ctx;
	pthread_mutex_t lock; /* fd's writes, seq and prev */
};

/* What a record says; NULL strings are written as null (token, role) or "". */
struct fvd_audit_rec {
	const char *token;  /* token id, NULL when none or invalid */
	const char *role;   /* the token's role, NULL likewise */
	const char *source; /* client address */
	const char *op;     /* "METHOD /path" */
	const char *target; /* VM name, token id, ... or "" */
	unsigned status;    /* HTTP status of the response */
};

/* Opens (creating) <state_dir>/audit.log, or a temporary file when state_dir is NULL, and
 * finds the last record to chain to. Returns 0, or -1 with a message on stderr. */
int fvd_audit_open(struct fvd_audit *au, const char *state_dir);

/* Appends one record (write + fsync) and tells the listener. Returns 0, or FVD_E_IO. */
int fvd_audit_append(struct fvd_audit *au, const struct fvd_audit_rec *r);

/* Records with seq > after, at most limit (1..FVD_AUDIT_PAGE_MAX), as
 * {"records":[...], "next": <after for the next page> | null, "head": <last hash>}. NULL when
 * out of memory or the file cannot be read. */
cJSON *fvd_audit_page(struct fvd_audit *au, uint64_t after, size_t limit);

#endif /* FVD_AUDIT_H */
