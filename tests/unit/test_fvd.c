/* SPDX-License-Identifier: MIT */
/* Unit tests for ferrovisord's pure parts: REST routing (tools/ferrovisord/fvd_route.c) and
 * the simulated host's rules (tools/ferrovisord/fvd_sim.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/ferrovisord/fvd_route.h"
#include "../../tools/ferrovisord/fvd_hub.h"
#include "../../tools/ferrovisord/fvd_sim.h"

static void route(const char *path, enum fvd_endpoint ep, const char *name, bool bad)
{
	struct fvd_route r;

	fvd_route_parse(path, &r);
	assert_int_equal(r.ep, ep);
	assert_int_equal(r.bad_name, bad);
	if (name)
		assert_string_equal(r.name, name);
}

static void test_route_paths(void **state)
{
	struct fvd_route r;

	(void)state;
	route("/api/v1/host", FVD_EP_HOST, NULL, false);
	route("/api/v1/vms", FVD_EP_VMS, NULL, false);
	route("/api/v1/vms/alpha", FVD_EP_VM, "alpha", false);
	route("/api/v1/vms/a_b-9", FVD_EP_VM, "a_b-9", false);
	route("/api/v1/openapi.yaml", FVD_EP_OPENAPI, NULL, false);
	route("/api/v1/events", FVD_EP_EVENTS, NULL, false);
	route("/api/v1/vms/alpha/console", FVD_EP_VM_CONSOLE, "alpha", false);
	route("/api/v1/vms/-x/console", FVD_EP_VM_CONSOLE, "", true);
	route("/api/v1/events/", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/console/", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/consolex", FVD_EP_NONE, NULL, false);
	assert_int_equal(fvd_route_allowed(FVD_EP_VM_CONSOLE), FVD_M_GET | FVD_M_POST);
	assert_int_equal(fvd_route_allowed(FVD_EP_EVENTS), FVD_M_GET);
	for (size_t a = 0; a < FVD_ACT__COUNT; a++) {
		char p[64];

		snprintf(p, sizeof(p), "/api/v1/vms/x/%s", fvd_action_name((enum fvd_action)a));
		fvd_route_parse(p, &r);
		assert_int_equal(r.ep, FVD_EP_VM_ACTION);
		assert_int_equal(r.action, a);
		assert_string_equal(r.name, "x");
	}
	/* Not resources. */
	route("", FVD_EP_NONE, NULL, false);
	route("/", FVD_EP_NONE, NULL, false);
	route("/api/v1", FVD_EP_NONE, NULL, false);
	route("/api/v1/", FVD_EP_NONE, NULL, false);
	route("/api/v2/host", FVD_EP_NONE, NULL, false);
	route("/api/v1/hostx", FVD_EP_NONE, NULL, false);
	route("/api/v1/host/", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms//start", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/explode", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/start/", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/start/more", FVD_EP_NONE, NULL, false);
	route("/api/v1/vms/x/startx", FVD_EP_NONE, NULL, false);
	/* Bad names are recognised as such (400, not 404). */
	route("/api/v1/vms/-x", FVD_EP_VM, "", true);
	route("/api/v1/vms/a.b", FVD_EP_VM, "", true);
	route("/api/v1/vms/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", FVD_EP_VM, "", true); /* 32 */
	route("/api/v1/vms/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", FVD_EP_VM,
	      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false); /* 31 */
	route("/api/v1/vms/%00/stop", FVD_EP_VM_ACTION, "", true);
}

static void test_route_methods_and_problems(void **state)
{
	(void)state;
	assert_int_equal(fvd_route_method("GET"), FVD_M_GET);
	assert_int_equal(fvd_route_method("DELETE"), FVD_M_DELETE);
	assert_int_equal(fvd_route_method("get"), FVD_M_OTHER);
	assert_int_equal(fvd_route_allowed(FVD_EP_VMS), FVD_M_GET | FVD_M_POST);
	assert_int_equal(fvd_route_allowed(FVD_EP_NONE), 0);
	assert_int_equal(fvd_route_allowed((enum fvd_endpoint)99), 0);
	assert_string_equal(fvd_route_allow_header(FVD_EP_VM), "GET, DELETE, PATCH");
	assert_int_equal(fvd_route_method("PATCH"), FVD_M_PATCH);
	assert_int_equal(fvd_route_problem(FVD_E_NOTFOUND)->status, 404);
	assert_int_equal(fvd_route_problem(FVD_E_STATE)->status, 409);
	assert_int_equal(fvd_route_problem(FVD_E_NOMEM)->status, 507);
	assert_int_equal(fvd_route_problem(FVD_E_DENIED)->status, 403);
	assert_int_equal(fvd_route_problem(FVD_E_TOOBIG)->status, 413);
	assert_int_equal(fvd_route_problem(-100)->status, 500);
	assert_int_equal(fvd_route_problem(5)->status, 500);
	for (int e = 1; e < FVD_E__COUNT; e++) {
		const struct fvd_problem_kind *k = fvd_route_problem(-e);

		assert_non_null(k->slug);
		assert_true(k->status >= 400 && k->status < 600);
	}
	assert_string_equal(fvd_state_name(FVD_VM_PAUSED), "paused");
	assert_string_equal(fvd_state_name(FVD_VM_SUSPENDED), "suspended");
	for (int s = 0; s < FVD_VM__COUNT; s++) {
		assert_non_null(fvd_state_name((enum fvd_state)s));
		assert_string_not_equal(fvd_state_name((enum fvd_state)s), "unknown");
	}
	assert_string_equal(fvd_state_name((enum fvd_state)42), "unknown");
}

