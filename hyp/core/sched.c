// SPDX-License-Identifier: MIT
/* The per-CPU vCPU loop, wake-ups, preemption and load balancing. */
#include "core/sched.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/sched_rq.h"
#include "core/timer.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/stat.h"
#include "core/trace.h"

/* Minimum run of the current vCPU before a woken one may preempt it. */
#define WAKE_PREEMPT_MIN_NS 500000ULL

static struct spinlock sched_lock = SPINLOCK_INIT;
/* Per-CPU slice timers (indexed by cpu id); armed on their own CPU. */
static struct timer_event slice_timer[FV_MAX_CPUS];

#define se_to_vcpu(p) ((struct vcpu *)((char *)(p)-offsetof(struct vcpu, se)))

/*
 * Steal-time accounting (arch-neutral; the guest's steal-time record is written by arch
 * code from vcpu->steal_ns). A vCPU is charged for the time between
 * becoming RUNNABLE and being picked to run; sched_lock held for both.
 */
static void mark_runnable(struct vcpu *v, uint64_t now)
{
	v->state = VCPU_RUNNABLE;
	v->runnable_since = now;
}

static void mark_running(struct vcpu *v, uint64_t now)
{
	if (v->state == VCPU_RUNNABLE && now > v->runnable_since) {
		__atomic_store_n(&v->steal_ns, v->steal_ns + (now - v->runnable_since),
		                 __ATOMIC_RELAXED);
		STAT_ADD(v->stats.steal_total_ns, now - v->runnable_since);
	}
	v->state = VCPU_RUNNING;
}

/*
 * Slice tick of a CPU that runs a vCPU. It keeps ticking at least once per
 * slice even when nothing else was queued at pick time: a vCPU enqueued
 * later without preempting (another CPU woke it) must still get its turn.
 */
static bool swap_wanted(struct cpu *c);

static void slice_expired(struct timer_event *ev, void *arg)
{
	struct cpu *c = arg;
	uint64_t now = time_now_ns();
	uint64_t next = UINT64_MAX;
	spin_lock(&sched_lock);
	/* A swap with a deprived vCPU elsewhere also needs this CPU to reschedule (try_swap). */
	if (sched_rq_should_preempt(&c->rq, now) || swap_wanted(c)) {
		c->need_resched = true;
	} else if (c->rq.curr) {
		next = sched_rq_slice_end(&c->rq, now);
		if (next == UINT64_MAX)
			next = now + c->rq.slice_ns;
	}
	spin_unlock(&sched_lock);
	if (next != UINT64_MAX)
		timer_arm(ev, next);
}

void sched_cpu_init(struct cpu *c, uint64_t slice_ns)
{
	sched_rq_init(&c->rq, (int)c->id, slice_ns);
	timer_event_init(&slice_timer[c->id], slice_expired, c);
}

static struct sched_rq *rq_of(unsigned cpu)
{
	return &cpu_table[cpu]->rq;
}

/* Every CPU's run queue, for the policy functions that look across CPUs. */
static void all_rqs(struct sched_rq *rqs[FV_MAX_CPUS])
{
	for (unsigned i = 0; i < cpu_count; i++)
		rqs[i] = rq_of(i);
}

/*
 * Tell CPU `cpu` to reschedule soon; sched_lock held. Returns the CPU the
 * caller must kick with kick_cpu() once it has dropped sched_lock, or -1.
 * The IPI is never sent under the lock: the woken CPU's first act is to
 * take it, and with the sender still holding it (or descheduled while
 * holding it, as QEMU's round-robin TCG does) it would only spin.
 */
static int resched_cpu(unsigned cpu)
{
	struct cpu *c = cpu_table[cpu];
	c->need_resched = true;
	return c != cpu_this() ? (int)cpu : -1;
}

/* Send the wake-up IPI chosen under the lock; call without sched_lock. */
static void kick_cpu(int cpu)
{
	if (cpu >= 0)
		arch_cpu_kick(cpu_table[cpu]);
}

