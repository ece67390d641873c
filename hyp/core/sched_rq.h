/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SCHED_RQ_H
#define FV_CORE_SCHED_RQ_H

/*
 * Scheduling policy: per-CPU run queues of vCPU scheduling entities with
 * weighted fair sharing and pull-model load balancing.
 *
 * This file is policy and data structure only. It takes no locks, reads no
 * clock and touches no architecture state: the caller (core/sched.c) holds
 * the run-queue lock(s) ("rq's lock" below; today one global sched_lock
 * serves for every rq), passes the current time `now` in nanoseconds from
 * one monotonic clock shared by all CPUs, and performs the context switch.
 * Every function is deterministic, so the policy is unit-tested on the host.
 *
 * Fairness. Each entity accumulates a virtual runtime: real runtime scaled
 * by SCHED_WEIGHT_DEFAULT / weight, so an entity of twice the weight ages
 * half as fast and receives twice the CPU. The run queue always runs the
 * queued entity with the lowest virtual runtime. min_vruntime is a
 * monotonic floor that tracks the lowest virtual runtime on the queue; it is
 * the queue's notion of "now" in virtual time, used to place entities that
 * arrive (wakeup, new, migrated) so they neither starve the others nor wait
 * behind credit they never earned.
 *
 * Virtual runtimes are compared modulo 2^64 (signed difference), so they may
 * wrap: a weight-1 entity ages 256 virtual ns per real ns, which wraps a
 * 64-bit counter in about 2.3 years of uptime. Comparisons stay correct as
 * long as the spread between entities on one queue is below 2^63.
 *
 * Run-queue states of an entity:
 *   - off: not runnable (sleeping, paused) or never queued. on_rq and
 *     on_cpu false. cpu is the rq it last left (-1 if never queued).
 *   - queued: runnable and waiting on rq `cpu`. on_rq true.
 *   - running: curr of rq `cpu`. on_cpu true; on_rq false (it is not in the
 *     queue), but its weight still counts in rq->load.
 * on_cpu lets a wakeup on another CPU see that the entity has not yet been
 * switched out (sched.c must wait for or defer such a wakeup).
 *
 * Fairness across CPUs. vruntime is per rq (each rq has its own virtual
 * time), so it cannot compare entities on different CPUs. Each entity also
 * accumulates `service`: its runtime scaled like vruntime but never moved
 * by placement, the same scale on every CPU. Load balancing (pulls) evens
 * out load between rqs; with loads as even as weights allow, swap balancing
 * (sched_balance_swap()) exchanges two entities of equal weight between
 * two rqs when one has received more service than the other by more than
 * SCHED_SWAP_GAP_SLICES base slices, so entities rotate over the CPUs: three
 * equal hogs on two CPUs get about 2/3 each instead of 100%, 50% and 50%.
 * A waking entity's service is clamped to the lowest service of the
 * runnable ones (sched_service_place()) so that it cannot hoard a sleep.
 *
 * Complexity: the queue is a sorted, doubly linked intrusive list. Pick is
 * O(1), dequeue O(1), insertion O(n) walking from the tail (O(1) for the
 * common re-queue of a preempted entity, which has the highest virtual
 * runtime). Balancing is O(total queued entities). Sized for tens of vCPUs
 * per CPU; switch to a tree if that changes.
 *
 * Weight and affinity of a queued or running entity change through
 * sched_rq_set_weight() and sched_rq_set_affinity() (below), never by
 * writing the fields: the rq's load and the queue must follow.
 */
#include "lib/types.h"

#define SCHED_MAX_CPUS       64
#define SCHED_WEIGHT_DEFAULT 256U
#define SCHED_WEIGHT_MAX     65535U

/* Base time slice bounds accepted by sched_rq_init(), and a typical value. */
#define SCHED_SLICE_MIN_NS     100000ULL     /* 100 us */
#define SCHED_SLICE_MAX_NS     1000000000ULL /* 1 s */
#define SCHED_SLICE_DEFAULT_NS 4000000ULL    /* 4 ms */

