// SPDX-License-Identifier: MIT
/* The profile endpoint's body parser, session and JSON (see fvd_prof.h). */
#include "fvd_prof.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int prof_fail(struct fvd_prof_err *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int prof_fail(struct fvd_prof_err *err, const char *field, const char *fmt, ...)
{
	va_list ap;

	snprintf(err->field, sizeof(err->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(err->why, sizeof(err->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON number that is an integer in [lo, hi]. */
static bool prof_int(const cJSON *n, double lo, double hi, unsigned *out)
{
	double v;

	if (!cJSON_IsNumber(n))
		return false;
	v = n->valuedouble;
	if (!(v >= lo && v <= hi) || (double)(unsigned)v != v)
		return false;
	*out = (unsigned)v;
	return true;
}

int fvd_prof_parse(const char *body, size_t len, struct fvd_prof_req *out, struct fvd_prof_err *err)
{
	const cJSON *m;
	cJSON *j;
	int ret = 0;

	out->seconds = FVD_PROF_SECONDS_DEFAULT;
	out->period_us = FVD_PROF_PERIOD_DEFAULT;
	if (len == 0)
		return 0;
	j = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return prof_fail(err, "body", "must be a JSON object");
	}
	cJSON_ArrayForEach(m, j)
	{
		if (strcmp(m->string, "seconds") == 0) {
			if (!prof_int(m, 1, FVD_PROF_SECONDS_MAX, &out->seconds))
				ret = prof_fail(err, "seconds", "must be an integer 1..%d",
				                FVD_PROF_SECONDS_MAX);
		} else if (strcmp(m->string, "period_us") == 0) {
			if (!prof_int(m, FVD_PROF_PERIOD_MIN, FVD_PROF_PERIOD_MAX, &out->period_us))
				ret = prof_fail(err, "period_us", "must be an integer %d..%d",
				                FVD_PROF_PERIOD_MIN, FVD_PROF_PERIOD_MAX);
		} else {
			ret = prof_fail(err, m->string, "unknown member");
		}
		if (ret)
			break;
	}
	cJSON_Delete(j);
	return ret;
}

/* Order that puts identical stacks next to each other. */
static int prof_cmp(const void *a, const void *b)
{
	const struct fvd_prof_sample *x = a, *y = b;

	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->pc != y->pc)
		return x->pc < y->pc ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	for (unsigned i = 0; i < x->depth; i++)
		if (x->ra[i] != y->ra[i])
			return x->ra[i] < y->ra[i] ? -1 : 1;
	return 0;
}

struct prof_group {
	size_t first; /* index of its first sample */
	uint32_t count;
};

static int prof_group_cmp(const void *a, const void *b)
{
	const struct prof_group *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static cJSON *prof_hex(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return cJSON_CreateString(buf);
}

cJSON *fvd_prof_json(const char *vm, const struct fvd_prof_req *req, struct fvd_prof_sample *s,
                     size_t n, uint32_t dropped)
{
	struct prof_group *g = calloc(n ? n : 1, sizeof(*g));
	cJSON *j = cJSON_CreateObject();
	cJSON *arr = cJSON_CreateArray();
	size_t ng = 0;

	if (!g || !j || !arr)
		goto oom;
	cJSON_AddItemToObject(j, "vm", cJSON_CreateString(vm));
	cJSON_AddNumberToObject(j, "seconds", req->seconds);
	cJSON_AddNumberToObject(j, "period_us", req->period_us);
	cJSON_AddNumberToObject(j, "samples", (double)n);
	cJSON_AddNumberToObject(j, "dropped", dropped);
	if (n)
		qsort(s, n, sizeof(*s), prof_cmp);
	for (size_t i = 0; i < n; i++) {
		if (ng && prof_cmp(&s[g[ng - 1].first], &s[i]) == 0) {
			g[ng - 1].count++;
			continue;
		}
		g[ng].first = i;
		g[ng].count = 1;
		ng++;
	}
	qsort(g, ng, sizeof(*g), prof_group_cmp);
	for (size_t i = 0; i < ng; i++) {
		const struct fvd_prof_sample *x = &s[g[i].first];
		cJSON *e = cJSON_CreateObject();
		cJSON *st = cJSON_CreateArray();

		if (!e || !st) {
			cJSON_Delete(e);
			cJSON_Delete(st);
			goto oom;
		}
		cJSON_AddItemToObject(
		    e, "kind",
		    cJSON_CreateString(x->flags & FVD_PROF_F_HYP ? "hypervisor" : "guest"));
		cJSON_AddItemToObject(e, "pc", prof_hex(x->pc));
		for (unsigned k = 0; k < x->depth && k < FVD_PROF_DEPTH; k++)
			cJSON_AddItemToArray(st, prof_hex(x->ra[k]));
		cJSON_AddItemToObject(e, "stack", st);
		cJSON_AddNumberToObject(e, "count", g[i].count);
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(j, "stacks", arr);
	free(g);
	return j;
oom:
	free(g);
	cJSON_Delete(arr);
	cJSON_Delete(j);
	return NULL;
}

static void prof_sleep(unsigned seconds)
{
	struct timespec ts = {.tv_sec = seconds, .tv_nsec = 0};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int fvd_prof_run(const struct fvd_backend *be, const char *vm, const struct fvd_prof_req *req,
                 cJSON **out)
{
	const struct fvd_backend_ops *ops = be->ops;
	struct fvd_prof_chunk *c;
	struct fvd_prof_sample *all = NULL;
	size_t n = 0;
	uint32_t dropped = 0;
	int err;

	*out = NULL;
	if (!ops->prof_start || !ops->prof_stop || !ops->prof_read)
		return FVD_E_NOTSUP;
	err = ops->prof_start(be->ctx, vm, req->period_us);
	if (err)
		return err;
	prof_sleep(req->seconds);
	err = ops->prof_stop(be->ctx);
	if (err)
		return err;
	c = malloc(sizeof(*c));
	if (!c)
		return FVD_E_NOMEM;
	for (;;) {
		struct fvd_prof_sample *grown;

		err = ops->prof_read(be->ctx, (uint32_t)n, c);
		if (err)
			goto out;
		dropped = c->dropped;
		/* count 0 ends it too: a hypervisor that stops short must not loop us. */
		if (c->count == 0 || c->count > FVD_PROF_CHUNK || n + c->count > c->total)
			break;
		grown = realloc(all, (n + c->count) * sizeof(*all));
		if (!grown) {
			err = FVD_E_NOMEM;
			goto out;
		}
		all = grown;
		memcpy(all + n, c->s, c->count * sizeof(*all));
		n += c->count;
		if (n >= c->total)
			break;
	}
	*out = fvd_prof_json(vm, req, all, n, dropped);
	if (!*out)
		err = FVD_E_NOMEM;
out:
	free(c);
	free(all);
	return err;
}
