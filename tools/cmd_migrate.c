// SPDX-License-Identifier: MIT
/* Live migration from the command line (cmd_migrate.h). */
#include "cmd_migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_client.h"
#include "cli.h"

const char cmd_migrate_usage[] =
    "Usage: ferrovisor --api URL_SRC migrate NAME --to URL_DST [--to-token-file F]\n"
    "       ferrovisor --api URL_SRC migrate cancel NAME\n"
    "Move the running VM NAME from the host whose daemon is at URL_SRC to the host\n"
    "whose daemon is at URL_DST, while it runs (pre-copy rounds, then a short pause;\n"
    "docs/snapshots.md, \"Live migration\"). URL_DST is the destination as the source's\n"
    "daemon reaches it (e.g. http://10.0.2.2:PORT from a service VM behind QEMU's user\n"
    "network). The destination's admin token comes from --to-token-file or\n"
    "$FERROVISOR_TO_TOKEN. Prints the rounds, bytes, downtime and total time.\n"
    "`cancel` stops a migration in progress: the VM goes on running on the source.\n"
    "Exit codes: 0 migrated, 2 usage error, 3 API error (the VM runs on the source unless\n"
    "the message says otherwise).\n";

/* The destination's token: the file's first line, or the environment. */
static int read_token(const char *file, char *out, size_t len)
{
	const char *env = getenv("FERROVISOR_TO_TOKEN");
	size_t n;

	if (file) {
		FILE *f = fopen(file, "r");

		if (!f || !fgets(out, (int)len, f)) {
			if (f)
				fclose(f);
			cli_error("%s: cannot read the destination's token", file);
			return -1;
		}
		fclose(f);
	} else if (env) {
		snprintf(out, len, "%s", env);
	} else {
		cli_error("migrate: no destination token (--to-token-file F or "
		          "$FERROVISOR_TO_TOKEN)");
		return -1;
	}
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = '\0';
	return n ? 0 : -1;
}

static int migrate_cancel(const struct api_client *c, const char *name)
{
	char path[96];
	cJSON *j = NULL;

	snprintf(path, sizeof(path), "/vms/%s/migrate", name);
	if (api_request(c, "DELETE", path, NULL, &j, NULL) < 0)
		return CLI_RUNTIME;
	cJSON_Delete(j);
	printf("%s: cancel requested; the VM goes on running here\n", name);
	return CLI_OK;
}

/* A number of @obj, or -1 when absent. */
static double api_dbl(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1.0;
}

int cmd_migrate(const char *api, int argc, char **argv)
{
	const char *name = NULL, *to = NULL, *tokfile = NULL;
	struct api_client c;
	char token[256], path[96];
	cJSON *body, *j = NULL;
	char *text;
	int ret;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(cmd_migrate_usage, stdout);
		return CLI_OK;
	}
	if (!api)
		return cli_usage_error("migrate", "no API: give --api URL or set $FERROVISOR_API");
	if (argc == 3 && strcmp(argv[1], "cancel") == 0) {
		if (api_client_init(&c, api))
			return CLI_USAGE;
		return migrate_cancel(&c, argv[2]);
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--to-token-file") == 0 && i + 1 < argc)
			tokfile = argv[++i];
		else if (!name && argv[i][0] != '-')
			name = argv[i];
		else
			return cli_usage_error("migrate", "unexpected argument \"%s\"", argv[i]);
	}
	if (!name || !to)
		return cli_usage_error("migrate", "NAME --to URL_DST [--to-token-file F]");
	if (strlen(name) > 31)
		return cli_usage_error("migrate", "\"%s\" is no VM name", name);
	if (read_token(tokfile, token, sizeof(token)))
		return CLI_USAGE;
	if (api_client_init(&c, api))
		return CLI_USAGE;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "to", to);
	cJSON_AddStringToObject(body, "token", token);
	text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!text)
		return CLI_RUNTIME;
	struct api_upload up = {text, strlen(text), false, "application/json"};
	snprintf(path, sizeof(path), "/vms/%s/migrate", name);
	/* The answer comes when the VM runs on the destination: minutes for a large VM. */
	api_set_quiet_limit(1800);
	fprintf(stderr, "migrating %s to %s ...\n", name, to);
	ret = api_request(&c, "POST", path, &up, &j, NULL);
	free(text);
	if (ret < 0)
		return CLI_RUNTIME;
	const cJSON *rounds = cJSON_GetObjectItemCaseSensitive(j, "rounds"), *r;
	cJSON_ArrayForEach(r, rounds)
	{
		printf("round %lld%s: %lld pages, %lld bytes\n", api_num(r, "round"),
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "final")) ? " (final)" : "",
		       api_num(r, "pages"), api_num(r, "bytes"));
	}
	/* Where the downtime went (older daemons do not say). */
	const cJSON *bd = cJSON_GetObjectItemCaseSensitive(j, "downtime");
	if (cJSON_IsObject(bd))
		printf(
		    "downtime: final round %.1f ms (pause, devices, state), last segment sent in "
		    "%.1f ms, destination answered %.1f ms later\n",
		    api_dbl(bd, "final_round_ms"), api_dbl(bd, "final_send_ms"),
		    api_dbl(bd, "answer_ms"));
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(j, "downtime_ms");
	const cJSON *tt = cJSON_GetObjectItemCaseSensitive(j, "total_ms");
	printf("%s: migrated to %s: %lld bytes, downtime %.1f ms, total %.1f ms\n", name, to,
	       api_num(j, "total_bytes"), cJSON_IsNumber(dt) ? dt->valuedouble : -1.0,
	       cJSON_IsNumber(tt) ? tt->valuedouble : -1.0);
	cJSON_Delete(j);
	return CLI_OK;
}
