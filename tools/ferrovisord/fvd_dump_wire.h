/* SPDX-License-Identifier: MIT */
/*
 * The DUMP_INFO payload of the control protocol (docs/control-protocol.md "Crash dumps":
 * ctl_dump_info, then its RAM regions and vCPUs) decoded into struct fvd_dump_info. Pure;
 * shared by the daemon's hvc backend (the answer to DUMP_INFO) and the host tool's dump
 * receiver (the BEGIN frame of a dump streamed to the host, hyp/core/dump_frame.h), so the
 * two read the hypervisor's register sets the same way.
 */
#ifndef FVD_DUMP_WIRE_H
#define FVD_DUMP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fvd_backend.h"

/* Decode len bytes at p; FVD_OK, or FVD_E_IO when the sizes, counts or state are wrong. */
int fvd_dump_info_decode(const uint8_t *p, size_t len, struct fvd_dump_info *out);

#endif /* FVD_DUMP_WIRE_H */
