// SPDX-License-Identifier: MIT
/*
 * Client commands over ferrovisord's REST API (`ferrovisor --api URL vm ...`,
 * `ferrovisor --api URL console NAME`): a table of `vm` subcommands, each one
 * or two requests through api_client.c. `vm create` loads and checks the YAML
 * with the same loader as `validate`/`build` (cli_load()) and uploads the
 * single-VM configuration blob with its images inline (bundle_build()), the
 * package POST /api/v1/vms expects.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "bundle.h"
#include "cli.h"
#include "cmd_snap.h"
#include "prof_report.h"

const char cmd_vm_usage[] =
    "Usage: ferrovisor --api URL vm list\n"
    "       ferrovisor --api URL vm info NAME\n"
    "       ferrovisor --api URL vm create --config FILE [--start]\n"
    "       ferrovisor --api URL vm destroy|start|stop|reset|pause|resume NAME\n"
    "       ferrovisor --api URL vm set NAME [--weight N] [--affinity CPU[,CPU...]]\n"
    "       ferrovisor --api URL vm dump NAME [-o FILE]\n"
    "       ferrovisor --api URL vm snapshot NAME FILE [--stop]\n"
    "       ferrovisor --api URL vm restore FILE [--name NEW] [--start]\n"
    "       ferrovisor --api URL vm profile NAME [--seconds N] [--period-us N]\n"
    "                  [--elf FILE] [--hyp-elf FILE] [--folded OUT] [--top N]\n"
    "Manage the VMs of a running Ferrovisor through its daemon's REST API\n"
    "(ferrovisord, docs/ferrovisord.md). URL is the daemon's address, e.g.\n"
    "http://10.0.2.15:8080; without --api, $FERROVISOR_API is used. `create`\n"
    "checks the YAML like `validate` (one VM) and uploads it with its images.\n"
    "`set` changes the scheduling weight (1..65535) and/or the CPUs of a VM,\n"
    "running or not.\n"
    "`dump` writes a crash dump (ELF core: `gdb-multiarch guest.elf FILE`) of a VM,\n"
    "pausing a running one meanwhile, and downloads it to FILE (default NAME.core).\n"
    "`snapshot` saves a VM (paused meanwhile; --stop leaves it paused) into FILE;\n"
    "`restore` makes a new VM of such a file (named as saved, or NEW), left paused\n"
    "unless --start (docs/snapshots.md).\n"
    "`profile` samples the VM's pc (admin) and prints the top functions, named\n"
    "from --elf (the guest's ELF or vmlinux), the hypervisor's own samples from\n"
    "--hyp-elf (build/riscv64/ferrovisor.elf); --folded writes flame-graph input.\n"
    "Exit codes: 0 ok, 1 configuration error, 2 usage error, 3 API or\n"
    "connection error (printed with the URL and the daemon's problem detail).\n";

struct remote_cmd {
	const char *name;
	int (*run)(const struct api_client *c, int argc, char **argv);
};

static void remote_print_vm_line(const cJSON *vm)
{
	printf("%-32s %-10s %-8s %5lld %10lld", api_str(vm, "name"), api_str(vm, "state"),
	       api_str(vm, "role"), api_num(vm, "vcpus"), api_num(vm, "memory_mb"));
	const cJSON *pr = cJSON_GetObjectItemCaseSensitive(vm, "progress");
	if (cJSON_IsObject(pr))
		printf("  uploading %lld%%", api_num(pr, "percent"));
	putchar('\n');
}

static int remote_list(const struct api_client *c, int argc, char **argv)
{
	cJSON *j;
	(void)argv;

	if (argc != 1)
		return cli_usage_error("vm", "list takes no arguments");
	if (api_request(c, "GET", "/vms", NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	const cJSON *vms = cJSON_GetObjectItemCaseSensitive(j, "vms");
	if (!cJSON_IsArray(vms)) {
		cli_error("GET /vms: answer without a \"vms\" array");
		cJSON_Delete(j);
		return CLI_RUNTIME;
	}
	printf("%-32s %-10s %-8s %5s %10s\n", "NAME", "STATE", "ROLE", "VCPUS", "MEMORY_MB");
	const cJSON *vm;
	cJSON_ArrayForEach(vm, vms)
	{
		remote_print_vm_line(vm);
	}
	cJSON_Delete(j);
	return CLI_OK;
}

/* VM names go into the URL path: refuse what the API's VmName pattern refuses. */
bool cmd_remote_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '-' && ch != '_')))
			return false;
	}
	return true;
}

