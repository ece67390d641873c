// SPDX-License-Identifier: MIT
/* Subcommands that produce a bundle: build, and run (build + QEMU). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "dump_chan.h"
#include "proc.h"
#include "qemu.h"
#include "scalar.h"

/* ferrovisord's port in the service VM (fv-service: fv.svc.port, default 8080). */
#define FVD_DEFAULT_PORT 8080

#define HYP_REL_TO_TOOL "/../riscv64/ferrovisor.bin" /* build/tools -> build/riscv64 */
#define HYP_IN_TREE     "build/riscv64/ferrovisor.bin"
#define MAX_QEMU_ARGS   64

const char cmd_build_usage[] =
    "Usage: ferrovisor build --config FILE [-o BUNDLE]\n"
    "Write the boot bundle: the hypervisor's configuration blob (a flattened device\n"
    "tree, compatible \"ferrovisor,config-v1\") with every VM's kernel and initrd\n"
    "embedded. Boot it with\n"
    "  qemu-system-riscv64 -M virt -cpu rv64 -smp 2 -m 1G -nographic -bios default \\\n"
    "      -kernel build/riscv64/ferrovisor.bin -initrd BUNDLE\n"
    "or let `ferrovisor run` do it (it also attaches the disks and switch uplinks).\n"
    "\n"
    "  -c, --config FILE    the YAML configuration (may also be given without -c)\n"
    "  -o, --output BUNDLE  where to write it (default: the configuration's name\n"
    "                       with .fvb, in the current directory)\n"
    "  -h, --help           this help\n";

const char cmd_run_usage[] =
    "Usage: ferrovisor run --config FILE [OPTIONS]\n"
    "Check the configuration, build its boot bundle and boot the hypervisor with it\n"
    "on QEMU (qemu-system-riscv64 -M virt), the console attached to this terminal.\n"
    "Nothing is started when the configuration has an error. Exit codes: 0 QEMU\n"
    "ended normally; 1 configuration error; 2 usage error; 3 runtime failure (also\n"
    "when QEMU exits with 1 or 2); other QEMU exit codes as they are; 124 --timeout\n"
    "stopped it; 127 QEMU could not be started; 128+N the tool got signal N\n"
    "(SIGINT, SIGTERM, SIGHUP: passed on to QEMU).\n"
    "\n"
    "  -c, --config FILE     the YAML configuration (may also be given without -c)\n"
    "      --smp N           host CPUs for QEMU (replaces host.cpus)\n"
    "      --mem SIZE        host memory for QEMU, e.g. 2G (replaces host.memory)\n"
    "      --qemu-arg ARG    pass ARG to QEMU (repeat for several)\n"
    "      --timeout SECONDS stop QEMU after this long (default: never)\n"
    "  -o, --bundle FILE     keep the bundle in FILE (rewritten only when it\n"
    "                        changes); default: an unlinked temporary file\n"
    "      --hypervisor FILE the hypervisor image (default: $FERROVISOR_HYPERVISOR,\n"
    "                        else ../riscv64/ferrovisor.bin next to this program,\n"
    "                        else " HYP_IN_TREE ")\n"
    "      --qemu BINARY     QEMU to run (default: $FERROVISOR_QEMU or " QEMU_DEFAULT_BIN ")\n"
    "      --gdb NAME[:PORT] a gdb stub for VM NAME on 127.0.0.1:PORT (default 1235):\n"
    "                        gdb-multiarch -ex 'target remote 127.0.0.1:PORT'\n"
    "      --dump-dir DIR    crash dumps to the host: a VM that crashes (or the shell's\n"
    "                        `vm dump NAME`) is written as DIR/NAME-<n>.core, an ELF\n"
    "                        core for gdb-multiarch (DIR is made if missing)\n"
    "      --hyp-gdb         QEMU waits for gdb on tcp::1234 (-S -s): debug the\n"
    "                        hypervisor itself (docs/debugging.md)\n"
    "      --uplink-fallback none|unix\n"
    "                        a switch's tap uplink that cannot be used: none (default)\n"
    "                        runs the switch without uplink, with a warning; unix\n"
    "                        uses a QEMU stream socket in a private 0700 directory\n"
    "                        (removed at exit). Never a TCP port.\n"
    "  -n, --dry-run         print the QEMU command instead of running it\n"
    "  -h, --help            this help\n"
    "\n"
    "Console: " HYP_ESCAPE_KEY " n next VM, " HYP_ESCAPE_KEY " 1-8 VM number, " HYP_ESCAPE_KEY
    " 0 hypervisor shell,\n" QEMU_ESCAPE_KEY " x quits QEMU (see `ferrovisor console`).\n";

