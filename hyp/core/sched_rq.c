/* SPDX-License-Identifier: MIT */
/*
 * Scheduling policy: weighted fair run queues and pull load balancing.
 * See sched_rq.h for the model; locking is entirely the caller's.
 */
#include "core/sched_rq.h"

/*
 * Real runtime credited to vruntime in one accounting step is capped so
 * delta * SCHED_WEIGHT_DEFAULT cannot overflow. 2^48 ns is about 78 hours;
 * only a lone entity running that long without any accounting call could
 * hit it, and then there is nobody to be unfair to.
 */
#define SCHED_MAX_DELTA_NS ((uint64_t)1 << 48)

static uint64_t cpu_bit(unsigned cpu)
{
	return (uint64_t)1 << cpu;
}

static uint64_t cpus_below(unsigned ncpu)
{
	return ncpu >= 64 ? SCHED_AFFINITY_ALL : cpu_bit(ncpu) - 1;
}

/*
 * a < b in wrapping virtual time. The unsigned difference is reinterpreted
 * as two's complement (GCC and clang define this conversion as modulo 2^64).
 */
static bool vt_before(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b) < 0;
}

static bool se_allowed(const struct sched_entity *se, int cpu)
{
	return cpu >= 0 && cpu < SCHED_MAX_CPUS && (se->affinity & cpu_bit((unsigned)cpu)) != 0;
}

static unsigned rq_nr_running(const struct sched_rq *rq)
{
	return rq->nr_queued + (rq->curr ? 1U : 0U);
}

/* Real ns -> virtual ns for this weight. */
static uint64_t vt_scale(uint64_t delta, uint32_t weight)
{
	if (delta > SCHED_MAX_DELTA_NS)
		delta = SCHED_MAX_DELTA_NS;
	return delta * SCHED_WEIGHT_DEFAULT / weight;
}

static void rq_update_min_vruntime(struct sched_rq *rq)
{
	uint64_t lo;

	if (rq->curr) {
		lo = rq->curr->vruntime;
		if (rq->head && vt_before(rq->head->vruntime, lo))
			lo = rq->head->vruntime;
	} else if (rq->head) {
		lo = rq->head->vruntime;
	} else {
		return;
	}
	/*
	 * Never move backwards: an entity woken with a bonus sits below the
	 * floor, and letting it drag the floor down would hand every later
	 * arrival the same bonus again.
	 */
	if (vt_before(rq->min_vruntime, lo))
		rq->min_vruntime = lo;
}

/* Insert after the last entity with vruntime <= se's, so ties stay FIFO. */
static void rq_link(struct sched_rq *rq, struct sched_entity *se)
{
	struct sched_entity *pos = rq->tail;

	while (pos && vt_before(se->vruntime, pos->vruntime))
		pos = pos->prev;
	se->prev = pos;
	se->next = pos ? pos->next : rq->head;
	if (se->next)
		se->next->prev = se;
	else
		rq->tail = se;
	if (pos)
		pos->next = se;
	else
		rq->head = se;
	se->on_rq = true;
	se->cpu = rq->cpu;
	rq->nr_queued++;
}

static void rq_unlink(struct sched_rq *rq, struct sched_entity *se)
{
	if (se->prev)
		se->prev->next = se->next;
	else
		rq->head = se->next;
	if (se->next)
		se->next->prev = se->prev;
	else
		rq->tail = se->prev;
	se->next = NULL;
	se->prev = NULL;
	se->on_rq = false;
	rq->nr_queued--;
}

/* Entity leaves the rq entirely (not queued, not running). */
static void rq_leave(struct sched_rq *rq, struct sched_entity *se)
{
	rq->load -= se->weight;
	se->vlag = (int64_t)(se->vruntime - rq->min_vruntime);
}

/*
 * An entity arriving well behind curr in virtual time (a woken vCPU with its
 * bonus, or a migrated one) should run soon. Judge it once, on arrival, and
 * latch the answer: in steady-state alternation curr pulls ahead of every
 * queued entity by more than any small granularity part-way through its
 * slice, so re-testing the head on every check would cut all slices short.
 */
