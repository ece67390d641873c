// SPDX-License-Identifier: MIT
/* The audit log's hash chain (see fvd_chain.h): sealing and checking one record. */
#include "fvd_chain.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <nettle/memops.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_HASH_KEY ",\"hash\":\""
#define CHAIN_TAIL_LEN (sizeof(CHAIN_HASH_KEY) - 1 + FVD_HASH_HEX + 2) /* ,"hash":"<64>"} */

void fvd_sha256_hex(const void *data, size_t n, char out[FVD_HASH_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_ctx ctx;
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256_init(&ctx);
	sha256_update(&ctx, n, data);
	sha256_digest(&ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[FVD_HASH_HEX] = '\0';
}

bool fvd_chain_equal(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n) != 0;
}

bool fvd_chain_seal(const char *body, char *out, size_t outsz, char hash_out[FVD_HASH_HEX + 1])
{
	size_t n = strlen(body);
	int w;

	if (n < 2 || body[n - 1] != '}')
		return false;
	fvd_sha256_hex(body, n, hash_out);
	w = snprintf(out, outsz, "%.*s" CHAIN_HASH_KEY "%s\"}", (int)(n - 1), body, hash_out);
	return w > 0 && (size_t)w < outsz;
}

static bool chain_is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The members every record carries, with their cJSON type. */
static const struct {
	const char *key;
	int type;
} chain_fields[] = {
    {"seq", cJSON_Number},    {"time", cJSON_String},   {"token", cJSON_String},
    {"role", cJSON_String},   {"source", cJSON_String}, {"op", cJSON_String},
    {"target", cJSON_String}, {"status", cJSON_Number}, {"prev", cJSON_String},
    {"hash", cJSON_String},
};

bool fvd_chain_check(const char *line, size_t len, const char *prev, uint64_t seq,
                     char hash_out[FVD_HASH_HEX + 1], char *why, size_t whylen)
{
	const char *tail;
	char *body = NULL;
	cJSON *j = NULL;
	const cJSON *v;
	bool ok = false;

	if (len < CHAIN_TAIL_LEN + 2 || line[len - 1] != '}') {
		snprintf(why, whylen, "not a sealed record (too short or no closing brace)");
		return false;
	}
	tail = line + len - CHAIN_TAIL_LEN;
	if (memcmp(tail, CHAIN_HASH_KEY, sizeof(CHAIN_HASH_KEY) - 1) != 0 ||
	    !chain_is_hex(tail + sizeof(CHAIN_HASH_KEY) - 1, FVD_HASH_HEX) ||
	    memcmp(line + len - 2, "\"}", 2) != 0) {
		snprintf(why, whylen, "the record does not end in its \"hash\" member");
		return false;
	}
	j = cJSON_ParseWithLength(line, len);
	if (!j || !cJSON_IsObject(j)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	for (size_t i = 0; i < sizeof(chain_fields) / sizeof(chain_fields[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(j, chain_fields[i].key);
		/* token and role are null for a request without a valid token. */
		if (!v || (!(v->type & chain_fields[i].type) &&
		           !(cJSON_IsNull(v) && (i == 2 || i == 3)))) {
			snprintf(why, whylen, "member \"%s\" missing or of the wrong type",
			         chain_fields[i].key);
			goto out;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "seq");
	if (v->valuedouble != (double)seq) {
		snprintf(why, whylen, "seq %.0f, expected %" PRIu64 " (a record missing or moved)",
		         v->valuedouble, seq);
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(j, "prev");
	if (strlen(v->valuestring) != FVD_HASH_HEX ||
	    !fvd_chain_equal(v->valuestring, prev, FVD_HASH_HEX)) {
		snprintf(why, whylen,
		         "prev %.16s... does not chain to the previous record's hash %.16s...",
		         v->valuestring, prev);
		goto out;
	}
	body = malloc(len);
	if (!body) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	memcpy(body, line, len - CHAIN_TAIL_LEN);
	body[len - CHAIN_TAIL_LEN] = '}';
	fvd_sha256_hex(body, len - CHAIN_TAIL_LEN + 1, hash_out);
	if (!fvd_chain_equal(hash_out, tail + sizeof(CHAIN_HASH_KEY) - 1, FVD_HASH_HEX)) {
		snprintf(why, whylen, "hash mismatch: the record was changed (computed %.16s...)",
		         hash_out);
		goto out;
	}
	ok = true;
out:
	free(body);
	cJSON_Delete(j);
	return ok;
}
