// SPDX-License-Identifier: MIT
/*
 * Sampling profiler session and per-CPU sampling timers (core/prof.h).
 */
#include "core/prof.h"

#include "core/arch.h"
#include "core/console.h"
#include "core/ctl_proto.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/timer.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define PROF_PERIOD_MIN_US 100u
#define PROF_PERIOD_MAX_US 1000000u

/* The session. Written by the control channel, read by every CPU's timer. */
bool prof_running;              /* atomic: a session runs (prof.h) */
static uint32_t generation;     /* atomic: bumped per start, CPUs compare armed[] */
static const struct vm *target; /* compared, never dereferenced by the timers */
static uint64_t period_ns;

static struct prof_buf *bufs[FV_MAX_CPUS]; /* allocated at the first start, kept */
static struct timer_event ticks[FV_MAX_CPUS];
static uint32_t armed[FV_MAX_CPUS]; /* generation each CPU's timer was armed for */
/*
 * Per CPU, written only by that CPU: when its sampling timer is due (ns), and whether the
 * sample for that expiry was already taken in the hypervisor (prof_hyp_sample), so the
 * timer callback that runs after the exit does not take a second one.
 */
static uint64_t due_ns[FV_MAX_CPUS];
static bool hyp_taken[FV_MAX_CPUS];

static void prof_arm(struct timer_event *ev, unsigned cpu)
{
	uint64_t due = time_now_ns() + period_ns;
	__atomic_store_n(&due_ns[cpu], due, __ATOMIC_RELAXED);
	timer_arm(ev, due);
}

static void prof_tick(struct timer_event *ev, void *arg)
{
	UNUSED(arg);
	struct cpu *c = cpu_this();
	if (!__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE))
		return;
	struct prof_buf *b = bufs[c->id];
	if (__atomic_load_n(&hyp_taken[c->id], __ATOMIC_RELAXED)) {
		/* Taken inside the exit handler that delayed this callback: one per expiry. */
		__atomic_store_n(&hyp_taken[c->id], false, __ATOMIC_RELAXED);
		prof_arm(ev, c->id);
		return;
	}
	struct prof_sample s = {0};
	s.cpu = (uint16_t)c->id;
	/*
	 * Host interrupts are handled either on a guest exit of the loaded vCPU
	 * (exit_irq: its saved sepc is where the guest was interrupted) or in the
	 * idle loop with nothing loaded (the hypervisor never takes an interrupt
	 * elsewhere: it runs with SIE clear).
	 */
	struct vcpu *v = c->current;
	bool record = true;
	if (v) {
		if (v->vm == __atomic_load_n(&target, __ATOMIC_ACQUIRE))
			arch_prof_guest_sample(v, &s);
		else
			record = false; /* another VM's vCPU: never in this profile */
	} else {
		s.pc = arch_prof_idle_pc();
		s.vcpu = 0xffffffffu;
		s.flags = PROF_F_HYP;
	}
	if (record && !prof_buf_push(b, &s))
		return; /* full: stop ticking on this CPU, the session keeps what it has */
	prof_arm(ev, c->id);
}

bool prof_hyp_sample(const struct vcpu *v, uint64_t pc)
{
	struct cpu *c = cpu_this();
	if (!__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&hyp_taken[c->id], __ATOMIC_RELAXED))
		return false;
	/* The trap says some timer is due, maybe not this one (a time slice, a guest timer). */
	if (time_now_ns() < __atomic_load_n(&due_ns[c->id], __ATOMIC_RELAXED))
		return false;
	/* Work for another VM's vCPU is not this profile's, as prof_tick decides too. */
	if (v->vm != __atomic_load_n(&target, __ATOMIC_ACQUIRE))
		return false;
	struct prof_sample s = {0};
	s.cpu = (uint16_t)c->id;
	s.pc = pc;
	s.vcpu = 0xffffffffu;
	s.flags = PROF_F_HYP;
	/* Full: leave it to prof_tick, which finds the buffer full and stops this CPU. */
	if (!prof_buf_push(bufs[c->id], &s))
		return false;
	__atomic_store_n(&hyp_taken[c->id], true, __ATOMIC_RELAXED);
	return true;
}

void prof_vm_freed(const struct vm *vm)
{
	/* Same context as prof_start (the console tick): no race on target with it. */
	if (target == vm)
		__atomic_store_n(&target, NULL, __ATOMIC_RELEASE);
}

void prof_cpu_poll(void)
{
	if (!__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE))
		return;
	struct cpu *c = cpu_this();
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
	if (armed[c->id] == gen)
		return;
	armed[c->id] = gen;
	__atomic_store_n(&hyp_taken[c->id], false, __ATOMIC_RELAXED);
	prof_arm(&ticks[c->id], c->id);
}

static int alloc_bufs(void)
{
	size_t pages = (sizeof(struct prof_buf) + PAGE_SIZE - 1) / PAGE_SIZE;
	for (unsigned i = 0; i < cpu_count; i++) {
		if (bufs[i])
			continue;
		hpa_t pa;
		if (mem_alloc_pages(pages, 1, &pa))
			return -1;
		bufs[i] = mem_phys_to_virt(pa);
		timer_event_init(&ticks[i], prof_tick, NULL);
	}
	return 0;
}

uint32_t prof_start(const struct vm *vm, uint32_t period_us)
{
	if (__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE))
		return CTL_E_BUSY;
	if (period_us < PROF_PERIOD_MIN_US || period_us > PROF_PERIOD_MAX_US)
		return CTL_E_BAD_FIELD;
	if (alloc_bufs())
		return CTL_E_NO_MEMORY;
	/* No timer runs (not active, each cancelled at stop): the buffers are ours to reset. */
	for (unsigned i = 0; i < cpu_count; i++)
		prof_buf_reset(bufs[i]);
	target = vm;
	period_ns = (uint64_t)period_us * 1000u;
	__atomic_fetch_add(&generation, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&prof_running, true, __ATOMIC_RELEASE);
	/* Each CPU arms its own timer on its next host interrupt: make that now. */
	prof_cpu_poll();
	for (unsigned i = 0; i < cpu_count; i++)
		if (cpu_table[i] != cpu_this())
			arch_cpu_kick(cpu_table[i]);
	pr_info("prof: sampling VM '%s' every %u us", vm->name, period_us);
	return CTL_OK;
}

uint32_t prof_stop(void)
{
	if (!__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE))
		return CTL_OK;
	__atomic_store_n(&prof_running, false, __ATOMIC_RELEASE);
	/* A tick already past its active check may still push one sample: the count publishes it.
	 */
	for (unsigned i = 0; i < cpu_count; i++)
		timer_cancel(&ticks[i]);
	pr_info("prof: session stopped");
	return CTL_OK;
}

uint32_t prof_read(uint32_t offset, uint8_t *out, uint32_t cap, uint32_t *status)
{
	if (__atomic_load_n(&prof_running, __ATOMIC_ACQUIRE)) {
		*status = CTL_E_BAD_STATE;
		return 0;
	}
	*status = CTL_OK;
	/* Never started: no buffers, an empty profile. */
	if (!bufs[0])
		return prof_buf_encode(NULL, 0, offset, out, cap);
	return prof_buf_encode((const struct prof_buf *const *)bufs, cpu_count, offset, out, cap);
}
