// SPDX-License-Identifier: MIT
/* The event tracer's REST side (see fvd_trace.h); unit-tested with the sim backend. */
#include "fvd_trace.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../trace_json.h"

#define TRACE_READ_CHUNK 255u /* records per read (the control protocol's most) */

static const char *const trace_classes[FVD_TRACE_CLASSES] = {"exit",   "sbi",  "irq", "sched",
                                                             "virtio", "mmio", "vm"};

const char *fvd_trace_class_name(unsigned c)
{
	return c < FVD_TRACE_CLASSES ? trace_classes[c] : NULL;
}

int fvd_trace_parse_post(const char *body, size_t len, uint32_t *mask, bool *on, char *why,
                         size_t whylen)
{
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *o, *cl, *it;
	int err = FVD_E_INVAL;

	*mask = 0;
	if (!cJSON_IsObject(j)) {
		snprintf(why, whylen,
		         "the body must be a JSON object {\"on\":bool,\"classes\":[...]}");
		goto out;
	}
	o = cJSON_GetObjectItemCaseSensitive(j, "on");
	if (!cJSON_IsBool(o)) {
		snprintf(why, whylen, "'on' must be true or false");
		goto out;
	}
	*on = cJSON_IsTrue(o);
	cl = cJSON_GetObjectItemCaseSensitive(j, "classes");
	if (!cl) {
		*mask = (1u << FVD_TRACE_CLASSES) - 1u;
	} else if (!cJSON_IsArray(cl)) {
		snprintf(why, whylen, "'classes' must be an array of class names");
		goto out;
	} else {
		cJSON_ArrayForEach(it, cl)
		{
			const char *s = cJSON_GetStringValue(it);
			unsigned c;

			for (c = 0; s && c < FVD_TRACE_CLASSES; c++)
				if (strcmp(s, trace_classes[c]) == 0 || strcmp(s, "all") == 0)
					break;
			if (!s || c == FVD_TRACE_CLASSES) {
				snprintf(why, whylen,
				         "'classes': unknown class (exit sbi irq sched virtio mmio "
				         "vm all)");
				goto out;
			}
			*mask |= strcmp(s, "all") == 0 ? (1u << FVD_TRACE_CLASSES) - 1u : 1u << c;
		}
	}
	if (!*on)
		*mask = 0;
	err = FVD_OK;
out:
	cJSON_Delete(j);
	return err;
}

int fvd_trace_apply(const struct fvd_backend *be, bool on, uint32_t mask,
                    struct fvd_trace_status *st)
{
	int err;

	if (!be->ops->trace_ctl || !be->ops->trace_read)
		return FVD_E_NOTSUP;
	/* A new trace starts empty: what the rings held belongs to the one before. */
	if (on) {
		err = be->ops->trace_ctl(be->ctx, FVD_TRACE_CLEAR, 0, st);
		if (err)
			return err;
	}
	return be->ops->trace_ctl(be->ctx, FVD_TRACE_SET, on ? mask : 0, st);
}

cJSON *fvd_trace_status_json(const struct fvd_trace_status *st)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *cl = cJSON_AddArrayToObject(o, "classes");
	cJSON *cpus = cJSON_AddArrayToObject(o, "cpus");

	if (!o || !cl || !cpus) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddBoolToObject(o, "on", st->mask != 0);
	for (unsigned c = 0; c < FVD_TRACE_CLASSES; c++)
		if (st->mask & (1u << c))
			cJSON_AddItemToArray(cl, cJSON_CreateString(trace_classes[c]));
	cJSON_AddNumberToObject(o, "ring_records", st->ring_records);
	for (uint32_t i = 0; i < st->nr_cpus && i < FVD_TRACE_CPUS_MAX; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "cpu", i);
		cJSON_AddNumberToObject(c, "records", (double)st->records[i]);
		cJSON_AddNumberToObject(c, "dropped", (double)st->dropped[i]);
		cJSON_AddItemToArray(cpus, c);
	}
	return o;
}