/*
 * The running entity's slice is the base slice scaled by its weight relative
 * to the average weight on the rq, clamped to
 * [slice_ns / SCHED_SLICE_MIN_DIV, slice_ns * SCHED_SLICE_MAX_MUL].
 * An entity arriving on the rq preempts the running one early when its
 * virtual runtime is lower by more than slice_ns / SCHED_WAKEUP_GRAN_DIV.
 */
#define SCHED_SLICE_MIN_DIV   8U
#define SCHED_SLICE_MAX_MUL   4U
#define SCHED_WAKEUP_GRAN_DIV 4U
/* Service lead (in base slices) beyond which swap balancing exchanges two entities. */
#define SCHED_SWAP_GAP_SLICES 2U

/* Affinity mask allowing every CPU. */
#define SCHED_AFFINITY_ALL (~(uint64_t)0)

/*
 * Embedded in struct vcpu. Read-only outside sched_rq.c; weight and affinity
 * change through sched_rq_set_weight() / sched_rq_set_affinity().
 */
struct sched_entity {
	uint64_t vruntime;                /* weighted virtual runtime (see file comment) */
	int64_t vlag;                     /* vruntime - min_vruntime when it last left rq `cpu` */
	uint64_t sum_exec_ns;             /* real runtime total (stats) */
	uint64_t service;                 /* runtime scaled by weight, comparable across rqs */
	uint64_t exec_start;              /* time it was last picked to run */
	uint64_t affinity;                /* bit n set: may run on CPU n; pinning = one bit */
	struct sched_entity *next, *prev; /* run-queue links, by vruntime */
	uint32_t weight;                  /* 1..SCHED_WEIGHT_MAX */
	uint32_t migrations;              /* stats: moves between rqs */
	int cpu;                          /* rq it is on or last left; -1 none */
	bool on_rq;                       /* queued: runnable and not running */
	bool on_cpu;                      /* running: rq `cpu`'s curr */
};

/* One per physical CPU. Protected by its run-queue lock: today the one global sched_lock of
 * core/sched.c serves as every rq's lock. */
struct sched_rq {
	int cpu;
	struct sched_entity *curr;        /* running entity, NULL when idle */
	struct sched_entity *head, *tail; /* queued entities, lowest vruntime first */
	unsigned nr_queued;               /* entities in the queue (curr excluded) */
	uint64_t min_vruntime;            /* monotonic virtual-time floor */
	uint64_t load;                    /* sum of weights: queued + curr */
	uint64_t slice_ns;                /* base time slice */
	uint64_t acct_ns;                 /* curr's runtime is accounted up to here */
	bool need_resched;                /* an arrival should preempt curr (latched) */
};

/*
 * Initialise an empty run queue for CPU `cpu` (0..SCHED_MAX_CPUS-1) with a
 * base slice of slice_ns (SCHED_SLICE_MIN_NS..SCHED_SLICE_MAX_NS).
 * Returns 0, or -FV_EINVAL for an out-of-range argument (rq is then left
 * untouched). Boot time, before the rq is shared.
 */
int sched_rq_init(struct sched_rq *rq, int cpu, uint64_t slice_ns);

/*
 * Initialise an entity in the "off" state with the given weight
 * (1..SCHED_WEIGHT_MAX) and CPU affinity mask (non-zero). Returns 0, or
 * -FV_EINVAL (se is then left untouched). No rq lock needed: the entity is
 * not yet visible to the scheduler.
 */
int sched_entity_init(struct sched_entity *se, uint32_t weight, uint64_t affinity);

/*
 * Account the running entity's runtime up to `now` (sum_exec_ns, vruntime)
 * and advance min_vruntime. No-op when idle or when now is not after the
 * last accounting point (a clock that appears to go backwards is ignored).
 * Caller holds rq's lock.
 */
void sched_rq_update_curr(struct sched_rq *rq, uint64_t now);

