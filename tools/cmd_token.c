// SPDX-License-Identifier: MIT
/*
 * `ferrovisor token new ID ROLE`: a new API token for the YAML's `tokens:` of the service VM.
 * Prints the token text (give it to the client: --token-file or $FERROVISOR_TOKEN) and the
 * YAML entry with its SHA-256, the only form the configuration keeps.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cli.h"
#include "ferrovisord/fvd_chain.h"
#include "model.h"

const char cmd_token_usage[] =
    "Usage: ferrovisor token new ID viewer|operator|admin\n"
    "Make an API token for the service VM's `tokens:` (docs/ferrovisord.md): prints the token\n"
    "text fvt_ID.<64 hex digits> (256 random bits; keep it secret, it is not stored anywhere)\n"
    "on the first line, and the YAML entry with its SHA-256 on the second.\n";

static bool token_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > MODEL_TOKEN_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return false;
	}
	return true;
}

int cmd_token(int argc, char **argv)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[32];
	char text[4 + MODEL_TOKEN_ID_MAX + 1 + 64 + 1], sum[FVD_HASH_HEX + 1];
	size_t n;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cmd_token_usage, stdout);
		return CLI_OK;
	}
	if (argc != 4 || strcmp(argv[1], "new") != 0)
		return cli_usage_error("token", "expected: token new ID ROLE");
	if (!token_id_ok(argv[2]))
		return cli_usage_error("token",
		                       "ID: 1-%d of A-Z a-z 0-9 _ -, the first alphanumeric",
		                       MODEL_TOKEN_ID_MAX);
	if (strcmp(argv[3], "viewer") != 0 && strcmp(argv[3], "operator") != 0 &&
	    strcmp(argv[3], "admin") != 0)
		return cli_usage_error("token", "ROLE: viewer, operator or admin");
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		cli_error("token: no randomness (getrandom)");
		return CLI_RUNTIME;
	}
	n = (size_t)snprintf(text, sizeof(text), "fvt_%s.", argv[2]);
	for (size_t i = 0; i < sizeof(rnd); i++) {
		text[n++] = hex[rnd[i] >> 4];
		text[n++] = hex[rnd[i] & 15];
	}
	text[n] = '\0';
	fvd_sha256_hex(text, n, sum);
	printf("%s\n- {id: %s, role: %s, sha256: %s}\n", text, argv[2], argv[3], sum);
	return CLI_OK;
}