static void rq_check_wakeup_preempt(struct sched_rq *rq, const struct sched_entity *se)
{
	uint64_t gran = rq->slice_ns / SCHED_WAKEUP_GRAN_DIV;

	if (rq->curr && vt_before(se->vruntime + gran, rq->curr->vruntime))
		rq->need_resched = true;
}

static bool rq_holds(const struct sched_rq *rq, const struct sched_entity *se)
{
	return rq->curr == se || (se->on_rq && se->cpu == rq->cpu);
}

int sched_rq_init(struct sched_rq *rq, int cpu, uint64_t slice_ns)
{
	if (cpu < 0 || cpu >= SCHED_MAX_CPUS || slice_ns < SCHED_SLICE_MIN_NS ||
	    slice_ns > SCHED_SLICE_MAX_NS)
		return -FV_EINVAL;
	*rq = (struct sched_rq){
	    .cpu = cpu,
	    .slice_ns = slice_ns,
	};
	return 0;
}

int sched_entity_init(struct sched_entity *se, uint32_t weight, uint64_t affinity)
{
	if (weight == 0 || weight > SCHED_WEIGHT_MAX || affinity == 0)
		return -FV_EINVAL;
	*se = (struct sched_entity){
	    .weight = weight,
	    .affinity = affinity,
	    .cpu = -1,
	};
	return 0;
}

void sched_rq_update_curr(struct sched_rq *rq, uint64_t now)
{
	struct sched_entity *curr = rq->curr;
	uint64_t delta;

	if (!curr || now <= rq->acct_ns)
		return;
	delta = now - rq->acct_ns;
	rq->acct_ns = now;
	curr->sum_exec_ns += delta;
	curr->vruntime += vt_scale(delta, curr->weight);
	curr->service += vt_scale(delta, curr->weight);
	rq_update_min_vruntime(rq);
}

int sched_rq_enqueue(struct sched_rq *rq, struct sched_entity *se, uint64_t now, bool wakeup)
{
	uint64_t place_min;

	if (se->on_rq || se->on_cpu)
		return -FV_EBUSY;
	if (!se_allowed(se, rq->cpu))
		return -FV_EINVAL;

	sched_rq_update_curr(rq, now);

	if (se->cpu < 0)
		se->vruntime = rq->min_vruntime;
	else if (se->cpu != rq->cpu)
		se->vruntime = rq->min_vruntime + (uint64_t)se->vlag;

	place_min = rq->min_vruntime;
	if (wakeup)
		place_min -= rq->slice_ns / 2;
	if (vt_before(se->vruntime, place_min))
		se->vruntime = place_min;

	rq_link(rq, se);
	rq->load += se->weight;
	rq_update_min_vruntime(rq);
	rq_check_wakeup_preempt(rq, se);
	return 0;
}

int sched_rq_resume(struct sched_rq *rq, struct sched_entity *se, uint64_t now)
{
	uint64_t place_min;

	if (se->on_rq || se->on_cpu)
		return -FV_EBUSY;
	if (rq->curr || rq->nr_queued || se->cpu != rq->cpu || !se_allowed(se, rq->cpu))
		return -FV_EINVAL;
	/* sched_rq_enqueue()'s wakeup placement; nothing runs, so nothing to account. */
	place_min = rq->min_vruntime - rq->slice_ns / 2;
	if (vt_before(se->vruntime, place_min))
		se->vruntime = place_min;
	rq->load += se->weight;
	rq->curr = se;
	se->on_cpu = true;
	rq->need_resched = false;
	rq->acct_ns = now;
	se->exec_start = now;
	rq_update_min_vruntime(rq);
	return 0;
}

int sched_rq_dequeue(struct sched_rq *rq, struct sched_entity *se)
{
	if (rq->curr == se)
		return -FV_EBUSY;
	if (!se->on_rq || se->cpu != rq->cpu)
		return -FV_ENOENT;
	rq_unlink(rq, se);
	rq_leave(rq, se);
	rq_update_min_vruntime(rq);
	return 0;
}

