/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the scheduling policy (hyp/core/sched_rq.c): direct
 * API tests, a discrete-event simulation of CPUs running hogs and sleepers
 * (fairness, weights, balancing, pinning, sleeper credit), and randomized
 * operation sequences checked against a shadow model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/sched_rq.h"

#define MS     1000000ULL
#define SLICE  (4 * MS)
#define ALL    SCHED_AFFINITY_ALL
#define PIN(c) ((uint64_t)1 << (c))

static bool vt_le(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) <= 0;
}

/* ---- independent invariant checks ------------------------------------ */

/* Structure of one rq: list links, order, counts, load, affinity. */
static void check_rq(const struct sched_rq *rq)
{
	const struct sched_entity *prev = NULL;
	unsigned n = 0;
	uint64_t load = 0;

	for (const struct sched_entity *se = rq->head; se; se = se->next) {
		assert_ptr_equal(se->prev, prev);
		assert_true(se->on_rq);
		assert_false(se->on_cpu);
		assert_int_equal(se->cpu, rq->cpu);
		assert_true(se->affinity & PIN(rq->cpu));
		assert_ptr_not_equal(se, rq->curr);
		if (prev)
			assert_true(vt_le(prev->vruntime, se->vruntime));
		load += se->weight;
		prev = se;
		n++;
		assert_true(n <= 1000);
	}
	assert_ptr_equal(rq->tail, prev);
	assert_int_equal(n, rq->nr_queued);
	if (rq->curr) {
		assert_false(rq->curr->on_rq);
		assert_true(rq->curr->on_cpu);
		assert_int_equal(rq->curr->cpu, rq->cpu);
		assert_true(rq->curr->affinity & PIN(rq->cpu));
		load += rq->curr->weight;
	}
	assert_int_equal(load, rq->load);
}

/* ---- simulation harness --------------------------------------------- */

#define SIM_CPUS 8
#define SIM_ENTS 16

struct sim_ent {
	struct sched_entity se;
	uint64_t burst_ns; /* sleeper: CPU work per wakeup (0: hog) */
	uint64_t sleep_ns; /* sleeper: sleep after each burst */
	uint64_t work_left;
	bool asleep;
	uint64_t wake_at;
	int start_cpu; /* first placement; -1: sched_select_cpu() */
	bool started;
	/* measured by the harness, independently of sched_rq */
	uint64_t run_ns;
	uint64_t mark_ns; /* run_ns snapshot taken by a test */
	uint64_t stretch_ns, max_stretch_ns;
	bool waiting;
	uint64_t wait_since, max_wait_ns;
	unsigned wakeups;
};

struct sim {
	unsigned ncpu, nent;
	struct sched_rq rq[SIM_CPUS];
	struct sched_rq *rqs[SIM_CPUS];
	struct sim_ent ent[SIM_ENTS];
	uint64_t now;
	uint64_t seg_start[SIM_CPUS];
	const struct sim_ent *last_run[SIM_CPUS];
	uint64_t tick_at[SIM_CPUS];
	bool check[SIM_CPUS];
	uint64_t idle_ns[SIM_CPUS];
	uint64_t prev_min_v[SIM_CPUS];
	uint64_t balance_period, next_balance;
	uint64_t warmup; /* waits that began earlier are not measured */
	unsigned long events;
	unsigned long swaps;
};

static struct sim_ent *ent_of(struct sched_entity *se)
{
	return (struct sim_ent *)(void *)((char *)se - offsetof(struct sim_ent, se));
}

static void sim_init(struct sim *s, unsigned ncpu, uint64_t vt_base)
{
	memset(s, 0, sizeof(*s));
	s->ncpu = ncpu;
	s->balance_period = 10 * MS;
	s->next_balance = s->balance_period;
	for (unsigned c = 0; c < ncpu; c++) {
		assert_int_equal(sched_rq_init(&s->rq[c], (int)c, SLICE), 0);
		s->rq[c].min_vruntime = vt_base;
		s->prev_min_v[c] = vt_base;
		s->rqs[c] = &s->rq[c];
		s->tick_at[c] = UINT64_MAX;
	}
}

static struct sim_ent *sim_add(struct sim *s, uint32_t weight, uint64_t aff, int start_cpu,
                               uint64_t burst_ns, uint64_t sleep_ns, uint64_t start_at)
{
	struct sim_ent *e = &s->ent[s->nent++];

	assert_true(s->nent <= SIM_ENTS);
	assert_int_equal(sched_entity_init(&e->se, weight, aff), 0);
	e->burst_ns = burst_ns;
	e->sleep_ns = sleep_ns;
	e->start_cpu = start_cpu;
	e->asleep = true;
	e->wake_at = start_at;
	return e;
}

static struct sim_ent *sim_hog(struct sim *s, uint32_t weight, uint64_t aff, int start_cpu)
{
	return sim_add(s, weight, aff, start_cpu, 0, 0, 0);
}

static void sim_pull(struct sim *s, unsigned c)
{
	struct sched_entity *se = NULL;
	int from = -1;

	if (sched_balance_pick(s->rqs, s->ncpu, (int)c, &se, &from) != 0)
		return;
	assert_true(from >= 0 && from < (int)s->ncpu && from != (int)c);
	assert_true(se->on_rq && se->cpu == from);
	assert_true(se->affinity & PIN(c));
	assert_true(s->rq[from].load > s->rq[c].load + se->weight);
	assert_int_equal(sched_rq_migrate(&s->rq[from], &s->rq[c], se, s->now), 0);
	s->check[c] = true;
	s->check[from] = true;
}

/* Swap balancing as sched.c does it at CPU c's slice end (try_swap). */
static void sim_swap(struct sim *s, unsigned c)
{
	struct sched_entity *near = NULL, *far = NULL;
	int from = -1;

	/* the tick accounts its own curr first (sched_rq_should_preempt) */
	sched_rq_update_curr(&s->rq[c], s->now);
	if (sched_balance_swap(s->rqs, s->ncpu, (int)c, &near, &far, &from) != 0)
		return;
	if (near == s->rq[c].curr) {
		/* the slice tick reschedules, then the swap is looked for again */
		sched_rq_put_prev(&s->rq[c], s->now, true);
		s->check[c] = true;
		if (sched_balance_swap(s->rqs, s->ncpu, (int)c, &near, &far, &from) != 0)
			return;
	}
	assert_true(from >= 0 && from < (int)s->ncpu && from != (int)c);
	assert_int_equal(near->weight, far->weight);
	assert_true(far->service + SLICE * SCHED_SWAP_GAP_SLICES < near->service);
	uint64_t load_c = s->rq[c].load, load_f = s->rq[from].load;
	assert_int_equal(sched_rq_migrate(&s->rq[from], &s->rq[c], far, s->now), 0);
	assert_int_equal(sched_rq_migrate(&s->rq[c], &s->rq[from], near, s->now), 0);
	/* loads unchanged: pulls and swaps never fight */
	assert_int_equal(s->rq[c].load, load_c);
	assert_int_equal(s->rq[from].load, load_f);
	s->swaps++;
	s->check[c] = true;
	s->check[from] = true;
}

static void sim_resched(struct sim *s, unsigned c)
{
	if (sched_rq_pick_next(&s->rq[c], s->now))
		return;
	sim_pull(s, c);
	(void)sched_rq_pick_next(&s->rq[c], s->now);
}

/* Attribute [seg_start, now) on every CPU to whoever ran there. */
static void sim_account(struct sim *s)
{
	for (unsigned c = 0; c < s->ncpu; c++) {
		uint64_t d = s->now - s->seg_start[c];
		struct sched_entity *curr = s->rq[c].curr;

		s->seg_start[c] = s->now;
		if (!curr) {
			s->idle_ns[c] += d;
			s->last_run[c] = NULL;
			continue;
		}
		struct sim_ent *e = ent_of(curr);
		e->run_ns += d;
		if (e->burst_ns) {
			assert_true(d <= e->work_left);
			e->work_left -= d;
		}
		e->stretch_ns = s->last_run[c] == e ? e->stretch_ns + d : d;
		if (e->stretch_ns > e->max_stretch_ns)
			e->max_stretch_ns = e->stretch_ns;
		s->last_run[c] = e;
	}
}

static void sim_check(struct sim *s)
{
	for (unsigned c = 0; c < s->ncpu; c++) {
		check_rq(&s->rq[c]);
		/* min_vruntime never moves backwards */
		assert_true(vt_le(s->prev_min_v[c], s->rq[c].min_vruntime));
		s->prev_min_v[c] = s->rq[c].min_vruntime;
		/*
		 * (c) No CPU idles while another rq has a queued entity that
		 * could run here.
		 */
		if (s->rq[c].curr)
			continue;
		for (unsigned o = 0; o < s->ncpu; o++)
			for (const struct sched_entity *se = s->rq[o].head; se; se = se->next)
				assert_false(se->affinity & PIN(c));
	}
	for (unsigned i = 0; i < s->nent; i++) {
		struct sim_ent *e = &s->ent[i];
		bool is_curr = e->se.cpu >= 0 && s->rq[e->se.cpu].curr == &e->se;

		assert_int_equal(e->se.on_cpu, is_curr);
		if (e->asleep) {
			assert_false(e->se.on_rq);
			assert_false(is_curr);
		} else {
			assert_true(e->se.on_rq != is_curr);
		}
		/* wait tracking: time spent queued before running */
		if (e->se.on_rq && !e->waiting) {
			e->waiting = true;
			e->wait_since = s->now;
		} else if (is_curr && e->waiting) {
			e->waiting = false;
			if (e->wait_since >= s->warmup && s->now - e->wait_since > e->max_wait_ns)
				e->max_wait_ns = s->now - e->wait_since;
		}
	}
}

