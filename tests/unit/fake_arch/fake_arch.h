/* SPDX-License-Identifier: MIT */
#ifndef FV_TEST_FAKE_ARCH_H
#define FV_TEST_FAKE_ARCH_H

/*
 * The unit tests' fake architecture: core/arch.h's hooks on the host, so core's vCPU,
 * run-loop and scheduler code (vcpu.c, vcpu_run.c, sched.c, sched_rq.c, timer.c) runs
 * unchanged under ASan/UBSan. CPUs are simulated one at a time on the test's thread:
 * fake_run_cpu() runs a CPU's scheduler loop (sched_run) until that CPU goes idle (its
 * arch_cpu_idle returns to the test with longjmp; sched_run holds no lock there). A vCPU's
 * guest is a script of actions (arch/vcpu.h enum fake_action), one per entry.
 */
#include "core/percpu.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define FAKE_NR_CPUS 2

/* Set up FAKE_NR_CPUS CPUs (cpu_table, run queues, timers) and clear every record. */
void fake_arch_setup(void);
/* A stopped VM of nr vCPUs (weight 1, any CPU), its vCPUs zeroed as vm_create leaves them. */
struct vm *fake_vm(unsigned nr);
/* Append an action to vCPU v's guest script. */
void fake_script(struct vcpu *v, enum fake_action a, uint32_t arg);
/* Run CPU cpu's scheduler loop until the CPU has nothing to run. */
void fake_run_cpu(unsigned cpu);

/* What the fakes saw. */
struct fake_record {
	unsigned kicks[FAKE_NR_CPUS]; /* arch_cpu_kick per target CPU */
	unsigned vm_stopped;          /* vm_vcpu_stopped calls */
	struct vm *last_stopped_vm;
	unsigned virtio_service; /* vm_virtio_service calls */
	unsigned idles;
};
extern struct fake_record fake_rec;

#endif
