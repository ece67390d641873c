/* SPDX-License-Identifier: MIT */
/* Unit tests for ferrovisord's tokens, role table and hash-chained audit log
 * (tools/ferrovisord/fvd_auth.c, fvd_auth_api.c, fvd_audit.c, fvd_chain.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_audit.h"
#include "../../tools/ferrovisord/fvd_auth.h"
#include "../../tools/ferrovisord/fvd_auth_api.h"
#include "../../tools/ferrovisord/fvd_chain.h"

static void test_sha256_known_answer(void **state)
{
	char hex[FVD_HASH_HEX + 1];

	(void)state;
	fvd_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
	                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_role_table(void **state)
{
	(void)state;
	assert_int_equal(fvd_auth_min_role(FVD_EP_HOST, FVD_M_GET), FVD_ROLE_VIEWER);
	assert_int_equal(fvd_auth_min_role(FVD_EP_VM_ACTION, FVD_M_POST), FVD_ROLE_OPERATOR);
	assert_int_equal(fvd_auth_min_role(FVD_EP_VMS, FVD_M_POST), FVD_ROLE_ADMIN);
	assert_int_equal(fvd_auth_min_role(FVD_EP_VM, FVD_M_DELETE), FVD_ROLE_ADMIN);
	assert_int_equal(fvd_auth_min_role(FVD_EP_TOKENS, FVD_M_GET), FVD_ROLE_ADMIN);
	assert_int_equal(fvd_auth_min_role(FVD_EP_AUDIT, FVD_M_GET), FVD_ROLE_ADMIN);
	assert_int_equal(fvd_auth_min_role(FVD_EP_WHOAMI, FVD_M_GET), FVD_ROLE_VIEWER);
	assert_int_equal(fvd_auth_min_role(FVD_EP_EVENTS, FVD_M_GET), FVD_ROLE_VIEWER);
	assert_int_equal(fvd_auth_min_role(FVD_EP_VM_CONSOLE, FVD_M_GET), FVD_ROLE_OPERATOR);
	assert_int_equal(fvd_auth_min_role(FVD_EP_VM_CONSOLE, FVD_M_POST), FVD_ROLE_OPERATOR);
	/* A method an endpoint lacks: a viewer learns the 405. */
	assert_int_equal(fvd_auth_min_role(FVD_EP_HOST, FVD_M_DELETE), FVD_ROLE_VIEWER);
	/* No row at all: admin (fail closed). */
	assert_int_equal(fvd_auth_min_role(FVD_EP__COUNT, FVD_M_GET), FVD_ROLE_ADMIN);
}

static void test_tokens(void **state)
{
	static struct fvd_auth a;
	char first[FVD_TOKEN_TEXT], sec[FVD_TOKEN_TEXT], hdr[FVD_TOKEN_TEXT + 16];
	struct fvd_token tk;
	const char *why = NULL;
	bool is_first;

	(void)state;
	assert_int_equal(fvd_auth_init(&a, NULL, NULL, first, &is_first), 0);
	assert_true(is_first);
	assert_int_equal(strncmp(first, "fvt_admin.", 10), 0);
	assert_int_equal(strlen(first), 10 + FVD_TOKEN_HEX);
	snprintf(hdr, sizeof(hdr), "Bearer %s", first);
	assert_true(fvd_auth_check(&a, hdr, &tk, &why));
	assert_string_equal(tk.id, "admin");
	assert_int_equal(tk.role, FVD_ROLE_ADMIN);
	/* Only the hash is kept. */
	assert_null(strstr(tk.sha256, first + 10));

	assert_int_equal(fvd_auth_create(&a, "ci", FVD_ROLE_VIEWER, sec), 0);
	assert_int_equal(fvd_auth_create(&a, "ci", FVD_ROLE_VIEWER, sec), FVD_E_EXISTS);
	assert_int_equal(fvd_auth_create(&a, "-x", FVD_ROLE_VIEWER, sec), FVD_E_INVAL);
	snprintf(hdr, sizeof(hdr), "bearer %s", sec);
	assert_true(fvd_auth_check(&a, hdr, &tk, &why));
	assert_int_equal(tk.role, FVD_ROLE_VIEWER);
	/* One changed digit, another id's prefix, malformed forms. */
	hdr[strlen(hdr) - 1] ^= 1;
	assert_false(fvd_auth_check(&a, hdr, &tk, &why));
	assert_string_equal(why, "invalid or revoked token");
	snprintf(hdr, sizeof(hdr), "Bearer fvt_admin.%s", sec + 7);
	assert_false(fvd_auth_check(&a, hdr, &tk, &why));
	assert_false(fvd_auth_check(&a, NULL, &tk, &why));
	assert_false(fvd_auth_check(&a, "Basic abc", &tk, &why));
	assert_false(fvd_auth_check(&a, "Bearer fvt_ci", &tk, &why));
	assert_false(fvd_auth_check(&a, "Bearer fvt_ci.00", &tk, &why));
	/* The last admin stays; a deleted token is refused. */
	assert_int_equal(fvd_auth_delete(&a, "admin"), FVD_E_DENIED);
	assert_int_equal(fvd_auth_delete(&a, "nope"), FVD_E_NOTFOUND);
	assert_int_equal(fvd_auth_delete(&a, "ci"), 0);
	snprintf(hdr, sizeof(hdr), "Bearer %s", sec);
	assert_false(fvd_auth_check(&a, hdr, &tk, &why));
}