bool sched_rq_put_prev(struct sched_rq *rq, uint64_t now, bool runnable)
{
	struct sched_entity *prev = rq->curr;
	bool requeued;

	if (!prev)
		return false;
	sched_rq_update_curr(rq, now);
	rq->curr = NULL;
	prev->on_cpu = false;
	rq->need_resched = false;
	/*
	 * Its affinity was changed to exclude this CPU while it ran
	 * (sched_rq_set_affinity()): it must not be queued here again; the
	 * caller places it on an allowed rq.
	 */
	requeued = runnable && se_allowed(prev, rq->cpu);
	if (requeued)
		rq_link(rq, prev);
	else
		rq_leave(rq, prev);
	rq_update_min_vruntime(rq);
	return requeued;
}

struct sched_entity *sched_rq_pick_next(struct sched_rq *rq, uint64_t now)
{
	struct sched_entity *next;

	sched_rq_put_prev(rq, now, true);
	next = rq->head;
	if (!next)
		return NULL;
	rq_unlink(rq, next);
	rq->curr = next;
	next->on_cpu = true;
	rq->acct_ns = now;
	next->exec_start = now;
	rq_update_min_vruntime(rq);
	return next;
}

/* Slice of the running entity: base slice scaled by weight / average weight. */
static uint64_t rq_curr_slice(const struct sched_rq *rq)
{
	uint64_t avg = rq->load / rq_nr_running(rq);
	uint64_t lo = rq->slice_ns / SCHED_SLICE_MIN_DIV;
	uint64_t hi = rq->slice_ns * SCHED_SLICE_MAX_MUL;
	uint64_t slice;

	if (avg == 0)
		avg = 1;
	/* slice_ns <= 1 s and weight <= 65535: no overflow. */
	slice = rq->slice_ns * rq->curr->weight / avg;
	return MIN(MAX(slice, lo), hi);
}

bool sched_rq_should_preempt(struct sched_rq *rq, uint64_t now)
{
	const struct sched_entity *curr;

	sched_rq_update_curr(rq, now);
	curr = rq->curr;
	if (curr && !se_allowed(curr, rq->cpu))
		return true; /* its affinity no longer allows this CPU */
	if (rq->nr_queued == 0)
		return false;
	if (!curr || rq->need_resched)
		return true;
	return now >= curr->exec_start && now - curr->exec_start >= rq_curr_slice(rq);
}

uint64_t sched_rq_slice_end(const struct sched_rq *rq, uint64_t now)
{
	uint64_t slice;
	uint64_t start;

	if (rq->curr && !se_allowed(rq->curr, rq->cpu))
		return now;
	if (rq->nr_queued == 0)
		return UINT64_MAX;
	if (!rq->curr || rq->need_resched)
		return now;
	slice = rq_curr_slice(rq);
	start = rq->curr->exec_start;
	if (start > UINT64_MAX - slice)
		return UINT64_MAX;
	return MAX(start + slice, now);
}

static int check_rqs(struct sched_rq *const rqs[], unsigned ncpu)
{
	if (!rqs || ncpu == 0 || ncpu > SCHED_MAX_CPUS)
		return -FV_EINVAL;
	for (unsigned i = 0; i < ncpu; i++)
		if (rqs[i] && rqs[i]->cpu != (int)i)
			return -FV_EINVAL;
	return 0;
}

