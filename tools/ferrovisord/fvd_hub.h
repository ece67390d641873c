/* SPDX-License-Identifier: MIT */
/*
 * The daemon's live state shared between the backend (which feeds it from the control
 * channel or the simulation) and the HTTP streams (which read it): an event log (the last
 * FVD_HUB_EVENTS events, each with a sequence number) and per-VM console history (the last
 * FVD_HUB_CON_BYTES bytes with a running byte sequence number).
 *
 * Threads: any thread may add; any number of readers wait for more. One mutex (the hub's
 * lock) protects all of it and one condition variable wakes every waiter on any change.
 * Callers may hold a backend lock while adding (lock order: backend, then hub); the hub
 * never calls out while it holds its lock.
 */
#ifndef FVD_HUB_H
#define FVD_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FVD_HUB_EVENTS    1024u
#define FVD_HUB_EVENT_MAX 1024u /* bytes of one event's JSON text, NUL included */
#define FVD_HUB_CONSOLES  64u
#define FVD_HUB_CON_BYTES 65536u

struct fvd_hub;

/* An event to log; NULL/empty string fields and negative numbers are left out of the JSON. */
struct fvd_event {
	const char *type;      /* "vm-state", "vm-crash", "control-error", ... (required) */
	const char *vm;        /* the VM it concerns */
	const char *state;     /* vm-state: the new state */
	const char *old_state; /* vm-state: the previous state */
	const char *cause;     /* why: "operator:stop", "guest", a crash cause, an error */
	const char *severity;  /* "info", "warning" or "critical" (default "info") */
	int64_t count;         /* control-error: errors counted since the last event */
	const char *record;    /* audit: the audit record's JSON object text, as "record" */
};

/* NULL when out of memory. */
struct fvd_hub *fvd_hub_new(void);
/* Wakes every waiter (they return -1 from then on) and frees nothing: call it before the
 * HTTP server stops, fvd_hub_free after. */
void fvd_hub_stop(struct fvd_hub *hub);
void fvd_hub_free(struct fvd_hub *hub);

/* Logs an event with the next sequence number and the current UTC time (RFC 3339);
 * returns its sequence number (the first is 1), 0 when hub is NULL. */
uint64_t fvd_hub_event(struct fvd_hub *hub, const struct fvd_event *ev);

/*
 * The first retained event after sequence number `after`: its JSON text (NUL-terminated,
 * at most FVD_HUB_EVENT_MAX bytes) to buf, its seq and type (FVD_HUB_TYPE_MAX) to *seq and
 * type. Waits up to timeout_ms for one. Returns 1 (an event), 0 (none in time) or -1 (the
 * hub stopped). Events older than the ring are gone: the first retained one is returned.
 */
#define FVD_HUB_TYPE_MAX 32u
int fvd_hub_next_event(struct fvd_hub *hub, uint64_t after, char *buf, uint64_t *seq, char *type,
                       int timeout_ms);

/* An fvd_audit_listener (fvd_audit.h), ctx the hub: logs each audit record as an event
 * {"type":"audit","record":{...}}, which the event stream shows to admins only. */
void fvd_hub_audit_listener(void *ctx, const char *line);

/* The sequence number of the last event logged (0: none yet). */
uint64_t fvd_hub_last_seq(struct fvd_hub *hub);

/* Appends console output of VM name (history kept per name; the least recently written
 * VM's history is dropped when FVD_HUB_CONSOLES names are in use). */
void fvd_hub_console_put(struct fvd_hub *hub, const char *name, const void *data, size_t len);

/* The byte sequence number a reader wanting the last `tail` bytes of history starts at. */
uint64_t fvd_hub_console_start(struct fvd_hub *hub, const char *name, uint64_t tail);

/*
 * Console bytes of name from byte sequence number *pos (moved up to the oldest byte still
 * held if it is older): up to cap bytes to out, *first to the sequence number of out[0],
 * *pos past them. Waits up to timeout_ms for bytes. Returns the count (0: none in time) or
 * -1 when the hub stopped.
 */
int fvd_hub_console_read(struct fvd_hub *hub, const char *name, uint64_t *pos, uint64_t *first,
                         void *out, size_t cap, int timeout_ms);

/* Base64 (RFC 4648, padded) of n bytes into out (room for 4 * ((n + 2) / 3) + 1 bytes). */
size_t fvd_hub_base64(const uint8_t *in, size_t n, char *out);

#endif /* FVD_HUB_H */