static void sim_wake(struct sim_ent *e, struct sim *s)
{
	int cpu;

	if (!e->started && e->start_cpu >= 0)
		cpu = e->start_cpu;
	else
		cpu = sched_select_cpu(s->rqs, s->ncpu, &e->se);
	assert_true(cpu >= 0 && cpu < (int)s->ncpu);
	assert_true(e->se.affinity & PIN(cpu));
	e->started = true;
	e->asleep = false;
	e->work_left = e->burst_ns;
	e->wakeups++;
	sched_service_place(s->rqs, s->ncpu, &e->se, SLICE);
	assert_int_equal(sched_rq_enqueue(&s->rq[cpu], &e->se, s->now, true), 0);
	s->check[cpu] = true;
}

static uint64_t sim_next_event(const struct sim *s)
{
	uint64_t t = s->next_balance;

	for (unsigned c = 0; c < s->ncpu; c++) {
		const struct sched_entity *curr = s->rq[c].curr;

		t = MIN(t, s->tick_at[c]);
		if (curr && ent_of((struct sched_entity *)curr)->burst_ns)
			t = MIN(t,
			        s->seg_start[c] + ent_of((struct sched_entity *)curr)->work_left);
	}
	for (unsigned i = 0; i < s->nent; i++)
		if (s->ent[i].asleep)
			t = MIN(t, s->ent[i].wake_at);
	return t;
}

/* Run the simulation until absolute time `until`. */
static void sim_run(struct sim *s, uint64_t until)
{
	while (s->now < until) {
		uint64_t t = sim_next_event(s);

		assert_true(t >= s->now);
		s->now = MIN(t, until);
		s->events++;
		sim_account(s);

		/* sleepers whose burst is done block */
		for (unsigned c = 0; c < s->ncpu; c++) {
			struct sched_entity *curr = s->rq[c].curr;
			struct sim_ent *e = curr ? ent_of(curr) : NULL;

			if (!e || !e->burst_ns || e->work_left)
				continue;
			sched_rq_put_prev(&s->rq[c], s->now, false);
			e->asleep = true;
			e->wake_at = s->now + e->sleep_ns;
			s->check[c] = true;
		}
		for (unsigned i = 0; i < s->nent; i++)
			if (s->ent[i].asleep && s->ent[i].wake_at <= s->now)
				sim_wake(&s->ent[i], s);
		for (unsigned c = 0; c < s->ncpu; c++)
			if (s->tick_at[c] <= s->now)
				s->check[c] = true;
		if (s->now >= s->next_balance) {
			for (unsigned c = 0; c < s->ncpu; c++) {
				sim_pull(s, c);
				sim_swap(s, c);
			}
			s->next_balance += s->balance_period;
		}
		for (unsigned c = 0; c < s->ncpu; c++) {
			if (!s->check[c])
				continue;
			s->check[c] = false;
			if (!s->rq[c].curr || sched_rq_should_preempt(&s->rq[c], s->now))
				sim_resched(s, c);
		}
		/* Idle CPUs are kicked when work appears anywhere: newidle pull. */
		for (unsigned c = 0; c < s->ncpu; c++)
			if (!s->rq[c].curr)
				sim_resched(s, c);
		for (unsigned c = 0; c < s->ncpu; c++) {
			s->tick_at[c] = sched_rq_slice_end(&s->rq[c], s->now);
			assert_true(s->tick_at[c] >= s->now);
		}
		sim_check(s);
		/* a CPU with work never schedules a zero-length timer loop */
		for (unsigned c = 0; c < s->ncpu; c++)
			assert_true(s->tick_at[c] > s->now);
	}
	/* Bring the policy's own accounting up to date and cross-check it. */
	for (unsigned c = 0; c < s->ncpu; c++)
		sched_rq_update_curr(&s->rq[c], s->now);
	for (unsigned i = 0; i < s->nent; i++)
		assert_int_equal(s->ent[i].se.sum_exec_ns, s->ent[i].run_ns);
}

static double share(const struct sim *s, const struct sim_ent *e)
{
	return (double)e->run_ns / (double)s->now;
}

static void assert_close(double got, double want, double rel)
{
	if (got < want * (1 - rel) || got > want * (1 + rel)) {
		print_error("got %f want %f (+-%.0f%%)\n", got, want, rel * 100);
		fail();
	}
}

/* ---- direct API tests ------------------------------------------------ */

static void test_init_validation(void **state)
{
	struct sched_entity se;
	struct sched_rq rq;

	(void)state;
	assert_int_equal(sched_entity_init(&se, 0, ALL), -FV_EINVAL);
	assert_int_equal(sched_entity_init(&se, SCHED_WEIGHT_MAX + 1, ALL), -FV_EINVAL);
	assert_int_equal(sched_entity_init(&se, 256, 0), -FV_EINVAL);
	assert_int_equal(sched_entity_init(&se, 1, PIN(3)), 0);
	assert_int_equal(sched_entity_init(&se, SCHED_WEIGHT_MAX, ALL), 0);
	assert_int_equal(se.cpu, -1);
	assert_false(se.on_rq);
	assert_int_equal(se.vruntime, 0);

	assert_int_equal(sched_rq_init(&rq, -1, SLICE), -FV_EINVAL);
	assert_int_equal(sched_rq_init(&rq, SCHED_MAX_CPUS, SLICE), -FV_EINVAL);
	assert_int_equal(sched_rq_init(&rq, 0, 0), -FV_EINVAL);
	assert_int_equal(sched_rq_init(&rq, 0, SCHED_SLICE_MIN_NS - 1), -FV_EINVAL);
	assert_int_equal(sched_rq_init(&rq, 0, SCHED_SLICE_MAX_NS + 1), -FV_EINVAL);
	assert_int_equal(sched_rq_init(&rq, SCHED_MAX_CPUS - 1, SLICE), 0);
	assert_null(rq.curr);
	assert_null(rq.head);
	assert_int_equal(rq.load, 0);
	assert_null(sched_rq_pick_next(&rq, 0));
	assert_false(sched_rq_should_preempt(&rq, 0));
	assert_int_equal(sched_rq_slice_end(&rq, 0), UINT64_MAX);
}

static void test_enqueue_order_and_errors(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b, c, pinned;

	(void)state;
	sched_rq_init(&rq, 1, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&c, 512, ALL);
	sched_entity_init(&pinned, 256, PIN(0));

	assert_int_equal(sched_rq_enqueue(&rq, &pinned, 0, true), -FV_EINVAL);
	assert_false(pinned.on_rq);
	assert_int_equal(sched_rq_enqueue(&rq, &a, 0, true), 0);
	assert_int_equal(sched_rq_enqueue(&rq, &a, 0, true), -FV_EBUSY);
	assert_int_equal(sched_rq_enqueue(&rq, &b, 0, false), 0);
	assert_int_equal(sched_rq_enqueue(&rq, &c, 0, true), 0);
	check_rq(&rq);
	assert_int_equal(rq.nr_queued, 3);
	assert_int_equal(rq.load, 1024);
	/* equal vruntimes: FIFO */
	assert_ptr_equal(rq.head, &a);
	assert_ptr_equal(rq.head->next, &b);
	assert_ptr_equal(rq.tail, &c);

	assert_int_equal(sched_rq_dequeue(&rq, &pinned), -FV_ENOENT);
	assert_int_equal(sched_rq_dequeue(&rq, &b), 0);
	assert_false(b.on_rq);
	assert_int_equal(sched_rq_dequeue(&rq, &b), -FV_ENOENT);
	check_rq(&rq);
	assert_int_equal(rq.load, 768);

	assert_ptr_equal(sched_rq_pick_next(&rq, 0), &a);
	assert_int_equal(sched_rq_dequeue(&rq, &a), -FV_EBUSY);
	assert_int_equal(sched_rq_enqueue(&rq, &a, 0, true), -FV_EBUSY);
	check_rq(&rq);
	assert_int_equal(rq.load, 768);
	assert_int_equal(rq.nr_queued, 1);
}