/*
 * Make an "off" entity runnable on rq. Accounts curr up to now first so
 * min_vruntime is current, then places the entity:
 *  - an entity that last left a different rq (or never ran) is first moved
 *    into this rq's virtual time: min_vruntime + vlag (min_vruntime if new);
 *  - wakeup == true (it was blocked): vruntime = max(vruntime,
 *    min_vruntime - slice_ns / 2). The half-slice bonus lets a vCPU woken by
 *    an interrupt run soon (usually preempting the current one), while the
 *    clamp stops it from hoarding the credit of a long sleep and then
 *    monopolising the CPU;
 *  - wakeup == false (it never blocked, e.g. re-queued after a parameter
 *    change): vruntime = max(vruntime, min_vruntime), no bonus.
 * Returns 0; -FV_EBUSY if se is queued or running on any rq; -FV_EINVAL if
 * se's affinity excludes rq->cpu. Caller holds rq's lock only: an "off"
 * entity is referenced by no rq. sched.c must serialise wakeups of one
 * vCPU and must not enqueue it while on_cpu is still set elsewhere. The
 * caller should then check sched_rq_should_preempt() and reprogram the
 * timer.
 */
int sched_rq_enqueue(struct sched_rq *rq, struct sched_entity *se, uint64_t now, bool wakeup);

/*
 * Resume on an idle rq the entity that last ran there and was taken off
 * with sched_rq_put_prev(rq, now, false) (a vCPU halting in place): the
 * same placement as sched_rq_enqueue(rq, se, now, true) followed by
 * sched_rq_pick_next(rq, now), without the queue operations. rq must be
 * idle (no curr, nothing queued) and se "off" with se->cpu == rq->cpu and
 * allowed there. Returns 0 (se is rq->curr, exec_start = now);
 * -FV_EBUSY if se is queued or running; -FV_EINVAL if rq is not idle or se
 * last left another rq or may not run here (then use sched_rq_enqueue()).
 * Caller holds rq's lock.
 */
int sched_rq_resume(struct sched_rq *rq, struct sched_entity *se, uint64_t now);

/*
 * Remove a queued (not running) entity from rq, e.g. to pause a vCPU.
 * Records its position (vlag) for a later enqueue elsewhere. Returns 0;
 * -FV_EBUSY if se is rq->curr (use sched_rq_put_prev()); -FV_ENOENT if se
 * is not queued on rq. Caller holds rq's lock.
 */
int sched_rq_dequeue(struct sched_rq *rq, struct sched_entity *se);

/*
 * Stop running rq->curr at `now`: account its runtime, then put it back in
 * the queue if `runnable`, or take it off the rq (it blocked, was paused or
 * is being destroyed) otherwise. rq->curr becomes NULL; the caller must
 * call sched_rq_pick_next() before returning to a guest. No-op when idle.
 * Returns true if curr was put back in the queue. A runnable curr whose
 * affinity no longer allows rq->cpu (sched_rq_set_affinity() while it ran)
 * is taken off the rq instead (false): the caller must enqueue it on an
 * allowed rq. Caller holds rq's lock.
 */
bool sched_rq_put_prev(struct sched_rq *rq, uint64_t now, bool runnable);

/*
 * Choose the next entity to run at `now`. If an entity is still running it
 * is first put back as runnable (sched_rq_put_prev(rq, now, true)); to
 * block it, call sched_rq_put_prev(rq, now, false) before (and call it
 * explicitly whenever curr's affinity may have changed, to see its answer). Picks the queued
 * entity with the lowest vruntime (ties: the one queued first), makes it
 * rq->curr with exec_start = now and returns it. Returns NULL when nothing
 * is runnable: the CPU should try sched_balance_pick() and then idle.
 * Caller holds rq's lock.
 */
struct sched_entity *sched_rq_pick_next(struct sched_rq *rq, uint64_t now);