/* Choose a CPU for v and enqueue it; sched_lock held. Returns a CPU to kick or -1. */
static int enqueue_locked(struct vcpu *v, bool wakeup)
{
	struct sched_rq *rqs[FV_MAX_CPUS];
	all_rqs(rqs);
	int cpu = v->se.cpu;
	/*
	 * Prefer the CPU it last ran on (warm caches) when that CPU is idle;
	 * otherwise the least loaded allowed CPU, so a woken vCPU does not
	 * queue behind a busy one while another CPU sleeps.
	 */
	if (cpu < 0 || (unsigned)cpu >= cpu_count || !(v->se.affinity & BIT(cpu)) ||
	    rq_of((unsigned)cpu)->nr_queued > 0 || rq_of((unsigned)cpu)->curr)
		cpu = sched_select_cpu(rqs, cpu_count, &v->se);
	if (cpu < 0) {
		/* Affinity names no CPU we have: fall back to any (config validated this). */
		cpu = 0;
	}
	uint64_t now = time_now_ns();
	if (wakeup)
		sched_service_place(rqs, cpu_count, &v->se, rq_of((unsigned)cpu)->slice_ns);
	if (v->se.on_cpu) {
		/*
		 * It blocked but its CPU has not switched away yet: just let it
		 * keep running; that CPU's put_prev() requeues it.
		 */
		v->state = VCPU_RUNNING;
		return -1;
	}
	mark_runnable(v, now);
	struct sched_rq *rq = rq_of((unsigned)cpu);
	sched_rq_enqueue(rq, &v->se, now, wakeup);
	/*
	 * A vCPU woken by an interrupt (IPI, timer, device) is latency
	 * sensitive: preempt the running one once it has had a minimum run,
	 * instead of making the woken vCPU wait out the rest of a slice.
	 * Fairness is kept by vruntime: the woken vCPU is charged for its run.
	 */
	if (sched_rq_should_preempt(rq, now) ||
	    (wakeup && rq->curr && now - rq->curr->exec_start >= WAKE_PREEMPT_MIN_NS))
		return resched_cpu((unsigned)cpu);
	return -1;
}

void sched_kick(struct vcpu *v)
{
	/*
	 * The request was posted before this: order that store before the load of
	 * running_cpu (store-to-load; acquire/release does not), the pair of the fence
	 * in switch_vcpu. Either we see where v runs and kick that CPU, or its checks
	 * after taking v see the request. Without it a busy vCPU could miss a pause
	 * until its next exit (seen on arm64 under QEMU).
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	int rc = __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE);
	if (rc >= 0 && cpu_table[rc] != cpu_this())
		arch_cpu_kick(cpu_table[rc]);
}

/*
 * Whether v's VM is paused and v must not run now; sched_lock held. A stop
 * request gets through (stopping or destroying a paused VM).
 */
static bool held_by_pause(struct vcpu *v)
{
	return (__atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE) ||
	        __atomic_load_n(&v->dbg_hold, __ATOMIC_ACQUIRE)) &&
	       !(__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_STOP);
}

/*
 * A blocked vCPU may still be loaded on the CPU it halted on (sched_halt):
 * that CPU must notice the wake-up, to resume it or to put it for the CPU
 * now chosen to run it (whose switch_vcpu waits for the put). Returns that
 * CPU if another kick (the enqueue's, `kick`) does not already reach it;
 * sched_lock held. A kick to a CPU that has moved on is only a spurious exit.
 */
static int halting_cpu(struct vcpu *v, int kick)
{
	int rc = __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE);
	return rc >= 0 && rc != kick && cpu_table[rc] != cpu_this() ? rc : -1;
}

