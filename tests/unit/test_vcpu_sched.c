// SPDX-License-Identifier: MIT
/*
 * Host unit tests of core's vCPU lifecycle and run loop (vcpu.c, vcpu_run.c) with the real
 * scheduler (sched.c, sched_rq.c) and timers (timer.c), unchanged, on the fake architecture
 * (tests/unit/fake_arch): power-on and its refusal, requests acted on before entry, stop
 * requests racing with a queued or running vCPU, a secondary vCPU started and stopped by
 * its sibling's firmware calls, requests posted while the guest runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fake_arch.h"
#include "core/sched.h"
#include "core/vm_virtio.h"
#include "lib/fv_err.h"

/* vm.c's and vm_virtio.c's side, recorded (this test links neither). */
void vm_vcpu_stopped(struct vm *vm)
{
	fake_rec.vm_stopped++;
	fake_rec.last_stopped_vm = vm;
}

void vm_virtio_service(struct vcpu *v)
{
	UNUSED(v);
	fake_rec.virtio_service++;
}

static int setup(void **state)
{
	UNUSED(state);
	fake_arch_setup();
	return 0;
}

/* Boot vCPU 0 as vm_start does and run CPU 0 until idle. */
static struct vcpu *boot_vcpu0(struct vm *vm)
{
	struct vcpu *v = vm->vcpus[0];
	assert_int_equal(vcpu_power_on(v, 0x80000000, 0, 0x8f000000), 0);
	return v;
}

static void test_power_on_runs_once_then_blocks(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = boot_vcpu0(vm);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_true(v->start_pending);
	assert_int_equal(v->arch.resets, 1);
	assert_int_equal(v->arch.entry, 0x80000000);
	assert_int_equal(v->arch.a1, 0x8f000000);
	/* Powered on already: a second power-on is refused and resets nothing. */
	assert_int_equal(vcpu_power_on(v, 0x1234, 1, 2), -FV_EBUSY);
	assert_int_equal(v->arch.resets, 1);

	fake_run_cpu(0);
	assert_int_equal(v->arch.prepares, 1);
	assert_int_equal(v->arch.entries, 1); /* the script is empty: WFI at once */
	assert_false(v->start_pending);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_int_equal(v->running_cpu, -1);
	assert_false(v->arch.loaded);
	assert_int_equal(fake_rec.vm_stopped, 0);
}

static void test_requests_acted_on_before_entry(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = boot_vcpu0(vm);
	fake_run_cpu(0);
	assert_int_equal(v->state, VCPU_BLOCKED);
	/* Fences do not wake a blocked vCPU: they wait for its next entry. */
	vcpu_request(v, VCPU_REQ_TLB_FLUSH | VCPU_REQ_FENCE_I | VCPU_REQ_IO);
	assert_int_equal(v->state, VCPU_BLOCKED);
	/* An interrupt does. */
	v->arch.irq_pending = true;
	vcpu_virq_raise(v, VIRQ_EXT);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_int_equal(v->virq_pending, VIRQ_EXT);
	assert_int_equal(v->stats.irqs_injected, 1);
	v->arch.irq_pending = false;
	fake_run_cpu(0);
	assert_int_equal(v->arch.fence_calls, 1);
	assert_int_equal(v->arch.fences, VCPU_REQ_TLB_FLUSH | VCPU_REQ_FENCE_I);
	assert_int_equal(fake_rec.virtio_service, 1);
	assert_int_equal(v->requests, 0);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->state, VCPU_BLOCKED);
}

