/* SPDX-License-Identifier: MIT */
/* The CLI's server-sent events parser and base64 decoder (tools/api_sse.c): events split
 * across feeds at every byte, CRLF, comments, retry-only blocks, multi-line data, the
 * callback stopping the stream, over-long lines, bad base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/api_sse.h"

static char got[2048];
static int calls, stop_after;

static bool on_event(void *ctx, const char *event, const char *data, const char *id)
{
	(void)ctx;
	calls++;
	snprintf(got + strlen(got), sizeof(got) - strlen(got), "[%s|%s|%s]", event, id, data);
	return calls != stop_after;
}

static struct api_sse sse;

static void feed_bytewise(const char *s)
{
	for (size_t i = 0; s[i]; i++)
		api_sse_feed(&sse, s + i, 1);
}

static void test_sse_parse(void **state)
{
	static const char stream[] = ": ferrovisord events\nretry: 3000\n\n"
	                             "id: 1\nevent: vm-state\ndata: {\"a\":1}\n\n"
	                             ": keepalive\r\n\r\n"
	                             "data: x\r\ndata: y\r\n\r\n"
	                             "event: output\ndata\n\n"
	                             "id: 9\nevent: half";

	(void)state;
	got[0] = '\0';
	calls = 0;
	stop_after = 0;
	api_sse_init(&sse, on_event, NULL);
	feed_bytewise(stream);
	/* The last event id persists until a new one (as EventSource keeps it). */
	assert_string_equal(got, "[vm-state|1|{\"a\":1}][message|1|x\ny][output|1|]");
	/* The incomplete event completes with its blank line. */
	assert_true(api_sse_feed(&sse, "\ndata: z\n\n", 10));
	assert_int_equal(calls, 4);
	assert_non_null(strstr(got, "[half|9|z]"));
}

static void test_sse_stop_and_long_lines(void **state)
{
	static char big[API_SSE_LINE_MAX + 100];

	(void)state;
	got[0] = '\0';
	calls = 0;
	stop_after = 1;
	api_sse_init(&sse, on_event, NULL);
	assert_false(api_sse_feed(&sse, "data: 1\n\ndata: 2\n\n", 18));
	assert_int_equal(calls, 1);
	assert_false(api_sse_feed(&sse, "data: 3\n\n", 9));
	assert_int_equal(calls, 1);
	/* A line longer than the buffer is cut, not overflowed. */
	stop_after = 0;
	calls = 0;
	api_sse_init(&sse, on_event, NULL);
	memcpy(big, "data: ", 6);
	memset(big + 6, 'q', sizeof(big) - 6);
	api_sse_feed(&sse, big, sizeof(big));
	api_sse_feed(&sse, "\n\n", 2);
	assert_int_equal(calls, 1);
	assert_int_equal(sse.data_len, 0); /* reset after dispatch */
}

static void test_base64_decode(void **state)
{
	unsigned char out[16];

	(void)state;
	assert_int_equal(api_base64_decode("", out), 0);
	assert_int_equal(api_base64_decode("Zg==", out), 1);
	assert_memory_equal(out, "f", 1);
	assert_int_equal(api_base64_decode("Zm9vYmFy", out), 6);
	assert_memory_equal(out, "foobar", 6);
	assert_int_equal(api_base64_decode("//4A", out), 3);
	assert_memory_equal(out, "\xff\xfe\x00", 3);
	assert_int_equal(api_base64_decode("Zm9v\nYmFy", out), -1);
	assert_int_equal(api_base64_decode("Zm9v!", out), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sse_parse),
	    cmocka_unit_test(test_sse_stop_and_long_lines),
	    cmocka_unit_test(test_base64_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
