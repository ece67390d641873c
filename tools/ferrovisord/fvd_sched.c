// SPDX-License-Identifier: MIT
/* PATCH /api/v1/vms/{name} body parser (see fvd_sched.h). */
#include "fvd_sched.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

static int sched_fail(struct fvd_sched_err *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sched_fail(struct fvd_sched_err *err, const char *field, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->why, sizeof(err->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON number that is an integer in [lo, hi]. */
static bool sched_int(const cJSON *n, double lo, double hi, unsigned long *out)
{
	double v;

	if (!cJSON_IsNumber(n))
		return false;
	v = n->valuedouble;
	if (!(v >= lo && v <= hi) || (double)(unsigned long)v != v)
		return false; /* out of range, NaN, or a fraction */
	*out = (unsigned long)v;
	return true;
}

static int sched_affinity(const cJSON *arr, unsigned host_cpus, uint64_t *mask,
                          struct fvd_sched_err *err)
{
	const cJSON *n;

	*mask = 0;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
		return sched_fail(err, "affinity", "must be a non-empty array of CPU numbers");
	cJSON_ArrayForEach(n, arr)
	{
		unsigned long cpu;

		if (!sched_int(n, 0, (double)host_cpus - 1, &cpu))
			return sched_fail(err, "affinity",
			                  "CPU numbers are integers 0..%u (this host has %u CPUs)",
			                  host_cpus - 1, host_cpus);
		if (*mask & (1ull << cpu))
			return sched_fail(err, "affinity", "CPU %lu is listed twice", cpu);
		*mask |= 1ull << cpu;
	}
	return 0;
}

int fvd_sched_parse(const char *body, size_t len, unsigned host_cpus, struct fvd_sched_req *out,
                    struct fvd_sched_err *err)
{
	cJSON *j;
	const cJSON *m;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (host_cpus == 0 || host_cpus > 64)
		return sched_fail(err, "body", "the host reports %u CPUs", host_cpus);
	j = body ? cJSON_ParseWithLength(body, len) : NULL;
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return sched_fail(err, "body",
		                  "expected a JSON object such as {\"weight\": 512, "
		                  "\"affinity\": [0, 1]}");
	}
	cJSON_ArrayForEach(m, j)
	{
		unsigned long w;

		if (!m->string) {
			ret = sched_fail(err, "body", "member without a name");
		} else if (strcmp(m->string, "weight") == 0) {
			if (sched_int(m, 1, 65535, &w))
				out->weight = (uint32_t)w;
			else
				ret = sched_fail(err, "weight", "must be an integer in 1..65535");
		} else if (strcmp(m->string, "affinity") == 0) {
			ret = sched_affinity(m, host_cpus, &out->affinity, err);
		} else {
			/* Name the member: a typo ("wieght") must not pass as a no-op. */
			ret =
			    sched_fail(err, m->string, "unknown member (known: weight, affinity)");
		}
		if (ret)
			break;
	}
	cJSON_Delete(j);
	if (!ret && !out->weight && !out->affinity)
		ret = sched_fail(err, "body", "give \"weight\" and/or \"affinity\"");
	return ret;
}