/* The dump text (docs/tracing.md) of the backend's VMs and rings, into f. */
static int trace_dump(const struct fvd_backend *be, FILE *f)
{
	struct fvd_trace_status st;
	struct fvd_vm_info vms[64];
	struct fvd_trace_rec *recs = malloc(TRACE_READ_CHUNK * sizeof(*recs));
	size_t nvm = 0, n;
	unsigned long total = 0;
	int err;

	if (!recs)
		return FVD_E_NOMEM;
	err = be->ops->trace_ctl(be->ctx, FVD_TRACE_STATUS, 0, &st);
	if (!err)
		err = be->ops->vm_list(be->ctx, vms, sizeof(vms) / sizeof(vms[0]), &nvm);
	if (err)
		goto out;
	/* The architecture names the EXIT and HCALL arguments (hyp/core/trace.h). */
	struct fvd_host_info hi;
	memset(&hi, 0, sizeof(hi));
	if (!be->ops->host_info || be->ops->host_info(be->ctx, &hi) != 0 || !hi.arch[0] ||
	    strchr(hi.arch, ' '))
		snprintf(hi.arch, sizeof(hi.arch), "riscv64");
	fprintf(f, "TRACE-BEGIN v1 %s\n", hi.arch);
	for (size_t i = 0; i < nvm && i < sizeof(vms) / sizeof(vms[0]); i++)
		fprintf(f, "TRVM %" PRIu32 " %" PRIu32 " %s\n", vms[i].id, vms[i].vcpus,
		        vms[i].name);
	for (uint32_t cpu = 0; cpu < st.nr_cpus && cpu < FVD_TRACE_CPUS_MAX; cpu++) {
		do {
			err = be->ops->trace_read(be->ctx, cpu, recs, TRACE_READ_CHUNK, &n);
			if (err)
				goto out;
			for (size_t k = 0; k < n; k++)
				fprintf(f,
				        "TR %u %" PRIu64 " %02x %u %u %" PRIx64 " %" PRIx64
				        " %" PRIx32 "\n",
				        recs[k].cpu, recs[k].ts_ns, recs[k].event, recs[k].vm,
				        recs[k].vcpu, recs[k].a0, recs[k].a1, recs[k].a2);
			total += n;
		} while (n == TRACE_READ_CHUNK);
		fprintf(f, "TRDROP %" PRIu32 " %" PRIu64 "\n", cpu, st.dropped[cpu]);
	}
	fprintf(f, "TRACE-END %lu\n", total);
out:
	free(recs);
	return err;
}

int fvd_trace_export(const struct fvd_backend *be, char **json)
{
	char *dump = NULL, *out = NULL;
	size_t dlen = 0, olen = 0;
	FILE *f;
	struct trace_json_stats st;
	char why[160];
	int err;

	*json = NULL;
	if (!be->ops->trace_ctl || !be->ops->trace_read)
		return FVD_E_NOTSUP;
	f = open_memstream(&dump, &dlen);
	if (!f)
		return FVD_E_NOMEM;
	err = trace_dump(be, f);
	if (fclose(f) != 0 && !err)
		err = FVD_E_NOMEM;
	if (err)
		goto out;
	f = fmemopen(dump, dlen, "r");
	FILE *o = f ? open_memstream(&out, &olen) : NULL;
	if (!f || !o) {
		if (f)
			fclose(f);
		err = FVD_E_NOMEM;
		goto out;
	}
	/* The dump is our own text: a conversion failure is a broken record from the backend. */
	if (trace_json_convert(f, o, &st, why, sizeof(why)))
		err = FVD_E_IO;
	fclose(f);
	if (fclose(o) != 0 && !err)
		err = FVD_E_NOMEM;
	if (!err) {
		*json = out;
		out = NULL;
	}
out:
	free(dump);
	free(out);
	return err;
}
