// SPDX-License-Identifier: MIT
/*
 * Boot-CPU work on request (contract and bounds in bootwork.h). One word of
 * pending bits, set by any CPU with an atomic OR; the CPU whose OR found the
 * word empty sends the IPI, so a burst of requests costs one interrupt. The
 * boot CPU takes the word with an exchange and runs the handlers by table.
 * During a pause (requeue or pacing) the word holds HOLD, so requests send
 * no IPI; the timer's round clears it.
 */
#include "core/bootwork.h"
#include "core/arch.h"
#include "core/ctl.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "core/vconsole.h"

static const struct {
	unsigned bit;
	bool (*fn)(void); /* true: budget spent, more remains */
} handlers[] = {
    {BOOTWORK_CON, conmux_service},
    {BOOTWORK_CTL, ctl_service},
};

/* In pending while a pause runs: requests find the word non-empty and send no IPI. */
#define HOLD (1u << 31)

static unsigned pending;  /* requested bits (atomic) */
static int boot_cpu = -1; /* set once by bootwork_init */
static bool deferred;     /* boot CPU only: the requeue timer is armed */
static struct timer_event requeue_timer;
static struct bootwork_stats st; /* requests: atomic; the rest: boot CPU */

/* Boot CPU: no round before @delay_ns from now; the timer runs what is pending then. */
static void pause_for(uint64_t delay_ns)
{
	/* A round that looked long because the CPU itself stalled must not stall requests. */
	if (delay_ns > BOOTWORK_PAUSE_MAX_NS)
		delay_ns = BOOTWORK_PAUSE_MAX_NS;
	__atomic_fetch_or(&pending, HOLD, __ATOMIC_RELEASE);
	deferred = true;
	timer_arm(&requeue_timer, time_now_ns() + delay_ns);
}

/* Boot CPU: take the pending bits and run their handlers once each. */
static void run_round(void)
{
	unsigned bits = __atomic_exchange_n(&pending, 0, __ATOMIC_ACQUIRE) & ~HOLD;
	if (!bits)
		return;
	st.runs++;
	uint64_t t0 = time_now_ns();
	unsigned more = 0;
	for (size_t i = 0; i < ARRAY_SIZE(handlers); i++)
		if ((bits & handlers[i].bit) && handlers[i].fn())
			more |= handlers[i].bit;
	uint64_t spent = time_now_ns() - t0;
	if (more) {
		/* Work left: put the bits back and continue after a pause for this CPU's vCPUs. */
		st.requeues++;
		__atomic_fetch_or(&pending, more, __ATOMIC_RELEASE);
		pause_for(spent > BOOTWORK_REQUEUE_NS ? spent : BOOTWORK_REQUEUE_NS);
	} else if (spent >= BOOTWORK_PACE_MIN_NS) {
		/* A long round: a longer pause, so requests arriving back to back get a third. */
		st.paced++;
		pause_for(spent * BOOTWORK_PACE_FACTOR);
	}
}

static void requeue_fn(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	UNUSED(arg);
	deferred = false;
	run_round();
}

void bootwork_init(void)
{
	timer_event_init(&requeue_timer, requeue_fn, NULL);
	__atomic_store_n(&boot_cpu, (int)cpu_this()->id, __ATOMIC_RELEASE);
}

void bootwork_request(unsigned bits)
{
	int cpu = __atomic_load_n(&boot_cpu, __ATOMIC_ACQUIRE);
	if (cpu < 0)
		return; /* before boot finished: the console tick (once started) does it all */
	if (__atomic_fetch_or(&pending, bits, __ATOMIC_ACQ_REL) != 0)
		return; /* an IPI is on its way, or a round is requeued */
	__atomic_fetch_add(&st.requests, 1, __ATOMIC_RELAXED);
	/* Also to this very CPU: the IPI is taken before the interrupted vCPU resumes. */
	arch_cpu_kick(cpu_table[cpu]);
}

void bootwork_run(void)
{
	if ((int)cpu_this()->id != __atomic_load_n(&boot_cpu, __ATOMIC_RELAXED) || deferred)
		return;
	run_round();
}

void bootwork_get_stats(struct bootwork_stats *out)
{
	out->requests = __atomic_load_n(&st.requests, __ATOMIC_RELAXED);
	out->runs = st.runs;
	out->requeues = st.requeues;
	out->paced = st.paced;
}