enum {
	OPT_SMP = 256,
	OPT_MEM,
	OPT_QEMU_ARG,
	OPT_TIMEOUT,
	OPT_HYPERVISOR,
	OPT_QEMU,
	OPT_GDB,
	OPT_FALLBACK,
	OPT_HYP_GDB,
	OPT_DUMP_DIR,
};

struct run_args {
	const char *config;
	const char *output;
	const char *hypervisor;
	const char *qemu;
	uint64_t smp;
	uint64_t mem;
	unsigned timeout;
	char *extra[MAX_QEMU_ARGS];
	unsigned nr_extra;
	bool gdb;             /* --hyp-gdb: QEMU's gdbstub for the hypervisor */
	const char *gdb_vm;   /* --gdb NAME: the guest debugger's VM */
	unsigned gdb_port;    /* its TCP port on 127.0.0.1 */
	const char *dump_dir; /* --dump-dir DIR: crash dumps to the host */
	bool dry_run;
	enum qemu_fallback fallback;
};

static int parse(const char *cmd, int argc, char **argv, struct run_args *a, bool run)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"output", required_argument, NULL, 'o'},
	    {"bundle", required_argument, NULL, 'o'},
	    {"smp", required_argument, NULL, OPT_SMP},
	    {"mem", required_argument, NULL, OPT_MEM},
	    {"qemu-arg", required_argument, NULL, OPT_QEMU_ARG},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"hypervisor", required_argument, NULL, OPT_HYPERVISOR},
	    {"qemu", required_argument, NULL, OPT_QEMU},
	    {"gdb", required_argument, NULL, OPT_GDB},
	    {"hyp-gdb", no_argument, NULL, OPT_HYP_GDB},
	    {"dump-dir", required_argument, NULL, OPT_DUMP_DIR},
	    {"uplink-fallback", required_argument, NULL, OPT_FALLBACK},
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	int c;
	uint64_t v;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, run ? ":c:o:nh" : ":c:o:h", opts, NULL)) != -1) {
		if (!run && c >= OPT_SMP)
			return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case OPT_SMP:
			if (scalar_u64(optarg, &v) || v < 1 || v > MODEL_HOST_MAX_CPUS)
				return cli_usage_error(cmd,
				                       "--smp: \"%s\" is not a CPU count (1-%d)",
				                       optarg, MODEL_HOST_MAX_CPUS);
			a->smp = v;
			break;
		case OPT_MEM:
			if (scalar_size(optarg, &v) || v < (64ULL << 20) || v % (1ULL << 20))
				return cli_usage_error(cmd,
				                       "--mem: \"%s\" is not a memory size of at "
				                       "least 64M in whole MiB (e.g. 2G)",
				                       optarg);
			a->mem = v;
			break;
		case OPT_QEMU_ARG:
			if (a->nr_extra == MAX_QEMU_ARGS)
				return cli_usage_error(cmd, "more than %d --qemu-arg",
				                       MAX_QEMU_ARGS);
			a->extra[a->nr_extra++] = optarg;
			break;
		case OPT_TIMEOUT:
			if (scalar_u64(optarg, &v) || v > 86400ULL * 365)
				return cli_usage_error(cmd,
				                       "--timeout: \"%s\" is not a number of "
				                       "seconds",
				                       optarg);
			a->timeout = (unsigned)v;
			break;
		case OPT_HYPERVISOR:
			a->hypervisor = optarg;
			break;
		case OPT_QEMU:
			a->qemu = optarg;
			break;
		case OPT_HYP_GDB:
			a->gdb = true;
			break;
		case OPT_DUMP_DIR:
			if (!*optarg)
				return cli_usage_error(cmd, "--dump-dir: a directory is needed");
			a->dump_dir = optarg;
			break;
		case OPT_GDB: {
			char *colon = strchr(optarg, ':');
			a->gdb_port = 1235;
			if (colon) {
				*colon = 0;
				if (scalar_u64(colon + 1, &v) || v < 1024 || v > 65535)
					return cli_usage_error(cmd,
					                       "--gdb: \"%s\" is not a TCP port "
					                       "(1024-65535)",
					                       colon + 1);
				a->gdb_port = (unsigned)v;
			}
			if (!*optarg)
				return cli_usage_error(cmd, "--gdb: a VM name is needed");
			a->gdb_vm = optarg;
			break;
		}
		case OPT_FALLBACK:
			if (strcmp(optarg, "none") == 0)
				a->fallback = QEMU_FALLBACK_NONE;
			else if (strcmp(optarg, "unix") == 0)
				a->fallback = QEMU_FALLBACK_UNIX;
			else
				return cli_usage_error(
				    cmd, "--uplink-fallback: \"%s\" is not none or unix", optarg);
			break;
		case 'h':
			fputs(run ? cmd_run_usage : cmd_build_usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc && !a->config)
		a->config = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	if (!a->config)
		return cli_usage_error(cmd, "--config FILE is required");
	return -1;
}