static void test_accounting_weights(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 512, ALL);
	sched_rq_enqueue(&rq, &a, 0, false);
	sched_rq_enqueue(&rq, &b, 0, false);

	assert_ptr_equal(sched_rq_pick_next(&rq, 10 * MS), &a);
	assert_int_equal(a.exec_start, 10 * MS);
	/* a runs 2 ms at default weight: vruntime +2 ms */
	assert_ptr_equal(sched_rq_pick_next(&rq, 12 * MS), &b);
	assert_int_equal(a.vruntime, 2 * MS);
	assert_int_equal(a.sum_exec_ns, 2 * MS);
	assert_true(a.on_rq);
	/* b at double weight ages half as fast; update_curr is incremental */
	sched_rq_update_curr(&rq, 13 * MS);
	assert_int_equal(b.vruntime, MS / 2);
	sched_rq_update_curr(&rq, 13 * MS); /* no time passed */
	sched_rq_update_curr(&rq, 12 * MS); /* clock going backwards: ignored */
	assert_int_equal(b.vruntime, MS / 2);
	assert_ptr_equal(sched_rq_pick_next(&rq, 14 * MS), &b);
	assert_int_equal(b.vruntime, MS);
	assert_int_equal(b.sum_exec_ns, 2 * MS);
	assert_int_equal(rq.min_vruntime, MS);
	/* b blocks: leaves the rq, a runs */
	sched_rq_put_prev(&rq, 15 * MS, false);
	assert_false(b.on_rq);
	assert_null(rq.curr);
	assert_int_equal(rq.load, 256);
	/* it left at the floor (it was the lowest), so no lag */
	assert_int_equal(b.vlag, 0);
	assert_int_equal(rq.min_vruntime, 2 * MS);
	sched_rq_put_prev(&rq, 15 * MS, false); /* idle: no-op */
	assert_ptr_equal(sched_rq_pick_next(&rq, 15 * MS), &a);
	check_rq(&rq);
	/* a blocks too: idle */
	sched_rq_put_prev(&rq, 16 * MS, true);
	assert_ptr_equal(rq.curr, NULL);
	assert_ptr_equal(sched_rq_pick_next(&rq, 16 * MS), &a);
	sched_rq_put_prev(&rq, 17 * MS, false);
	assert_null(sched_rq_pick_next(&rq, 17 * MS));
	assert_int_equal(rq.load, 0);
	check_rq(&rq);
}

static void test_wakeup_placement(void **state)
{
	struct sched_rq rq;
	struct sched_entity hog, sleeper, fresh, ahead;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&hog, 256, ALL);
	sched_entity_init(&sleeper, 256, ALL);
	sched_entity_init(&fresh, 256, ALL);
	sched_entity_init(&ahead, 256, ALL);
	sched_rq_enqueue(&rq, &hog, 0, false);
	sched_rq_enqueue(&rq, &sleeper, 0, false);
	sched_rq_enqueue(&rq, &ahead, 0, false);
	sched_rq_dequeue(&rq, &sleeper);
	sched_rq_dequeue(&rq, &ahead);
	ahead.vruntime = 10000 * MS + 100 * SLICE;
	assert_ptr_equal(sched_rq_pick_next(&rq, 0), &hog);

	/* hog runs alone for 10 s; enqueue accounts it before placing */
	assert_int_equal(sched_rq_enqueue(&rq, &sleeper, 10000 * MS, true), 0);
	assert_int_equal(rq.min_vruntime, 10000 * MS);
	assert_int_equal(sleeper.vruntime, 10000 * MS - SLICE / 2);
	/* small bonus: preempts the hog, but only once */
	assert_true(sched_rq_should_preempt(&rq, 10000 * MS));
	/* an entity that ran ahead keeps its debt */
	assert_int_equal(sched_rq_enqueue(&rq, &ahead, 10000 * MS, true), 0);
	assert_int_equal(ahead.vruntime, 10000 * MS + 100 * SLICE);
	/* new entity: exactly at the floor, no bonus */
	assert_int_equal(sched_rq_enqueue(&rq, &fresh, 10000 * MS, true), 0);
	assert_int_equal(fresh.vruntime, 10000 * MS);
	/* non-wakeup re-enqueue: no bonus */
	sched_rq_dequeue(&rq, &sleeper);
	sleeper.vruntime = 0;
	assert_int_equal(sched_rq_enqueue(&rq, &sleeper, 10000 * MS, false), 0);
	assert_int_equal(sleeper.vruntime, 10000 * MS);
	check_rq(&rq);
}

/*
 * A halting vCPU taken off its idle rq and resumed there (sched_rq_resume) ends up exactly
 * as a wakeup enqueue followed by a pick would leave it, for vruntimes below, at and above
 * the wakeup floor; the refusals leave everything untouched.
 */
static void test_resume_matches_enqueue_and_pick(void **state)
{
	static const int64_t offs[] = {-(int64_t)(100 * SLICE), -(int64_t)(SLICE / 4), 0,
	                               (int64_t)(3 * SLICE)};

	(void)state;
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		struct sched_rq a, b;
		struct sched_entity ea, eb, other;

		sched_rq_init(&a, 1, SLICE);
		sched_entity_init(&ea, 300, ALL);
		sched_rq_enqueue(&a, &ea, 0, false);
		assert_ptr_equal(sched_rq_pick_next(&a, 0), &ea);
		/* it runs 7 ms, then halts: off the rq, the rq idle */
		assert_false(sched_rq_put_prev(&a, 7 * MS, false));
		ea.vruntime = a.min_vruntime + (uint64_t)offs[i];
		b = a;
		eb = ea;

		assert_int_equal(sched_rq_resume(&a, &ea, 9 * MS), 0);
		assert_int_equal(sched_rq_enqueue(&b, &eb, 9 * MS, true), 0);
		assert_ptr_equal(sched_rq_pick_next(&b, 9 * MS), &eb);
		assert_ptr_equal(a.curr, &ea);
		assert_true(ea.on_cpu);
		assert_false(ea.on_rq);
		assert_int_equal(ea.vruntime, eb.vruntime);
		assert_int_equal(ea.exec_start, 9 * MS);
		assert_int_equal(a.min_vruntime, b.min_vruntime);
		assert_int_equal(a.load, b.load);
		assert_int_equal(a.acct_ns, b.acct_ns);
		assert_false(a.need_resched);
		assert_int_equal(sched_rq_slice_end(&a, 9 * MS), UINT64_MAX);
		check_rq(&a);

		/* Running already, or the rq busy: refused. */
		assert_int_equal(sched_rq_resume(&a, &ea, 10 * MS), -FV_EBUSY);
		sched_entity_init(&other, 256, ALL);
		assert_int_equal(sched_rq_resume(&a, &other, 10 * MS), -FV_EINVAL);
		assert_ptr_equal(a.curr, &ea);
	}

	/* Last ran on another rq, or pinned elsewhere: refused (enqueue it instead). */
	struct sched_rq rq;
	struct sched_entity e;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&e, 256, ALL);
	assert_int_equal(sched_rq_resume(&rq, &e, 0), -FV_EINVAL); /* never queued: cpu -1 */
	e.cpu = 0;
	e.affinity = PIN(1);
	assert_int_equal(sched_rq_resume(&rq, &e, 0), -FV_EINVAL);
	assert_null(rq.curr);
	assert_int_equal(rq.load, 0);
}

static void test_preempt_and_slice_end(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b, heavy;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&heavy, 768, ALL);

	sched_rq_enqueue(&rq, &a, 0, false);
	assert_true(sched_rq_should_preempt(&rq, 0)); /* idle with work */
	assert_int_equal(sched_rq_slice_end(&rq, 5), 5);
	sched_rq_pick_next(&rq, 0);
	/* alone: never preempted, no tick */
	assert_false(sched_rq_should_preempt(&rq, 1000 * MS));
	assert_int_equal(sched_rq_slice_end(&rq, 1000 * MS), UINT64_MAX);

	/* b wakes 1 s later with half a slice bonus: immediate preemption */
	sched_rq_enqueue(&rq, &b, 1000 * MS, true);
	assert_true(sched_rq_should_preempt(&rq, 1000 * MS));
	assert_ptr_equal(sched_rq_pick_next(&rq, 1000 * MS), &b);
	/* equal weights: full base slice */
	assert_int_equal(sched_rq_slice_end(&rq, 1000 * MS), 1000 * MS + SLICE);
	assert_false(sched_rq_should_preempt(&rq, 1000 * MS + SLICE - 1));
	assert_true(sched_rq_should_preempt(&rq, 1000 * MS + SLICE));
	assert_int_equal(sched_rq_slice_end(&rq, 2000 * MS), 2000 * MS);
	assert_ptr_equal(sched_rq_pick_next(&rq, 1000 * MS + SLICE), &a);

	/* weight-scaled slice: heavy gets 3x the average-weight share */
	sched_rq_put_prev(&rq, 1000 * MS + SLICE, false);
	sched_rq_dequeue(&rq, &b);
	sched_rq_enqueue(&rq, &heavy, 1000 * MS + SLICE, false);
	sched_rq_enqueue(&rq, &b, 1000 * MS + SLICE, false);
	assert_ptr_equal(sched_rq_pick_next(&rq, 1000 * MS + SLICE), &heavy);
	/* load 1024 over 2 entities: avg 512, slice = 4 ms * 768 / 512 */
	assert_int_equal(sched_rq_slice_end(&rq, 1000 * MS + SLICE), 1000 * MS + SLICE + 6 * MS);
	check_rq(&rq);
}

static void test_slice_clamps(void **state)
{
	struct sched_rq rq;
	struct sched_entity light, big;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&light, 1, ALL);
	sched_entity_init(&big, SCHED_WEIGHT_MAX, ALL);
	sched_rq_enqueue(&rq, &light, 0, false);
	sched_rq_enqueue(&rq, &big, 0, false);
	assert_ptr_equal(sched_rq_pick_next(&rq, 0), &light);
	assert_int_equal(sched_rq_slice_end(&rq, 0), SLICE / SCHED_SLICE_MIN_DIV);
	/* light aged 256x per ns: big now far behind, runs next */
	assert_ptr_equal(sched_rq_pick_next(&rq, SLICE / SCHED_SLICE_MIN_DIV), &big);
	assert_int_equal(sched_rq_slice_end(&rq, SLICE / SCHED_SLICE_MIN_DIV),
	                 SLICE / SCHED_SLICE_MIN_DIV + 2 * SLICE * SCHED_WEIGHT_MAX / 65536);
}