void sched_wake(struct vcpu *v)
{
	int kick = -1, kick2 = -1;
	spin_lock(&sched_lock);
	if (v->state == VCPU_BLOCKED && held_by_pause(v)) {
		/* The wake event is kept for vm_resume (sched_unpause), not lost. */
		v->pause_wake = true;
	} else if (v->state == VCPU_BLOCKED) {
		timer_cancel(&v->wake_timer);
		kick = enqueue_locked(v, true);
		kick2 = halting_cpu(v, kick);
	} else if (v->state == VCPU_RUNNING) {
		int rc = __atomic_load_n(&v->running_cpu, __ATOMIC_ACQUIRE);
		/* Force a guest exit so new interrupts/requests are seen now. */
		if (rc >= 0 && cpu_table[rc] != cpu_this())
			kick = rc;
	}
	spin_unlock(&sched_lock);
	kick_cpu(kick);
	kick_cpu(kick2);
}

void sched_unpause(struct vcpu *v)
{
	int kick = -1;
	spin_lock(&sched_lock);
	if (v->pause_wake) {
		v->pause_wake = false;
		if (v->state == VCPU_BLOCKED) {
			timer_cancel(&v->wake_timer);
			kick = enqueue_locked(v, true);
		}
	}
	spin_unlock(&sched_lock);
	kick_cpu(kick);
}

/*
 * The vCPU about to run (or just back from the guest) belongs to a paused
 * VM: park it (BLOCKED, requeued by sched_unpause). Its own CPU, no locks.
 * Returns true if parked. vm_pause sets vm->paused before it posts
 * REQ_PAUSE, and vm_resume clears it before sched_unpause takes
 * sched_lock, so under the lock either we see paused clear or the resume
 * sees pause_wake set.
 */
static bool park_if_paused(struct vcpu *v)
{
	if (!__atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&v->dbg_hold, __ATOMIC_ACQUIRE) &&
	    !(__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_PAUSE))
		return false;
	__atomic_fetch_and(&v->requests, ~(uint32_t)VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	bool park = false;
	spin_lock(&sched_lock);
	if (v->state == VCPU_RUNNING && held_by_pause(v)) {
		v->state = VCPU_BLOCKED;
		v->pause_wake = true;
		park = true;
	}
	spin_unlock(&sched_lock);
	return park;
}

int sched_start(struct vcpu *v)
{
	int ret = 0, kick = -1;
	spin_lock(&sched_lock);
	if (v->state == VCPU_STOPPED)
		kick = enqueue_locked(v, true);
	else
		ret = -FV_EBUSY;
	spin_unlock(&sched_lock);
	kick_cpu(kick);
	return ret;
}

static void wake_timer_fn(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	sched_wake(arg);
}

void sched_block(struct vcpu *v)
{
	uint64_t d = UINT64_MAX;
	spin_lock(&sched_lock);
	/*
	 * Check for wake conditions under the lock: anyone raising an
	 * interrupt sets the pending bit first and then takes this lock to
	 * wake us, so either we see the bit here or they see BLOCKED.
	 */
	if (v->state == VCPU_RUNNING && !arch_vcpu_irq_wakeable(v) &&
	    !(__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & (VCPU_REQ_STOP | VCPU_REQ_WAKE))) {
		v->state = VCPU_BLOCKED;
		d = arch_vcpu_timer_deadline_ns(v);
		if (d != UINT64_MAX && !v->wake_timer.fn)
			timer_event_init(&v->wake_timer, wake_timer_fn, v);
	}
	spin_unlock(&sched_lock);
	/*
	 * Arm the wake-up timer after dropping sched_lock: programming the
	 * CPU's deadline is slow (a firmware call without a timer the hypervisor programs directly;
	 * under QEMU's round-robin TCG a timer write ends this CPU's turn), and a CPU that wakes
	 * one of ours (IPI to an idle vCPU) would spin on sched_lock for all that time
	 * (docs/performance.md, ipi_idle). A wake that comes in between finds no timer to cancel
	 * and the timer then fires once for a vCPU that is already awake: sched_wake of a RUNNING
	 * vCPU only kicks its CPU, and a blocked one may end WFI early, which WFI allows (RISC-V
	 * priv spec 3.3.3). Only this CPU arms wake_timer (the vCPU is loaded here), and a stop
	 * request is handled by this CPU after we return, whose timer_cancel then sees the armed
	 * timer.
	 */
	if (d != UINT64_MAX)
		timer_arm(&v->wake_timer, d);
}

