/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_TIMER_H
#define FV_CORE_TIMER_H

/*
 * Per-CPU one-shot software timers multiplexed onto the CPU's hardware
 * timer. Time is in nanoseconds of the platform time base (time_now_ns()).
 */
#include "lib/types.h"
#include "core/spinlock.h"

struct timer_event;
typedef void (*timer_fn)(struct timer_event *ev, void *arg);

struct timer_event {
	uint64_t deadline; /* ns */
	timer_fn fn;
	void *arg;
	struct timer_event *next;
	int cpu; /* queue it is armed on, -1 when idle */
};

struct timer_queue {
	struct spinlock lock; /* protects head and every queued event's links/cpu */
	struct timer_event *head;
};

/* Platform time in ns since boot (monotonic, same on all CPUs). */
uint64_t time_now_ns(void);
/* Convert between ns and platform ticks. */
uint64_t time_ns_to_ticks(uint64_t ns);
uint64_t time_ticks_to_ns(uint64_t ticks);
/* Set once at boot from the device tree timebase. */
void time_init(uint64_t timebase_hz);
uint64_t time_freq_hz(void);

void timer_event_init(struct timer_event *ev, timer_fn fn, void *arg);
/* Arm (or re-arm) ev on the calling CPU at deadline_ns. Any CPU may cancel. */
void timer_arm(struct timer_event *ev, uint64_t deadline_ns);
/* Cancel ev wherever it is armed; no-op if not armed. */
void timer_cancel(struct timer_event *ev);
/* Run expired events of the calling CPU and reprogram its hardware timer. */
void timer_handle_expired(void);
/* Reprogram the calling CPU's hardware timer for its earliest event. */
void timer_reprogram(void);

#endif