static void test_wakeup_granularity(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b, c, d;
	const uint64_t gran = SLICE / SCHED_WAKEUP_GRAN_DIV;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&c, 256, ALL);
	sched_entity_init(&d, 256, ALL);
	sched_rq_enqueue(&rq, &a, 0, false);
	sched_rq_enqueue(&rq, &c, 0, false);
	sched_rq_enqueue(&rq, &d, 0, false);
	sched_rq_dequeue(&rq, &c);
	sched_rq_dequeue(&rq, &d);
	sched_rq_pick_next(&rq, 0);
	sched_rq_update_curr(&rq, 10 * MS);
	/* a re-picked at 10 ms: a fresh slice, vruntime 10 ms */
	assert_ptr_equal(sched_rq_pick_next(&rq, 10 * MS), &a);
	assert_int_equal(a.vruntime, 10 * MS);

	/* b arrives level with curr: waits for the slice to end */
	sched_rq_enqueue(&rq, &b, 10 * MS, false);
	assert_false(sched_rq_should_preempt(&rq, 10 * MS));
	/* c wakes exactly one granularity behind: still no preemption */
	c.vruntime = 10 * MS - gran;
	sched_rq_enqueue(&rq, &c, 10 * MS, true);
	assert_int_equal(c.vruntime, 10 * MS - gran);
	assert_false(sched_rq_should_preempt(&rq, 10 * MS));
	/* d wakes further behind: preempts at once */
	d.vruntime = 10 * MS - gran - 1;
	sched_rq_enqueue(&rq, &d, 10 * MS, true);
	assert_int_equal(sched_rq_slice_end(&rq, 10 * MS + 1), 10 * MS + 1);
	assert_true(sched_rq_should_preempt(&rq, 10 * MS + 1));
	assert_ptr_equal(sched_rq_pick_next(&rq, 10 * MS + 1), &d);
	/* the latch is gone with the switch; c and b wait for d's slice */
	assert_false(sched_rq_should_preempt(&rq, 10 * MS + 2));
	assert_false(rq.need_resched);
	check_rq(&rq);
}

static void test_select_cpu(void **state)
{
	struct sched_rq rq[4];
	struct sched_rq *rqs[4];
	struct sched_entity x, y, z, se;

	(void)state;
	for (int i = 0; i < 4; i++) {
		sched_rq_init(&rq[i], i, SLICE);
		rqs[i] = &rq[i];
	}
	sched_entity_init(&x, 512, ALL);
	sched_entity_init(&y, 256, ALL);
	sched_entity_init(&z, 256, ALL);
	sched_rq_enqueue(&rq[0], &x, 0, false);
	sched_rq_enqueue(&rq[1], &y, 0, false);
	sched_rq_enqueue(&rq[1], &z, 0, false);
	sched_rq_pick_next(&rq[1], 0);

	sched_entity_init(&se, 256, PIN(0) | PIN(1));
	/* equal loads: fewer runnable wins */
	assert_int_equal(sched_select_cpu(rqs, 4, &se), 0);
	sched_entity_init(&se, 256, ALL);
	assert_int_equal(sched_select_cpu(rqs, 4, &se), 2);
	/* ties prefer the previous CPU */
	se.cpu = 3;
	assert_int_equal(sched_select_cpu(rqs, 4, &se), 3);
	/* offline CPUs are skipped */
	rqs[2] = NULL;
	rqs[3] = NULL;
	assert_int_equal(sched_select_cpu(rqs, 4, &se), 0);
	sched_entity_init(&se, 256, PIN(3));
	assert_int_equal(sched_select_cpu(rqs, 4, &se), -FV_ENOENT);
	rqs[2] = &rq[2];
	rqs[3] = &rq[3];
	/* affinity outside ncpu */
	sched_entity_init(&se, 256, PIN(5) | PIN(63));
	assert_int_equal(sched_select_cpu(rqs, 4, &se), -FV_EINVAL);
	assert_int_equal(sched_select_cpu(rqs, 0, &se), -FV_EINVAL);
	assert_int_equal(sched_select_cpu(rqs, SCHED_MAX_CPUS + 1, &se), -FV_EINVAL);
	/* rq array must be indexed by cpu */
	rqs[2] = &rq[3];
	sched_entity_init(&se, 256, ALL);
	assert_int_equal(sched_select_cpu(rqs, 4, &se), -FV_EINVAL);
	rqs[2] = &rq[2];
	/* an entity already on a rq does not count against it */
	assert_int_equal(sched_select_cpu(rqs, 2, &z), 1);
	assert_int_equal(sched_select_cpu(rqs, 2, &y), 1);
	/* rq1 counting z: 612 > rq0's 512; without z: 356 */
	struct sched_entity w;
	sched_entity_init(&w, 100, ALL);
	sched_rq_enqueue(&rq[1], &w, 0, false);
	assert_int_equal(sched_select_cpu(rqs, 2, &z), 1);
}

static void test_balance_pick(void **state)
{
	struct sched_rq rq[3];
	struct sched_rq *rqs[3];
	struct sched_entity e[6];
	struct sched_entity *se;
	int from;

	(void)state;
	for (int i = 0; i < 3; i++) {
		sched_rq_init(&rq[i], i, SLICE);
		rqs[i] = &rq[i];
	}
	for (int i = 0; i < 6; i++)
		sched_entity_init(&e[i], 256, ALL);

	/* nothing anywhere */
	assert_int_equal(sched_balance_pick(rqs, 3, 0, &se, &from), -FV_ENOENT);
	assert_int_equal(sched_balance_pick(rqs, 3, 3, &se, &from), -FV_EINVAL);
	assert_int_equal(sched_balance_pick(rqs, 3, -1, &se, &from), -FV_EINVAL);
	assert_int_equal(sched_balance_pick(rqs, 3, 0, NULL, &from), -FV_EINVAL);

	/* rq0: one running, one queued. Idle rq1 pulls the queued one. */
	sched_rq_enqueue(&rq[0], &e[0], 0, false);
	sched_rq_enqueue(&rq[0], &e[1], 0, false);
	sched_rq_pick_next(&rq[0], 0);
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), 0);
	assert_ptr_equal(se, &e[1]);
	assert_int_equal(from, 0);
	/* ...but not if it is pinned elsewhere; the running one never moves */
	e[1].affinity = PIN(0);
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), -FV_ENOENT);
	/* cppcheck-suppress redundantAssignment ; read above through rqs[0] */
	e[1].affinity = ALL;
	/* 2 vs 1 equal weights: moving would not reduce the imbalance */
	sched_rq_enqueue(&rq[1], &e[2], 0, false);
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), -FV_ENOENT);
	/* the busiest source wins a tie in gain */
	sched_rq_enqueue(&rq[2], &e[3], 0, false);
	sched_rq_enqueue(&rq[2], &e[4], 0, false);
	sched_rq_enqueue(&rq[2], &e[5], 0, false);
	sched_rq_dequeue(&rq[1], &e[2]);
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), 0);
	assert_int_equal(from, 2);
	assert_ptr_equal(se, &e[3]);
	/* busiest rq fully pinned: pull from the next one instead */
	e[3].affinity = e[4].affinity = e[5].affinity = PIN(2);
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), 0);
	assert_int_equal(from, 0);
	/* NULL entries (locks not held) are skipped */
	rqs[0] = NULL;
	assert_int_equal(sched_balance_pick(rqs, 3, 1, &se, &from), -FV_ENOENT);
	assert_int_equal(sched_balance_pick(rqs, 3, 0, &se, &from), -FV_EINVAL);
	rqs[0] = &rq[0];
}

static void test_balance_weights(void **state)
{
	struct sched_rq rq[2];
	struct sched_rq *rqs[2] = {&rq[0], &rq[1]};
	struct sched_entity big, small, other;
	struct sched_entity *se;
	int from;

	(void)state;
	sched_rq_init(&rq[0], 0, SLICE);
	sched_rq_init(&rq[1], 1, SLICE);
	sched_entity_init(&big, 512, ALL);
	sched_entity_init(&small, 256, ALL);
	sched_entity_init(&other, 256, ALL);
	/* rq0: big + small queued (768); rq1: other (256). diff 512. */
	sched_rq_enqueue(&rq[0], &big, 0, false);
	sched_rq_enqueue(&rq[0], &small, 0, false);
	sched_rq_enqueue(&rq[1], &other, 0, false);
	/* moving big (512) would flip the imbalance; small evens it out */
	assert_int_equal(sched_balance_pick(rqs, 2, 1, &se, &from), 0);
	assert_ptr_equal(se, &small);
	assert_int_equal(sched_rq_migrate(&rq[0], &rq[1], se, 0), 0);
	assert_int_equal(rq[0].load, 512);
	assert_int_equal(rq[1].load, 512);
	/* and it is stable from both sides */
	assert_int_equal(sched_balance_pick(rqs, 2, 0, &se, &from), -FV_ENOENT);
	assert_int_equal(sched_balance_pick(rqs, 2, 1, &se, &from), -FV_ENOENT);
}

