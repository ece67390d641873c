/* SPDX-License-Identifier: MIT */
/*
 * The body of PATCH /api/v1/vms/{name}: {"weight": N, "affinity": [cpu, ...]}, parsed and
 * checked without an HTTP library (unit-tested on the host).
 */
#ifndef FVD_SCHED_H
#define FVD_SCHED_H

#include <stddef.h>

#include "fvd_backend.h"

/* Why a body was refused: the JSON field at fault ("body" for the document as a whole)
 * and a sentence for the problem detail. */
struct fvd_sched_err {
	char field[48];
	char why[160];
};

/*
 * Parses len bytes of JSON into *out: at least one of "weight" (integer 1..65535) and
 * "affinity" (non-empty array of distinct integers 0..host_cpus-1); any other member is
 * an error naming it. host_cpus is 1..64. Returns 0, or -1 with *err filled (out is
 * then unspecified).
 */
int fvd_sched_parse(const char *body, size_t len, unsigned host_cpus, struct fvd_sched_req *out,
                    struct fvd_sched_err *err);

#endif /* FVD_SCHED_H */