static struct fvd_sim sim;

static int act(const char *name, enum fvd_action a)
{
	return fvd_sim_ops.vm_action(&sim, name, a);
}

static enum fvd_state st(const char *name)
{
	struct fvd_vm_info vm;

	assert_int_equal(fvd_sim_ops.vm_get(&sim, name, &vm), 0);
	return vm.state;
}

static void test_sim_state_machine(void **state)
{
	(void)state;
	fvd_sim_init(&sim, fvd_sim_now_ms());
	assert_int_equal(st("beta"), FVD_VM_STOPPED);
	assert_int_equal(act("beta", FVD_ACT_PAUSE), FVD_E_STATE);
	assert_int_equal(act("beta", FVD_ACT_RESUME), FVD_E_STATE);
	assert_int_equal(act("beta", FVD_ACT_RESET), FVD_E_STATE);
	assert_int_equal(act("beta", FVD_ACT_STOP), FVD_E_STATE);
	assert_int_equal(act("beta", FVD_ACT_START), 0);
	assert_int_equal(st("beta"), FVD_VM_RUNNING);
	assert_int_equal(act("beta", FVD_ACT_START), FVD_E_STATE);
	assert_int_equal(act("beta", FVD_ACT_PAUSE), 0);
	assert_int_equal(st("beta"), FVD_VM_PAUSED);
	assert_int_equal(act("beta", FVD_ACT_RESET), 0);
	assert_int_equal(st("beta"), FVD_VM_RUNNING);
	assert_int_equal(act("beta", FVD_ACT_STOP), 0);
	assert_int_equal(st("beta"), FVD_VM_STOPPED);
	assert_int_equal(act("nope", FVD_ACT_START), FVD_E_NOTFOUND);
	assert_int_equal(act("beta", (enum fvd_action)77), FVD_E_INVAL);
	/* The service VM keeps running. */
	assert_int_equal(act("service", FVD_ACT_STOP), FVD_E_DENIED);
	assert_int_equal(act("service", FVD_ACT_PAUSE), FVD_E_DENIED);
	assert_int_equal(act("service", FVD_ACT_START), FVD_E_DENIED);
	assert_int_equal(act("service", FVD_ACT_RESUME), FVD_E_DENIED);
	assert_int_equal(fvd_sim_ops.vm_destroy(&sim, "service"), FVD_E_DENIED);
	assert_int_equal(st("service"), FVD_VM_RUNNING);
}