/* "dir/vm-config.yaml" -> "vm-config.fvb" (malloc'd). */
static char *default_output(const char *config)
{
	const char *base = strrchr(config, '/');
	base = base ? base + 1 : config;
	size_t n = strcspn(base, ".");
	if (n == 0)
		n = strlen(base);
	char *out = malloc(n + 5);
	if (out)
		snprintf(out, n + 5, "%.*s.fvb", (int)n, base);
	return out;
}

/* Load, resolve and build the blob in memory. Returns 0 or an exit code. */
static int make_blob(const struct run_args *a, struct model *m, void **blob, size_t *size)
{
	struct resolve_opts ro = {.cpus = a->smp, .memory = a->mem, .host_ram = resolve_host_ram()};
	int ret = cli_load(a->config, &ro, m);
	if (ret)
		return ret;
	/* The QEMU command line (qemu.c) is riscv64's; validate and build serve every map. */
	if (strcmp(m->map->arch, "riscv64") != 0) {
		cli_error("host.arch: %s: `run` starts riscv64 QEMU only (validate and build "
		          "serve %s; `make ARCH=%s run-builtin` runs the built-in configuration)",
		          m->map->arch, m->map->arch, m->map->arch);
		model_free(m);
		return CLI_CONFIG;
	}
	if (a->gdb_vm) {
		bool found = false;
		for (unsigned i = 0; i < m->nr_vms; i++)
			found = found || strcmp(m->vms[i].name, a->gdb_vm) == 0;
		if (!found) {
			cli_error("--gdb: the configuration has no VM named \"%s\"", a->gdb_vm);
			model_free(m);
			return CLI_USAGE;
		}
		snprintf(m->host.gdb_vm, sizeof(m->host.gdb_vm), "%s", a->gdb_vm);
	}
	if (a->dump_dir) {
		int slot = qemu_dump_slot(m, a->gdb_vm != NULL);
		if (slot < 0) {
			cli_error("--dump-dir: no free virtio-mmio slot for the dump channel");
			model_free(m);
			return CLI_CONFIG;
		}
		m->host.dump_slot1 = (unsigned)slot + 1;
	}
	struct diag d;
	diag_init(&d, m->file);
	if (bundle_build(m, blob, size, &d)) {
		diag_print(&d);
		model_free(m);
		return CLI_CONFIG;
	}
	return 0;
}

int cmd_build(int argc, char **argv)
{
	struct run_args a = {0};
	int ret = parse("build", argc, argv, &a, false);
	if (ret >= 0)
		return ret;
	struct model m;
	void *blob;
	size_t size;
	ret = make_blob(&a, &m, &blob, &size);
	if (ret)
		return ret;
	char *def = a.output ? NULL : default_output(a.config);
	const char *out = a.output ? a.output : def;
	char err[PATH_MAX + 128];
	if (!out) {
		cli_error("out of memory");
		ret = CLI_RUNTIME;
	} else if (bundle_write_file(out, blob, size, err, sizeof(err))) {
		cli_error("%s", err);
		ret = CLI_RUNTIME;
	} else {
		diag_log(stderr, "ferrovisor: wrote %s (%zu bytes, %u VM%s)\n", out, size, m.nr_vms,
		         m.nr_vms == 1 ? "" : "s");
	}
	free(def);
	free(blob);
	model_free(&m);
	return ret;
}

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

/* The hypervisor image: option, environment, next to this program, in the tree. */
static char *find_hypervisor(const char *opt)
{
	const char *env = getenv("FERROVISOR_HYPERVISOR");
	if (opt)
		return readable(opt) ? strdup(opt) : NULL;
	if (env && *env)
		return readable(env) ? strdup(env) : NULL;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - sizeof(HYP_REL_TO_TOOL));
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			memcpy(slash, HYP_REL_TO_TOOL, sizeof(HYP_REL_TO_TOOL));
			char *real = realpath(self, NULL);
			if (real && readable(real))
				return real;
			free(real);
		}
	}
	return readable(HYP_IN_TREE) ? strdup(HYP_IN_TREE) : NULL;
}

