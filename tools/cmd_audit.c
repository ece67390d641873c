// SPDX-License-Identifier: MIT
/*
 * `ferrovisor audit verify FILE`: checks the hash chain of a ferrovisord audit log (the
 * JSON lines of <state-dir>/audit.log, tools/ferrovisord/fvd_chain.h) and reports OK or the
 * first broken line and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ferrovisord/fvd_chain.h"

const char cmd_audit_usage[] =
    "Usage: ferrovisor audit verify FILE\n"
    "Check a ferrovisord audit log (JSON lines, each record carrying the SHA-256 of the one\n"
    "before it): prints \"FILE: OK, N records, head HASH\" and exits 0, or prints the first\n"
    "broken line (FILE:LINE: why) and exits 1. A record changed, deleted or moved breaks the\n"
    "chain; records cut off the end are seen only against a head hash kept elsewhere\n"
    "(GET /api/v1/audit returns it).\n";

static int audit_verify(const char *file)
{
	FILE *f = fopen(file, "r");
	char prev[FVD_HASH_HEX + 1] = FVD_CHAIN_GENESIS;
	char hash[FVD_HASH_HEX + 1];
	char why[200];
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t seq = 0;
	int ret = CLI_OK;

	if (!f) {
		cli_error("audit verify %s: cannot open", file);
		return CLI_RUNTIME;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		size_t len = (size_t)n;

		seq++;
		if (len == 0 || line[len - 1] != '\n') {
			printf("%s:%llu: BROKEN: the last record is cut off (no newline)\n", file,
			       (unsigned long long)seq);
			ret = CLI_CONFIG;
			break;
		}
		len--;
		if (!fvd_chain_check(line, len, prev, seq, hash, why, sizeof(why))) {
			printf("%s:%llu: BROKEN: %s\n", file, (unsigned long long)seq, why);
			ret = CLI_CONFIG;
			break;
		}
		memcpy(prev, hash, sizeof(prev));
	}
	free(line);
	fclose(f);
	if (ret == CLI_OK)
		printf("%s: OK, %llu records, head %s\n", file, (unsigned long long)seq, prev);
	return ret;
}

int cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cmd_audit_usage, stdout);
		return CLI_OK;
	}
	if (argc != 3 || strcmp(argv[1], "verify") != 0)
		return cli_usage_error("audit", "expected: audit verify FILE");
	return audit_verify(argv[2]);
}