static void test_migrate(void **state)
{
	struct sched_rq a, b;
	struct sched_entity x, y, z, pinned;

	(void)state;
	sched_rq_init(&a, 0, SLICE);
	sched_rq_init(&b, 1, SLICE);
	a.min_vruntime = 1000 * MS;
	b.min_vruntime = 50 * MS;
	sched_entity_init(&x, 256, ALL);
	sched_entity_init(&y, 256, ALL);
	sched_entity_init(&z, 256, ALL);
	sched_entity_init(&pinned, 256, PIN(0));
	sched_rq_enqueue(&a, &x, 0, false);
	sched_rq_enqueue(&a, &y, 0, false);
	sched_rq_enqueue(&a, &pinned, 0, false);
	sched_rq_enqueue(&b, &z, 0, false);
	y.vruntime += 3 * MS; /* y is 3 ms behind the head (still sorted: tail-ward) */
	sched_rq_dequeue(&a, &y);
	sched_rq_enqueue(&a, &y, 0, false);
	assert_int_equal(y.vruntime, 1003 * MS);

	assert_int_equal(sched_rq_migrate(&a, &a, &y, 0), -FV_EINVAL);
	assert_int_equal(sched_rq_migrate(&a, &b, &pinned, 0), -FV_EINVAL);
	assert_int_equal(sched_rq_migrate(&b, &a, &y, 0), -FV_ENOENT);
	assert_int_equal(sched_rq_migrate(&a, &b, &y, 0), 0);
	/* keeps its 3 ms lag relative to the new queue's floor */
	assert_int_equal(y.vruntime, 53 * MS);
	assert_int_equal(y.cpu, 1);
	assert_int_equal(y.migrations, 1);
	assert_int_equal(a.load, 512);
	assert_int_equal(b.load, 512);
	assert_int_equal(b.nr_queued, 2);
	assert_ptr_equal(b.head, &z);
	assert_ptr_equal(b.tail, &y);
	check_rq(&a);
	check_rq(&b);
	/* a running entity cannot be migrated */
	assert_ptr_equal(sched_rq_pick_next(&b, 0), &z);
	assert_int_equal(sched_rq_migrate(&b, &a, &z, 0), -FV_EBUSY);

	/* a sleeper that left a and wakes on b is placed by its lag */
	sched_rq_dequeue(&a, &x); /* x at a's floor: lag 0 */
	assert_int_equal(x.vlag, 0);
	assert_int_equal(sched_rq_enqueue(&b, &x, 0, false), 0);
	assert_int_equal(x.vruntime, b.min_vruntime);
	check_rq(&b);
}

/* A migrated entity far behind the target's curr preempts it. */
static void test_migrate_preempts(void **state)
{
	struct sched_rq a, b;
	struct sched_entity x, y, hog;

	(void)state;
	sched_rq_init(&a, 0, SLICE);
	sched_rq_init(&b, 1, SLICE);
	sched_entity_init(&x, 256, ALL);
	sched_entity_init(&y, 256, ALL);
	sched_entity_init(&hog, 256, ALL);
	sched_rq_enqueue(&a, &x, 0, false);
	sched_rq_enqueue(&a, &y, 0, false);
	sched_rq_enqueue(&b, &hog, 0, false);
	sched_rq_pick_next(&a, 0);
	sched_rq_pick_next(&b, 0);
	/* b's hog re-picked at 100 ms, well ahead of y (still at a's floor) */
	assert_ptr_equal(sched_rq_pick_next(&b, 100 * MS), &hog);
	/* a's curr x ran only 1 ms: y is level with a's floor, lag 0 */
	assert_int_equal(sched_rq_migrate(&a, &b, &y, MS), 0);
	assert_int_equal(y.vruntime, b.min_vruntime);
	assert_false(sched_rq_should_preempt(&b, MS + 100 * MS));
	/* now one arriving with a lag below the floor by more than gran */
	sched_rq_put_prev(&a, 2 * MS, false); /* x off, at lag 0 */
	x.vlag = -(int64_t)(SLICE / 2);
	assert_int_equal(sched_rq_enqueue(&b, &x, 101 * MS, true), 0);
	assert_int_equal(x.vruntime, b.min_vruntime - SLICE / 2);
	assert_true(sched_rq_should_preempt(&b, 101 * MS));
	assert_ptr_equal(sched_rq_pick_next(&b, 101 * MS), &x);
	check_rq(&a);
	check_rq(&b);
}

/* vruntime near the 2^64 wrap point: order and floor still right. */
static void test_vruntime_wrap(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	rq.min_vruntime = UINT64_MAX - MS;
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_rq_enqueue(&rq, &a, 0, false);
	sched_rq_enqueue(&rq, &b, 0, false);
	assert_ptr_equal(sched_rq_pick_next(&rq, 0), &a);
	assert_ptr_equal(sched_rq_pick_next(&rq, 3 * MS), &b); /* a wrapped past 0 */
	assert_true(a.vruntime < MS * 3);
	assert_ptr_equal(rq.tail, &a);
	assert_ptr_equal(sched_rq_pick_next(&rq, 6 * MS), &a);
	assert_true(rq.min_vruntime < 3 * MS); /* floor followed across the wrap */
	check_rq(&rq);
}

/* ---- simulations ----------------------------------------------------- */

static void assert_equal_shares(const struct sim *s, double want)
{
	for (unsigned i = 0; i < s->nent; i++)
		assert_close(share(s, &s->ent[i]), want, 0.05);
}

/* (a) equal weights share equally */
static void test_sim_fair_one_cpu(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 1, 0);
	for (int i = 0; i < 5; i++)
		sim_hog(&s, 256, ALL, -1);
	sim_run(&s, 10000 * MS);
	assert_equal_shares(&s, 1.0 / 5);
	for (unsigned i = 0; i < s.nent; i++)
		assert_true(s.ent[i].max_wait_ns <= 4 * SLICE + MS);
}

static void test_sim_fair_balanced_from_one_cpu(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, 0);
	for (int i = 0; i < 4; i++)
		sim_hog(&s, 256, ALL, 0); /* all start on CPU 0 */
	sim_run(&s, 10000 * MS);
	assert_equal_shares(&s, 2.0 / 4);
	assert_int_equal(s.rq[0].load, 512);
	assert_int_equal(s.rq[1].load, 512);
	assert_int_equal(s.idle_ns[0], 0);
	assert_int_equal(s.idle_ns[1], 0);
}

static void test_sim_fair_three_cpus(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 3, 0);
	for (int i = 0; i < 9; i++)
		sim_hog(&s, 256, ALL, -1);
	sim_run(&s, 10000 * MS);
	assert_equal_shares(&s, 3.0 / 9);
}

/* vruntime starting just below the wrap point behaves the same */
static void test_sim_fair_across_wrap(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, UINT64_MAX - 2000 * MS);
	for (int i = 0; i < 4; i++)
		sim_hog(&s, i < 2 ? 256 : 512, ALL, i < 2 ? 0 : 1);
	sim_run(&s, 10000 * MS);
	assert_equal_shares(&s, 0.5);
}

/* (b) weights 1:2 get 1:2 of the CPU */
static void test_sim_weights_one_cpu(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 1, 0);
	struct sim_ent *a = sim_hog(&s, 256, ALL, -1);
	struct sim_ent *b = sim_hog(&s, 512, ALL, -1);
	sim_run(&s, 10000 * MS);
	assert_close(share(&s, a), 1.0 / 3, 0.05);
	assert_close(share(&s, b), 2.0 / 3, 0.05);
}

static void test_sim_weights_mixed(void **state)
{
	static struct sim s;
	static const uint32_t w[] = {100, 200, 300, 1000};

	(void)state;
	sim_init(&s, 1, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(w); i++)
		sim_hog(&s, w[i], ALL, -1);
	sim_run(&s, 20000 * MS);
	for (unsigned i = 0; i < ARRAY_SIZE(w); i++)
		assert_close(share(&s, &s.ent[i]), w[i] / 1600.0, 0.05);
}

static void test_sim_weights_two_cpus_pinned(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, 0);
	for (int c = 0; c < 2; c++) {
		sim_hog(&s, 256, PIN(c), -1);
		sim_hog(&s, 512, PIN(c), -1);
	}
	sim_run(&s, 10000 * MS);
	for (unsigned i = 0; i < s.nent; i++)
		assert_close(share(&s, &s.ent[i]), (i % 2) ? 2.0 / 3 : 1.0 / 3, 0.05);
}

/* (c) more entities than CPUs: everyone progresses, nobody idles */
static void test_sim_three_on_two(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, 0);
	for (int i = 0; i < 3; i++)
		sim_hog(&s, 256, ALL, 0);
	sim_run(&s, 10000 * MS);
	/* sim_check() asserted at every event that no CPU idled with work */
	assert_true(s.idle_ns[0] == 0 && s.idle_ns[1] == 0);
	/* swap balancing rotates them over the CPUs: 2/3 each, not 100/50/50 */
	assert_equal_shares(&s, 2.0 / 3);
	assert_true(s.swaps >= 10);
}

/* Five equal hogs on two CPUs (loads 3:2 at best): 2/5 each, within 5 % */
static void test_sim_five_on_two_rotate(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, 0);
	for (int i = 0; i < 5; i++)
		sim_hog(&s, 256, ALL, i % 2);
	sim_run(&s, 10000 * MS);
	assert_equal_shares(&s, 2.0 / 5);
}