/*
 * Where the bundle goes: --bundle FILE (kept), else a temporary file that is
 * unlinked at once and handed to QEMU as /proc/self/fd/N of a descriptor QEMU
 * inherits (*keep_fd), so nothing is left behind however the tool or QEMU
 * ends. Without /proc, the file is unlinked at exit (*temporary).
 */
static int place_bundle(const struct run_args *a, const void *blob, size_t size, char **path,
                        bool *temporary, int *keep_fd)
{
	char err[PATH_MAX + 128];
	*temporary = false;
	*keep_fd = -1;
	if (a->output) {
		*path = strdup(a->output);
		if (!*path)
			return CLI_RUNTIME;
		if (bundle_target_check(a->output, err, sizeof(err))) {
			cli_error("%s", err);
			return CLI_RUNTIME;
		}
		if (bundle_same_file(a->output, blob, size)) {
			diag_log(stderr, "ferrovisor: %s is up to date\n", a->output);
			return 0;
		}
		if (a->dry_run) {
			diag_log(stderr, "ferrovisor: dry run: would write %s (%zu bytes)\n",
			         a->output, size);
			return 0;
		}
		if (bundle_write_file(a->output, blob, size, err, sizeof(err))) {
			cli_error("%s", err);
			return CLI_RUNTIME;
		}
		diag_log(stderr, "ferrovisor: wrote %s (%zu bytes)\n", a->output, size);
		return 0;
	}
	const char *tmp = getenv("TMPDIR");
	tmp = tmp && *tmp ? tmp : "/tmp";
	size_t len = strlen(tmp) + 32;
	*path = malloc(len);
	if (!*path)
		return CLI_RUNTIME;
	snprintf(*path, len, "%s/ferrovisor-XXXXXX", tmp);
	if (a->dry_run)
		return 0; /* nothing is written: the command shows the template */
	int fd = mkstemp(*path);
	if (fd < 0) {
		cli_error("cannot create a temporary bundle %s: %s", *path, strerror(errno));
		return CLI_RUNTIME;
	}
	if (bundle_write_fd(fd, blob, size) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		cli_error("cannot write the temporary bundle %s: %s", *path, strerror(errno));
		close(fd);
		unlink(*path);
		return CLI_RUNTIME;
	}
	if (access("/proc/self/fd", X_OK) != 0) {
		close(fd);
		*temporary = true;
		return 0;
	}
	unlink(*path);
	snprintf(*path, len, "/proc/self/fd/%d", fd);
	*keep_fd = fd; /* mkstemp() descriptors are not close-on-exec: QEMU inherits it */
	return 0;
}

/*
 * The service VM's daemon (ferrovisord, fv.svc.port, 8080 by default) is reached through a
 * TCP port forward of the user-mode uplink of a switch the service VM is on: announce the
 * first such forward to that port as the management API's URL.
 */
static void banner_api(const struct model *m)
{
	for (unsigned i = 0; i < m->nr_vms; i++) {
		const struct model_vm *vm = &m->vms[i];
		if (!vm->service)
			continue;
		for (unsigned n = 0; n < vm->nr_nics; n++) {
			int sw = vm->nics[n].sw_index;
			if (sw < 0 || (unsigned)sw >= m->host.nr_switches)
				continue;
			const struct model_uplink *up = &m->host.switches[sw].up;
			if (up->kind != UPLINK_USER)
				continue;
			for (unsigned f = 0; f < up->nr_hostfwd; f++) {
				struct scalar_fwd fw;
				if (scalar_fwd(up->hostfwd[f], &fw) || fw.udp ||
				    fw.guest_port != FVD_DEFAULT_PORT)
					continue;
				fprintf(stderr, "Management API: http://%s:%u/api/v1\n",
				        fw.host_addr[0] ? fw.host_addr : "127.0.0.1", fw.host_port);
				/* The daemon serves its web dashboard on the same port. */
				fprintf(stderr, "Dashboard: http://%s:%u/\n",
				        fw.host_addr[0] ? fw.host_addr : "127.0.0.1", fw.host_port);
				fprintf(
				    stderr,
				    "  (Authorization: Bearer TOKEN; the first admin token is "
				    "shown "
				    "once, as \"[%s] ferrovisord: first admin token\", when the "
				    "service VM first starts on its state disk)\n",
				    vm->name);
				return;
			}
		}
	}
}

