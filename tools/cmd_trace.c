// SPDX-License-Identifier: MIT
/*
 * `ferrovisor trace json DUMP OUT`: the hypervisor's `trace dump` (a console log holding
 * it will do) to Chrome/Perfetto trace-event JSON (tools/trace_json.h, docs/tracing.md).
 * `ferrovisor --api URL trace start [CLASS...] | stop | dump FILE`: the same tracer through
 * ferrovisord's /api/v1/trace (admin token).
 */
#include <stdio.h>
#include <string.h>

#include "api_client.h"
#include "cli.h"
#include "trace_json.h"

const char cmd_trace_usage[] =
    "Usage: ferrovisor trace json DUMP OUT.json\n"
    "       ferrovisor --api URL trace start [CLASS...] | stop | dump FILE\n"
    "json: convert the output of the hypervisor shell's `trace dump` (FEATURES=trace build;\n"
    "DUMP may be a whole console log, \"-\" is stdin) to trace-event JSON that ui.perfetto.dev\n"
    "and chrome://tracing load: one track per physical CPU and per vCPU.\n"
    "start: empty the rings and trace CLASSes (exit sbi irq sched virtio mmio vm; default\n"
    "all); stop: stop tracing; dump: write what was recorded to FILE (the same JSON).\n"
    "start, stop and dump need an admin token (FERROVISOR_TOKEN or --token-file).\n";

/* The status answer of POST /trace, one line. */
static void trace_print_status(const cJSON *j)
{
	const cJSON *cl = cJSON_GetObjectItemCaseSensitive(j, "classes"), *it;
	const cJSON *cpus = cJSON_GetObjectItemCaseSensitive(j, "cpus");
	long long recs = 0, dropped = 0;

	printf("trace %s:", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "on")) ? "on" : "off");
	for (it = cl ? cl->child : NULL; it; it = it->next)
		printf(" %s", cJSON_GetStringValue(it));
	for (it = cpus ? cpus->child : NULL; it; it = it->next) {
		recs += api_num(it, "records");
		dropped += api_num(it, "dropped");
	}
	printf(" (%lld records waiting, %lld dropped)\n", recs, dropped);
}

static int trace_remote(const char *api, int argc, char **argv)
{
	struct api_client c;
	char body[256];
	cJSON *j = NULL;
	size_t off;

	if (!api)
		return cli_usage_error("trace", "no API: give --api URL or set $FERROVISOR_API");
	if (api_client_init(&c, api))
		return CLI_USAGE;
	if (strcmp(argv[1], "dump") == 0) {
		if (argc != 3)
			return cli_usage_error("trace", "expected: trace dump FILE");
		if (api_request(&c, "GET", "/trace", NULL, &j, NULL) < 0)
			return CLI_RUNTIME;
		char *text = cJSON_PrintUnformatted(j);
		FILE *f = fopen(argv[2], "w");
		int ok = text && f && fputs(text, f) >= 0;
		if (f && fclose(f) != 0)
			ok = 0;
		const cJSON *od = cJSON_GetObjectItemCaseSensitive(j, "otherData");
		if (ok)
			printf("%s: %lld records, %lld dropped\n", argv[2], api_num(od, "records"),
			       api_num(od, "dropped"));
		cJSON_free(text);
		cJSON_Delete(j);
		if (!ok) {
			cli_error("trace dump: cannot write %s", argv[2]);
			return CLI_RUNTIME;
		}
		return CLI_OK;
	}
	if (strcmp(argv[1], "stop") == 0 && argc == 2) {
		snprintf(body, sizeof(body), "{\"on\":false}");
	} else if (strcmp(argv[1], "start") == 0) {
		off = (size_t)snprintf(body, sizeof(body), "{\"on\":true");
		if (argc > 2) {
			off += (size_t)snprintf(body + off, sizeof(body) - off, ",\"classes\":[");
			for (int i = 2; i < argc; i++) {
				/* Class names are words; the daemon names an unknown one. */
				if (strspn(argv[i], "abcdefghijklmnopqrstuvwxyz") !=
				        strlen(argv[i]) ||
				    strlen(argv[i]) > 16 || off + 24 > sizeof(body))
					return cli_usage_error("trace", "start: bad class \"%s\"",
					                       argv[i]);
				off += (size_t)snprintf(body + off, sizeof(body) - off, "%s\"%s\"",
				                        i > 2 ? "," : "", argv[i]);
			}
			off += (size_t)snprintf(body + off, sizeof(body) - off, "]");
		}
		snprintf(body + off, sizeof(body) - off, "}");
	} else {
		return cli_usage_error("trace", "expected: start [CLASS...] | stop | dump FILE");
	}
	struct api_upload up = {body, strlen(body), false, "application/json"};
	if (api_request(&c, "POST", "/trace", &up, &j, NULL) < 0)
		return CLI_RUNTIME;
	trace_print_status(j);
	cJSON_Delete(j);
	return CLI_OK;
}

int cmd_trace(const char *api, int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cmd_trace_usage, stdout);
		return CLI_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "json") != 0)
		return trace_remote(api, argc, argv);
	if (argc != 4)
		return cli_usage_error("trace", "expected: trace json DUMP OUT.json");
	FILE *in = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "r");
	if (!in) {
		cli_error("trace json: cannot open %s", argv[2]);
		return CLI_RUNTIME;
	}
	FILE *out = fopen(argv[3], "w");
	if (!out) {
		cli_error("trace json: cannot create %s", argv[3]);
		if (in != stdin)
			fclose(in);
		return CLI_RUNTIME;
	}
	struct trace_json_stats st;
	char why[160];
	int ret = trace_json_convert(in, out, &st, why, sizeof(why));
	if (in != stdin)
		fclose(in);
	if (fclose(out) != 0 && ret == 0) {
		snprintf(why, sizeof(why), "write error");
		ret = -1;
	}
	if (ret) {
		cli_error("trace json %s: %s", argv[2], why);
		return CLI_CONFIG;
	}
	printf("%s: %lu records, %lu events, %lu dropped, %lu unpaired sched-out\n", argv[3],
	       st.records, st.events, st.dropped, st.unpaired);
	return CLI_OK;
}
