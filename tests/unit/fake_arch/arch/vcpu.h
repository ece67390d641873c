/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_VCPU_H
#define FV_ARCH_VCPU_H

/*
 * Per-vCPU state of the unit tests' fake architecture (fake_arch.c): what a test scripts a
 * vCPU to do and what the hooks saw. Plain data, like a real port's.
 */
#include "lib/types.h"

/* What the fake guest does at each entry (fake_arch.c arch_vcpu_enter), in script order. */
enum fake_action {
	FA_WFI =
	    0,   /* wait for an interrupt: sched_block, back to the scheduler (also: script done) */
	FA_EXIT, /* an exit handled by the arch that needs core's loop (no state change) */
	FA_YIELD,   /* the CPU must reschedule (need_resched) */
	FA_CPU_ON,  /* firmware CPU-on of vCPU arg (vcpu_power_on at 0x1000 + arg, a0 = arg) */
	FA_CPU_OFF, /* firmware CPU-off of itself (VCPU_REQ_STOP) */
	FA_POST,    /* another CPU posts requests arg while it runs (no kick) */
	FA_HALT,    /* wait for an interrupt as a real port does: sched_halt(v, true) */
};
#define FAKE_SCRIPT_MAX 8

struct vcpu_arch {
	uint8_t script[FAKE_SCRIPT_MAX]; /* enum fake_action */
	uint32_t script_arg[FAKE_SCRIPT_MAX];
	uint8_t script_len, script_pos;
	uint64_t entry, a0, a1; /* the last arch_vcpu_reset */
	unsigned resets;
	unsigned prepares; /* arch_vcpu_run_prepare calls */
	unsigned entries;  /* arch_vcpu_enter calls */
	uint32_t fences;   /* VCPU_REQ_TLB_FLUSH | VCPU_REQ_FENCE_I bits applied, ORed */
	unsigned fence_calls;
	unsigned loads; /* arch_vcpu_load calls */
	bool loaded;
	bool irq_pending; /* arch_vcpu_irq_wakeable's answer */
};

#endif