/*
 * Should rq reschedule at `now`? Accounts curr first (as
 * sched_rq_update_curr()). False when nothing is queued. Otherwise true
 * when idle; when curr has used up its slice; or when an entity that
 * arrived since curr was picked (sched_rq_enqueue(), sched_rq_migrate())
 * had a vruntime lower than curr's by more than the wakeup granularity
 * (slice_ns / SCHED_WAKEUP_GRAN_DIV) at its arrival. That last test is
 * made once, on arrival, and latched in need_resched: a queued entity
 * that was already waiting when curr was picked trails curr by more than
 * the granularity part-way through every slice, so testing the head
 * continuously would cut every slice down to the granularity.
 * Caller holds rq's lock; call on timer expiry and after an enqueue or a
 * migration onto rq.
 */
bool sched_rq_should_preempt(struct sched_rq *rq, uint64_t now);

/*
 * Absolute time at which the current slice ends, for programming the
 * preemption timer: UINT64_MAX if nothing is queued (no tick needed,
 * however long curr runs); `now` if idle with entities queued or a wakeup
 * preemption is latched (reschedule at once); otherwise
 * max(now, exec_start + slice). The slice depends on the
 * rq's load, so re-read this after any enqueue, dequeue or migration.
 * Pure; caller holds rq's lock.
 */
uint64_t sched_rq_slice_end(const struct sched_rq *rq, uint64_t now);

/*
 * Initial placement or wakeup placement: the CPU in [0, ncpu) allowed by
 * se->affinity whose rq has the lowest load, not counting se itself if it
 * is queued or running there; ties go to fewer runnable entities, then to
 * se's previous CPU (warm caches), then to the lowest CPU number.
 * rqs[i] is CPU i's rq, or NULL for an offline CPU (skipped).
 * Returns the CPU; -FV_EINVAL if ncpu is 0 or above SCHED_MAX_CPUS, if
 * rqs[i]->cpu != i, or if the affinity allows no CPU below ncpu;
 * -FV_ENOENT if every allowed CPU is offline.
 * Locking: reads each rq's load, nr_queued and curr. Hold those rqs' locks,
 * or treat the answer as a hint from racy word-sized reads; either way
 * sched_rq_enqueue() under the chosen rq's lock re-checks affinity.
 */
int sched_select_cpu(struct sched_rq *const rqs[], unsigned ncpu, const struct sched_entity *se);

/*
 * Pull load balancing for CPU this_cpu, called when it goes idle and
 * periodically. Looks at every other rq for a queued (never the running)
 * entity whose affinity allows this_cpu and whose move strictly reduces
 * the load difference between the two rqs: the source's load exceeds this
 * rq's load by more than the entity's weight. With equal weights that means
 * the source has at least two more runnable entities, so entities never
 * ping-pong. Among candidates it takes the move that reduces the
 * difference most; ties go to the busier source, then the lower CPU, then
 * the entity first in its queue.
 * rqs[] and ncpu are as for sched_select_cpu(); NULL entries are skipped,
 * so a caller can pass only the rqs whose locks it holds.
 * Returns 0 with *se_out and *from_cpu set (then call sched_rq_migrate());
 * -FV_ENOENT when nothing is worth moving; -FV_EINVAL for bad arguments
 * (this_cpu out of range or its rq NULL).
 * Caller holds the locks of this_cpu's rq and of every non-NULL rq passed
 * (taken in CPU-number order by sched.c to avoid deadlock) until the
 * migration is done.
 */
int sched_balance_pick(struct sched_rq *const rqs[], unsigned ncpu, int this_cpu,
                       struct sched_entity **se_out, int *from_cpu);

/*
 * Move a queued entity from rq `from` to rq `to` at `now`, keeping its
 * position relative to each queue's min_vruntime (accounting both rqs'
 * curr first), and count the migration. Returns 0; -FV_EBUSY if se is
 * from->curr (only queued entities move); -FV_ENOENT if se is not queued on
 * from; -FV_EINVAL if from == to or se's affinity excludes to->cpu.
 * Caller holds both rqs' locks; should then check
 * sched_rq_should_preempt(to, now).
 */
int sched_rq_migrate(struct sched_rq *from, struct sched_rq *to, struct sched_entity *se,
                     uint64_t now);