static int remote_name_arg(int argc, char **argv)
{
	if (argc != 2)
		return cli_usage_error("vm", "%s takes one VM name", argv[0]);
	if (!cmd_remote_valid_name(argv[1]))
		return cli_usage_error("vm", "\"%s\" is no VM name (letters, digits, '-', '_')",
		                       argv[1]);
	return CLI_OK;
}

/* A JSON array of numbers as "0,1,3". */
static void remote_print_list(const cJSON *arr)
{
	const cJSON *n;
	bool first = true;
	cJSON_ArrayForEach(n, arr)
	{
		printf("%s%.0f", first ? "" : ",", cJSON_IsNumber(n) ? n->valuedouble : -1.0);
		first = false;
	}
}

static void remote_print_vm(const cJSON *vm)
{
	const cJSON *f;
	cJSON_ArrayForEach(f, vm)
	{
		if (cJSON_IsArray(f)) {
			printf("%-10s ", f->string);
			remote_print_list(f);
			putchar('\n');
		} else if (cJSON_IsString(f))
			printf("%-10s %s\n", f->string, f->valuestring);
		else if (cJSON_IsNumber(f))
			printf("%-10s %.0f\n", f->string, f->valuedouble);
		else if (cJSON_IsObject(f) && strcmp(f->string, "progress") == 0)
			printf("%-10s %lld / %lld bytes (%lld%%)\n", f->string,
			       api_num(f, "bytes_received"), api_num(f, "bytes_total"),
			       api_num(f, "percent"));
	}
}

