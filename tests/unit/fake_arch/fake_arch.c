// SPDX-License-Identifier: MIT
/*
 * The unit tests' fake architecture (fake_arch.h): every hook core's vCPU and scheduler code
 * calls, with the guest replaced by a per-vCPU script and time by a counter that moves on
 * each read. Also the few core functions those files call elsewhere (vm_vcpu_stopped,
 * vm_virtio_service, panic), recorded for the tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_arch.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/sched.h"
#include "core/timer.h"

struct fake_record fake_rec;
struct fake_fail fake_fail;
struct cpu *cpu_table[FV_MAX_CPUS];
unsigned cpu_count;

static struct cpu cpus[FAKE_NR_CPUS];
static struct cpu *current_cpu;
static jmp_buf idle_jmp;
static uint64_t ticks;
static struct vm vm_storage;
static struct vcpu vcpu_storage[VM_MAX_VCPUS];

struct cpu *cpu_this(void)
{
	return current_cpu;
}

/* 1 GHz time base moving 1 us per read: slices (ms) never end within a test. */
uint64_t arch_time_ticks(void)
{
	return ticks += 1000;
}

void arch_timer_program(uint64_t deadline_ticks)
{
	UNUSED(deadline_ticks);
}

void arch_cpu_kick(struct cpu *target)
{
	fake_rec.kicks[target->id]++;
}

void arch_cpu_relax(void)
{
}

bool (*fake_idle_hook)(unsigned cpu);

/*
 * The CPU waits for an interrupt. With fake_idle_hook set and answering true, an interrupt
 * came (the hook made it happen): return as a real wfi does. Otherwise the CPU has nothing
 * to run: back to fake_run_cpu (no lock is held here).
 */
void arch_cpu_idle(void)
{
	fake_rec.idles++;
	if (fake_idle_hook && fake_idle_hook(current_cpu->id))
		return;
	longjmp(idle_jmp, 1);
}

void arch_vcpu_reset(struct vcpu *v, gpa_t entry, uint64_t a0, uint64_t a1)
{
	struct vcpu_arch *a = &v->arch;
	/* The script is the test's, not guest state: it survives a power-on. */
	a->entry = entry;
	a->a0 = a0;
	a->a1 = a1;
	a->resets++;
	a->irq_pending = false;
}

void arch_vcpu_load(struct vcpu *v)
{
	if (v->arch.loaded)
		fail_msg("vCPU loaded twice");
	v->arch.loaded = true;
	v->arch.loads++;
}

void arch_vcpu_put(struct vcpu *v)
{
	if (!v->arch.loaded)
		fail_msg("vCPU put without a load");
	v->arch.loaded = false;
}

void arch_vcpu_run_prepare(struct vcpu *v)
{
	v->arch.prepares++;
}

void arch_vcpu_fence(struct vcpu *v, uint32_t reqs)
{
	v->arch.fences |= reqs;
	v->arch.fence_calls++;
}

bool arch_vcpu_irq_wakeable(struct vcpu *v)
{
	return v->arch.irq_pending;
}

uint64_t arch_vcpu_timer_deadline_ns(struct vcpu *v)
{
	UNUSED(v);
	return UINT64_MAX;
}

/* One entry: the script's next action, as the guest's exit would make the arch do. */
bool arch_vcpu_enter(struct vcpu *v)
{
	struct vcpu_arch *a = &v->arch;
	if (!a->loaded)
		fail_msg("entered a vCPU that is not loaded");
	if (v->state != VCPU_RUNNING)
		fail_msg("entered a vCPU that is not RUNNING");
	if (++a->entries > 1000)
		fail_msg("vCPU entered 1000 times: the run loop does not stop");
	enum fake_action act = FA_WFI;
	uint32_t arg = 0;
	if (a->script_pos < a->script_len) {
		act = (enum fake_action)a->script[a->script_pos];
		arg = a->script_arg[a->script_pos++];
	}
	switch (act) {
	case FA_WFI:
		sched_block(v);
		return true;
	case FA_EXIT:
		return false;
	case FA_YIELD:
		cpu_this()->need_resched = true;
		return false;
	case FA_CPU_ON:
		if (vcpu_power_on(v->vm->vcpus[arg], 0x1000 + arg, arg, 0) != 0)
			fail_msg("CPU-on of vCPU %u refused", arg);
		return false;
	case FA_CPU_OFF:
		vcpu_request(v, VCPU_REQ_STOP);
		return true;
	case FA_POST:
		__atomic_fetch_or(&v->requests, arg, __ATOMIC_ACQ_REL);
		return false;
	case FA_HALT:
		return !sched_halt(v, true);
	}
	return true;
}

void panic(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void fake_arch_setup(void)
{
	memset(&fake_rec, 0, sizeof(fake_rec));
	memset(&fake_fail, 0, sizeof(fake_fail));
	fake_idle_hook = NULL;
	fake_fail.alloc_after = -1;
	memset(cpus, 0, sizeof(cpus));
	ticks = 0;
	time_init(1000000000ULL);
	cpu_count = FAKE_NR_CPUS;
	for (unsigned i = 0; i < FAKE_NR_CPUS; i++) {
		cpus[i].id = i;
		cpus[i].hw_id = 100 + i;
		cpus[i].online = true;
		cpu_table[i] = &cpus[i];
	}
	for (unsigned i = 0; i < FAKE_NR_CPUS; i++) {
		current_cpu = &cpus[i];
		sched_cpu_init(&cpus[i], 10000000ULL);
	}
	current_cpu = &cpus[0];
}

struct vm *fake_vm(unsigned nr)
{
	struct vm *vm = &vm_storage;
	memset(vm, 0, sizeof(*vm));
	memset(vcpu_storage, 0, sizeof(vcpu_storage));
	vm->nr_vcpus = nr;
	vm->state = VM_RUNNING;
	for (unsigned i = 0; i < nr; i++) {
		struct vcpu *v = &vcpu_storage[i];
		v->vm = vm;
		v->id = i;
		v->running_cpu = -1;
		if (sched_entity_init(&v->se, 1, (1ULL << FAKE_NR_CPUS) - 1) != 0)
			fail_msg("sched_entity_init");
		vm->vcpus[i] = v;
	}
	return vm;
}

void fake_script(struct vcpu *v, enum fake_action a, uint32_t arg)
{
	struct vcpu_arch *va = &v->arch;
	if (va->script_len >= FAKE_SCRIPT_MAX)
		fail_msg("script too long");
	va->script[va->script_len] = (uint8_t)a;
	va->script_arg[va->script_len++] = arg;
}

void fake_run_cpu(unsigned cpu)
{
	current_cpu = &cpus[cpu];
	if (setjmp(idle_jmp) == 0)
		sched_run();
	/* Idle: what it ran was put (switch_vcpu) before the CPU idled. */
}