static void test_sim_create_and_limits(void **state)
{
	struct fvd_create_req r = {
	    .name = "g", .vcpus = 1, .memory_bytes = 16u << 20, .package_bytes = 10};
	struct fvd_host_info h0, h;
	struct fvd_vm_info vm;
	struct fvd_vm_info list[FVD_SIM_VM_LIMIT];
	size_t n;

	(void)state;
	fvd_sim_init(&sim, fvd_sim_now_ms());
	fvd_sim_ops.host_info(&sim, &h0);
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), 0);
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), FVD_E_EXISTS);
	assert_int_equal(fvd_sim_ops.vm_get(&sim, "g", &vm), 0);
	assert_int_equal(vm.state, FVD_VM_CREATING);
	assert_int_equal(act("g", FVD_ACT_START), FVD_E_BUSY);
	assert_int_equal(fvd_sim_ops.vm_destroy(&sim, "g"), FVD_E_BUSY);
	assert_int_equal(fvd_sim_ops.create_chunk(&sim, "g", "abcd", 4), 0);
	assert_int_equal(fvd_sim_ops.create_chunk(&sim, "g", "0123456789", 10), FVD_E_TOOBIG);
	assert_int_equal(fvd_sim_ops.vm_get(&sim, "g", &vm), 0);
	assert_int_equal(vm.upload_done, 4);
	/* A short package is not a VM. */
	assert_int_equal(fvd_sim_ops.create_end(&sim, "g", true), FVD_E_INVAL);
	assert_int_equal(fvd_sim_ops.vm_get(&sim, "g", &vm), FVD_E_NOTFOUND);
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), 0);
	assert_int_equal(fvd_sim_ops.create_chunk(&sim, "g", "0123456789", 10), 0);
	assert_int_equal(fvd_sim_ops.create_end(&sim, "g", true), 0);
	assert_int_equal(st("g"), FVD_VM_STOPPED);
	assert_int_equal(fvd_sim_ops.create_end(&sim, "g", true), FVD_E_STATE);
	fvd_sim_ops.host_info(&sim, &h);
	assert_int_equal(h.memory_free, h0.memory_free - (16u << 20));
	assert_int_equal(h.vm_count, h0.vm_count + 1);
	/* Bad parameters, memory and the VM limit. */
	r.vcpus = 0;
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), FVD_E_INVAL);
	r.vcpus = 1;
	r.package_bytes = FVD_SIM_PACKAGE_MAX + 1;
	strcpy(r.name, "h");
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), FVD_E_TOOBIG);
	r.package_bytes = 1;
	r.memory_bytes = FVD_SIM_MEMORY;
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), FVD_E_NOMEM);
	r.memory_bytes = 1u << 20;
	for (unsigned i = h.vm_count; i < FVD_SIM_VM_LIMIT; i++) {
		snprintf(r.name, sizeof(r.name), "v%u", i);
		assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), 0);
		assert_int_equal(fvd_sim_ops.create_end(&sim, r.name, false), 0);
		assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), 0);
	}
	strcpy(r.name, "over");
	assert_int_equal(fvd_sim_ops.create_begin(&sim, &r), FVD_E_LIMIT);
	/* Listing in creation order, and it reports the full count past max. */
	assert_int_equal(fvd_sim_ops.vm_list(&sim, list, 2, &n), 0);
	assert_int_equal(n, FVD_SIM_VM_LIMIT);
	assert_string_equal(list[0].name, "service");
	assert_string_equal(list[1].name, "alpha");
	assert_int_equal(fvd_sim_ops.vm_destroy(&sim, "g"), 0);
	assert_int_equal(fvd_sim_ops.vm_list(&sim, list, FVD_SIM_VM_LIMIT, &n), 0);
	assert_int_equal(n, FVD_SIM_VM_LIMIT - 1);
}

/* The sim's console: input rules, echo, commands, and the events they log. */
static void test_sim_console_and_events(void **state)
{
	struct fvd_hub *hub = fvd_hub_new();
	char text[FVD_HUB_EVENT_MAX], type[FVD_HUB_TYPE_MAX], out[256];
	uint64_t seq = 0, pos = 0, first;
	size_t taken;
	int n;

	(void)state;
	fvd_sim_init(&sim, 0);
	assert_int_equal(fvd_sim_ops.events_start(&sim, hub), 0);
	assert_int_equal(fvd_sim_ops.console_input(&sim, "service", "x", 1, &taken), FVD_E_DENIED);
	assert_int_equal(fvd_sim_ops.console_input(&sim, "beta", "x", 1, &taken), FVD_E_STATE);
	assert_int_equal(fvd_sim_ops.console_input(&sim, "nope", "x", 1, &taken), FVD_E_NOTFOUND);
	assert_int_equal(fvd_sim_ops.console_input(&sim, "alpha", "echo M-42\r", 10, &taken), 0);
	assert_int_equal(taken, 10);
	n = fvd_hub_console_read(hub, "alpha", &pos, &first, out, sizeof(out) - 1, 0);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "sim alpha: boot\n"));
	assert_non_null(strstr(out, "echo M-42\nM-42\n"));
	assert_int_equal(fvd_sim_ops.vm_action(&sim, "beta", FVD_ACT_START), 0);
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"vm\":\"beta\",\"state\":\"running\",\"old_state\":"
	                             "\"stopped\",\"cause\":\"operator:start\""));
	assert_int_equal(fvd_sim_ops.console_input(&sim, "beta", "crash\n", 6, &taken), 0);
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"state\":\"crashed\",\"old_state\":\"running\","
	                             "\"cause\":\"guest\",\"severity\":\"critical\""));
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_string_equal(type, "vm-crash");
	assert_int_equal(fvd_sim_ops.console_input(&sim, "alpha", "halt\n", 5, &taken), 0);
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"vm\":\"alpha\",\"state\":\"stopped\""));
	assert_int_equal(fvd_sim_ops.vm_destroy(&sim, "alpha"), 0);
	assert_int_equal(fvd_hub_next_event(hub, seq, text, &seq, type, 0), 1);
	assert_non_null(strstr(text, "\"state\":\"destroyed\""));
	fvd_hub_stop(hub);
	/* The sim's heartbeat thread keeps running (detached) with this hub: keep it. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_route_paths),
	    cmocka_unit_test(test_route_methods_and_problems),
	    cmocka_unit_test(test_sim_state_machine),
	    cmocka_unit_test(test_sim_create_and_limits),
	    cmocka_unit_test(test_sim_console_and_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
