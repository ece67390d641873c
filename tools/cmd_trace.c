// SPDX-License-Identifier: MIT
/*
 * `ferrovisor trace json DUMP OUT`: the hypervisor's `trace dump` (a console log holding
 * it will do) to Chrome/Perfetto trace-event JSON (tools/trace_json.h, docs/tracing.md).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "trace_json.h"

const char cmd_trace_usage[] =
    "Usage: ferrovisor trace json DUMP OUT.json\n"
    "Convert the output of the hypervisor shell's `trace dump` (FEATURES=trace build; DUMP\n"
    "may be a whole console log, \"-\" is stdin) to trace-event JSON that ui.perfetto.dev and\n"
    "chrome://tracing load: one track per physical CPU and per vCPU. Prints a summary line.\n";

int cmd_trace(int argc, char **argv)
{
	if (argc != 4 || strcmp(argv[1], "json") != 0)
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
