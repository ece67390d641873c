/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of ferrovisord's metrics (tools/ferrovisord/fvd_metrics.c): label escaping, the
 * Prometheus exposition of a hand-built snapshot (every family once with HELP and TYPE, its
 * samples together, values and labels exact), the daemon-only output when the hypervisor
 * does not answer, the JSON stats, and reads through the sim backend (monotonic counters).
 * The exposition of the running daemon is also checked by promtool
 * (tests/integration/test_metrics.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../tools/ferrovisord/fvd_metrics.h"
#include "../../tools/ferrovisord/fvd_route.h"
#include "../../tools/ferrovisord/fvd_sim.h"

static struct fvd_metrics m;

static void build(void)
{
	memset(&m, 0, sizeof(m));
	m.uptime_ns = 5000000001ull;
	m.nr_cpus = 1;
	m.cpu[0].idle_ns = 1500000000;
	m.cpu[0].busy_ns = 3500000001ull;
	m.cpu[0].rq_len = 2;
	m.pages_total = 100;
	m.pages_free = 40;
	m.nr_vms = 1;
	struct fvd_m_vm *v = &m.vm[0];
	strcpy(v->name, "alpha");
	v->state = FVD_VM_RUNNING;
	v->boots = 3;
	v->crashes = 2;
	v->run_ns = 1500000000;
	v->exits[0] = 42;
	v->exits[6] = 7;
	v->nr_vcpus = 2;
	v->vcpu[1].index = 1;
	v->vcpu[1].exits[0] = 40;
	v->vcpu[1].exits[1] = 2;
	v->nr_calls = 1;
	strcpy(v->call[0].name, "time");
	v->call[0].calls = 99;
	v->nr_devs = 3;
	v->dev[0].kind = FVD_M_DEV_BLK;
	strcpy(v->dev[0].name, "vda");
	v->dev[0].c[2] = 4096;
	v->dev[1].kind = FVD_M_DEV_BLK;
	strcpy(v->dev[1].name, "vdb");
	v->dev[1].c[2] = 512;
	v->dev[1].c[3] = 1024;
	v->dev[2].kind = FVD_M_DEV_NET;
	strcpy(v->dev[2].name, "eth0");
	v->dev[2].sw = 0;
	v->dev[2].port = 3;
	v->dev[2].c[1] = 600;
	v->dev[2].c[4] = 400;
	m.nr_switches = 1;
	strcpy(m.sw[0].name, "we\"ird\\sw\n"); /* names come from the hypervisor: escape */
	m.sw[0].drops = 5;
	m.nr_ports = 1;
	m.port[0].port = 3;
	strcpy(m.port[0].vm, "alpha");
	m.port[0].rx_frames = 8;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(fvd_metrics_escape("a\"b\\c\nd", out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	/* Cut before an escape that does not fit whole. */
	assert_int_equal(fvd_metrics_escape("ab\"", out, 4), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(fvd_metrics_escape("abc", out, 0), 0);
	assert_string_equal(fvd_metrics_exit_cause(0), "sbi");
	assert_string_equal(fvd_metrics_exit_cause(99), "unknown");
}

/* Every family: one HELP, one TYPE right after it, then only its own samples. */
static void check_families(const char *text, unsigned *families)
{
	char fam[128] = "";
	const char *p = text;

	*families = 0;
	while (*p) {
		const char *e = strchr(p, '\n');
		char line[512];
		size_t n;

		assert_non_null(e);
		n = (size_t)(e - p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		if (strncmp(line, "# HELP ", 7) == 0) {
			char name[128], needle[160];

			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			/* Never seen before: a family appears once. */
			snprintf(needle, sizeof(needle), "# HELP %s ", name);
			assert_ptr_equal(strstr(text, needle), p);
			strcpy(fam, name);
			(*families)++;
		} else if (strncmp(line, "# TYPE ", 7) == 0) {
			char name[128], type[32];

			assert_int_equal(sscanf(line + 7, "%127s %31s", name, type), 2);
			assert_string_equal(name, fam);
			assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0);
			/* Counters end in _total, gauges do not. */
			assert_int_equal(strcmp(type, "counter") == 0,
			                 strlen(name) > 6 &&
			                     !strcmp(name + strlen(name) - 6, "_total"));
		} else {
			size_t fl = strlen(fam);

			assert_true(fl > 0);
			assert_memory_equal(line, fam, fl);
			assert_true(line[fl] == ' ' || line[fl] == '{');
		}
		p = e + 1;
	}
}

static void test_exposition(void **state)
{
	struct fvd_metrics_self self = {.up = true, .scrapes = 4, .control_errors = 1};
	unsigned families;
	char *t;

	(void)state;
	build();
	t = fvd_metrics_prom(&m, &self);
	assert_non_null(t);
	check_families(t, &families);
	assert_true(families > 40);
	assert_true(has_line(t, "ferrovisor_up 1"));
	assert_true(has_line(t, "ferrovisor_control_errors_total 1"));
	assert_true(has_line(t, "ferrovisor_host_uptime_seconds 5.000000001"));
	assert_true(has_line(t, "ferrovisor_host_cpu_seconds_total{cpu=\"0\",mode=\"busy\"} "
	                        "3.500000001"));
	assert_true(has_line(t, "ferrovisor_host_run_queue_length{cpu=\"0\"} 2"));
	assert_true(has_line(t, "ferrovisor_host_memory_bytes{state=\"free\"} 163840"));
	assert_true(has_line(t, "ferrovisor_vm_state{vm=\"alpha\",state=\"running\"} 1"));
	assert_true(has_line(t, "ferrovisor_vm_state{vm=\"alpha\",state=\"crashed\"} 0"));
	assert_true(has_line(t, "ferrovisor_vm_cpu_seconds_total{vm=\"alpha\"} 1.500000000"));
	assert_true(has_line(t, "ferrovisor_vm_exits_total{vm=\"alpha\",cause=\"sbi\"} 42"));
	assert_true(has_line(t, "ferrovisor_vm_exits_total{vm=\"alpha\",cause=\"other\"} 7"));
	assert_true(has_line(t, "ferrovisor_sbi_calls_total{vm=\"alpha\",extension=\"time\"} 99"));
	assert_true(has_line(t, "ferrovisor_vm_hypercalls_total{vm=\"alpha\",interface=\"sbi\","
	                        "service=\"time\"} 99"));
	assert_true(has_line(t, "ferrovisor_vm_restarts_total{vm=\"alpha\"} 2"));
	assert_true(has_line(t, "ferrovisor_vm_crashes_total{vm=\"alpha\"} 2"));
	assert_true(has_line(t, "ferrovisor_vcpu_exits_total{vm=\"alpha\",vcpu=\"1\"} 42"));
	assert_true(
	    has_line(t, "ferrovisor_vm_blk_read_bytes_total{vm=\"alpha\",disk=\"vdb\"} 512"));
	assert_true(has_line(t, "ferrovisor_vm_blk_write_bytes_total{vm=\"alpha\",disk=\"vdb\"} "
	                        "1024"));
	assert_true(has_line(t, "ferrovisor_vm_net_rx_bytes_total{vm=\"alpha\",nic=\"eth0\","
	                        "switch=\"we\\\"ird\\\\sw\\n\",port=\"3\"} 600"));
	assert_true(has_line(t,
	                     "ferrovisor_net_switch_dropped_total{switch=\"we\\\"ird\\\\sw\\n\"} "
	                     "5"));
	assert_true(has_line(t,
	                     "ferrovisor_net_port_rx_packets_total{switch=\"we\\\"ird\\\\sw\\n\","
	                     "port=\"3\",vm=\"alpha\"} 8"));
	free(t);

	/* The hypervisor did not answer: only the daemon's own families, up 0. */
	self.up = false;
	t = fvd_metrics_prom(&m, &self);
	assert_non_null(t);
	check_families(t, &families);
	assert_int_equal(families, 4);
	assert_true(has_line(t, "ferrovisor_up 0"));
	assert_null(strstr(t, "ferrovisor_vm_"));
	free(t);
}

/* An arm64 hypervisor: the exit causes and hypercalls in arm64's words, no SBI family; the
 * same families otherwise (riscv64's series unchanged, test_exposition). */
static void test_exposition_arm64(void **state)
{
	struct fvd_metrics_self self = {.up = true};
	unsigned families, rv_families;
	char *t;

	(void)state;
	build();
	t = fvd_metrics_prom(&m, &self);
	assert_non_null(t);
	check_families(t, &rv_families);
	free(t);
	strcpy(m.arch, "arm64");
	strcpy(m.vm[0].call[0].name, "psci");
	t = fvd_metrics_prom(&m, &self);
	assert_non_null(t);
	check_families(t, &families);
	assert_int_equal(families, rv_families - 1);
	assert_null(strstr(t, "ferrovisor_sbi_calls_total"));
	assert_null(strstr(t, "cause=\"sbi\""));
	assert_null(strstr(t, "virtual_instruction"));
	assert_true(has_line(t, "ferrovisor_vm_exits_total{vm=\"alpha\",cause=\"hvc\"} 42"));
	assert_true(has_line(t, "ferrovisor_vm_exits_total{vm=\"alpha\",cause=\"sysreg\"} 0"));
	assert_true(has_line(t, "ferrovisor_vm_exits_total{vm=\"alpha\",cause=\"other\"} 7"));
	assert_true(has_line(t, "ferrovisor_vm_hypercalls_total{vm=\"alpha\",interface=\"smccc\","
	                        "service=\"psci\"} 99"));
	assert_string_equal(fvd_metrics_exit_cause_of("arm64", 0), "hvc");
	assert_string_equal(fvd_metrics_exit_cause_of("arm64", 4), "sysreg");
	assert_string_equal(fvd_metrics_exit_cause_of("x", 4), "virtual_instruction");
	assert_string_equal(fvd_metrics_exit_cause_of(NULL, 0), "sbi");
	free(t);
}

static void test_json(void **state)
{
	cJSON *j, *a;

	(void)state;
	build();
	j = fvd_metrics_json(&m);
	assert_non_null(j);
	a = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "vms"), "alpha");
	assert_non_null(a);
	assert_true(cJSON_GetObjectItem(a, "cpu_seconds")->valuedouble == 1.5);
	assert_int_equal(cJSON_GetObjectItem(a, "blk_read_bytes")->valuedouble, 4096 + 512);
	assert_int_equal(cJSON_GetObjectItem(a, "blk_write_bytes")->valuedouble, 1024);
	assert_int_equal(cJSON_GetObjectItem(a, "net_rx_bytes")->valuedouble, 600);
	assert_int_equal(cJSON_GetObjectItem(a, "net_tx_bytes")->valuedouble, 400);
	assert_int_equal(cJSON_GetObjectItem(a, "exits")->valuedouble, 49);
	assert_string_equal(cJSON_GetObjectItem(a, "state")->valuestring, "running");
	assert_int_equal(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(j, "host"), "memory_total_bytes")->valuedouble,
	    409600);
	cJSON_Delete(j);
}

static void test_routes(void **state)
{
	struct fvd_route r;

	(void)state;
	fvd_route_parse("/metrics", &r);
	assert_int_equal(r.ep, FVD_EP_METRICS);
	fvd_route_parse("/metrics/", &r);
	assert_int_equal(r.ep, FVD_EP_NONE);
	fvd_route_parse("/api/v1/metrics", &r);
	assert_int_equal(r.ep, FVD_EP_NONE);
	fvd_route_parse("/api/v1/stats", &r);
	assert_int_equal(r.ep, FVD_EP_STATS);
	assert_int_equal(fvd_route_allowed(FVD_EP_METRICS), FVD_M_GET);
	assert_int_equal(fvd_route_allowed(FVD_EP_STATS), FVD_M_GET);
}

static int fail_metrics(void *be, struct fvd_metrics *out)
{
	(void)be;
	(void)out;
	return FVD_E_IO;
}

static void test_read_sim(void **state)
{
	static struct fvd_sim sim;
	static struct fvd_metrics a, b;
	struct fvd_backend be = {.ops = &fvd_sim_ops, .ctx = &sim};
	struct fvd_metrics_self self = {0};
	struct fvd_backend_ops failing = {.kind = "fail", .metrics = fail_metrics};
	struct fvd_backend_ops none = {.kind = "none"};
	struct timespec ts = {0, 20000000};

	(void)state;
	fvd_sim_init(&sim, fvd_sim_now_ms());
	assert_int_equal(fvd_metrics_read(&be, &a, &self), FVD_OK);
	nanosleep(&ts, NULL);
	assert_int_equal(fvd_metrics_read(&be, &b, &self), FVD_OK);
	assert_true(self.up);
	assert_int_equal(self.scrapes, 2);
	assert_int_equal(b.nr_vms, 3);
	/* alpha runs: its counters advance; beta is stopped: they stay. */
	assert_string_equal(b.vm[1].name, "alpha");
	assert_true(b.vm[1].run_ns > a.vm[1].run_ns);
	assert_true(b.vm[1].exits[0] > a.vm[1].exits[0]);
	assert_true(b.vm[1].dev[0].c[2] > a.vm[1].dev[0].c[2]);
	assert_int_equal(b.vm[2].run_ns, a.vm[2].run_ns);
	assert_true(b.cpu[0].idle_ns >= a.cpu[0].idle_ns);
	assert_true(b.cpu[0].busy_ns >= a.cpu[0].busy_ns);
	/* Starting beta counts a boot. */
	assert_int_equal(fvd_sim_ops.vm_action(&sim, "beta", FVD_ACT_START), FVD_OK);
	assert_int_equal(fvd_metrics_read(&be, &b, &self), FVD_OK);
	assert_int_equal(b.vm[2].boots, 1);
	/* A failing backend: up 0, one control error; none at all: not supported. */
	be.ops = &failing;
	assert_int_equal(fvd_metrics_read(&be, &b, &self), FVD_E_IO);
	assert_false(self.up);
	assert_int_equal(self.control_errors, 1);
	be.ops = &none;
	assert_int_equal(fvd_metrics_read(&be, &b, &self), FVD_E_NOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),           cmocka_unit_test(test_exposition),
	    cmocka_unit_test(test_exposition_arm64), cmocka_unit_test(test_json),
	    cmocka_unit_test(test_routes),           cmocka_unit_test(test_read_sim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