static int remote_info(const struct api_client *c, int argc, char **argv)
{
	char path[64];
	cJSON *j;
	int ret = remote_name_arg(argc, argv);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/vms/%s", argv[1]);
	if (api_request(c, "GET", path, NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	remote_print_vm(j);
	cJSON_Delete(j);
	return CLI_OK;
}

/* start|stop|reset|pause|resume: POST /vms/NAME/ACTION, the VM's new state printed. */
static int remote_action(const struct api_client *c, int argc, char **argv)
{
	char path[96];
	cJSON *j;
	int ret = remote_name_arg(argc, argv);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/vms/%s/%s", argv[1], argv[0]);
	if (api_request(c, "POST", path, NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	printf("%s: %s\n", argv[1], api_str(j, "state"));
	cJSON_Delete(j);
	return CLI_OK;
}

static int remote_destroy(const struct api_client *c, int argc, char **argv)
{
	char path[64];
	cJSON *j;
	int ret = remote_name_arg(argc, argv);

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/vms/%s", argv[1]);
	if (api_request(c, "DELETE", path, NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	cJSON_Delete(j);
	printf("%s: destroyed\n", argv[1]);
	return CLI_OK;
}

/* "0,1,3" -> CPU mask (JSON array text in out); false for a malformed list. */
static bool remote_cpu_list(const char *s, char *out, size_t outlen)
{
	uint64_t mask = 0;
	size_t o = 0;
	out[o++] = '[';
	while (*s) {
		char *end;
		if (*s < '0' || *s > '9')
			return false;
		unsigned long cpu = strtoul(s, &end, 10);
		if (cpu > 63 || (mask & (1ull << cpu)) || (*end != ',' && *end != '\0') ||
		    (*end == ',' && end[1] == '\0'))
			return false;
		mask |= 1ull << cpu;
		int n = snprintf(out + o, outlen - o, "%s%lu", o > 1 ? "," : "", cpu);
		if (n < 0 || (size_t)n >= outlen - o)
			return false;
		o += (size_t)n;
		s = *end ? end + 1 : end;
	}
	if (!mask || o + 2 > outlen)
		return false;
	out[o++] = ']';
	out[o] = '\0';
	return true;
}

/* `vm set NAME [--weight N] [--affinity LIST]`: PATCH /vms/NAME, in any VM state. */
static int remote_set(const struct api_client *c, int argc, char **argv)
{
	char body[512], cpus[400] = "", path[64];
	long weight = 0;

	if (argc < 2 || !cmd_remote_valid_name(argv[1]))
		return cli_usage_error("vm", "set NAME [--weight N] [--affinity CPU[,CPU...]]");
	for (int i = 2; i < argc; i++) {
		bool w = strcmp(argv[i], "--weight") == 0, a = strcmp(argv[i], "--affinity") == 0;
		if (!w && !a)
			return cli_usage_error("vm", "set: unknown option \"%s\"", argv[i]);
		if (i + 1 >= argc)
			return cli_usage_error("vm", "set: %s needs a value", argv[i]);
		const char *v = argv[++i];
		if (w) {
			char *end;
			weight = strtol(v, &end, 10);
			if (*v < '0' || *v > '9' || *end || weight < 1 || weight > 65535)
				return cli_usage_error("vm", "set: --weight \"%s\" is not 1..65535",
				                       v);
		} else if (!remote_cpu_list(v, cpus, sizeof(cpus))) {
			return cli_usage_error(
			    "vm",
			    "set: --affinity \"%s\" is not a list of CPU numbers "
			    "0..63 such as 0,1",
			    v);
		}
	}
	if (!weight && !cpus[0])
		return cli_usage_error("vm", "set: give --weight N and/or --affinity CPUS");
	snprintf(body, sizeof(body), "{%s%.0ld%s%s%s}", weight ? "\"weight\":" : "", weight,
	         weight && cpus[0] ? "," : "", cpus[0] ? "\"affinity\":" : "", cpus);
	snprintf(path, sizeof(path), "/vms/%s", argv[1]);
	struct api_upload up = {body, strlen(body), false, "application/json"};
	cJSON *j;
	if (api_request(c, "PATCH", path, &up, &j, NULL) < 0)
		return CLI_RUNTIME;
	printf("%s: %s, weight %lld, affinity ", argv[1], api_str(j, "state"),
	       api_num(j, "weight"));
	remote_print_list(cJSON_GetObjectItemCaseSensitive(j, "affinity"));
	putchar('\n');
	cJSON_Delete(j);
	return CLI_OK;
}

/*
 * The hypervisor's architecture as the daemon reports it (GET /host "arch"), into buf;
 * NULL when it does not say (an older daemon: riscv64 then).
 */
static const char *remote_arch(const struct api_client *c, char *buf, size_t len)
{
	cJSON *j = NULL;
	const char *ret = NULL;
	if (api_request(c, "GET", "/host", NULL, &j, NULL) < 0)
		return NULL;
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "arch");
	if (cJSON_IsString(a) && a->valuestring && strlen(a->valuestring) < len) {
		snprintf(buf, len, "%s", a->valuestring);
		ret = buf;
	}
	cJSON_Delete(j);
	return ret;
}

/*
 * Build the package of a one-VM configuration for the daemon's hypervisor (its
 * architecture's guest map); CLI_OK with *blob (free()).
 */
static int remote_package(const struct api_client *c, const char *file, struct model *m,
                          void **blob, size_t *size)
{
	char arch[16];
	struct resolve_opts ro = {0}; /* the daemon's host, not this one, has the RAM */
	ro.arch = remote_arch(c, arch, sizeof(arch));
	int ret = cli_load(file, &ro, m);

	if (ret)
		return ret;
	if (m->nr_vms != 1) {
		/* The loader's diagnostics format: file:line:col: field: message. */
		fprintf(stderr,
		        "%s:%u:%u: error: vms: `vm create` uploads one VM, this file has %u\n",
		        m->file, m->vms[m->nr_vms > 1 ? 1 : 0].at.line,
		        m->vms[m->nr_vms > 1 ? 1 : 0].at.col, m->nr_vms);
		model_free(m);
		return CLI_CONFIG;
	}
	/* The name goes into the request's query: only what the API's VmName allows. */
	if (!cmd_remote_valid_name(m->vms[0].name)) {
		fprintf(stderr,
		        "%s:%u:%u: error: name: \"%s\" is not a name the API accepts (1-31 of "
		        "letters, digits, '-', '_', starting with a letter or digit)\n",
		        m->file, m->vms[0].pos[VMK_NAME].line, m->vms[0].pos[VMK_NAME].col,
		        m->vms[0].name);
		model_free(m);
		return CLI_CONFIG;
	}
	struct diag d;
	diag_init(&d, m->file);
	if (bundle_build(m, blob, size, &d)) {
		diag_print(&d);
		model_free(m);
		return CLI_CONFIG;
	}
	return CLI_OK;
}

static int remote_create(const struct api_client *c, int argc, char **argv)
{
	const char *config = NULL;
	bool start = false;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) &&
		    i + 1 < argc)
			config = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			config = argv[i] + 9;
		else if (strcmp(argv[i], "--start") == 0)
			start = true;
		else
			return cli_usage_error("vm", "create: unexpected argument \"%s\"", argv[i]);
	}
	if (!config)
		return cli_usage_error("vm", "create needs --config FILE");

	struct model m;
	void *blob = NULL;
	size_t size = 0;
	int ret = remote_package(c, config, &m, &blob, &size);
	if (ret)
		return ret;

	const struct model_vm *vm = &m.vms[0];
	char path[256];
	uint64_t mib = (vm->memory + (1u << 20) - 1) >> 20;
	snprintf(path, sizeof(path),
	         "/vms?name=%s&vcpus=%" PRIu64 "&memory_mb=%" PRIu64 "&crc32c=%08x", vm->name,
	         vm->vcpus, mib, api_crc32c(blob, size));
	struct api_upload up = {blob, size, true, NULL};
	cJSON *j;
	ret = CLI_RUNTIME;
	fprintf(stderr, "creating %s: package of %zu bytes from %s\n", vm->name, size, config);
	if (api_request(c, "POST", path, &up, &j, NULL) >= 0) {
		/* A configuration with `autostart` (the YAML default) is running already. */
		bool running = strcmp(api_str(j, "state"), "running") == 0;
		printf("%s: %s%s\n", api_str(j, "name"), api_str(j, "state"),
		       running ? " (autostart)" : "");
		cJSON_Delete(j);
		ret = CLI_OK;
		if (start && !running) {
			char *args[] = {"start", m.vms[0].name, NULL};
			ret = remote_action(c, 2, args);
		}
	}
	free(blob);
	model_free(&m);
	return ret;
}

/* dump NAME [-o FILE]: POST /vms/NAME/dump, then GET the core it made into FILE. */
static int remote_dump(const struct api_client *c, int argc, char **argv)
{
	char path[96], file[512];
	unsigned long long got = 0;
	cJSON *j;
	FILE *f;
	int ret;

	if (argc == 4 && strcmp(argv[2], "-o") == 0) {
		snprintf(file, sizeof(file), "%s", argv[3]);
		argc = 2;
	} else if (argc == 2) {
		snprintf(file, sizeof(file), "%s.core", argv[1]);
	} else {
		return cli_usage_error("vm", "dump NAME [-o FILE]");
	}
	ret = remote_name_arg(argc, argv);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/vms/%s/dump", argv[1]);
	if (api_request(c, "POST", path, NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	snprintf(path, sizeof(path), "/dumps/%s", api_str(j, "id"));
	printf("%s: dump %s of the %s VM, %lld bytes%s%s\n", argv[1], api_str(j, "id"),
	       api_str(j, "state"), api_num(j, "size_bytes"),
	       *api_str(j, "cause") ? ", cause: " : "", api_str(j, "cause"));
	long long want = api_num(j, "size_bytes");
	cJSON_Delete(j);
	f = fopen(file, "wb");
	if (!f) {
		cli_error("%s: cannot create", file);
		return CLI_RUNTIME;
	}
	ret = api_download(c, path, f, &got);
	if (fclose(f) != 0 || ret < 0 || (long long)got != want) {
		if (ret >= 0)
			cli_error("%s: short download (%llu of %lld bytes)", file, got, want);
		remove(file);
		return CLI_RUNTIME;
	}
	printf("%s: written to %s\n", argv[1], file);
	return CLI_OK;
}

static const struct remote_cmd remote_cmds[] = {
    {"list", remote_list},         {"info", remote_info},       {"create", remote_create},
    {"destroy", remote_destroy},   {"start", remote_action},    {"stop", remote_action},
    {"reset", remote_action},      {"pause", remote_action},    {"resume", remote_action},
    {"set", remote_set},           {"dump", remote_dump},       {"profile", cmd_vm_profile},
    {"snapshot", cmd_vm_snapshot}, {"restore", cmd_vm_restore},
};

#define NR_REMOTE_CMDS (sizeof(remote_cmds) / sizeof(remote_cmds[0]))

int cmd_vm(const char *api, int argc, char **argv)
{
	struct api_client c;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cmd_vm_usage, stdout);
		return CLI_OK;
	}
	if (argc < 2)
		return cli_usage_error("vm", "missing subcommand (list, info, create, destroy, "
		                             "start, stop, reset, pause, resume, set)");
	if (!api)
		return cli_usage_error("vm", "no API: give --api URL or set $FERROVISOR_API");
	if (api_client_init(&c, api))
		return CLI_USAGE;
	for (size_t i = 0; i < NR_REMOTE_CMDS; i++)
		if (strcmp(remote_cmds[i].name, argv[1]) == 0)
			return remote_cmds[i].run(&c, argc - 1, argv + 1);
	return cli_usage_error("vm", "unknown subcommand \"%s\"", argv[1]);
}