/*
 * Whether a CPU halting with a vCPU loaded must leave for the full
 * scheduling path; sched_lock held. True when its run queue has something to
 * pick or a reschedule is asked, or when another CPU has vCPUs waiting that
 * this (idle) CPU could pull: the halt must not keep it from balancing.
 */
static bool halt_must_leave(struct cpu *c)
{
	if (c->rq.nr_queued || c->need_resched)
		return true;
	for (unsigned i = 0; i < cpu_count; i++)
		if (rq_of(i)->nr_queued)
			return true;
	return false;
}

/*
 * The halt loop of sched_halt: the CPU idles with v still loaded (c->current
 * NULL meanwhile, so the profiler and `cpus` see an idle CPU) until v can
 * run again here or the CPU has other work. Returns true when v is running
 * again (RUNNING, rq curr, slice timer armed); false when the caller must
 * return to the scheduler loop with v as c->current in whatever state it is
 * (BLOCKED, or RUNNABLE on some rq), which puts it. Its own CPU, no locks.
 */
static bool halt_in_place(struct cpu *c, struct vcpu *v, bool hw_wake)
{
	bool resumed = false;
	uint64_t t0 = time_now_ns(), t1 = t0;
	c->current = NULL;
	__atomic_store_n(&c->idle_since, t0, __ATOMIC_RELAXED);
	for (;;) {
		arch_cpu_idle();
		/*
		 * A pause (or a debugger's hold) needs v off this CPU: its
		 * waiters poll running_cpu. Fences and device work wait for the
		 * next entry as they do for any blocked vCPU; a stop request
		 * wakes v (vcpu_request) and is acted on after the resume.
		 */
		if (__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_PAUSE) {
			t1 = time_now_ns();
			break;
		}
		/* Loaded here: its interrupt state is live (see sched_halt). */
		bool wakeable = hw_wake && arch_vcpu_irq_wakeable(v);
		uint64_t now = time_now_ns();
		spin_lock(&sched_lock);
		if (v->state == VCPU_BLOCKED && wakeable && !held_by_pause(v)) {
			/*
			 * Its own interrupt woke it, nobody enqueued it: run it again
			 * here. After a halt shorter than a slice, the service others
			 * gained meanwhile stays below the swap gap: skip the clamp.
			 */
			if (now - t0 >= c->rq.slice_ns) {
				struct sched_rq *rqs[FV_MAX_CPUS];
				all_rqs(rqs);
				sched_service_place(rqs, cpu_count, &v->se, c->rq.slice_ns);
			}
			if (sched_rq_resume(&c->rq, &v->se, now) == 0) {
				v->state = VCPU_RUNNING;
				c->need_resched = false;
				resumed = true;
			} else if (sched_rq_enqueue(&c->rq, &v->se, now, true) == 0) {
				mark_runnable(v, now);
			}
		}
		if (!resumed && v->state == VCPU_RUNNABLE && c->rq.head == &v->se) {
			/*
			 * Woken (here or by anyone's sched_wake) onto this CPU, first
			 * in line. The enqueue asked this idle CPU to reschedule: this
			 * pick is that reschedule.
			 */
			sched_rq_pick_next(&c->rq, now);
			mark_running(v, now);
			c->need_resched = false;
			resumed = true;
		}
		bool leave = resumed || v->state != VCPU_BLOCKED || halt_must_leave(c);
		spin_unlock(&sched_lock);
		if (leave) {
			t1 = now;
			break;
		}
	}
	__atomic_store_n(&c->stats.idle_ns, c->stats.idle_ns + (t1 - t0), __ATOMIC_RELAXED);
	__atomic_store_n(&c->idle_since, 0, __ATOMIC_RELAXED);
	c->current = v;
	if (resumed) {
		STAT_INC(c->stats.halts_in_place);
		/*
		 * The slice tick stops when it finds the CPU idle: restart it so
		 * that a vCPU queued here later without preempting gets its turn.
		 */
		if (c->rq.nr_queued || slice_timer[c->id].cpu < 0) {
			uint64_t end = sched_rq_slice_end(&c->rq, t1);
			timer_arm(&slice_timer[c->id],
			          end == UINT64_MAX ? t1 + c->rq.slice_ns : end);
		}
	}
	return resumed;
}

