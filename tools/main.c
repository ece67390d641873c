// SPDX-License-Identifier: MIT
/*
 * `ferrovisor`: the operator's command for Ferrovisor configurations.
 * Subcommands are dispatched from the table below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_client.h"
#include "cli.h"
#include "cmd_migrate.h"
#include "images.h"
#include "version.h"
#include "yaml_load.h"

static int cmd_help(int argc, char **argv);
static int main_vm(int argc, char **argv);
static int main_console(int argc, char **argv);
static int main_events(int argc, char **argv);
static int main_trace(int argc, char **argv);
static int main_migrate(int argc, char **argv);

/* The daemon's URL: --api URL before the command, else $FERROVISOR_API (NULL: none). */
static const char *main_api;
static bool main_api_given; /* from --api, not the environment */

static const char help_usage[] = "Usage: ferrovisor help [COMMAND]\n"
                                 "Show the commands, or the help of one command.\n";

static const struct cli_cmd commands[] = {
    {"validate", "check a configuration and print it resolved", cmd_validate, cmd_validate_usage},
    {"build", "write the boot bundle (configuration blob with the images)", cmd_build,
     cmd_build_usage},
    {"run", "build the bundle and boot it on QEMU, console attached", cmd_run, cmd_run_usage},
    {"ls", "list the VMs of a configuration", cmd_ls, cmd_ls_usage},
    {"console", "how the console works (with --api: a remote VM's console)", main_console,
     cmd_console_usage},
    {"vm", "manage a running host's VMs over the REST API (--api URL)", main_vm, cmd_vm_usage},
    {"audit", "check an audit log's hash chain (audit verify FILE)", cmd_audit, cmd_audit_usage},
    {"trace", "event tracer: start/stop/dump (--api URL), or trace json DUMP OUT", main_trace,
     cmd_trace_usage},
    {"token", "make an API token for the YAML (token new ID ROLE)", cmd_token, cmd_token_usage},
    {"events", "print a running host's events over the REST API (--api URL)", main_events,
     cmd_events_usage},
    {"migrate", "move a running VM to another host (--api URL_SRC migrate NAME --to URL)",
     main_migrate, cmd_migrate_usage},
    {"help", "show help for a command", cmd_help, help_usage},
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void main_help(FILE *f)
{
	fputs("Usage: ferrovisor COMMAND [OPTIONS]\n"
	      "       ferrovisor --api URL [--token-file F] vm|console|events ...\n"
	      "           (or $FERROVISOR_API, $FERROVISOR_TOKEN)\n"
	      "       ferrovisor COMMAND --help | --version | --help\n"
	      "\n"
	      "Describe VMs in YAML, check them, pack them with their images into a boot\n"
	      "bundle and boot the Ferrovisor hypervisor with it on QEMU.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nExit codes: 0 ok, 1 configuration error, 2 usage error, 3 other failure;\n"
	      "`run` exits with QEMU's code (124 after --timeout, 127 if QEMU cannot start).\n"
	      "Configuration keys: docs/configuration.md.\n",
	      f);
}

static int main_migrate(int argc, char **argv)
{
	return cmd_migrate(main_api, argc, argv);
}

static int main_vm(int argc, char **argv)
{
	return cmd_vm(main_api, argc, argv);
}

static int main_trace(int argc, char **argv)
{
	return cmd_trace(main_api, argc, argv);
}

/*
 * `console NAME` with an API is the remote console; without one (or with
 * --config) the local explanation of `run`'s console, as before.
 */
static int main_console(int argc, char **argv)
{
	bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
	bool remote = !help && (main_api_given || (main_api && argc >= 2 && argv[1][0] != '-'));
	if (remote)
		return cmd_remote_console(main_api, argc, argv);
	return cmd_console(argc, argv);
}

static int main_events(int argc, char **argv)
{
	return cmd_remote_events(main_api, argc, argv);
}

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

void cli_print_help(FILE *f, const struct cli_cmd *cmd)
{
	fputs(cmd->usage, f);
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		main_help(stdout);
		return CLI_OK;
	}
	const struct cli_cmd *c = find(argv[1]);
	if (!c)
		return cli_usage_error("help", "no command \"%s\"", argv[1]);
	cli_print_help(stdout, c);
	return CLI_OK;
}

/* Messages name paths and arguments: escaped (diag_fputs_safe()), one line. */
void cli_error(const char *fmt, ...)
{
	char buf[DIAG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fputs("ferrovisor: ", stderr);
	diag_fputs_safe(stderr, buf, false);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char buf[DIAG_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ferrovisor %s: ", cmd);
	diag_fputs_safe(stderr, buf, false);
	fprintf(stderr, "\nTry 'ferrovisor %s --help'.\n", cmd);
	return CLI_USAGE;
}

int cli_load(const char *file, const struct resolve_opts *ro, struct model *m)
{
	struct diag d;
	if (model_init(m, file)) {
		cli_error("out of memory");
		return CLI_RUNTIME;
	}
	diag_init(&d, m->file);
	/*
	 * The loader's fopen() would wait forever on a FIFO: refuse anything but a
	 * regular file first, without blocking (a file swapped in between is the
	 * operator's own doing).
	 */
	struct stat st;
	char err[128];
	int fd = image_open(file, false, &st, err, sizeof(err));
	if (fd < 0)
		diag_error(&d, (struct src_pos){0, 0}, "config", "cannot open: %s", err);
	else
		close(fd);
	if (fd >= 0 && yload_file(m, &d) == 0)
		resolve_model(m, ro, &d);
	diag_print(&d);
	if (d.failed) {
		model_free(m);
		return CLI_CONFIG;
	}
	return CLI_OK;
}

int main(int argc, char **argv)
{
	main_api = getenv("FERROVISOR_API");
	if (main_api && !*main_api)
		main_api = NULL;
	const char *env_token = getenv("FERROVISOR_TOKEN");
	const char *token_file = NULL;
	/* Global options before the command, in any order: --api URL, --token-file F. */
	for (;;) {
		if (argc >= 2 && strncmp(argv[1], "--api=", 6) == 0) {
			main_api = argv[1] + 6;
			main_api_given = true;
			argc--;
			argv++;
		} else if (argc >= 2 && strncmp(argv[1], "--token-file=", 13) == 0) {
			token_file = argv[1] + 13;
			argc--;
			argv++;
		} else if (argc >= 2 && (strcmp(argv[1], "--api") == 0 ||
		                         strcmp(argv[1], "--token-file") == 0)) {
			if (argc < 3) {
				fprintf(stderr,
				        "ferrovisor: %s needs a value\nTry 'ferrovisor --help'.\n",
				        argv[1]);
				return CLI_USAGE;
			}
			if (strcmp(argv[1], "--api") == 0) {
				main_api = argv[2];
				main_api_given = true;
			} else {
				token_file = argv[2];
			}
			argc -= 2;
			argv += 2;
		} else {
			break;
		}
	}
	/* --token-file wins over $FERROVISOR_TOKEN. */
	if (token_file
	        ? api_token_load(token_file) != 0
	        : env_token && *env_token && api_token_set(env_token, "FERROVISOR_TOKEN") != 0)
		return CLI_USAGE;
	if (argc < 2) {
		main_help(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_help(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ferrovisor %s (configuration blob ferrovisor,config-v1)\n",
		       FV_TOOL_VERSION);
		return CLI_OK;
	}
	const struct cli_cmd *c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "ferrovisor: unknown command \"%s\"\nTry 'ferrovisor --help'.\n",
		        argv[1]);
		return CLI_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