static void test_stop_of_queued_vcpu_never_enters(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = boot_vcpu0(vm);
	/* VM stop before the vCPU ever ran: it stops without entering the guest. */
	vcpu_request(v, VCPU_REQ_STOP);
	fake_run_cpu(0);
	assert_int_equal(v->arch.entries, 0);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(fake_rec.vm_stopped, 1);
	assert_ptr_equal(fake_rec.last_stopped_vm, vm);
	assert_int_equal(v->running_cpu, -1);
	assert_false(v->arch.loaded);
	/* The stop was consumed: a VM reset powers it on again and it runs. */
	assert_int_equal(v->requests, 0);
	assert_int_equal(vcpu_power_on(v, 0x80000000, 0, 0), 0);
	fake_run_cpu(0);
	assert_int_equal(v->arch.entries, 1);
	assert_int_equal(v->arch.resets, 2);
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_stop_of_blocked_vcpu_wakes_and_stops_it(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = boot_vcpu0(vm);
	fake_run_cpu(0);
	assert_int_equal(v->state, VCPU_BLOCKED);
	vcpu_request(v, VCPU_REQ_STOP);
	assert_int_equal(v->state, VCPU_RUNNABLE); /* a stop must run to be acted on */
	fake_run_cpu(0);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(v->arch.entries, 1); /* not entered again */
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_stop_posted_while_in_guest_leaves_before_reentry(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = vm->vcpus[0];
	/* Two exits that need the loop; during the second another CPU posts a stop. */
	fake_script(v, FA_EXIT, 0);
	fake_script(v, FA_POST, VCPU_REQ_STOP);
	fake_script(v, FA_EXIT, 0);
	boot_vcpu0(vm);
	fake_run_cpu(0);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_paused_vm_parks_then_resumes_and_stop_gets_through(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = boot_vcpu0(vm);
	/* vm_pause: paused first, then the request. The queued vCPU parks without entering. */
	__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
	vcpu_request(v, VCPU_REQ_PAUSE);
	fake_run_cpu(0);
	assert_int_equal(v->arch.entries, 0);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_true(v->pause_wake);
	assert_int_equal(fake_rec.vm_stopped, 0);
	/* A wake event while paused is kept, not acted on. */
	vcpu_kick(v);
	assert_int_equal(v->state, VCPU_BLOCKED);
	/* vm_resume: paused cleared, then sched_unpause requeues it; it runs (WFI). */
	__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	sched_unpause(v);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	fake_run_cpu(0);
	fake_run_cpu(1);
	assert_int_equal(v->arch.entries, 1);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_false(v->pause_wake);
	/* Paused again, blocked: a stop request (VM stop/destroy) still gets through. */
	__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
	vcpu_request(v, VCPU_REQ_STOP);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	fake_run_cpu(0);
	fake_run_cpu(1);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(v->arch.entries, 1);
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_secondary_vcpu_started_and_stopped_by_sibling(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(2);
	struct vcpu *v0 = vm->vcpus[0], *v1 = vm->vcpus[1];
	fake_script(v0, FA_CPU_ON, 1); /* firmware CPU-on of vCPU 1, then WFI */
	fake_script(v1, FA_EXIT, 0);
	fake_script(v1, FA_CPU_OFF, 0);
	boot_vcpu0(vm);
	fake_run_cpu(0);
	assert_int_equal(v1->arch.resets, 1);
	assert_int_equal(v1->arch.entry, 0x1001);
	assert_int_equal(v1->arch.a0, 1);
	assert_true(v1->start_pending);
	/* Whichever CPU it was queued on runs it. */
	fake_run_cpu(0);
	fake_run_cpu(1);
	assert_int_equal(v1->arch.entries, 2);
	assert_false(v1->start_pending);
	assert_int_equal(v1->state, VCPU_STOPPED);
	assert_int_equal(fake_rec.vm_stopped, 1);
	/* The sibling stays blocked; vCPU 1 can be started again. */
	assert_int_equal(v0->state, VCPU_BLOCKED);
	assert_int_equal(vcpu_power_on(v1, 0x2000, 1, 0), 0);
	assert_int_equal(v1->arch.resets, 2);
	fake_run_cpu(0);
	fake_run_cpu(1);
	assert_int_equal(v1->arch.entries, 3);
	assert_int_equal(v1->state, VCPU_BLOCKED);
}

static void test_yield_requeues_and_runs_again(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(1);
	struct vcpu *v = vm->vcpus[0];
	fake_script(v, FA_YIELD, 0);
	fake_script(v, FA_YIELD, 0);
	boot_vcpu0(vm);
	fake_run_cpu(0);
	/* Each yield went back through the scheduler (a new switch-in: prepare again). */
	assert_int_equal(v->arch.entries, 3);
	assert_int_equal(v->arch.prepares, 3);
	assert_int_equal(v->state, VCPU_BLOCKED);
}

/* --- halting in place (sched_halt): the idle hook plays the interrupts --- */

static struct vcpu *hook_vcpu;
static unsigned hook_calls;
static enum { HOOK_OWN_IRQ, HOOK_IPI, HOOK_PAUSE, HOOK_WAKE_ELSEWHERE } hook_mode;

static bool halt_hook(unsigned cpu)
{
	struct vcpu *v = hook_vcpu;
	if (hook_calls++ > 0)
		return false; /* one interrupt only: afterwards the CPU stays idle */
	/* Halting in place: still loaded, off its run queue, the CPU looks idle. */
	assert_true(v->arch.loaded);
	assert_int_equal(v->running_cpu, (int)cpu);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_null(cpu_table[cpu]->current);
	assert_null(cpu_table[cpu]->rq.curr);
	assert_int_equal(cpu_table[cpu]->rq.load, 0);
	switch (hook_mode) {
	case HOOK_OWN_IRQ: /* its own enabled interrupt (a timer): nobody calls sched_wake */
		v->arch.irq_pending = true;
		break;
	case HOOK_IPI: /* a sibling's IPI: the line is raised and it is woken */
		v->arch.irq_pending = true;
		vcpu_virq_raise(v, VIRQ_SOFT);
		assert_int_equal(v->state, VCPU_RUNNABLE);
		break;
	case HOOK_PAUSE: /* vm_pause */
		__atomic_store_n(&v->vm->paused, true, __ATOMIC_RELEASE);
		vcpu_request(v, VCPU_REQ_PAUSE);
		break;
	case HOOK_WAKE_ELSEWHERE: /* pinned to CPU 1 meanwhile, then woken: placed there */
		assert_int_equal(sched_set_params(v, 0, 2), 0);
		v->arch.irq_pending = true;
		vcpu_virq_raise(v, VIRQ_EXT);
		assert_int_equal(v->state, VCPU_RUNNABLE);
		assert_int_equal(v->se.cpu, 1);
		assert_true(v->arch.loaded); /* CPU 1 must wait for CPU 0's put */
		break;
	}
	return true;
}

static struct vcpu *halt_setup(enum fake_action after)
{
	struct vm *vm = fake_vm(1);
	struct vcpu *v = vm->vcpus[0];
	fake_script(v, FA_HALT, 0);
	fake_script(v, after, 0);
	hook_vcpu = v;
	hook_calls = 0;
	fake_idle_hook = halt_hook;
	boot_vcpu0(vm);
	return v;
}

static void test_halt_in_place_resumes_on_own_irq_without_put_or_load(void **state)
{
	UNUSED(state);
	hook_mode = HOOK_OWN_IRQ;
	struct vcpu *v = halt_setup(FA_CPU_OFF);
	fake_run_cpu(0);
	/* Halted, woken by its own interrupt, entered again (then CPU-off): one load only. */
	assert_int_equal(hook_calls, 2);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->arch.loads, 1);
	assert_int_equal(v->arch.prepares, 1); /* no trip through the scheduler loop */
	assert_int_equal(cpu_table[0]->stats.halts_in_place, 1);
	assert_int_equal(cpu_table[0]->stats.switches, 1);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_false(v->arch.loaded);
	assert_int_equal(v->running_cpu, -1);
	/* The run queue took it back as its running entity, then let it go. */
	assert_null(cpu_table[0]->rq.curr);
	assert_int_equal(cpu_table[0]->rq.load, 0);
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_halt_in_place_resumes_on_ipi_wake(void **state)
{
	UNUSED(state);
	hook_mode = HOOK_IPI;
	struct vcpu *v = halt_setup(FA_CPU_OFF);
	fake_run_cpu(0);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->arch.loads, 1);
	assert_int_equal(cpu_table[0]->stats.halts_in_place, 1);
	/* The wake came from this CPU: no IPI to anyone. */
	assert_int_equal(fake_rec.kicks[0] + fake_rec.kicks[1], 0);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(fake_rec.vm_stopped, 1);
}

static void test_halt_left_for_pause_puts_the_vcpu(void **state)
{
	UNUSED(state);
	hook_mode = HOOK_PAUSE;
	struct vcpu *v = halt_setup(FA_CPU_OFF);
	fake_run_cpu(0);
	/* The pause needs it off the CPU: put, still blocked, not entered again. */
	assert_int_equal(v->arch.entries, 1);
	assert_false(v->arch.loaded);
	assert_int_equal(v->running_cpu, -1);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_int_equal(v->requests, 0); /* the pause request was consumed */
	assert_int_equal(cpu_table[0]->stats.halts_in_place, 0);
	assert_null(cpu_table[0]->current);
	/* A wake-up while paused is kept for the resume, which runs it. */
	v->arch.irq_pending = true;
	vcpu_kick(v);
	assert_int_equal(v->state, VCPU_BLOCKED);
	assert_true(v->pause_wake);
	__atomic_store_n(&v->vm->paused, false, __ATOMIC_RELEASE);
	sched_unpause(v);
	fake_run_cpu(0);
	fake_run_cpu(1);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->arch.loads, 2);
	assert_int_equal(v->state, VCPU_STOPPED);
}

static void test_halt_woken_onto_another_cpu_is_put_before_it_runs_there(void **state)
{
	UNUSED(state);
	hook_mode = HOOK_WAKE_ELSEWHERE;
	struct vcpu *v = halt_setup(FA_CPU_OFF);
	fake_run_cpu(0);
	/* CPU 0 left the halt and put it; it waits on CPU 1's queue. */
	assert_false(v->arch.loaded);
	assert_int_equal(v->running_cpu, -1);
	assert_int_equal(v->state, VCPU_RUNNABLE);
	assert_true(v->se.on_rq);
	assert_int_equal(v->se.cpu, 1);
	assert_int_equal(cpu_table[0]->stats.halts_in_place, 0);
	assert_int_equal(cpu_table[0]->rq.load, 0);
	fake_run_cpu(1);
	assert_int_equal(v->arch.entries, 2);
	assert_int_equal(v->arch.loads, 2);
	assert_int_equal(v->state, VCPU_STOPPED);
	assert_int_equal(cpu_table[1]->stats.switches, 1);
}

static void test_halt_not_in_place_while_another_vcpu_waits(void **state)
{
	UNUSED(state);
	struct vm *vm = fake_vm(2);
	struct vcpu *v0 = vm->vcpus[0], *v1 = vm->vcpus[1];
	fake_script(v0, FA_HALT, 0);
	hook_calls = 1; /* the hook, if called, ends the idle at once */
	hook_vcpu = v0;
	fake_idle_hook = halt_hook;
	boot_vcpu0(vm);
	assert_int_equal(vcpu_power_on(v1, 0x1000, 1, 0), 0);
	assert_int_equal(v1->se.cpu, 1); /* queued on CPU 1, not yet running */
	fake_run_cpu(0);
	/* v1 waits on CPU 1's queue: v0 blocked the usual way and was put. */
	assert_int_equal(v0->state, VCPU_BLOCKED);
	assert_false(v0->arch.loaded);
	assert_int_equal(v0->running_cpu, -1);
	assert_int_equal(cpu_table[0]->stats.halts_in_place, 0);
	fake_run_cpu(1);
	assert_int_equal(v1->arch.entries, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_power_on_runs_once_then_blocks, setup),
	    cmocka_unit_test_setup(test_requests_acted_on_before_entry, setup),
	    cmocka_unit_test_setup(test_stop_of_queued_vcpu_never_enters, setup),
	    cmocka_unit_test_setup(test_stop_of_blocked_vcpu_wakes_and_stops_it, setup),
	    cmocka_unit_test_setup(test_stop_posted_while_in_guest_leaves_before_reentry, setup),
	    cmocka_unit_test_setup(test_paused_vm_parks_then_resumes_and_stop_gets_through, setup),
	    cmocka_unit_test_setup(test_secondary_vcpu_started_and_stopped_by_sibling, setup),
	    cmocka_unit_test_setup(test_yield_requeues_and_runs_again, setup),
	    cmocka_unit_test_setup(test_halt_in_place_resumes_on_own_irq_without_put_or_load,
	                           setup),
	    cmocka_unit_test_setup(test_halt_in_place_resumes_on_ipi_wake, setup),
	    cmocka_unit_test_setup(test_halt_left_for_pause_puts_the_vcpu, setup),
	    cmocka_unit_test_setup(test_halt_woken_onto_another_cpu_is_put_before_it_runs_there,
	                           setup),
	    cmocka_unit_test_setup(test_halt_not_in_place_while_another_vcpu_waits, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
