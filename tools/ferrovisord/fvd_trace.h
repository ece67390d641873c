/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's event tracer through the REST API (docs/tracing.md):
 *   POST /api/v1/trace {"on":true,"classes":[...]} clears the rings and traces those classes
 *   (all when "classes" is absent); {"on":false} stops. Answers the status.
 *   GET /api/v1/trace drains every CPU's ring and answers Chrome/Perfetto trace-event JSON,
 *   made by the same converter as `ferrovisor trace json` (tools/trace_json.c).
 * Both admin only (fvd_auth.c). Pure over the backend ops: unit-tested with the sim.
 */
#ifndef FVD_TRACE_H
#define FVD_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "fvd_backend.h"

#define FVD_TRACE_CPUS_MAX 64u
#define FVD_TRACE_CLASSES  7u /* exit sbi irq sched virtio mmio vm (hyp/core/trace.h) */

enum fvd_trace_op {
	FVD_TRACE_STATUS = 0,
	FVD_TRACE_SET = 1,
	FVD_TRACE_CLEAR = 2,
};

struct fvd_trace_status {
	uint32_t mask;
	uint32_t nr_classes;
	uint32_t nr_cpus;
	uint32_t ring_records;
	uint64_t records[FVD_TRACE_CPUS_MAX];
	uint64_t dropped[FVD_TRACE_CPUS_MAX];
};

/* One record (the control protocol's ctl_trace_rec, decoded). */
struct fvd_trace_rec {
	uint64_t ts_ns;
	uint8_t event, cpu, vm, vcpu;
	uint32_t a2;
	uint64_t a0, a1;
};

struct cJSON;

/* Name of class c, NULL past the last. */
const char *fvd_trace_class_name(unsigned c);

/*
 * POST body to an operation: on with classes (names) or all, or off. Returns FVD_OK or
 * FVD_E_INVAL with why (an unknown class, a missing "on").
 */
int fvd_trace_parse_post(const char *body, size_t len, uint32_t *mask, bool *on, char *why,
                         size_t whylen);

/* Apply a POST: on clears the rings then sets mask; off sets 0. st gets the status. */
int fvd_trace_apply(const struct fvd_backend *be, bool on, uint32_t mask,
                    struct fvd_trace_status *st);

/* The status as JSON {"on","classes":[...],"ring_records","cpus":[{"cpu","records","dropped"}]}. */
struct cJSON *fvd_trace_status_json(const struct fvd_trace_status *st);

/*
 * Drain every CPU's ring through the backend and convert: *json gets a malloc'd
 * trace-event document. FVD_OK, FVD_E_NOTSUP (no tracer), FVD_E_IO, FVD_E_NOMEM.
 */
int fvd_trace_export(const struct fvd_backend *be, char **json);

#endif /* FVD_TRACE_H */