bool sched_halt(struct vcpu *v, bool hw_wake)
{
	struct cpu *c = cpu_this();
	uint64_t d = UINT64_MAX;
	bool in_place = false;
	spin_lock(&sched_lock);
	/* The same wake checks as sched_block, for the same reason. */
	if (v->state == VCPU_RUNNING && !arch_vcpu_irq_wakeable(v) &&
	    !(__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & (VCPU_REQ_STOP | VCPU_REQ_WAKE))) {
		v->state = VCPU_BLOCKED;
		d = arch_vcpu_timer_deadline_ns(v);
		if (d != UINT64_MAX && !v->wake_timer.fn)
			timer_event_init(&v->wake_timer, wake_timer_fn, v);
		/*
		 * Nothing else wants this CPU: take v off its run queue (its
		 * weight no longer counts, its vruntime stops) but keep it loaded,
		 * so that a wake-up here costs no put and load. A wake-up from
		 * anywhere enqueues it as usual (sched_wake), here since this CPU
		 * now looks idle, and kicks this CPU.
		 */
		if (c->current == v && c->rq.curr == &v->se && !halt_must_leave(c) &&
		    !held_by_pause(v)) {
			sched_rq_put_prev(&c->rq, time_now_ns(), false);
			in_place = true;
		}
	}
	spin_unlock(&sched_lock);
	/*
	 * With hw_wake the loaded vCPU's own enabled interrupts end the halt,
	 * its timer included: no wake timer needed while it stays loaded.
	 */
	if (d != UINT64_MAX && !(in_place && hw_wake))
		timer_arm(&v->wake_timer, d);
	if (!in_place)
		return v->state == VCPU_RUNNING;
	if (halt_in_place(c, v, hw_wake))
		return true;
	/*
	 * Back to the scheduler loop, which puts v. Still blocked: from now on
	 * only the wake timer can end it at its guest timer deadline (read
	 * while v is loaded). The race with a wake-up is sched_block's.
	 */
	if (hw_wake && __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_BLOCKED) {
		d = arch_vcpu_timer_deadline_ns(v);
		if (d != UINT64_MAX)
			timer_arm(&v->wake_timer, d);
	}
	return false;
}

int sched_set_params(struct vcpu *v, uint32_t weight, uint64_t affinity)
{
	int ret = 0, kick = -1;
	spin_lock(&sched_lock);
	struct sched_entity *se = &v->se;
	struct sched_rq *rq = NULL;
	if ((se->on_rq || se->on_cpu) && se->cpu >= 0 && (unsigned)se->cpu < cpu_count)
		rq = rq_of((unsigned)se->cpu);
	uint64_t now = time_now_ns();
	if (weight)
		ret = sched_rq_set_weight(rq, se, weight, now);
	if (ret == 0 && affinity) {
		ret = sched_rq_set_affinity(rq, se, affinity);
		if (ret == SCHED_AFF_MOVE) {
			/* Queued where it may no longer run: requeue it on an allowed CPU,
			 * keeping the steal-time clock it was waiting on. */
			uint64_t since = v->runnable_since;
			kick = enqueue_locked(v, false);
			v->runnable_since = since;
			rq = NULL; /* its old rq lost an entity: nothing to preempt there */
		}
		ret = ret < 0 ? ret : 0;
	}
	/*
	 * A new weight changes the slices on rq, an affinity that excludes the
	 * running CPU needs a switch: decide now rather than at the old slice
	 * end. The running CPU notices need_resched at its next exit, which the
	 * kick forces.
	 */
	if (ret == 0 && rq && rq->curr && sched_rq_should_preempt(rq, now) && kick < 0)
		kick = resched_cpu((unsigned)rq->cpu);
	spin_unlock(&sched_lock);
	kick_cpu(kick);
	return ret;
}

