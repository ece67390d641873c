// SPDX-License-Identifier: MIT
/* The tracer's ring (hyp/core/trace_ring.c) and the trace-event JSON writer (tools/trace_json.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/trace_ring.h"
#include "../../tools/trace_json.h"

static struct trace_ring ring;
static struct trace_rec slots[TRACE_RING_RECS];

static void push_n(uint64_t from, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		struct trace_rec r = {.ts = from + i, .a0 = from + i};
		trace_ring_push(&ring, &r);
	}
}

static void test_ring_fifo_and_wrap(void **state)
{
	(void)state;
	trace_ring_init(&ring, slots);
	struct trace_rec out[64];
	/* Go around the ring several times in chunks: order and contents survive the wrap. */
	uint64_t next = 0;
	for (unsigned round = 0; round < 5 * TRACE_RING_RECS / 50; round++) {
		push_n(round * 50, 50);
		size_t n = trace_ring_pop(&ring, out, 64);
		assert_int_equal(n, 50);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i].a0, next++);
	}
	assert_true(ring.head > TRACE_RING_RECS);
	assert_int_equal(trace_ring_count(&ring), 0);
	assert_int_equal(trace_ring_dropped(&ring), 0);
}

static void test_ring_full_drops_newest_and_counts(void **state)
{
	(void)state;
	trace_ring_init(&ring, slots);
	push_n(0, TRACE_RING_RECS + 10);
	assert_int_equal(trace_ring_count(&ring), TRACE_RING_RECS);
	assert_int_equal(trace_ring_dropped(&ring), 10);
	struct trace_rec out[4];
	/* The oldest are kept: the first record is still 0, the last TRACE_RING_RECS - 1. */
	assert_int_equal(trace_ring_pop(&ring, out, 1), 1);
	assert_int_equal(out[0].a0, 0);
	struct trace_rec r = {.a0 = 12345};
	assert_true(trace_ring_push(&ring, &r)); /* one slot free again */
	assert_false(trace_ring_push(&ring, &r));
	assert_int_equal(trace_ring_dropped(&ring), 11);
	trace_ring_reset(&ring);
	assert_int_equal(trace_ring_count(&ring), 0);
	assert_int_equal(trace_ring_dropped(&ring), 0);
	assert_int_equal(trace_ring_pop(&ring, out, 4), 0);
}