static void banner(const struct model *m, const struct run_args *a)
{
	char mem[32];
	scalar_fmt_size(m->host.memory, mem, sizeof(mem));
	fprintf(stderr, "ferrovisor: booting %u VM%s (", m->nr_vms, m->nr_vms == 1 ? "" : "s");
	for (unsigned i = 0; i < m->nr_vms; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", m->vms[i].name);
	fprintf(stderr, ") on %llu CPUs, %s", (unsigned long long)m->host.cpus, mem);
	if (a->timeout)
		fprintf(stderr, ", for at most %u s", a->timeout);
	fputs("\nferrovisor: console: " HYP_ESCAPE_KEY " n next VM, " HYP_ESCAPE_KEY
	      " 0 hypervisor shell, " QEMU_ESCAPE_KEY " x quit QEMU\n",
	      stderr);
	banner_api(m);
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = {0};
	int ret = parse("run", argc, argv, &a, true);
	if (ret >= 0)
		return ret;
	struct model m;
	void *blob;
	size_t size;
	ret = make_blob(&a, &m, &blob, &size);
	if (ret)
		return ret;
	char *hyp = find_hypervisor(a.hypervisor), *bundle = NULL;
	bool temporary = false;
	int bundle_fd = -1;
	struct qemu_cmd cmd = {0};
	struct dump_chan dump = {.listen_fd = -1, .stop_fd = {-1, -1}};
	if (!hyp) {
		cli_error("hypervisor image %s not found (build it with `make hyp`, or give "
		          "--hypervisor)",
		          a.hypervisor ? a.hypervisor : HYP_IN_TREE);
		ret = CLI_RUNTIME;
		goto out;
	}
	ret = place_bundle(&a, blob, size, &bundle, &temporary, &bundle_fd);
	free(blob);
	blob = NULL;
	if (ret)
		goto out;
	const char *qemu_env = getenv("FERROVISOR_QEMU");
	struct qemu_opts qo = {
	    .qemu = a.qemu                  ? a.qemu
	            : qemu_env && *qemu_env ? qemu_env
	                                    : QEMU_DEFAULT_BIN,
	    .hypervisor = hyp,
	    .bundle = bundle,
	    .extra = a.extra,
	    .nr_extra = a.nr_extra,
	    .gdb = a.gdb,
	    .gdb_vm = a.gdb_vm,
	    .gdb_port = a.gdb_port,
	    .dump_sock = a.dump_dir ? "DUMP-SOCKET" : NULL,
	    .dry_run = a.dry_run,
	    .fallback = a.fallback,
	    .log = stderr,
	};
	struct diag d;
	diag_init(&d, m.file);
	/* The socket QEMU connects to exists before QEMU starts (not for a dry run). */
	if (a.dump_dir && !a.dry_run) {
		if (dump_chan_start(&dump, a.dump_dir, stderr) != 0) {
			ret = CLI_RUNTIME;
			goto out;
		}
		qo.dump_sock = dump.sock_path;
	}
	if (qemu_plan(&m, &qo, &cmd, &d)) {
		diag_print(&d);
		ret = CLI_CONFIG;
		goto out;
	}
	if (a.dry_run) {
		qemu_cmd_print(stdout, &cmd);
		if (!a.output)
			fprintf(stderr,
			        "ferrovisor: dry run: nothing written; `run` writes a temporary "
			        "bundle that exists only while it runs (keep one with --bundle "
			        "FILE)\n");
		goto out;
	}
	banner(&m, &a);
	if (a.gdb_vm)
		fprintf(stderr, "gdb: target remote 127.0.0.1:%u (VM %s)\n", a.gdb_port, a.gdb_vm);
	if (a.gdb)
		fprintf(stderr,
		        "ferrovisor: QEMU waits for gdb: gdb-multiarch %s -ex 'target "
		        "remote :1234'\n",
		        hyp);
	if (a.dump_dir)
		fprintf(stderr, "ferrovisor: crash dumps go to %s\n", a.dump_dir);
	ret = proc_run(cmd.argv, a.timeout);
	if (ret == CLI_CONFIG || ret == CLI_USAGE) {
		/*
		 * QEMU's own failures (1: e.g. it could not allocate host.memory) would read
		 * as "configuration error" or "usage error": a runtime failure is 3.
		 */
		cli_error("QEMU failed (exit code %d)", ret);
		ret = CLI_RUNTIME;
	}
out:
	dump_chan_stop(&dump);
	qemu_cmd_remove_sockets(&cmd);
	if (temporary && bundle)
		unlink(bundle);
	if (bundle_fd >= 0)
		close(bundle_fd);
	qemu_cmd_free(&cmd);
	free(bundle);
	free(hyp);
	free(blob);
	model_free(&m);
	return ret;
}
