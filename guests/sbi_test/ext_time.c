// SPDX-License-Identifier: MIT
/*
 * TIME extension (EID "TIME"), SBI spec v3.0 chapter 6: sbi_set_timer programs the calling
 * hart's next timer event and clears its pending timer interrupt; (uint64_t)-1 means "no
 * event". Timers are per hart: the second hart's deadline must not fire on the first.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"
#include "trap.h"

static volatile uint64_t worker_timer_ok;

static void future_deadline(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, deadline, t;
	struct sbiret r;
	bool arrived;

	csr_set(sie, SIE_STIE);
	irq_enable();
	before = h->timer_count;
	deadline = rdtime() + plat_ms_to_ticks(20);
	r = sbi_set_timer(deadline);
	test_check_eq("time.set_timer.future_success", r.error, SBI_SUCCESS);
	arrived = suite_wait_change(&h->timer_count, before, 2000);
	test_check(arrived, "time.set_timer.future_interrupt_arrives");
	if (arrived) {
		t = h->timer_time;
		printf("sbi_test: timer requested %lu got %lu (late %ld ticks)\n",
		       (unsigned long)deadline, (unsigned long)t, (long)(t - deadline));
		test_checkf(t >= deadline, "time.set_timer.future_not_early", "early by %lu ticks",
		            (unsigned long)(deadline - t));
	}
}

static void past_and_max(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, end;
	struct sbiret r;

	/* A deadline in the past makes STIP pending; UINT64_MAX must clear it. */
	irq_disable();
	r = sbi_set_timer(rdtime());
	test_check_eq("time.set_timer.past_success", r.error, SBI_SUCCESS);
	end = rdtime() + plat_ms_to_ticks(500);
	while (!(csr_read(sip) & SIP_STIP) && rdtime() < end)
		cpu_relax();
	test_check(csr_read(sip) & SIP_STIP, "time.set_timer.past_pends_stip");
	r = sbi_set_timer(UINT64_MAX);
	test_check_eq("time.set_timer.max_success", r.error, SBI_SUCCESS);
	test_check(!(csr_read(sip) & SIP_STIP), "time.set_timer.max_clears_stip");
	before = h->timer_count;
	irq_enable();
	plat_delay_ms(10);
	test_check_eq("time.set_timer.max_no_interrupt", (long)(h->timer_count - before), 0);

	/* Zero is a deadline long past: it must fire at once (no special meaning). */
	irq_disable();
	sbi_set_timer(0);
	end = rdtime() + plat_ms_to_ticks(500);
	while (!(csr_read(sip) & SIP_STIP) && rdtime() < end)
		cpu_relax();
	test_check(csr_read(sip) & SIP_STIP, "time.set_timer.zero_pends_stip");
	sbi_set_timer(UINT64_MAX);
	irq_enable();
}

static void reprogram(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, first, second;

	/*
	 * A new deadline replaces the old one: the earlier one must not fire. Interrupts are
	 * off between the two calls, so even if this hart is descheduled past the first
	 * deadline, the second call must clear the pending interrupt it left.
	 */
	csr_set(sie, SIE_STIE);
	irq_disable();
	before = h->timer_count;
	first = rdtime() + plat_ms_to_ticks(10);
	sbi_set_timer(first);
	second = rdtime() + plat_ms_to_ticks(60);
	sbi_set_timer(second);
	irq_enable();
	test_check(suite_wait_change(&h->timer_count, before, 2000),
	           "time.set_timer.reprogram_fires");
	test_checkf(h->timer_time >= second, "time.set_timer.reprogram_replaces_earlier",
	            "fired %ld ticks before the second deadline", (long)(second - h->timer_time));

	/* Cancel: an armed deadline followed by UINT64_MAX never fires. */
	irq_disable();
	before = h->timer_count;
	sbi_set_timer(rdtime() + plat_ms_to_ticks(5));
	sbi_set_timer(UINT64_MAX);
	irq_enable();
	plat_delay_ms(30);
	test_check_eq("time.set_timer.cancel", (long)(h->timer_count - before), 0);
}

/* On the worker: arm its own timer and wait for it. */
static void worker_timer(unsigned long ms)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before = h->timer_count;

	sbi_set_timer(rdtime() + plat_ms_to_ticks(ms));
	worker_timer_ok = suite_wait_change(&h->timer_count, before, 2000);
}

static void per_hart(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before;

	if (!test_check(suite_worker_start(), "time.set_timer.worker_up"))
		return;
	csr_set(sie, SIE_STIE);
	irq_enable();
	sbi_set_timer(UINT64_MAX);
	before = h->timer_count;
	worker_timer_ok = 0;
	test_check(suite_worker_call(worker_timer, 5, 3000) && worker_timer_ok,
	           "time.set_timer.other_hart_fires");
	plat_delay_ms(10);
	test_check_eq("time.set_timer.other_hart_not_here", (long)(h->timer_count - before), 0);

	/* Both harts at once: each gets its own interrupt. */
	worker_timer_ok = 0;
	before = h->timer_count;
	bool both = suite_worker_post(worker_timer, 8);
	sbi_set_timer(rdtime() + plat_ms_to_ticks(8));
	bool mine = suite_wait_change(&h->timer_count, before, 2000);
	both = both && suite_worker_wait(3000) && worker_timer_ok;
	test_check(mine && both, "time.set_timer.both_harts_concurrent");
	test_check(suite_worker_stop(), "time.set_timer.worker_stopped");
}

void sbi_suite_time(void)
{
	future_deadline();
	past_and_max();
	reprogram();
	per_hart();
}