int sched_select_cpu(struct sched_rq *const rqs[], unsigned ncpu, const struct sched_entity *se)
{
	uint64_t mask;
	uint64_t best_load = 0;
	unsigned best_nr = 0;
	int best = -FV_ENOENT;
	int ret = check_rqs(rqs, ncpu);

	if (ret < 0)
		return ret;
	mask = se->affinity & cpus_below(ncpu);
	if (mask == 0)
		return -FV_EINVAL;

	for (unsigned i = 0; i < ncpu; i++) {
		const struct sched_rq *rq = rqs[i];
		uint64_t load;
		unsigned nr;
		bool better;

		if (!rq || !(mask & cpu_bit(i)))
			continue;
		load = rq->load;
		nr = rq_nr_running(rq);
		if (rq_holds(rq, se)) {
			load -= se->weight;
			nr--;
		}
		if (best < 0 || load < best_load)
			better = true;
		else if (load > best_load)
			better = false;
		else if (nr != best_nr)
			better = nr < best_nr;
		else
			better = (int)i == se->cpu;
		if (better) {
			best = (int)i;
			best_load = load;
			best_nr = nr;
		}
	}
	return best;
}

int sched_balance_pick(struct sched_rq *const rqs[], unsigned ncpu, int this_cpu,
                       struct sched_entity **se_out, int *from_cpu)
{
	struct sched_entity *best = NULL;
	uint64_t best_gain = 0;
	uint64_t best_diff = 0;
	int best_cpu = -1;
	uint64_t this_load;
	int ret = check_rqs(rqs, ncpu);

	if (ret < 0)
		return ret;
	if (!se_out || !from_cpu || this_cpu < 0 || (unsigned)this_cpu >= ncpu || !rqs[this_cpu])
		return -FV_EINVAL;
	this_load = rqs[this_cpu]->load;

	for (unsigned i = 0; i < ncpu; i++) {
		const struct sched_rq *src = rqs[i];
		uint64_t diff;

		if (!src || (int)i == this_cpu || src->load <= this_load)
			continue;
		diff = src->load - this_load;
		for (struct sched_entity *se = src->head; se; se = se->next) {
			uint64_t w = se->weight;
			uint64_t gain;

			if (!se_allowed(se, this_cpu) || w >= diff)
				continue;
			/*
			 * Moving w changes the difference from diff to
			 * |diff - 2w|; gain is how much it shrinks. Requiring
			 * w < diff makes it strictly positive, so the sum of
			 * squared loads drops with every move and balancing
			 * cannot oscillate.
			 */
			gain = 2 * w <= diff ? 2 * w : 2 * (diff - w);
			if (gain > best_gain || (gain == best_gain && diff > best_diff)) {
				best = se;
				best_gain = gain;
				best_diff = diff;
				best_cpu = (int)i;
			}
		}
	}
	if (!best)
		return -FV_ENOENT;
	*se_out = best;
	*from_cpu = best_cpu;
	return 0;
}

/* The lower of *lo and the service of se (if any); *have says whether *lo is set. */
static void service_min(uint64_t *lo, bool *have, const struct sched_entity *se)
{
	if (se && (!*have || vt_before(se->service, *lo))) {
		*lo = se->service;
		*have = true;
	}
}

void sched_service_place(struct sched_rq *const rqs[], unsigned ncpu, struct sched_entity *se,
                         uint64_t slice_ns)
{
	uint64_t lo = 0;
	bool have = false;

	if (check_rqs(rqs, ncpu) < 0)
		return;
	for (unsigned i = 0; i < ncpu; i++) {
		if (!rqs[i])
			continue;
		if (rqs[i]->curr != se)
			service_min(&lo, &have, rqs[i]->curr);
		for (const struct sched_entity *q = rqs[i]->head; q; q = q->next)
			if (q != se)
				service_min(&lo, &have, q);
	}
	if (have && vt_before(se->service, lo - slice_ns / 2))
		se->service = lo - slice_ns / 2;
}

/* Whether far (queued on rq `from`) may trade places with near (on rq `here`). */
static bool swap_ok(const struct sched_entity *near, const struct sched_entity *far, int here,
                    int from, uint64_t gap)
{
	return near->weight == far->weight && se_allowed(near, from) && se_allowed(far, here) &&
	       vt_before(far->service + gap, near->service);
}

