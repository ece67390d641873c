// SPDX-License-Identifier: MIT
/* Subcommands that read a configuration and print: validate, ls, console. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "print.h"
#include "qemu.h"

const char cmd_validate_usage[] =
    "Usage: ferrovisor validate --config FILE [--quiet]\n"
    "Check a configuration completely (syntax, keys, values, image files, CPUs,\n"
    "memory, disks, switches and uplinks; the generated blob through the\n"
    "hypervisor's own parser) and print it resolved, as YAML, with every default\n"
    "filled in: every switch with its uplink and virtio-mmio slot, every\n"
    "interface with its switch and MAC.\n"
    "\n"
    "  -c, --config FILE  the YAML configuration (may also be given without -c)\n"
    "  -q, --quiet        print nothing; only the exit code (0 valid, 1 invalid)\n"
    "  -h, --help         this help\n"
    "\n"
    "Errors look like: vm-config.yaml:4:9: memory: \"1Q\" is not a size (e.g. 512M, 1G)\n";

const char cmd_ls_usage[] = "Usage: ferrovisor ls --config FILE\n"
                            "List the VMs of a configuration, one per line, numbered as the\n"
                            "console numbers them (" HYP_ESCAPE_KEY " 1 is the first VM).\n"
                            "\n"
                            "  -c, --config FILE  the YAML configuration\n"
                            "  -h, --help         this help\n";

const char cmd_console_usage[] =
    "Usage: ferrovisor console [--config FILE]\n"
    "Explain the console of `ferrovisor run`: output tags, the hypervisor's console\n"
    "focus keys (" HYP_ESCAPE_KEY " n, " HYP_ESCAPE_KEY " 0-8) and QEMU's keys (" QEMU_ESCAPE_KEY
    " x to quit). With a\n"
    "configuration, also the number of each VM. The console is always the terminal\n"
    "that runs `ferrovisor run`; there is nothing to attach to later.\n"
    "\n"
    "  -c, --config FILE  the YAML configuration\n"
    "  -h, --help         this help\n"
    "\n"
    "ferrovisor --api URL console NAME asks a running host's daemon for a VM's\n"
    "console: its API v1 has no console endpoint yet, so it checks the VM and\n"
    "says so (exit 3).\n";

enum { OPT_QUIET = 'q' };

/*
 * Parse --config/-c (or one positional FILE), --help and, for validate,
 * --quiet. Returns -1 to go on, else the exit code.
 */
static int parse(const char *cmd, const char *usage, int argc, char **argv, const char **config,
                 bool *quiet)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			break;
		case 'q':
			if (!quiet)
				return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
			*quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_OK;
		case ':':
			return cli_usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc && !*config)
		*config = argv[optind++];
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
	return -1;
}

int cmd_validate(int argc, char **argv)
{
	const char *config = NULL;
	bool quiet = false;
	int ret = parse("validate", cmd_validate_usage, argc, argv, &config, &quiet);
	if (ret >= 0)
		return ret;
	if (!config)
		return cli_usage_error("validate", "--config FILE is required");
	struct model m;
	/* validate answers "would run accept this here?": the machine's RAM counts. */
	struct resolve_opts ro = {.host_ram = resolve_host_ram()};
	ret = cli_load(config, &ro, &m);
	if (ret)
		return ret;
	/* The blob the hypervisor would get must pass its parser too. */
	void *blob;
	size_t size;
	struct diag d;
	diag_init(&d, m.file);
	if (bundle_build(&m, &blob, &size, &d)) {
		diag_print(&d);
		model_free(&m);
		return CLI_CONFIG;
	}
	free(blob);
	if (!quiet)
		print_resolved(stdout, &m);
	model_free(&m);
	return CLI_OK;
}

int cmd_ls(int argc, char **argv)
{
	const char *config = NULL;
	int ret = parse("ls", cmd_ls_usage, argc, argv, &config, NULL);
	if (ret >= 0)
		return ret;
	if (!config)
		return cli_usage_error("ls", "--config FILE is required");
	struct model m;
	struct resolve_opts ro = {0};
	ret = cli_load(config, &ro, &m);
	if (ret)
		return ret;
	print_table(stdout, &m);
	model_free(&m);
	return CLI_OK;
}

int cmd_console(int argc, char **argv)
{
	const char *config = NULL;
	int ret = parse("console", cmd_console_usage, argc, argv, &config, NULL);
	if (ret >= 0)
		return ret;
	if (!config) {
		print_console_help(stdout, NULL);
		return CLI_OK;
	}
	struct model m;
	struct resolve_opts ro = {0};
	ret = cli_load(config, &ro, &m);
	if (ret)
		return ret;
	print_console_help(stdout, &m);
	model_free(&m);
	return CLI_OK;
}
