/* SPDX-License-Identifier: MIT */
/*
 * Server-sent event streams (text/event-stream) of the REST API: the event log
 * (GET /api/v1/events) and a VM's console (GET /api/v1/vms/{name}/console), read from the
 * hub (fvd_hub.h). libmicrohttpd runs a thread per connection, so a stream's reader
 * callback may block on the hub: it waits in short slices, ends when the hub stops or the
 * client has gone, and sends a comment line as heartbeat when nothing happened for a while.
 */
#ifndef FVD_STREAM_H
#define FVD_STREAM_H

#include <stdbool.h>
#include <stdint.h>
#include <microhttpd.h>

#include "fvd_hub.h"

/* The events after seq `since` (retained ones replayed first), then, with follow, live
 * ones; without follow the stream ends once caught up. Events of type "audit" are sent
 * only when audit is true (the reader is an admin) and skipped otherwise. NULL when out
 * of memory. */
struct MHD_Response *fvd_stream_events(struct fvd_hub *hub, struct MHD_Connection *c,
                                       uint64_t since, bool follow, bool audit, int heartbeat_ms);

/* The last `tail` bytes of VM name's console history, then live output, as
 * `event: output` with data {"seq":N,"b64":"..."} (seq: the sequence number of the chunk's
 * first byte). NULL when out of memory. */
struct MHD_Response *fvd_stream_console(struct fvd_hub *hub, struct MHD_Connection *c,
                                        const char *name, uint64_t tail, int heartbeat_ms);

#endif /* FVD_STREAM_H */