/*
 * Swap balancing for CPU this_cpu, called when its slice ends: find an
 * entity `near` on this_cpu's rq (queued, or its curr) and an entity `far`
 * queued on another rq, of equal weight, each allowed on the other's CPU,
 * where far's service trails near's by more than SCHED_SWAP_GAP_SLICES base
 * slices of this rq; among those the pair with the largest gap (ties: lower
 * CPU, then queue order). Moving both keeps every rq's load. If near is
 * this rq's curr, the caller reschedules first (sched_rq_put_prev(rq, now,
 * true)) and asks again. rqs[]/ncpu as for sched_balance_pick().
 * Returns 0 with *near_out, *far_out, *from_cpu set (then
 * sched_rq_migrate() far from *from_cpu to this_cpu and near back);
 * -FV_ENOENT when no pair qualifies; -FV_EINVAL for bad arguments.
 * Caller holds the locks of every non-NULL rq passed.
 */
int sched_balance_swap(struct sched_rq *const rqs[], unsigned ncpu, int this_cpu,
                       struct sched_entity **near_out, struct sched_entity **far_out,
                       int *from_cpu);

/*
 * Before a wakeup enqueue of se: raise its service to the lowest service
 * among the entities running or queued on rqs[] (se excluded) less half a
 * base slice, if it is below that, so that an entity back
 * from a long sleep competes in swap balancing as a recent arrival, not as
 * the most deprived. No-op when nothing else is runnable. rqs[]/ncpu as
 * for sched_select_cpu(); slice_ns the base slice. Caller holds every
 * non-NULL rq's lock.
 */
void sched_service_place(struct sched_rq *const rqs[], unsigned ncpu, struct sched_entity *se,
                         uint64_t slice_ns);

/* What sched_rq_set_affinity() leaves for the caller to do. */
enum sched_aff_result {
	SCHED_AFF_STAY = 0,    /* nothing: off, or still allowed where it is */
	SCHED_AFF_MOVE = 1,    /* it was queued on rq: now off, enqueue it on an allowed rq */
	SCHED_AFF_PREEMPT = 2, /* it runs on rq: preempt that CPU (need_resched is set) */
};

/*
 * Change se's weight (1..SCHED_WEIGHT_MAX) at `now`, whatever its state.
 * rq is the rq holding se (queued or running there), or NULL when se is
 * off. A running entity is accounted up to now at its old weight first;
 * from then on its vruntime advances at the new rate and rq->load (hence
 * every slice on rq) reflects the new weight. A queued entity keeps its
 * vruntime and place. Returns 0; -FV_EINVAL for a weight out of range;
 * -FV_ENOENT if rq does not hold se (or rq is NULL but se is on some rq).
 * se is unchanged on error. Caller holds rq's lock (the scheduler lock for
 * an off entity). The caller should then re-check
 * sched_rq_should_preempt() and sched_rq_slice_end().
 */
int sched_rq_set_weight(struct sched_rq *rq, struct sched_entity *se, uint32_t weight,
                        uint64_t now);

/*
 * Change se's affinity mask (non-zero). rq as for sched_rq_set_weight().
 * Returns an enum sched_aff_result: SCHED_AFF_STAY when se is off or rq's
 * CPU is still allowed; SCHED_AFF_MOVE when se was queued on rq and the mask
 * excludes rq->cpu: se is dequeued (its vlag kept, as sched_rq_dequeue())
 * and the caller must enqueue it on an allowed rq (wakeup == false);
 * SCHED_AFF_PREEMPT when se is rq->curr and the mask excludes rq->cpu:
 * rq->need_resched is set, sched_rq_should_preempt() answers true and
 * sched_rq_slice_end() `now` until the caller's CPU switches away, and
 * sched_rq_put_prev() then takes se off rq for the caller to enqueue
 * elsewhere. -FV_EINVAL for an empty mask; -FV_ENOENT as for
 * sched_rq_set_weight(). Caller holds rq's lock.
 */
int sched_rq_set_affinity(struct sched_rq *rq, struct sched_entity *se, uint64_t affinity);

#endif