/* Without a lead beyond the gap nothing is swapped: even loads stay put. */
static void test_swap_needs_gap_and_equal_weight(void **state)
{
	struct sched_rq rq0, rq1;
	struct sched_rq *rqs[2] = {&rq0, &rq1};
	struct sched_entity a, b, c, d, *near, *far;
	int from;

	(void)state;
	sched_rq_init(&rq0, 0, SLICE);
	sched_rq_init(&rq1, 1, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&c, 256, ALL);
	sched_entity_init(&d, 512, ALL);
	sched_rq_enqueue(&rq0, &a, 0, false);
	sched_rq_enqueue(&rq1, &b, 0, false);
	sched_rq_enqueue(&rq1, &c, 0, false);
	a.service = 100 * MS;
	b.service = 100 * MS - SCHED_SWAP_GAP_SLICES * SLICE; /* exactly the gap: no */
	c.service = 200 * MS;
	assert_int_equal(sched_balance_swap(rqs, 2, 0, &near, &far, &from), -FV_ENOENT);
	b.service -= 1;
	assert_int_equal(sched_balance_swap(rqs, 2, 0, &near, &far, &from), 0);
	assert_ptr_equal(near, &a);
	assert_ptr_equal(far, &b);
	assert_int_equal(from, 1);
	/* seen from CPU 1: its c leads rq0's a by far */
	assert_int_equal(sched_balance_swap(rqs, 2, 1, &near, &far, &from), 0);
	assert_ptr_equal(near, &c);
	assert_ptr_equal(far, &a);
	assert_int_equal(from, 0);
	/* the running entity counts as near */
	assert_ptr_equal(sched_rq_pick_next(&rq0, 0), &a);
	assert_int_equal(sched_balance_swap(rqs, 2, 0, &near, &far, &from), 0);
	assert_ptr_equal(near, &a);
	/* other weights never trade (it would move load) */
	b.service = c.service = 200 * MS;
	sched_rq_enqueue(&rq1, &d, 0, false);
	d.service = 0;
	assert_int_equal(sched_balance_swap(rqs, 2, 0, &near, &far, &from), -FV_ENOENT);
	/* pinned: may not go there */
	d.weight = 256;
	rq1.load -= 256;
	a.affinity = PIN(0);
	assert_int_equal(sched_balance_swap(rqs, 2, 0, &near, &far, &from), -FV_ENOENT);
	assert_int_equal(sched_balance_swap(NULL, 2, 0, &near, &far, &from), -FV_EINVAL);
	assert_int_equal(sched_balance_swap(rqs, 2, 2, &near, &far, &from), -FV_EINVAL);

	/* a waking entity's service is clamped to the runnable ones' lowest - slice / 2 */
	struct sched_entity e;
	sched_entity_init(&e, 256, ALL);
	d.service = 300 * MS;
	sched_service_place(rqs, 2, &e, SLICE);
	assert_int_equal(e.service, 100 * MS - SLICE / 2); /* a, the lowest runnable */
	e.service = 500 * MS;
	sched_service_place(rqs, 2, &e, SLICE);
	assert_int_equal(e.service, 500 * MS); /* ahead: kept */
}

static void test_sim_seven_on_three_with_sleepers(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 3, 0);
	for (int i = 0; i < 5; i++)
		sim_hog(&s, 256, ALL, 0);
	sim_add(&s, 256, ALL, 0, 2 * MS, 5 * MS, 0);
	sim_add(&s, 256, ALL, 2, 1 * MS, 20 * MS, 3 * MS);
	sim_run(&s, 10000 * MS);
	for (unsigned i = 0; i < s.nent; i++) {
		const struct sim_ent *e = &s.ent[i];
		/* a sleeper can at best run burst/(burst+sleep) of the time */
		double want =
		    e->burst_ns ? (double)e->burst_ns / (double)(e->burst_ns + e->sleep_ns) : 0.3;

		assert_true(share(&s, e) >= want * 0.9);
		assert_true(e->max_wait_ns <= 8 * SLICE);
	}
}

/* (d) pinning is respected, including while balancing */
static void test_sim_pinning(void **state)
{
	static struct sim s;
	static const uint64_t aff[] = {PIN(0), PIN(0), PIN(1), PIN(0) | PIN(1), PIN(2) | PIN(3),
	                               ALL,    ALL,    PIN(3), PIN(1) | PIN(3), PIN(0) | PIN(2)};
	uint64_t ran_on[ARRAY_SIZE(aff)] = {0};

	(void)state;
	sim_init(&s, 4, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(aff); i++) {
		if (i % 3 == 2)
			sim_add(&s, 256 + 64 * i, aff[i], -1, 3 * MS, 4 * MS, i * MS);
		else
			sim_hog(&s, 256 + 64 * i, aff[i], i % 2 ? -1 : __builtin_ctzll(aff[i]));
	}
	/* run in chunks, recording where each entity was seen running */
	for (uint64_t t = 50 * MS; t <= 5000 * MS; t += 7 * MS) {
		sim_run(&s, t);
		for (unsigned c = 0; c < s.ncpu; c++)
			if (s.rq[c].curr)
				ran_on[ent_of(s.rq[c].curr) - s.ent] |= PIN(c);
	}
	unsigned migrations = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(aff); i++) {
		assert_int_equal(ran_on[i] & ~aff[i], 0);
		assert_true(s.ent[i].run_ns > 0);
		migrations += s.ent[i].se.migrations;
		if (aff[i] == PIN(0) || aff[i] == PIN(1) || aff[i] == PIN(3))
			assert_int_equal(s.ent[i].se.migrations, 0);
	}
	assert_true(migrations > 0);
}

/* (e) a sleeper gets what it asks for, at once, without starving the hog */
static void sleeper_latency(uint64_t burst, uint64_t sleep)
{
	static struct sim s;
	const double want = (double)burst / (double)(burst + sleep);

	sim_init(&s, 1, 0);
	struct sim_ent *hog = sim_hog(&s, 256, ALL, -1);
	struct sim_ent *sl = sim_add(&s, 256, ALL, -1, burst, sleep, 0);
	s.warmup = 100 * MS; /* both start together at t=0; judge steady state */
	sim_run(&s, 10000 * MS);
	/* the sleeper preempts on wakeup, so it runs at once every time */
	assert_true(sl->max_wait_ns == 0);
	assert_true(sl->wakeups > 10000 * MS / (burst + sleep) - 2);
	assert_close(share(&s, sl), want, 0.05);
	assert_close(share(&s, hog), 1 - want, 0.05);
}

static void test_sim_sleeper_latency(void **state)
{
	(void)state;
	sleeper_latency(1 * MS, 9 * MS); /* wakes after the hog's slice */
	sleeper_latency(1 * MS, 2 * MS); /* wakes mid-slice: latched preemption */
}

/* (e) a long sleep does not buy a long monopoly */
static void test_sim_long_sleeper_no_hoarding(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 1, 0);
	struct sim_ent *hog = sim_hog(&s, 256, ALL, -1);
	/* runs 1 ms, sleeps 5 s while the hog runs alone, then turns hog */
	struct sim_ent *late = sim_add(&s, 256, ALL, -1, 1 * MS, 5000 * MS, 0);
	s.warmup = 1000 * MS;
	sim_run(&s, 1000 * MS);
	assert_true(late->asleep);
	assert_int_equal(late->run_ns, 1 * MS);
	late->burst_ns = 1000000 * MS;
	const uint64_t woke = late->wake_at;
	sim_run(&s, woke);
	assert_false(late->asleep);
	hog->mark_ns = hog->run_ns;
	late->mark_ns = late->run_ns;
	sim_run(&s, woke + 5000 * MS);
	/*
	 * After the wakeup: a bonus of half a slice buys one early slice, then
	 * strict sharing. Without the clamp it would run ~5 s in a row.
	 */
	assert_true(late->max_stretch_ns <= SLICE);
	assert_true(hog->max_wait_ns <= SLICE + MS / 10);
	assert_close((double)(hog->run_ns - hog->mark_ns) / (5000.0 * MS), 0.5, 0.05);
	assert_close((double)(late->run_ns - late->mark_ns) / (5000.0 * MS), 0.5, 0.05);
}

/* (e) many frequent sleepers cannot starve a hog */
static void test_sim_many_sleepers(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 1, 0);
	struct sim_ent *hog = sim_hog(&s, 256, ALL, -1);
	for (int i = 0; i < 4; i++)
		sim_add(&s, 256, ALL, -1, 3 * MS, 7 * MS, (uint64_t)i * MS);
	sim_run(&s, 10000 * MS);
	/* demand exceeds the CPU: everyone should end near 1/5 */
	assert_true(share(&s, hog) >= 0.15);
	for (unsigned i = 1; i < s.nent; i++)
		assert_true(share(&s, &s.ent[i]) >= 0.15);
	/* the hog waits at most for the others' slices plus their bonuses */
	assert_true(hog->max_wait_ns <= 2 * 4 * SLICE);
}

/* ---- randomized operation sequences vs a shadow model ---------------- */

#define R_CPUS 3
#define R_ENTS 12

enum r_state { R_OFF, R_QUEUED, R_RUNNING };

struct r_model {
	enum r_state st[R_ENTS];
	int cpu[R_ENTS];
};

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(rng() % n);
}

static void r_check(struct sched_rq *rq, struct sched_entity *e, const struct r_model *m)
{
	for (int c = 0; c < R_CPUS; c++) {
		unsigned nq = 0;
		uint64_t load = 0;
		struct sched_entity *curr = NULL;

		check_rq(&rq[c]);
		for (int i = 0; i < R_ENTS; i++) {
			if (m->cpu[i] != c || m->st[i] == R_OFF)
				continue;
			load += e[i].weight;
			if (m->st[i] == R_QUEUED)
				nq++;
			else
				curr = &e[i];
		}
		assert_int_equal(rq[c].nr_queued, nq);
		assert_int_equal(rq[c].load, load);
		assert_ptr_equal(rq[c].curr, curr);
	}
	for (int i = 0; i < R_ENTS; i++) {
		assert_int_equal(e[i].on_rq, m->st[i] == R_QUEUED);
		assert_int_equal(e[i].on_cpu, m->st[i] == R_RUNNING);
		if (m->st[i] != R_OFF)
			assert_int_equal(e[i].cpu, m->cpu[i]);
	}
}

