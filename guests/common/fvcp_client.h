/* SPDX-License-Identifier: MIT */
#ifndef FVCP_CLIENT_H
#define FVCP_CLIENT_H

/*
 * The service VM's side of the control protocol (docs/control-protocol.md)
 * for the test guests that drive it (ctl_test, snap_test): frames encoded and
 * decoded by the hypervisor's own codec (hyp/core/ctl_proto.c, linked
 * unchanged) over the polling virtio-console (vcon.c). One client per guest,
 * one request outstanding at a time; events arriving meanwhile go to the
 * callback the guest registers. Not part of COMMON_OBJS: a guest links it
 * with FVCP_OBJS (guests/Makefile).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctl_proto.h"

/* Called for each event frame (CTL_F_EVENT) with its header and payload. */
typedef void (*fvcp_event_fn)(const struct ctl_hdr *h, const uint8_t *p);

/*
 * Start the virtio-console at @base and reset the receive state. Events go to
 * @on_event (may be NULL). @log_tag, if not NULL, prefixes a console line for
 * each garbage frame, stray or unexpected response; NULL keeps quiet. A call
 * waits up to @call_ms for each response. False if the console will not run.
 */
bool fvcp_init(uint64_t base, fvcp_event_fn on_event, const char *log_tag, uint64_t call_ms);

/* The next response within @ms (events handled on the way): true with it in
 * fvcp_last()/fvcp_payload(); false on timeout. */
bool fvcp_next_response(uint64_t ms);
/* Send a request and wait for its response: the status, or -1 on timeout. */
long fvcp_call(uint16_t type, const void *pl, size_t len);
/* A request whose payload is just the VM name @name (CTL_NAME_MAX bytes). */
long fvcp_call_vm(uint16_t type, const char *name);
/* Poll for events for @ms (no request outstanding). */
void fvcp_pump(uint64_t ms);
/* Header and payload of the last response (valid until the next one). */
const struct ctl_hdr *fvcp_last(void);
const uint8_t *fvcp_payload(void);

/* The VM_LIST state of @name (-1 absent, -2 if VM_LIST failed); *count the
 * VMs listed (0 on failure), *flags (if not NULL) the entry's flags. */
long fvcp_list_state(const char *name, uint32_t *flags, uint32_t *count);
/* HOST_INFO's free memory in bytes, 0 if the request failed. */
uint64_t fvcp_host_free(void);

/* Whether the NUL-terminated name field @f equals @s. */
bool fvcp_name_is(const uint8_t *f, const char *s);
/* @s into the CTL_NAME_MAX-byte field @p, zero-padded and truncated to fit. */
void fvcp_put_name(uint8_t *p, const char *s);
/* Whether @s occurs in the @n bytes at @p. */
bool fvcp_has(const uint8_t *p, size_t n, const char *s);

#endif