static void test_token_api_bodies(void **state)
{
	static struct fvd_auth a;
	char first[FVD_TOKEN_TEXT], detail[200];
	cJSON *out = NULL;
	bool is_first;

	(void)state;
	assert_int_equal(fvd_auth_init(&a, NULL, NULL, first, &is_first), 0);
	assert_int_equal(fvd_auth_api_create(&a, "{\"id\":\"ops\",\"role\":\"operator\"}", 31, &out,
	                                     detail, sizeof(detail)),
	                 0);
	assert_non_null(out);
	assert_int_equal(strncmp(cJSON_GetObjectItem(out, "token")->valuestring, "fvt_ops.", 8), 0);
	cJSON_Delete(out);
	assert_int_equal(fvd_auth_api_create(&a, "{\"id\":\"x\",\"role\":\"root\"}", 25, &out,
	                                     detail, sizeof(detail)),
	                 FVD_E_INVAL);
	assert_null(out);
	assert_int_equal(fvd_auth_api_create(&a, "{", 1, &out, detail, sizeof(detail)),
	                 FVD_E_INVAL);
	assert_int_equal(fvd_auth_api_create(&a, "{\"id\":\"ops\",\"role\":\"viewer\"}", 29, &out,
	                                     detail, sizeof(detail)),
	                 FVD_E_EXISTS);
}

/* Appends records, reads them back, checks the chain line by line, then breaks it. */
static void test_audit_chain(void **state)
{
	char dir[] = "/tmp/fvd_audit_XXXXXX";
	char path[64], prev[FVD_HASH_HEX + 1] = FVD_CHAIN_GENESIS, hash[FVD_HASH_HEX + 1];
	char why[200], line[4096];
	struct fvd_audit au;
	struct fvd_audit_rec r = {"ops", "operator", "10.0.2.2", "POST /api/v1/vms/a/stop",
	                          "a",   200};
	FILE *f;
	uint64_t seq = 0;
	cJSON *page;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(fvd_audit_open(&au, dir), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(fvd_audit_append(&au, &r), 0);
	r.token = NULL;
	r.role = NULL;
	r.status = 401;
	assert_int_equal(fvd_audit_append(&au, &r), 0);
	close(au.fd);
	/* Reopened, it continues the chain. */
	assert_int_equal(fvd_audit_open(&au, dir), 0);
	assert_int_equal(au.seq, 4);
	assert_int_equal(fvd_audit_append(&au, &r), 0);
	page = fvd_audit_page(&au, 1, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(page, "records")), 2);
	assert_int_equal(cJSON_GetObjectItem(page, "next")->valuedouble, 3);
	cJSON_Delete(page);
	close(au.fd);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line) - 1;

		assert_true(fvd_chain_check(line, n, prev, ++seq, hash, why, sizeof(why)));
		/* Any one changed byte breaks the record. */
		line[n / 2] ^= 1;
		assert_false(fvd_chain_check(line, n, prev, seq, hash, why, sizeof(why)));
		line[n / 2] ^= 1;
		assert_true(fvd_chain_check(line, n, prev, seq, hash, why, sizeof(why)));
		memcpy(prev, hash, sizeof(prev));
	}
	fclose(f);
	assert_int_equal(seq, 5);
	assert_string_equal(prev, au.prev);
	/* A record checked out of order does not chain. */
	assert_false(
	    fvd_chain_check(line, strlen(line) - 1, FVD_CHAIN_GENESIS, 1, hash, why, sizeof(why)));
	unlink(path);
	snprintf(path, sizeof(path), "%s/tokens.json", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_known_answer),
	    cmocka_unit_test(test_role_table),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_token_api_bodies),
	    cmocka_unit_test(test_audit_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