int sched_balance_swap(struct sched_rq *const rqs[], unsigned ncpu, int this_cpu,
                       struct sched_entity **near_out, struct sched_entity **far_out, int *from_cpu)
{
	struct sched_entity *best_near = NULL, *best_far = NULL;
	uint64_t best_gap = 0, gap;
	int best_cpu = -1;
	const struct sched_rq *here;
	int ret = check_rqs(rqs, ncpu);

	if (ret < 0)
		return ret;
	if (!near_out || !far_out || !from_cpu || this_cpu < 0 || (unsigned)this_cpu >= ncpu ||
	    !rqs[this_cpu])
		return -FV_EINVAL;
	here = rqs[this_cpu];
	gap = here->slice_ns * SCHED_SWAP_GAP_SLICES;
	for (unsigned i = 0; i < ncpu; i++) {
		if (!rqs[i] || (int)i == this_cpu)
			continue;
		for (struct sched_entity *far = rqs[i]->head; far; far = far->next) {
			/* curr first, then the queue: every entity this rq holds */
			for (struct sched_entity *near = here->curr ? here->curr : here->head; near;
			     near = near == here->curr ? here->head : near->next) {
				if (!swap_ok(near, far, this_cpu, (int)i, gap))
					continue;
				if (!best_near || near->service - far->service > best_gap) {
					best_near = near;
					best_far = far;
					best_gap = near->service - far->service;
					best_cpu = (int)i;
				}
			}
		}
	}
	if (!best_near)
		return -FV_ENOENT;
	*near_out = best_near;
	*far_out = best_far;
	*from_cpu = best_cpu;
	return 0;
}

int sched_rq_migrate(struct sched_rq *from, struct sched_rq *to, struct sched_entity *se,
                     uint64_t now)
{
	if (from == to || !se_allowed(se, to->cpu))
		return -FV_EINVAL;
	if (from->curr == se)
		return -FV_EBUSY;
	if (!se->on_rq || se->cpu != from->cpu)
		return -FV_ENOENT;

	sched_rq_update_curr(from, now);
	sched_rq_update_curr(to, now);
	rq_unlink(from, se);
	rq_leave(from, se);
	rq_update_min_vruntime(from);

	se->vruntime = to->min_vruntime + (uint64_t)se->vlag;
	rq_link(to, se);
	to->load += se->weight;
	rq_update_min_vruntime(to);
	rq_check_wakeup_preempt(to, se);
	se->migrations++;
	return 0;
}

int sched_rq_set_weight(struct sched_rq *rq, struct sched_entity *se, uint32_t weight, uint64_t now)
{
	if (weight == 0 || weight > SCHED_WEIGHT_MAX)
		return -FV_EINVAL;
	if (rq ? !rq_holds(rq, se) : (se->on_rq || se->on_cpu))
		return -FV_ENOENT;
	if (rq) {
		/*
		 * Charge the running entity's time so far at the old weight;
		 * from here on it ages at the new rate. A queued entity keeps
		 * its vruntime (and so its place): the weight only scales
		 * runtime still to come. The rq's load follows at once, so the
		 * slices computed from it change at the next decision.
		 */
		if (rq->curr == se)
			sched_rq_update_curr(rq, now);
		rq->load = rq->load - se->weight + weight;
	}
	se->weight = weight;
	return 0;
}

int sched_rq_set_affinity(struct sched_rq *rq, struct sched_entity *se, uint64_t affinity)
{
	if (affinity == 0)
		return -FV_EINVAL;
	if (rq ? !rq_holds(rq, se) : (se->on_rq || se->on_cpu))
		return -FV_ENOENT;
	se->affinity = affinity;
	if (!rq || se_allowed(se, rq->cpu))
		return SCHED_AFF_STAY;
	if (rq->curr == se) {
		/* Preempt it; sched_rq_put_prev() will refuse to requeue it here. */
		rq->need_resched = true;
		return SCHED_AFF_PREEMPT;
	}
	rq_unlink(rq, se);
	rq_leave(rq, se);
	rq_update_min_vruntime(rq);
	return SCHED_AFF_MOVE;
}
