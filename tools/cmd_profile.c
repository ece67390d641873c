// SPDX-License-Identifier: MIT
/*
 * `ferrovisor --api URL vm profile NAME`: one profiling session through the daemon
 * (POST /api/v1/vms/{name}/profile), then the top list on stdout and, with --folded,
 * flame-graph input in a file; addresses named from --elf, the hypervisor's from --hyp-elf
 * (prof_report.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "prof_report.h"

static int profile_usage(const char *why, const char *arg)
{
	return cli_usage_error("vm", "profile: %s%s%s", why, arg ? " " : "", arg ? arg : "");
}

/* A decimal argument in [lo, hi]. */
static bool num_arg(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	*out = strtoul(s, &end, 10);
	return *end == '\0' && *out >= lo && *out <= hi;
}

int cmd_vm_profile(const struct api_client *c, int argc, char **argv)
{
	const char *name = NULL, *elf = NULL, *hyp_elf = NULL, *folded = NULL;
	unsigned long seconds = 5, period = 1000, top = 20;
	struct prof_symtab syms = {0}, hsyms = {0};
	bool have_syms = false, have_hsyms = false;
	struct prof_stack *st = NULL;
	size_t n = 0;
	int ret = CLI_RUNTIME;
	cJSON *j = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--seconds") == 0) {
			if (!num_arg(v, 1, 60, &seconds))
				return profile_usage("--seconds takes 1..60, not", v);
			i++;
		} else if (strcmp(a, "--period-us") == 0) {
			if (!num_arg(v, 100, 1000000, &period))
				return profile_usage("--period-us takes 100..1000000, not", v);
			i++;
		} else if (strcmp(a, "--top") == 0) {
			if (!num_arg(v, 1, 100000, &top))
				return profile_usage("--top takes a count, not", v);
			i++;
		} else if (strcmp(a, "--elf") == 0 && v) {
			elf = argv[++i];
		} else if (strcmp(a, "--hyp-elf") == 0 && v) {
			hyp_elf = argv[++i];
		} else if (strcmp(a, "--folded") == 0 && v) {
			folded = argv[++i];
		} else if (a[0] != '-' && !name) {
			name = a;
		} else {
			return profile_usage("unexpected argument", a);
		}
	}
	if (!name)
		return profile_usage("needs the VM's NAME", NULL);
	if (strlen(name) > 31 || strchr(name, '/') || strchr(name, '?'))
		return profile_usage("not a VM name:", name);
	if (elf) {
		char err[128];
		if (prof_sym_load_file(elf, &syms, err, sizeof(err))) {
			cli_error("%s: %s", elf, err);
			return CLI_CONFIG;
		}
		have_syms = true;
	}
	if (hyp_elf) {
		char err[128];
		if (prof_sym_load_file(hyp_elf, &hsyms, err, sizeof(err))) {
			cli_error("%s: %s", hyp_elf, err);
			if (have_syms)
				prof_sym_free(&syms);
			return CLI_CONFIG;
		}
		have_hsyms = true;
		/* Hypervisor samples are named from it, guest ones from --elf (if given). */
		syms.hyp = &hsyms;
		have_syms = true;
	}

	char path[96], body[96];
	snprintf(path, sizeof(path), "/vms/%s/profile", name);
	snprintf(body, sizeof(body), "{\"seconds\": %lu, \"period_us\": %lu}", seconds, period);
	struct api_upload up = {body, strlen(body), false, "application/json"};
	fprintf(stderr, "profiling %s for %lu s every %lu us...\n", name, seconds, period);
	if (api_request(c, "POST", path, &up, &j, NULL) < 0)
		goto out;
	if (prof_report_parse(j, &st, &n))
		goto out;
	fprintf(stderr, "%lld samples (%lld dropped), %zu distinct stacks\n", api_num(j, "samples"),
	        api_num(j, "dropped"), n);
	if (folded) {
		FILE *f = fopen(folded, "w");
		if (!f || prof_report_folded(f, st, n, have_syms ? &syms : NULL)) {
			cli_error("%s: cannot write the folded stacks", folded);
			if (f)
				fclose(f);
			goto out;
		}
		fclose(f);
	}
	if (prof_report_top(stdout, st, n, have_syms ? &syms : NULL, (unsigned)top) == 0)
		ret = CLI_OK;
out:
	free(st);
	cJSON_Delete(j);
	if (have_syms)
		prof_sym_free(&syms);
	if (have_hsyms)
		prof_sym_free(&hsyms);
	return ret;
}
