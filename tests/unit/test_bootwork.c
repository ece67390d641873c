/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for boot-CPU work on request (hyp/core/bootwork.c), linked unchanged
 * with fakes of the CPU, IPI, timer and the two handlers: a burst of requests sends one
 * IPI; only the boot CPU runs the work; a handler that spends its budget is continued
 * from the requeue timer, and requests meanwhile send no IPI (a flood cannot hold the
 * boot CPU); a long round is followed by a longer pause (at most a third of the CPU for
 * requests arriving back to back); a request made during a round is run by the next one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arch.h"
#include "core/bootwork.h"
#include "core/ctl.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "core/vconsole.h"

/* ---- fakes --------------------------------------------------------------------------- */

static struct cpu cpus[2] = {{.id = 0}, {.id = 1}};
struct cpu *cpu_table[FV_MAX_CPUS] = {&cpus[0], &cpus[1]};
static unsigned this_cpu;
static unsigned kicks[2];
static uint64_t now_ns = 1000;
static struct timer_event *armed; /* the requeue timer, when armed */
static uint64_t armed_at;
static unsigned ctl_runs, con_runs;
static unsigned ctl_more;         /* rounds left in which ctl_service says "more" */
static unsigned request_in_round; /* bits ctl_service requests while it runs */
static uint64_t ctl_cost;         /* ns a ctl_service round takes */

struct cpu *cpu_this(void)
{
	return cpu_table[this_cpu];
}

void arch_cpu_kick(struct cpu *target)
{
	kicks[target->id]++;
}

uint64_t time_now_ns(void)
{
	return now_ns;
}

void timer_event_init(struct timer_event *ev, timer_fn fn, void *arg)
{
	memset(ev, 0, sizeof(*ev));
	ev->fn = fn;
	ev->arg = arg;
	ev->cpu = -1;
}

void timer_arm(struct timer_event *ev, uint64_t deadline_ns)
{
	/* Armed on the calling CPU: only the boot CPU may requeue. */
	assert_int_equal(this_cpu, 0);
	armed = ev;
	armed_at = deadline_ns;
}

bool ctl_service(void)
{
	ctl_runs++;
	now_ns += ctl_cost;
	if (request_in_round) {
		unsigned b = request_in_round;
		request_in_round = 0;
		bootwork_request(b);
	}
	if (ctl_more) {
		ctl_more--;
		return true;
	}
	return false;
}

bool conmux_service(void)
{
	con_runs++;
	return false;
}

/* The requeue timer fires. */
static void fire(void)
{
	assert_non_null(armed);
	struct timer_event *ev = armed;
	armed = NULL;
	now_ns = armed_at;
	ev->fn(ev, ev->arg);
}

static void reset(void)
{
	kicks[0] = kicks[1] = 0;
	ctl_runs = con_runs = 0;
	ctl_more = 0;
	request_in_round = 0;
	ctl_cost = 0;
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_before_init_nothing(void **state)
{
	(void)state;
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL); /* boot not finished: the tick does it all */
	assert_int_equal(kicks[0] + kicks[1], 0);
	this_cpu = 0;
	bootwork_init();
}

static void test_burst_one_ipi_boot_cpu_runs(void **state)
{
	(void)state;
	reset();
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	bootwork_request(BOOTWORK_CTL);
	bootwork_request(BOOTWORK_CON);
	assert_int_equal(kicks[0], 1); /* one IPI for the burst, to the boot CPU */
	assert_int_equal(kicks[1], 0);
	bootwork_run(); /* CPU 1: not its work */
	assert_int_equal(ctl_runs + con_runs, 0);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	assert_int_equal(con_runs, 1);
	bootwork_run(); /* nothing pending */
	assert_int_equal(ctl_runs, 1);
	/* The word is empty again: the next request sends an IPI (also to itself). */
	bootwork_request(BOOTWORK_CTL);
	assert_int_equal(kicks[0], 2);
	bootwork_run();
	assert_int_equal(ctl_runs, 2);
	assert_int_equal(con_runs, 1);
	struct bootwork_stats st;
	bootwork_get_stats(&st);
	assert_true(st.requests >= 2 && st.runs >= 2);
}

static void test_budget_requeues_on_timer(void **state)
{
	(void)state;
	reset();
	this_cpu = 1;
	ctl_more = 2;
	bootwork_request(BOOTWORK_CTL);
	this_cpu = 0;
	uint64_t t0 = now_ns;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	assert_non_null(armed);
	assert_int_equal(armed_at, t0 + BOOTWORK_REQUEUE_NS);
	/* Meanwhile: no IPI for new requests, and IPIs that come anyway run nothing. */
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	bootwork_request(BOOTWORK_CON);
	assert_int_equal(kicks[0], 1);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	assert_int_equal(con_runs, 0);
	fire(); /* second round: still more */
	assert_int_equal(ctl_runs, 2);
	assert_int_equal(con_runs, 1); /* requested meanwhile: run in the timer's round */
	assert_non_null(armed);
	fire(); /* third: done */
	assert_int_equal(ctl_runs, 3);
	assert_null(armed);
	struct bootwork_stats st;
	bootwork_get_stats(&st);
	assert_true(st.requeues >= 2);
	/* Back to IPIs. */
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	assert_int_equal(kicks[0], 2);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 4);
}

static void test_request_during_round_runs_next(void **state)
{
	(void)state;
	reset();
	this_cpu = 1;
	request_in_round = BOOTWORK_CTL; /* e.g. an event queued by a handler */
	bootwork_request(BOOTWORK_CTL);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	assert_int_equal(kicks[0], 2); /* the word was empty: it asked again */
	bootwork_run();
	assert_int_equal(ctl_runs, 2);
	assert_null(armed);
}

static void test_long_rounds_paced(void **state)
{
	(void)state;
	reset();
	ctl_cost = 300000; /* 300 us per round */
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	assert_non_null(armed);
	assert_int_equal(armed_at, now_ns + 300000 * BOOTWORK_PACE_FACTOR); /* after the round */
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL); /* back to back: no IPI, the pause's timer runs it */
	assert_int_equal(kicks[0], 1);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 1);
	ctl_cost = 10000; /* short rounds are not paced */
	fire();
	assert_int_equal(ctl_runs, 2);
	assert_null(armed);
	/* A round that seemed to take 50 ms (a stalled CPU): the pause is capped. */
	ctl_cost = 50000000;
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	assert_int_equal(kicks[0], 2);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(armed_at, now_ns + BOOTWORK_PAUSE_MAX_NS);
	ctl_cost = 0;
	fire(); /* nothing pending: the pause just ends */
	assert_int_equal(ctl_runs, 3);
	this_cpu = 1;
	bootwork_request(BOOTWORK_CTL);
	assert_int_equal(kicks[0], 3);
	this_cpu = 0;
	bootwork_run();
	assert_int_equal(ctl_runs, 4);
	struct bootwork_stats st;
	bootwork_get_stats(&st);
	assert_true(st.paced >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_before_init_nothing),
	    cmocka_unit_test(test_burst_one_ipi_boot_cpu_runs),
	    cmocka_unit_test(test_budget_requeues_on_timer),
	    cmocka_unit_test(test_request_during_round_runs_next),
	    cmocka_unit_test(test_long_rounds_paced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
