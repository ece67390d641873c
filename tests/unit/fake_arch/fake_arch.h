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
 * fake_core.c adds the core neighbours of vm.c (memory, console log, control channel, devices)
 * as counters with failure injection (struct fake_fail).
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
/*
 * Called by arch_cpu_idle on CPU cpu (cleared by fake_arch_setup): do what an interrupt
 * would (raise a vCPU's line, post a request...) and answer true to return from the idle
 * as a woken wfi does, false to end fake_run_cpu (the CPU stays idle).
 */
extern bool (*fake_idle_hook)(unsigned cpu);

/* What the fakes saw. */
struct fake_record {
	unsigned kicks[FAKE_NR_CPUS]; /* arch_cpu_kick per target CPU */
	unsigned vm_stopped;          /* vm_vcpu_stopped calls */
	struct vm *last_stopped_vm;
	unsigned virtio_service; /* vm_virtio_service calls */
	unsigned idles;
	/* fake_core.c and the VM hooks: what is held right now */
	long allocs_live;   /* mem_zalloc* not yet freed */
	long pages_live;    /* pages of mem_alloc_pages* not yet freed */
	long arch_vms_live; /* arch_vm_init without arch_vm_destroy */
	long virtio_live;   /* vm_virtio_create without vm_virtio_destroy */
	long stages_live;   /* VMs holding staged images */
	unsigned allocs;    /* allocations tried (for failure injection) */
	uint64_t mapped_bytes;
	unsigned unmaps;
	unsigned ctl_freed; /* ctl_vm_freed calls */
	char last_log[256];
};
extern struct fake_record fake_rec;

/* Failure injection: which step of VM creation fails. */
struct fake_fail {
	int alloc_after; /* fail every allocation after this many succeeded; -1 = never */
	bool arch_vm_init, arch_virq_init, vconsole_attach, vm_rtc_init, vm_virtio_create;
};
extern struct fake_fail fake_fail;

#endif