/* Pull a queued vCPU from a busier CPU; sched_lock held. */
static struct sched_entity *try_pull(struct cpu *c, uint64_t now)
{
	struct sched_rq *rqs[FV_MAX_CPUS];
	all_rqs(rqs);
	struct sched_entity *se;
	int from;
	if (sched_balance_pick(rqs, cpu_count, (int)c->id, &se, &from) != 0)
		return NULL;
	if (sched_rq_migrate(rq_of((unsigned)from), &c->rq, se, now) != 0)
		return NULL;
	STAT_INC(c->stats.migrations_in);
	TRACE(TEV_SCHED_MIGRATE, se_to_vcpu(se)->vm->id, se_to_vcpu(se)->id, (unsigned)from, c->id,
	      0);
	return sched_rq_pick_next(&c->rq, now);
}

/* Whether CPU c's rq should trade an entity with another CPU's (swap balancing); sched_lock held.
 */
static bool swap_wanted(struct cpu *c)
{
	struct sched_rq *rqs[FV_MAX_CPUS];
	struct sched_entity *near, *far;
	int from;
	all_rqs(rqs);
	return sched_balance_swap(rqs, cpu_count, (int)c->id, &near, &far, &from) == 0;
}

/*
 * Swap balancing at a reschedule of CPU c, its previous vCPU already put
 * back: trade the entity that had the most service here for one that had
 * much less on another CPU (sched_rq.h), so equal vCPUs rotate over the
 * CPUs when their number does not divide evenly. sched_lock held. Returns a
 * CPU to kick or -1.
 */
static int try_swap(struct cpu *c, uint64_t now)
{
	struct sched_rq *rqs[FV_MAX_CPUS];
	struct sched_entity *near, *far;
	int from;
	all_rqs(rqs);
	if (sched_balance_swap(rqs, cpu_count, (int)c->id, &near, &far, &from) != 0 ||
	    near == c->rq.curr)
		return -1;
	struct sched_rq *other = rq_of((unsigned)from);
	if (sched_rq_migrate(other, &c->rq, far, now) != 0)
		return -1;
	STAT_INC(c->stats.migrations_in);
	TRACE(TEV_SCHED_MIGRATE, se_to_vcpu(far)->vm->id, se_to_vcpu(far)->id, (unsigned)from,
	      c->id, 0);
	if (sched_rq_migrate(&c->rq, other, near, now) != 0)
		return -1;
	STAT_INC(cpu_table[from]->stats.migrations_in);
	TRACE(TEV_SCHED_MIGRATE, se_to_vcpu(near)->vm->id, se_to_vcpu(near)->id, c->id,
	      (unsigned)from, 0);
	return sched_rq_should_preempt(other, now) ? resched_cpu((unsigned)from) : -1;
}

