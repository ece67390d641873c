// SPDX-License-Identifier: MIT
/* Host unit tests of the PATCH /api/v1/vms/{name} body parser (tools/ferrovisord/fvd_sched.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_sched.h"

static int parse(const char *body, unsigned cpus, struct fvd_sched_req *r, struct fvd_sched_err *e)
{
	memset(e, 0, sizeof(*e));
	return fvd_sched_parse(body, strlen(body), cpus, r, e);
}

static void test_valid(void **state)
{
	struct fvd_sched_req r;
	struct fvd_sched_err e;

	(void)state;
	assert_int_equal(parse("{\"weight\": 768, \"affinity\": [0, 1]}", 2, &r, &e), 0);
	assert_int_equal(r.weight, 768);
	assert_int_equal(r.affinity, 3);
	assert_int_equal(parse("{\"weight\":1}", 2, &r, &e), 0);
	assert_int_equal(r.weight, 1);
	assert_int_equal(r.affinity, 0);
	assert_int_equal(parse("{\"weight\":65535}", 1, &r, &e), 0);
	assert_int_equal(r.weight, 65535);
	assert_int_equal(parse("{\"affinity\":[1]}", 2, &r, &e), 0);
	assert_int_equal(r.weight, 0);
	assert_int_equal(r.affinity, 2);
	assert_int_equal(parse("{\"affinity\":[63, 0]}", 64, &r, &e), 0);
	assert_int_equal(r.affinity, 0x8000000000000001ull);
}

static void expect_err(const char *body, unsigned cpus, const char *field, const char *needle)
{
	struct fvd_sched_req r;
	struct fvd_sched_err e;

	assert_int_equal(parse(body, cpus, &r, &e), -1);
	assert_string_equal(e.field, field);
	assert_non_null(strstr(e.why, needle));
}

static void test_errors_name_the_field(void **state)
{
	(void)state;
	expect_err("{\"weight\":0}", 2, "weight", "1..65535");
	expect_err("{\"weight\":65536}", 2, "weight", "1..65535");
	expect_err("{\"weight\":1.5}", 2, "weight", "integer");
	expect_err("{\"weight\":-3}", 2, "weight", "integer");
	expect_err("{\"weight\":\"512\"}", 2, "weight", "integer");
	expect_err("{\"weight\":1e300}", 2, "weight", "integer");
	expect_err("{\"affinity\":[]}", 2, "affinity", "non-empty");
	expect_err("{\"affinity\":1}", 2, "affinity", "array");
	expect_err("{\"affinity\":[2]}", 2, "affinity", "0..1");
	expect_err("{\"affinity\":[0,0]}", 2, "affinity", "twice");
	expect_err("{\"affinity\":[-1]}", 2, "affinity", "0..1");
	expect_err("{\"affinity\":[0.5]}", 2, "affinity", "integers");
	expect_err("{\"affinity\":[null]}", 2, "affinity", "integers");
	expect_err("{\"weight\":5,\"wieght\":5}", 2, "wieght", "unknown member");
	expect_err("{}", 2, "body", "weight");
	expect_err("[1,2]", 2, "body", "JSON object");
	expect_err("{\"weight\":", 2, "body", "JSON object");
	expect_err("", 2, "body", "JSON object");
	expect_err("{\"weight\":5}", 0, "body", "CPUs");
	expect_err("{\"weight\":5}", 65, "body", "CPUs");
}

static void test_not_nul_terminated(void **state)
{
	struct fvd_sched_req r;
	struct fvd_sched_err e;
	/* The HTTP layer hands over exactly the bytes received, without a terminator. */
	char body[] = {'{', '"', 'w', 'e', 'i', 'g', 'h', 't', '"', ':', '7', '}', 'x', 'x'};

	(void)state;
	assert_int_equal(fvd_sched_parse(body, 12, 2, &r, &e), 0);
	assert_int_equal(r.weight, 7);
	assert_int_equal(fvd_sched_parse(body, 11, 2, &r, &e), -1);
	assert_int_equal(fvd_sched_parse(NULL, 0, 2, &r, &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_errors_name_the_field),
	    cmocka_unit_test(test_not_nul_terminated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
