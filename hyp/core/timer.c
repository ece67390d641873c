// SPDX-License-Identifier: MIT
/*
 * Per-CPU software timers on top of one hardware deadline per CPU.
 * Each CPU owns a sorted queue; arming happens on the owning CPU, cancel
 * may come from any CPU (it takes that queue's lock).
 */
#include "core/timer.h"
#include "core/arch.h"
#include "core/percpu.h"

static uint64_t tb_hz = 10000000;

void time_init(uint64_t timebase_hz)
{
	if (timebase_hz && timebase_hz < (1ULL << 34))
		tb_hz = timebase_hz;
}

uint64_t time_freq_hz(void)
{
	return tb_hz;
}

/*
 * Split into whole seconds and remainder so every product fits in 64 bits
 * (timebases up to 2^34 Hz) without 128-bit division helpers.
 */
uint64_t time_ticks_to_ns(uint64_t ticks)
{
	return (ticks / tb_hz) * 1000000000ULL + ((ticks % tb_hz) * 1000000000ULL) / tb_hz;
}

uint64_t time_ns_to_ticks(uint64_t ns)
{
	return (ns / 1000000000ULL) * tb_hz +
	       ((ns % 1000000000ULL) * tb_hz + 999999999ULL) / 1000000000ULL;
}

uint64_t time_now_ns(void)
{
	return time_ticks_to_ns(arch_time_ticks());
}

void timer_event_init(struct timer_event *ev, timer_fn fn, void *arg)
{
	ev->deadline = UINT64_MAX;
	ev->fn = fn;
	ev->arg = arg;
	ev->next = NULL;
	ev->cpu = -1;
}

/* Unlink ev from q; q->lock held. */
static void unlink_locked(struct timer_queue *q, struct timer_event *ev)
{
	struct timer_event **pp = &q->head;
	while (*pp) {
		if (*pp == ev) {
			*pp = ev->next;
			break;
		}
		pp = &(*pp)->next;
	}
	ev->next = NULL;
	ev->cpu = -1;
}

void timer_cancel(struct timer_event *ev)
{
	for (;;) {
		int cpu = __atomic_load_n(&ev->cpu, __ATOMIC_ACQUIRE);
		if (cpu < 0)
			return;
		struct timer_queue *q = &cpu_table[cpu]->timers;
		spin_lock(&q->lock);
		/* Re-check under the lock: it may have fired or moved meanwhile. */
		if (ev->cpu == cpu) {
			unlink_locked(q, ev);
			spin_unlock(&q->lock);
			return;
		}
		spin_unlock(&q->lock);
	}
}

void timer_arm(struct timer_event *ev, uint64_t deadline_ns)
{
	timer_cancel(ev);
	struct cpu *c = cpu_this();
	struct timer_queue *q = &c->timers;
	spin_lock(&q->lock);
	ev->deadline = deadline_ns;
	struct timer_event **pp = &q->head;
	while (*pp && (*pp)->deadline <= deadline_ns)
		pp = &(*pp)->next;
	ev->next = *pp;
	*pp = ev;
	__atomic_store_n(&ev->cpu, (int)c->id, __ATOMIC_RELEASE);
	bool first = q->head == ev;
	spin_unlock(&q->lock);
	if (first)
		timer_reprogram();
}

void timer_reprogram(void)
{
	struct timer_queue *q = &cpu_this()->timers;
	spin_lock(&q->lock);
	uint64_t d = q->head ? q->head->deadline : UINT64_MAX;
	spin_unlock(&q->lock);
	arch_timer_program(d == UINT64_MAX ? UINT64_MAX : time_ns_to_ticks(d));
}

void timer_handle_expired(void)
{
	struct timer_queue *q = &cpu_this()->timers;
	for (;;) {
		uint64_t now = time_now_ns();
		spin_lock(&q->lock);
		struct timer_event *ev = q->head;
		if (!ev || ev->deadline > now) {
			spin_unlock(&q->lock);
			break;
		}
		unlink_locked(q, ev);
		spin_unlock(&q->lock);
		/* Called without the queue lock so the callback may re-arm. */
		ev->fn(ev, ev->arg);
	}
	timer_reprogram();
}
