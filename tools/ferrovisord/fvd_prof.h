/* SPDX-License-Identifier: MIT */
/*
 * POST /api/v1/vms/{name}/profile (docs/profiling.md): parse {"seconds", "period_us"},
 * run one profiler session through the backend (start, wait, stop, read every chunk),
 * and answer the samples grouped by identical stacks as JSON (schema Profile in
 * docs/api/openapi.yaml). Symbolization is the client's job (it has the ELF).
 */
#ifndef FVD_PROF_H
#define FVD_PROF_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "fvd_backend.h"

#define FVD_PROF_SECONDS_DEFAULT 5
#define FVD_PROF_SECONDS_MAX     60
#define FVD_PROF_PERIOD_DEFAULT  1000 /* us */
#define FVD_PROF_PERIOD_MIN      100
#define FVD_PROF_PERIOD_MAX      1000000

struct fvd_prof_req {
	unsigned seconds;
	unsigned period_us;
};

/* Why a body was refused: the field at fault ("body" for the whole) and a sentence. */
struct fvd_prof_err {
	char field[32];
	char why[160];
};

/* Parses the JSON body (len 0: all defaults). Unknown members are errors. Returns 0, or -1
 * with *err filled. */
int fvd_prof_parse(const char *body, size_t len, struct fvd_prof_req *out,
                   struct fvd_prof_err *err);

/*
 * Groups n samples by (kind, pc, stack) into the response document
 * {"vm","seconds","period_us","samples","dropped","stacks":[{"kind","pc","stack","count"}]},
 * stacks by count descending. Sorts s in place. NULL when out of memory.
 */
cJSON *fvd_prof_json(const char *vm, const struct fvd_prof_req *req, struct fvd_prof_sample *s,
                     size_t n, uint32_t dropped);

/*
 * One session on backend be: FVD_E_NOTSUP without profiler ops, else the backend's error,
 * or 0 with *out the response document. Blocks for req->seconds.
 */
int fvd_prof_run(const struct fvd_backend *be, const char *vm, const struct fvd_prof_req *req,
                 cJSON **out);

#endif /* FVD_PROF_H */