static void r_after_pick(struct sched_rq *rq, struct sched_entity *e, struct r_model *m, int c,
                         struct sched_entity *got)
{
	for (int i = 0; i < R_ENTS; i++)
		if (m->st[i] == R_RUNNING && m->cpu[i] == c)
			m->st[i] = R_QUEUED;
	if (!got) {
		for (int i = 0; i < R_ENTS; i++)
			assert_false(m->st[i] == R_QUEUED && m->cpu[i] == c);
		return;
	}
	/* got must have had the lowest vruntime among c's queued entities */
	for (int i = 0; i < R_ENTS; i++)
		if (m->st[i] == R_QUEUED && m->cpu[i] == c)
			assert_true(vt_le(got->vruntime, e[i].vruntime));
	m->st[got - e] = R_RUNNING;
	assert_ptr_equal(rq[c].curr, got);
}

static void test_random_ops(void **state)
{
	static struct sched_rq rq[R_CPUS];
	struct sched_rq *rqs[R_CPUS];
	static struct sched_entity e[R_ENTS];
	static struct r_model m;
	uint64_t now = 0;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (int c = 0; c < R_CPUS; c++) {
		assert_int_equal(sched_rq_init(&rq[c], c, SLICE), 0);
		rqs[c] = &rq[c];
	}
	for (int i = 0; i < R_ENTS; i++) {
		uint64_t aff = rng() & 7;

		if (!aff)
			aff = ALL;
		assert_int_equal(sched_entity_init(&e[i], 1 + rnd(2000), aff), 0);
		m.st[i] = R_OFF;
		m.cpu[i] = -1;
	}

	for (int step = 0; step < 200000; step++) {
		int i = (int)rnd(R_ENTS);
		int c = (int)rnd(R_CPUS);
		int d = (int)rnd(R_CPUS);
		int ret;
		struct sched_entity *got;

		switch (rnd(10)) {
		case 0:
		case 1:
			ret = sched_rq_enqueue(&rq[c], &e[i], now, rnd(2));
			if (m.st[i] != R_OFF) {
				assert_int_equal(ret, -FV_EBUSY);
			} else if (!(e[i].affinity & PIN(c))) {
				assert_int_equal(ret, -FV_EINVAL);
			} else {
				assert_int_equal(ret, 0);
				m.st[i] = R_QUEUED;
				m.cpu[i] = c;
				/* never earlier than half a slice below the floor */
				assert_true(vt_le(rq[c].min_vruntime - SLICE / 2, e[i].vruntime));
			}
			break;
		case 2:
			ret = sched_rq_dequeue(&rq[c], &e[i]);
			if (m.st[i] == R_RUNNING && m.cpu[i] == c) {
				assert_int_equal(ret, -FV_EBUSY);
			} else if (m.st[i] == R_QUEUED && m.cpu[i] == c) {
				assert_int_equal(ret, 0);
				m.st[i] = R_OFF;
			} else {
				assert_int_equal(ret, -FV_ENOENT);
			}
			break;
		case 3: {
			bool runnable = rnd(2);

			sched_rq_put_prev(&rq[c], now, runnable);
			for (int k = 0; k < R_ENTS; k++)
				if (m.st[k] == R_RUNNING && m.cpu[k] == c)
					m.st[k] = runnable ? R_QUEUED : R_OFF;
			break;
		}
		case 4:
			got = sched_rq_pick_next(&rq[c], now);
			r_after_pick(rq, e, &m, c, got);
			if (got)
				assert_int_equal(got->exec_start, now);
			break;
		case 5:
			ret = sched_rq_migrate(&rq[c], &rq[d], &e[i], now);
			if (c == d || !(e[i].affinity & PIN(d))) {
				assert_int_equal(ret, -FV_EINVAL);
			} else if (m.st[i] == R_RUNNING && m.cpu[i] == c) {
				assert_int_equal(ret, -FV_EBUSY);
			} else if (m.st[i] == R_QUEUED && m.cpu[i] == c) {
				assert_int_equal(ret, 0);
				m.cpu[i] = d;
			} else {
				assert_int_equal(ret, -FV_ENOENT);
			}
			break;
		case 6: {
			int from = -1;

			got = NULL;
			ret = sched_balance_pick(rqs, R_CPUS, c, &got, &from);
			if (ret == -FV_ENOENT)
				break;
			assert_int_equal(ret, 0);
			assert_true(from != c);
			assert_int_equal(m.st[got - e], R_QUEUED);
			assert_int_equal(m.cpu[got - e], from);
			assert_true(got->affinity & PIN(c));
			assert_true(rq[from].load > rq[c].load + got->weight);
			assert_int_equal(sched_rq_migrate(&rq[from], &rq[c], got, now), 0);
			m.cpu[got - e] = c;
			break;
		}
		case 7: {
			bool busy = rq[c].nr_queued > 0;
			bool pre = sched_rq_should_preempt(&rq[c], now);
			uint64_t end = sched_rq_slice_end(&rq[c], now);

			if (!busy)
				assert_false(pre);
			assert_true(end >= now);
			assert_true(busy ? end != UINT64_MAX : end == UINT64_MAX);
			if (!rq[c].curr && busy)
				assert_true(pre && end == now);
			break;
		}
		case 8:
			ret = sched_select_cpu(rqs, R_CPUS, &e[i]);
			assert_true(ret >= 0 && ret < R_CPUS);
			assert_true(e[i].affinity & PIN(ret));
			break;
		default:
			now += rnd(3 * (unsigned)MS);
			sched_rq_update_curr(&rq[c], now);
			break;
		}
		r_check(rq, e, &m);
	}
}

/* ---- run-time weight and affinity changes --------------------------- */

static void test_set_weight(void **state)
{
	struct sched_rq rq;
	struct sched_entity a, b, off;

	(void)state;
	sched_rq_init(&rq, 0, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&off, 256, ALL);
	sched_rq_enqueue(&rq, &a, 0, false);
	sched_rq_enqueue(&rq, &b, 0, false);
	assert_ptr_equal(sched_rq_pick_next(&rq, 0), &a);

	/* Bad values and the wrong rq change nothing. */
	assert_int_equal(sched_rq_set_weight(&rq, &a, 0, MS), -FV_EINVAL);
	assert_int_equal(sched_rq_set_weight(&rq, &a, SCHED_WEIGHT_MAX + 1, MS), -FV_EINVAL);
	assert_int_equal(sched_rq_set_weight(NULL, &a, 512, MS), -FV_ENOENT);
	assert_int_equal(sched_rq_set_weight(NULL, &b, 512, MS), -FV_ENOENT);
	assert_int_equal(sched_rq_set_weight(&rq, &off, 512, MS), -FV_ENOENT);
	assert_int_equal(a.weight, 256);
	assert_int_equal(b.weight, 256);
	assert_int_equal(rq.load, 512);
	assert_int_equal(a.vruntime, 0); /* nothing accounted by the failures */

	/* Running: 2 ms charged at the old weight, then it ages 4x slower. */
	assert_int_equal(sched_rq_set_weight(&rq, &a, 1024, 2 * MS), 0);
	assert_int_equal(a.vruntime, 2 * MS);
	assert_int_equal(rq.load, 256 + 1024);
	sched_rq_update_curr(&rq, 6 * MS);
	assert_int_equal(a.vruntime, 3 * MS);
	/* A bigger share means a longer slice (weight / average weight). */
	assert_int_equal(sched_rq_slice_end(&rq, 6 * MS), SLICE * 1024 / 640);

	/* Queued: keeps its vruntime and place; the load follows. */
	uint64_t vb = b.vruntime;
	assert_int_equal(sched_rq_set_weight(&rq, &b, 64, 6 * MS), 0);
	assert_int_equal(b.vruntime, vb);
	assert_int_equal(rq.load, 1024 + 64);
	assert_ptr_equal(rq.head, &b);
	check_rq(&rq);

	/* Off: just the field. */
	assert_int_equal(sched_rq_set_weight(NULL, &off, SCHED_WEIGHT_MAX, 6 * MS), 0);
	assert_int_equal(off.weight, SCHED_WEIGHT_MAX);
	assert_int_equal(rq.load, 1024 + 64);

	/* The new weights rule accounting from here: b (64) ages 4x faster than default. */
	sched_rq_put_prev(&rq, 7 * MS, true);
	assert_ptr_equal(sched_rq_pick_next(&rq, 7 * MS), &b);
	sched_rq_update_curr(&rq, 8 * MS);
	assert_int_equal(b.vruntime, vb + 4 * MS);
	check_rq(&rq);
}

