/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_TRACE_H
#define FV_CORE_CTL_TRACE_H

/*
 * TRACE_CTL / TRACE_READ requests of the control channel (ctl_trace.c). Each takes the
 * request payload (its size checked by ctl_check_request), writes the response payload to
 * out (room CTL_MAX_PAYLOAD) and its length to *len, and returns a ctl_status.
 */
#include "lib/types.h"

uint32_t ctl_trace_ctl(const uint8_t *req, uint8_t *out, uint32_t *len);
uint32_t ctl_trace_read(const uint8_t *req, uint8_t *out, uint32_t *len);

#endif
