/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_CLI_H
#define FV_TOOLS_CLI_H

/*
 * The `ferrovisor` command: subcommands in a table (main.c), each with a
 * run function taking its own argv (argv[0] = the subcommand's name) and
 * a help text. Exit codes: 0 ok, 1 configuration error, 2 usage error,
 * 3 other (runtime) failure; `run` returns QEMU's exit code, except 1 and
 * 2 which become 3 (a QEMU failure is no configuration or usage error),
 * 124 on --timeout, 127 when QEMU cannot be started, 128 + N when the tool
 * received signal N (passed on to QEMU).
 */
#include <stdio.h>

#include "model.h"
#include "resolve.h"

enum cli_exit {
	CLI_OK = 0,
	CLI_CONFIG = 1,
	CLI_USAGE = 2,
	CLI_RUNTIME = 3,
};

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	const char *usage; /* full help text */
};

/* Print "ferrovisor CMD: message" and the --help hint to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "ferrovisor: message" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Load and resolve the configuration file; print warnings and the error.
 * Returns CLI_OK, CLI_CONFIG (invalid) or CLI_RUNTIME (out of memory). On
 * success the caller owns m (model_free()).
 */
int cli_load(const char *file, const struct resolve_opts *ro, struct model *m);

/* Print the help text of a subcommand to f. */
void cli_print_help(FILE *f, const struct cli_cmd *cmd);

int cmd_validate(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_run(int argc, char **argv);

/*
 * Client commands over ferrovisord's REST API (cmd_remote.c); api is the
 * daemon's URL or NULL (none given: usage error).
 */
int cmd_vm(const char *api, int argc, char **argv);
int cmd_remote_console(const char *api, int argc, char **argv);
/* `audit verify FILE`: the hash chain of a ferrovisord audit log (tools/cmd_audit.c). */
int cmd_audit(int argc, char **argv);
extern const char cmd_audit_usage[];

/*
 * `trace json DUMP OUT`: a hypervisor trace dump to trace-event JSON; `trace start|stop|dump`
 * through the REST API at api (NULL: none given). tools/cmd_trace.c.
 */
int cmd_trace(const char *api, int argc, char **argv);
extern const char cmd_trace_usage[];
/* `token new ID ROLE`: a token text and its YAML entry (tools/cmd_token.c). */
int cmd_token(int argc, char **argv);
extern const char cmd_token_usage[];
/* `--api URL events [--follow] [--since SEQ] [--json]` (tools/cmd_console.c). */
int cmd_remote_events(const char *api, int argc, char **argv);
extern const char cmd_events_usage[];
extern const char cmd_console_remote_usage[];
/* A name the API's VmName pattern accepts (1-31 of [A-Za-z0-9_-], first alphanumeric). */
bool cmd_remote_valid_name(const char *s);

extern const char cmd_validate_usage[];
extern const char cmd_ls_usage[];
extern const char cmd_console_usage[];
extern const char cmd_build_usage[];
extern const char cmd_run_usage[];
extern const char cmd_vm_usage[];

#endif