/* Switch the CPU from prev to next (either may be NULL). No locks held. */
static void switch_vcpu(struct cpu *c, struct vcpu *prev, struct vcpu *next)
{
	if (prev == next)
		return;
	if (prev) {
		arch_vcpu_put(prev);
		/* Before running_cpu is released: the next CPU's sched-in comes after it. */
		TRACE(TEV_SCHED_OUT, prev->vm->id, prev->id, prev->state, 0, 0);
		__atomic_store_n(&prev->running_cpu, -1, __ATOMIC_RELEASE);
	}
	c->current = next;
	if (next) {
		/*
		 * The vCPU may still be loaded on the CPU it left (it was
		 * re-queued and pulled here before that CPU saved it): wait
		 * until that CPU has put it. That CPU puts before it waits on
		 * anyone, so this cannot deadlock.
		 */
		while (__atomic_load_n(&next->running_cpu, __ATOMIC_ACQUIRE) != -1)
			arch_cpu_relax();
		__atomic_store_n(&next->running_cpu, (int)c->id, __ATOMIC_RELEASE);
		/* Before the request checks that follow (park_if_paused, vcpu_run): the
		 * pair of sched_kick's fence. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		TRACE(TEV_SCHED_IN, next->vm->id, next->id, 0, 0, 0);
		arch_vcpu_load(next);
		STAT_INC(c->stats.switches);
	}
}

/*
 * Act on a stop request: the vCPU becomes STOPPED. Returns true if it was
 * running before, in which case the caller must tell its VM once the vCPU
 * is off the CPU (so a VM reset never rewrites a loaded vCPU).
 */
static bool handle_stop_request(struct vcpu *v)
{
	uint32_t req = __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE);
	if (!(req & VCPU_REQ_STOP))
		return false;
	__atomic_fetch_and(&v->requests, ~(uint32_t)VCPU_REQ_STOP, __ATOMIC_ACQ_REL);
	bool was_stopped;
	spin_lock(&sched_lock);
	was_stopped = v->state == VCPU_STOPPED;
	v->state = VCPU_STOPPED;
	spin_unlock(&sched_lock);
	timer_cancel(&v->wake_timer);
	return !was_stopped;
}

void sched_run(void)
{
	struct cpu *c = cpu_this();
	struct vm *stopped_vm = NULL; /* VM whose vCPU stopped here, told after the put */
	for (;;) {
		struct vcpu *prev = c->current;
		uint64_t now = time_now_ns();
		spin_lock(&sched_lock);
		int kick = -1;
		if (prev) {
			bool runnable = prev->state == VCPU_RUNNING;
			if (runnable)
				mark_runnable(prev, now);
			/*
			 * Not requeued although runnable: its new affinity
			 * (sched_set_params) excludes this CPU. Place it on an
			 * allowed one; a CPU that picks it before switch_vcpu()
			 * below has put it waits for the put there.
			 */
			if (!sched_rq_put_prev(&c->rq, now, runnable) && runnable) {
				kick = enqueue_locked(prev, false);
				prev->runnable_since = now;
			}
		}
		int kick2 = prev && c->rq.nr_queued ? try_swap(c, now) : -1;
		struct sched_entity *se = sched_rq_pick_next(&c->rq, now);
		if (!se)
			se = try_pull(c, now);
		struct vcpu *next = se ? se_to_vcpu(se) : NULL;
		if (next)
			mark_running(next, now);
		c->need_resched = false;
		uint64_t slice_end = sched_rq_slice_end(&c->rq, now);
		if (next && slice_end == UINT64_MAX)
			slice_end = now + c->rq.slice_ns;
		spin_unlock(&sched_lock);
		kick_cpu(kick);
		kick_cpu(kick2);

		switch_vcpu(c, prev, next);
		if (stopped_vm) {
			vm_vcpu_stopped(stopped_vm);
			stopped_vm = NULL;
		}
		if (slice_end != UINT64_MAX)
			timer_arm(&slice_timer[c->id], slice_end);
		else
			timer_cancel(&slice_timer[c->id]);

		if (!next) {
			uint64_t t0 = time_now_ns();
			/* Readers (metrics) add the idle period in progress: idle_since != 0. */
			__atomic_store_n(&c->idle_since, t0, __ATOMIC_RELAXED);
			arch_cpu_idle();
			__atomic_store_n(&c->stats.idle_ns, c->stats.idle_ns + (time_now_ns() - t0),
			                 __ATOMIC_RELAXED);
			__atomic_store_n(&c->idle_since, 0, __ATOMIC_RELAXED);
			continue;
		}
		bool stopped = handle_stop_request(next);
		if (!stopped && next->state == VCPU_RUNNING && !park_if_paused(next)) {
			vcpu_run(next);
			stopped = handle_stop_request(next);
			if (!stopped)
				park_if_paused(next);
		}
		if (stopped)
			stopped_vm = next->vm;
	}
}