static void test_set_affinity(void **state)
{
	struct sched_rq rq0, rq1;
	struct sched_entity a, b, c;

	(void)state;
	sched_rq_init(&rq0, 0, SLICE);
	sched_rq_init(&rq1, 1, SLICE);
	sched_entity_init(&a, 256, ALL);
	sched_entity_init(&b, 256, ALL);
	sched_entity_init(&c, 256, ALL);
	sched_rq_enqueue(&rq0, &a, 0, false);
	sched_rq_enqueue(&rq0, &b, 0, false);
	assert_ptr_equal(sched_rq_pick_next(&rq0, 0), &a);

	assert_int_equal(sched_rq_set_affinity(&rq0, &a, 0), -FV_EINVAL);
	assert_int_equal(sched_rq_set_affinity(&rq1, &a, PIN(1)), -FV_ENOENT);
	assert_int_equal(sched_rq_set_affinity(NULL, &b, PIN(1)), -FV_ENOENT);
	assert_int_equal(a.affinity, ALL);
	assert_int_equal(b.affinity, ALL);

	/* Still allowed where it is: nothing to do. */
	assert_int_equal(sched_rq_set_affinity(&rq0, &a, PIN(0) | PIN(1)), SCHED_AFF_STAY);
	assert_false(sched_rq_should_preempt(&rq0, MS));
	/* Off: only the field. */
	assert_int_equal(sched_rq_set_affinity(NULL, &c, PIN(1)), SCHED_AFF_STAY);
	assert_int_equal(c.affinity, PIN(1));

	/* Queued on a CPU it may no longer use: taken off, load dropped, placeable on rq1. */
	sched_rq_update_curr(&rq0, 2 * MS);
	assert_int_equal(sched_rq_set_affinity(&rq0, &b, PIN(1)), SCHED_AFF_MOVE);
	assert_false(b.on_rq);
	assert_int_equal(rq0.nr_queued, 0);
	assert_int_equal(rq0.load, 256);
	check_rq(&rq0);
	assert_int_equal(sched_rq_enqueue(&rq0, &b, 2 * MS, false), -FV_EINVAL);
	assert_int_equal(sched_rq_enqueue(&rq1, &b, 2 * MS, false), 0);
	check_rq(&rq1);

	/* Running on a CPU it may no longer use: preempt at once, even with nobody queued. */
	assert_int_equal(sched_rq_set_affinity(&rq0, &a, PIN(1)), SCHED_AFF_PREEMPT);
	assert_ptr_equal(rq0.curr, &a); /* still curr until its CPU switches */
	assert_true(sched_rq_should_preempt(&rq0, 3 * MS));
	assert_int_equal(sched_rq_slice_end(&rq0, 3 * MS), 3 * MS);
	/* The switch: put_prev refuses to requeue it here and takes it off rq0. */
	assert_false(sched_rq_put_prev(&rq0, 3 * MS, true));
	assert_false(a.on_rq);
	assert_false(a.on_cpu);
	assert_int_equal(rq0.load, 0);
	assert_int_equal(a.sum_exec_ns, 3 * MS); /* its run so far was accounted */
	assert_null(sched_rq_pick_next(&rq0, 3 * MS));
	assert_int_equal(sched_rq_enqueue(&rq1, &a, 3 * MS, false), 0);
	assert_int_equal(rq1.load, 512);
	check_rq(&rq0);
	check_rq(&rq1);

	/* An allowed runnable curr is requeued as before. */
	assert_ptr_equal(sched_rq_pick_next(&rq1, 3 * MS), &b);
	assert_true(sched_rq_put_prev(&rq1, 4 * MS, true));
	assert_true(b.on_rq);
	check_rq(&rq1);
}

/*
 * What core/sched.c's sched_set_params does, in the simulation: change the
 * parameters of e at s->now and, for an affinity that excludes its CPU, move
 * it (the CPU it runs on switches away at once, as after the IPI).
 */
static void sim_set(struct sim *s, struct sim_ent *e, uint32_t weight, uint64_t aff)
{
	struct sched_entity *se = &e->se;
	int cpu = se->cpu;
	struct sched_rq *rq = (se->on_rq || se->on_cpu) ? &s->rq[cpu] : NULL;

	if (weight)
		assert_int_equal(sched_rq_set_weight(rq, se, weight, s->now), 0);
	if (!aff)
		return;
	int r = sched_rq_set_affinity(rq, se, aff);
	assert_true(r >= 0);
	if (r == SCHED_AFF_PREEMPT) {
		assert_false(sched_rq_put_prev(rq, s->now, true));
		s->last_run[cpu] = NULL;
	}
	if (r != SCHED_AFF_STAY) {
		int to = sched_select_cpu(s->rqs, s->ncpu, se);
		assert_true(to >= 0 && to != cpu);
		assert_int_equal(sched_rq_enqueue(&s->rq[to], se, s->now, false), 0);
		s->check[to] = true;
		s->check[cpu] = true;
	}
}

static void test_sim_weight_change_running(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 1, 0);
	struct sim_ent *a = sim_hog(&s, 256, ALL, -1);
	struct sim_ent *b = sim_hog(&s, 256, ALL, -1);
	sim_run(&s, 5000 * MS);
	assert_close(share(&s, a), 0.5, 0.05);
	/* 1:3 while both run (one of them is curr, the other queued). */
	sim_set(&s, a, 64, 0);
	sim_set(&s, b, 192, 0);
	uint64_t t0 = s.now, ra = a->run_ns, rb = b->run_ns;
	sim_run(&s, 15000 * MS);
	assert_close((double)(a->run_ns - ra) / (double)(s.now - t0), 0.25, 0.05);
	assert_close((double)(b->run_ns - rb) / (double)(s.now - t0), 0.75, 0.05);
	/* And back up: a heavier than b now. */
	sim_set(&s, a, 768, 0);
	t0 = s.now, ra = a->run_ns;
	sim_run(&s, 25000 * MS);
	assert_close((double)(a->run_ns - ra) / (double)(s.now - t0), 0.8, 0.05);
}

static void test_sim_affinity_change_running(void **state)
{
	static struct sim s;

	(void)state;
	sim_init(&s, 2, 0);
	struct sim_ent *a = sim_hog(&s, 256, PIN(0), -1);
	struct sim_ent *b = sim_hog(&s, 256, PIN(0), -1);
	struct sim_ent *c = sim_hog(&s, 256, PIN(1), -1);
	sim_run(&s, 2000 * MS);
	assert_close(share(&s, a), 0.5, 0.05);
	assert_close(share(&s, c), 1.0, 0.01);
	/* Move the running one of a, b to CPU 1, then the other (queued by then) too. */
	struct sim_ent *run = s.rq[0].curr == &a->se ? a : b;
	struct sim_ent *other = run == a ? b : a;
	sim_set(&s, run, 0, PIN(1));
	assert_int_equal(run->se.cpu, 1);
	sim_run(&s, 4000 * MS);
	uint64_t t0 = s.now, ro = other->run_ns, rr = run->run_ns, rc = c->run_ns;
	sim_set(&s, other, 0, PIN(1));
	sim_run(&s, 10000 * MS);
	/* CPU 0 idles, the three share CPU 1. */
	assert_int_equal(s.rq[0].load, 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(s.ent[i].se.cpu, 1);
	double span = (double)(s.now - t0);
	assert_close((double)(other->run_ns - ro) / span, 1.0 / 3, 0.05);
	assert_close((double)(run->run_ns - rr) / span, 1.0 / 3, 0.05);
	assert_close((double)(c->run_ns - rc) / span, 1.0 / 3, 0.05);
	/* Widen again: balancing spreads them over both CPUs. */
	sim_set(&s, a, 0, ALL);
	sim_set(&s, b, 0, ALL);
	sim_run(&s, 12000 * MS);
	assert_true(s.rq[0].load > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_validation),
	    cmocka_unit_test(test_enqueue_order_and_errors),
	    cmocka_unit_test(test_accounting_weights),
	    cmocka_unit_test(test_wakeup_placement),
	    cmocka_unit_test(test_resume_matches_enqueue_and_pick),
	    cmocka_unit_test(test_preempt_and_slice_end),
	    cmocka_unit_test(test_slice_clamps),
	    cmocka_unit_test(test_wakeup_granularity),
	    cmocka_unit_test(test_select_cpu),
	    cmocka_unit_test(test_balance_pick),
	    cmocka_unit_test(test_balance_weights),
	    cmocka_unit_test(test_migrate),
	    cmocka_unit_test(test_migrate_preempts),
	    cmocka_unit_test(test_vruntime_wrap),
	    cmocka_unit_test(test_sim_fair_one_cpu),
	    cmocka_unit_test(test_sim_fair_balanced_from_one_cpu),
	    cmocka_unit_test(test_sim_fair_three_cpus),
	    cmocka_unit_test(test_sim_fair_across_wrap),
	    cmocka_unit_test(test_sim_weights_one_cpu),
	    cmocka_unit_test(test_sim_weights_mixed),
	    cmocka_unit_test(test_sim_weights_two_cpus_pinned),
	    cmocka_unit_test(test_sim_three_on_two),
	    cmocka_unit_test(test_sim_five_on_two_rotate),
	    cmocka_unit_test(test_swap_needs_gap_and_equal_weight),
	    cmocka_unit_test(test_sim_seven_on_three_with_sleepers),
	    cmocka_unit_test(test_sim_pinning),
	    cmocka_unit_test(test_sim_sleeper_latency),
	    cmocka_unit_test(test_sim_long_sleeper_no_hoarding),
	    cmocka_unit_test(test_sim_many_sleepers),
	    cmocka_unit_test(test_random_ops),
	    cmocka_unit_test(test_set_weight),
	    cmocka_unit_test(test_set_affinity),
	    cmocka_unit_test(test_sim_weight_change_running),
	    cmocka_unit_test(test_sim_affinity_change_running),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
