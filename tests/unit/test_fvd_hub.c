/* SPDX-License-Identifier: MIT */
/* ferrovisord's event log and console history (tools/ferrovisord/fvd_hub.c): sequence
 * numbers, ring overflow, tail positions, eviction, waiting and stopping, base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_hub.h"

static void test_events_ring(void **state)
{
	struct fvd_hub *hub = fvd_hub_new();
	struct fvd_event ev = {.type = "vm-state", .vm = "a", .state = "running", .count = -1};
	char text[FVD_HUB_EVENT_MAX], type[FVD_HUB_TYPE_MAX];
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(fvd_hub_next_event(hub, 0, text, &seq, type, 0), 0);
	assert_int_equal(fvd_hub_event(hub, &ev), 1);
	assert_int_equal(fvd_hub_next_event(hub, 0, text, &seq, type, 0), 1);
	assert_int_equal(seq, 1);
	assert_string_equal(type, "vm-state");
	assert_non_null(strstr(text, "{\"seq\":1,\"time\":\"20"));
	assert_non_null(strstr(text, "Z\",\"type\":\"vm-state\",\"vm\":\"a\",\"state\":\"running\","
	                             "\"severity\":\"info\"}"));
	assert_int_equal(fvd_hub_next_event(hub, 1, text, &seq, type, 0), 0);
	/* A hostile cause string stays one JSON string. */
	ev.type = "vm-crash";
	ev.cause = "bad\"\n\\";
	fvd_hub_event(hub, &ev);
	assert_int_equal(fvd_hub_next_event(hub, 1, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"cause\":\"bad\\\"\\n\\\\\""));
	/* Overflow: only the last FVD_HUB_EVENTS are kept; a reader behind gets the oldest. */
	for (unsigned i = 0; i < FVD_HUB_EVENTS + 100; i++)
		fvd_hub_event(hub, &ev);
	assert_int_equal(fvd_hub_last_seq(hub), FVD_HUB_EVENTS + 102);
	assert_int_equal(fvd_hub_next_event(hub, 5, text, &seq, type, 0), 1);
	assert_int_equal(seq, 103);
	/* control-error carries its count. */
	ev.type = "control-error";
	ev.count = 4;
	seq = fvd_hub_event(hub, &ev);
	assert_int_equal(fvd_hub_next_event(hub, seq - 1, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"count\":4"));
	/* Stopped: waiters return -1 at once. */
	fvd_hub_stop(hub);
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 10000), -1);
	fvd_hub_free(hub);
}

/* The audit log's listener: a record becomes an "audit" event carrying it as an object;
 * text that is not a JSON object is not passed on. */
static void test_audit_events(void **state)
{
	struct fvd_hub *hub = fvd_hub_new();
	char text[FVD_HUB_EVENT_MAX], type[FVD_HUB_TYPE_MAX];
	uint64_t seq = 0;

	(void)state;
	fvd_hub_audit_listener(hub, "{\"seq\":7,\"token\":\"ops\",\"op\":\"POST /x\","
	                            "\"status\":200}");
	assert_int_equal(fvd_hub_next_event(hub, 0, text, &seq, type, 0), 1);
	assert_string_equal(type, "audit");
	assert_non_null(strstr(text, "\"type\":\"audit\""));
	assert_non_null(strstr(text, "\"record\":{\"seq\":7,\"token\":\"ops\",\"op\":\"POST "
	                             "/x\",\"status\":200}}"));
	fvd_hub_audit_listener(hub, "not json\",\"x\":{");
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_string_equal(type, "audit");
	assert_null(strstr(text, "record"));
	assert_null(strstr(text, "not json"));
	fvd_hub_free(hub);
}

static void test_console_ring(void **state)
{
	struct fvd_hub *hub = fvd_hub_new();
	static uint8_t big[FVD_HUB_CON_BYTES + 1000], out[FVD_HUB_CON_BYTES];
	uint64_t pos, first;
	char name[16];

	(void)state;
	assert_int_equal(fvd_hub_console_start(hub, "a", 100), 0);
	pos = 0;
	assert_int_equal(fvd_hub_console_read(hub, "a", &pos, &first, out, 10, 0), 0);
	fvd_hub_console_put(hub, "a", "hello", 5);
	assert_int_equal(fvd_hub_console_start(hub, "a", 3), 2);
	assert_int_equal(fvd_hub_console_start(hub, "a", 0), 5);
	pos = fvd_hub_console_start(hub, "a", 3);
	assert_int_equal(fvd_hub_console_read(hub, "a", &pos, &first, out, 10, 0), 3);
	assert_int_equal(first, 2);
	assert_memory_equal(out, "llo", 3);
	assert_int_equal(pos, 5);
	/* Wrap: the history is the last FVD_HUB_CON_BYTES bytes, numbered on. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	fvd_hub_console_put(hub, "a", big, sizeof(big));
	assert_int_equal(fvd_hub_console_start(hub, "a", 1u << 30),
	                 5 + sizeof(big) - FVD_HUB_CON_BYTES);
	pos = 0; /* a reader far behind restarts at the oldest byte held */
	assert_int_equal(fvd_hub_console_read(hub, "a", &pos, &first, out, sizeof(out), 0),
	                 FVD_HUB_CON_BYTES);
	assert_int_equal(first, 5 + sizeof(big) - FVD_HUB_CON_BYTES);
	assert_memory_equal(out, big + sizeof(big) - FVD_HUB_CON_BYTES, FVD_HUB_CON_BYTES);
	/* Other VMs are separate; past FVD_HUB_CONSOLES names the least recent is dropped. */
	for (unsigned i = 0; i < FVD_HUB_CONSOLES; i++) {
		snprintf(name, sizeof(name), "vm%u", i);
		fvd_hub_console_put(hub, name, "x", 1);
	}
	assert_int_equal(fvd_hub_console_start(hub, "a", 10), 0); /* evicted */
	assert_int_equal(fvd_hub_console_start(hub, "vm0", 10), 0);
	assert_int_equal(fvd_hub_console_start(hub, "vm63", 0), 1);
	fvd_hub_stop(hub);
	assert_int_equal(fvd_hub_console_read(hub, "vm63", &pos, &first, out, 10, 10000), -1);
	fvd_hub_free(hub);
}

static void test_base64(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(fvd_hub_base64((const uint8_t *)"", 0, out), 0);
	assert_string_equal(out, "");
	fvd_hub_base64((const uint8_t *)"f", 1, out);
	assert_string_equal(out, "Zg==");
	fvd_hub_base64((const uint8_t *)"fo", 2, out);
	assert_string_equal(out, "Zm8=");
	fvd_hub_base64((const uint8_t *)"foobar", 6, out);
	assert_string_equal(out, "Zm9vYmFy");
	fvd_hub_base64((const uint8_t *)"\xff\xfe\x00", 3, out);
	assert_string_equal(out, "//4A");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_events_ring),
	    cmocka_unit_test(test_audit_events),
	    cmocka_unit_test(test_console_ring),
	    cmocka_unit_test(test_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
