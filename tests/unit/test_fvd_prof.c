/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the profile endpoint's logic (tools/ferrovisord/fvd_prof.c): the
 * body parser, grouping of samples by stack, and a whole session against a fake backend
 * that hands its samples out in chunks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_prof.h"

static void test_parse(void **state)
{
	struct fvd_prof_req r;
	struct fvd_prof_err e;

	(void)state;
	assert_int_equal(fvd_prof_parse("", 0, &r, &e), 0);
	assert_int_equal(r.seconds, FVD_PROF_SECONDS_DEFAULT);
	assert_int_equal(r.period_us, FVD_PROF_PERIOD_DEFAULT);
	const char *ok = "{\"seconds\": 2, \"period_us\": 500}";
	assert_int_equal(fvd_prof_parse(ok, strlen(ok), &r, &e), 0);
	assert_int_equal(r.seconds, 2);
	assert_int_equal(r.period_us, 500);
	static const struct {
		const char *body, *field;
	} bad[] = {
	    {"[1]", "body"},
	    {"{\"seconds\": 0}", "seconds"},
	    {"{\"seconds\": 61}", "seconds"},
	    {"{\"seconds\": 1.5}", "seconds"},
	    {"{\"seconds\": \"2\"}", "seconds"},
	    {"{\"period_us\": 99}", "period_us"},
	    {"{\"period_us\": 1000001}", "period_us"},
	    {"{\"hz\": 100}", "hz"},
	    {"{\"seconds\": 2", "body"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(fvd_prof_parse(bad[i].body, strlen(bad[i].body), &r, &e), -1);
		assert_string_equal(e.field, bad[i].field);
	}
}

static struct fvd_prof_sample mk(uint64_t pc, unsigned depth, uint64_t ra0, uint8_t flags)
{
	struct fvd_prof_sample s;

	memset(&s, 0, sizeof(s));
	s.pc = pc;
	s.depth = (uint8_t)depth;
	s.flags = flags;
	for (unsigned i = 0; i < depth; i++)
		s.ra[i] = ra0 + i;
	return s;
}

static void test_json_groups(void **state)
{
	struct fvd_prof_req r = {3, 1000};
	struct fvd_prof_sample s[6];

	(void)state;
	s[0] = mk(0x10, 2, 0x100, 0);
	s[1] = mk(0x20, 0, 0, FVD_PROF_F_HYP);
	s[2] = mk(0x10, 2, 0x100, 0);
	s[3] = mk(0x10, 1, 0x100, 0); /* same pc, shorter stack: its own group */
	s[4] = mk(0x10, 2, 0x100, 0);
	s[5] = mk(0x20, 0, 0, FVD_PROF_F_HYP);
	cJSON *j = fvd_prof_json("vm1", &r, s, 6, 4);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "vm")->valuestring, "vm1");
	assert_int_equal(cJSON_GetObjectItem(j, "samples")->valueint, 6);
	assert_int_equal(cJSON_GetObjectItem(j, "dropped")->valueint, 4);
	const cJSON *st = cJSON_GetObjectItem(j, "stacks");
	assert_int_equal(cJSON_GetArraySize(st), 3);
	const cJSON *top = cJSON_GetArrayItem(st, 0);
	assert_int_equal(cJSON_GetObjectItem(top, "count")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(top, "pc")->valuestring, "0x10");
	assert_string_equal(cJSON_GetObjectItem(top, "kind")->valuestring, "guest");
	const cJSON *chain = cJSON_GetObjectItem(top, "stack");
	assert_int_equal(cJSON_GetArraySize(chain), 2);
	assert_string_equal(cJSON_GetArrayItem(chain, 1)->valuestring, "0x101");
	const cJSON *second = cJSON_GetArrayItem(st, 1);
	assert_int_equal(cJSON_GetObjectItem(second, "count")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(second, "kind")->valuestring, "hypervisor");
	cJSON_Delete(j);
	/* No samples: an empty list. */
	j = fvd_prof_json("vm1", &r, NULL, 0, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "stacks")), 0);
	cJSON_Delete(j);
}

/* Fake backend: 300 samples handed out 128 at a time; records the calls. */
static int fk_started, fk_stopped, fk_reads;
static uint32_t fk_total = 300;

static int fk_start(void *be, const char *name, uint32_t period_us)
{
	(void)be;
	if (strcmp(name, "vm1") != 0)
		return FVD_E_NOTFOUND;
	assert_int_equal(period_us, 200);
	fk_started++;
	return 0;
}

static int fk_stop(void *be)
{
	(void)be;
	fk_stopped++;
	return 0;
}

static int fk_read(void *be, uint32_t off, struct fvd_prof_chunk *c)
{
	(void)be;
	assert_int_equal(fk_stopped, 1); /* reads only after the stop */
	fk_reads++;
	memset(c, 0, sizeof(*c));
	c->total = fk_total;
	c->dropped = 7;
	for (uint32_t i = off; i < fk_total && c->count < FVD_PROF_CHUNK; i++)
		c->s[c->count++] = mk(i % 2 ? 0x1000 : 0x2000, 1, 0x3000, 0);
	return 0;
}

static const struct fvd_backend_ops fk_ops = {
    .kind = "fake", .prof_start = fk_start, .prof_stop = fk_stop, .prof_read = fk_read};
static const struct fvd_backend_ops none_ops = {.kind = "none"};

static void test_run(void **state)
{
	struct fvd_backend be = {&fk_ops, NULL};
	struct fvd_backend none = {&none_ops, NULL};
	struct fvd_prof_req r = {1, 200};
	cJSON *j;

	(void)state;
	assert_int_equal(fvd_prof_run(&none, "vm1", &r, &j), FVD_E_NOTSUP);
	assert_int_equal(fvd_prof_run(&be, "nosuch", &r, &j), FVD_E_NOTFOUND);
	assert_int_equal(fvd_prof_run(&be, "vm1", &r, &j), 0);
	assert_int_equal(fk_started, 1);
	assert_int_equal(fk_reads, 3); /* 128 + 128 + 44 */
	assert_int_equal(cJSON_GetObjectItem(j, "samples")->valueint, 300);
	assert_int_equal(cJSON_GetObjectItem(j, "dropped")->valueint, 7);
	const cJSON *st = cJSON_GetObjectItem(j, "stacks");
	assert_int_equal(cJSON_GetArraySize(st), 2);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(st, 0), "count")->valueint, 150);
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_json_groups),
	    cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