static char *convert(const char *dump, struct trace_json_stats *st, int *ret)
{
	FILE *in = fmemopen((void *)dump, strlen(dump), "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	char why[160] = "";
	*ret = trace_json_convert(in, out, st, why, sizeof(why));
	fclose(in);
	fclose(out);
	return buf;
}

static void test_json_slices_and_events(void **state)
{
	(void)state;
	const char dump[] = "noise before\n"
	                    "[hyp] TRACE-BEGIN v1\n"
	                    "[hyp] TRVM 0 1 alpha\n"
	                    "[hyp] TR 0 1000 30 0 0 0 0 0\n"
	                    "[hyp] TR 0 2000 00 0 0 a 80200000 0\n"
	                    "[hyp] TR 0 2500 10 0 0 10 3 0\n"
	                    "[hyp] TR 0 3000 50 0 0 10000000 af0 104\n"
	                    "[hyp] TR 0 4000 31 0 0 1 0 0\n"
	                    "[hyp] TR 1 3500 61 0 255 2 1 0\n"
	                    "[hyp] TRDROP 0 3\n"
	                    "[hyp] TRACE-END 6\n";
	struct trace_json_stats st;
	int ret;
	char *j = convert(dump, &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(st.records, 6);
	assert_int_equal(st.dropped, 3);
	assert_int_equal(st.unpaired, 0);
	assert_non_null(strstr(j, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":["));
	assert_non_null(strstr(
	    j, "\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"VM alpha\"}"));
	/* The run slice: 1 us to 4 us, on the CPU track and on the vCPU track. */
	assert_non_null(strstr(j, "{\"ph\":\"X\",\"name\":\"alpha/"
	                          "vcpu0\",\"pid\":0,\"tid\":0,\"ts\":1.000,\"dur\":3.000"));
	assert_non_null(strstr(
	    j, "{\"ph\":\"X\",\"name\":\"run\",\"pid\":1,\"tid\":0,\"ts\":1.000,\"dur\":3.000"));
	assert_non_null(
	    strstr(j, "\"name\":\"exit ecall-vs\",\"pid\":1,\"tid\":0,\"ts\":2.000,\"s\":\"t\""));
	assert_non_null(strstr(j, "\"name\":\"sbi base.3\""));
	/* MMIO: a write of 4 bytes from 2.8 us to 3 us. */
	assert_non_null(strstr(j, "{\"ph\":\"X\",\"name\":\"mmio "
	                          "write\",\"pid\":1,\"tid\":0,\"ts\":2.800,\"dur\":0.200"));
	assert_non_null(
	    strstr(j, "\"name\":\"request reset\",\"pid\":1,\"tid\":1000,\"ts\":3.500"));
	assert_non_null(strstr(j, "\"otherData\":{\"records\":6,\"dropped\":3,\"unpaired\":0}"));
	/* Time order in the file: the exit (2 us) before the request (3.5 us). */
	assert_true(strstr(j, "exit ecall-vs") < strstr(j, "request reset"));
	free(j);
}

/* An arm64 dump (TRACE-BEGIN names it): exits by ESR class or exit type, SMCCC calls. */
static void test_json_arm64_names(void **state)
{
	(void)state;
	const char dump[] = "[hyp] TRACE-BEGIN v1 arm64\n"
	                    "[hyp] TRVM 0 1 alpha\n"
	                    "[hyp] TR 0 1000 30 0 0 0 0 0\n"
	                    "[hyp] TR 0 2000 00 0 0 5a000000 40001000 0\n"
	                    "[hyp] TR 0 2100 10 0 0 84000000 0 10001\n"
	                    "[hyp] TR 0 2200 00 0 0 8000000000000001 40001004 0\n"
	                    "[hyp] TR 0 2300 00 0 0 93c08004 40001008 9000018\n"
	                    "[hyp] TR 0 2400 00 0 0 62300001 4000100c 0\n"
	                    "[hyp] TR 0 2500 10 0 0 c4000003 3 fffffffe\n"
	                    "[hyp] TR 0 4000 31 0 0 1 0 0\n"
	                    "[hyp] TRACE-END 8\n";
	struct trace_json_stats st;
	int ret;
	char *j = convert(dump, &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(st.records, 8);
	assert_non_null(strstr(j, "\"name\":\"exit hvc\",\"pid\":1,\"tid\":0,\"ts\":2.000"));
	assert_non_null(strstr(j, "\"esr\":\"0x5a000000\",\"elr\":\"0x40001000\""));
	assert_non_null(strstr(j, "\"name\":\"smccc psci.0\""));
	assert_non_null(strstr(j, "\"fid\":\"0x84000000\",\"result\":65537"));
	assert_non_null(strstr(j, "\"name\":\"exit irq\""));
	assert_non_null(strstr(j, "\"name\":\"exit dabt-low\""));
	assert_non_null(strstr(j, "\"far\":\"0x9000018\""));
	assert_non_null(strstr(j, "\"name\":\"exit sysreg\""));
	assert_non_null(strstr(j, "\"name\":\"smccc psci.3\""));
	assert_non_null(strstr(j, "\"result\":-2"));
	assert_null(strstr(j, "ecall-vs"));
	assert_null(strstr(j, "\"sbi "));
	free(j);
	/* No arch word, or an unknown one: riscv64's names, as before. */
	j = convert("TRACE-BEGIN v1 pdp11\nTR 0 10 30 0 0 0 0 0\nTR 0 15 00 0 0 a 0 0\n"
	            "TR 0 20 31 0 0 0 0 0\n",
	            &st, &ret);
	assert_int_equal(ret, 0);
	assert_non_null(strstr(j, "exit ecall-vs"));
	free(j);
}

static void test_json_unpaired_and_bad_input(void **state)
{
	(void)state;
	struct trace_json_stats st;
	int ret;
	/* A sched-out for a vCPU other than the one switched in is counted as unpaired. */
	char *j =
	    convert("TRACE-BEGIN v1\nTR 0 10 30 0 0 0 0 0\nTR 0 20 31 0 1 0 0 0\n", &st, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(st.unpaired, 1);
	free(j);
	j = convert("TRACE-BEGIN v1\nTR 0 zz\n", &st, &ret);
	assert_int_equal(ret, -1);
	free(j);
	j = convert("no dump here\n", &st, &ret);
	assert_int_equal(ret, -1);
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ring_fifo_and_wrap),
	    cmocka_unit_test(test_ring_full_drops_newest_and_counts),
	    cmocka_unit_test(test_json_slices_and_events),
	    cmocka_unit_test(test_json_arm64_names),
	    cmocka_unit_test(test_json_unpaired_and_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
