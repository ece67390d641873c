/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_ARCH_H
#define FV_CORE_ARCH_H

/*
 * Hooks every architecture implements for the arch-neutral core. Core code
 * only calls these; it never includes an arch implementation header, only the
 * interface headers arch/NAME.h each port provides (docs/architecture.md,
 * "Adding an architecture", lists both; make check-neutral keeps core clean).
 */
#include "lib/types.h"
#include "arch/defs.h" /* ARCH_NAME, ARCH_CPU_ID_NAME, ARCH_HCALL_NAME */

struct cpu;
struct vcpu;
struct vm;

/* --- time --- */
uint64_t arch_time_ticks(void);                   /* platform counter */
void arch_timer_program(uint64_t deadline_ticks); /* UINT64_MAX = none */

/* --- CPUs --- */
struct platform;
/*
 * Probe ISA features (prints one line each), confirming what the host device tree says about
 * the boot CPU (p->arch); 0, or -1 if a required one is missing. Boot CPU only, before any VM
 * exists.
 */
int arch_features_probe(const struct platform *p);
/*
 * One line's worth of what the architecture found in the host device tree beyond core's
 * fields (host interrupt controllers, timers), for the boot log. Pure.
 */
void arch_platform_describe(const struct platform *p, char *buf, size_t len);
/*
 * Boot CPU, once, before any VM exists: check the port's static tables (e.g. its firmware-call
 * dispatch table has no inverted or overlapping ranges). Prints one line; 0 or -1.
 */
int arch_selfcheck(void);
/* Zero memory as fast as the CPU allows (guest RAM before every boot). */
void arch_mem_zero(void *p, uint64_t size);
/* Per-CPU hypervisor setup (delegation, counters); every CPU, early. */
void arch_cpu_init(void);
/* Host interrupt controller: set up on the boot CPU, enable one source routed to it (core/irq.c).
 */
struct platform;
int arch_irq_init(const struct platform *p);
int arch_irq_enable(unsigned irq);
/*
 * Move enabled source @irq from CPU @from to CPU @to (both online; core/irq.c holds its routing
 * lock). 0, or -FV_ENOTSUP where every source stays on the boot CPU.
 */
int arch_irq_route(unsigned irq, unsigned from, unsigned to);
/* Start a secondary CPU; returns 0 or negative fv_err. */
int arch_cpu_start(struct cpu *cpu);
/* Send a wake-up/reschedule interrupt to another CPU. */
void arch_cpu_kick(struct cpu *target);
/*
 * Idle until an interrupt is pending, then handle the hypervisor's own
 * interrupts (timer, IPI). Called with interrupts masked.
 */
void arch_cpu_idle(void);
/* Short pause inside spin loops. */
void arch_cpu_relax(void);
/* Stop the whole machine (all VMs gone, or fatal). */
void arch_system_poweroff(void) __attribute__((noreturn));

/* --- VMs and vCPUs --- */
/* Set up arch state (stage-2, VMID) for a VM; 0 or negative fv_err (then nothing is held). */
int arch_vm_init(struct vm *vm);
/*
 * Undo arch_vm_init(): tables and VMID freed. For a VM that never ran (failed creation) or
 * whose vCPUs are all stopped and off every CPU (vm_reap).
 */
void arch_vm_destroy(struct vm *vm);
/* Map guest RAM [gpa, gpa+size) to host [hpa, ...). */
int arch_vm_map_ram(struct vm *vm, gpa_t gpa, hpa_t hpa, uint64_t size);
/*
 * Remove guest RAM mappings (VM restart). Flushes this CPU's G-stage TLB for
 * the VM; other CPUs flush on their next load of one of its vCPUs, when they
 * see vm->mem_gen changed (all its vCPUs are stopped meanwhile).
 */
int arch_vm_unmap_ram(struct vm *vm, gpa_t gpa, uint64_t size);
/*
 * Reset a vCPU's whole arch state to power-on: it starts at entry with a0 and a1 in its first
 * two argument registers (as the guest's CPU-on call or arch_vm_boot_args gave them).
 */
void arch_vcpu_reset(struct vcpu *vcpu, gpa_t entry, uint64_t a0, uint64_t a1);
/* Load/put a vCPU's full context on the calling CPU. */
void arch_vcpu_load(struct vcpu *vcpu);
void arch_vcpu_put(struct vcpu *vcpu);
/*
 * Once per vcpu_run() of the loaded vCPU, before its loop: arch work of a switch-in (leave a
 * guest suspend that ended, publish paravirtual records such as steal time).
 */
void arch_vcpu_run_prepare(struct vcpu *vcpu);
/*
 * Apply fence requests (VCPU_REQ_TLB_FLUSH: the guest's own translations; VCPU_REQ_FENCE_I:
 * instruction fetch sees earlier stores) on this CPU for the loaded vCPU before its entry.
 */
void arch_vcpu_fence(struct vcpu *vcpu, uint32_t reqs);
/*
 * Deliver pending virtual interrupts and enter the loaded vCPU; handle exits, entering again
 * directly while vcpu_may_reenter() holds. Returns true when the vCPU must go back to the
 * scheduler at once (it blocked, stopped or yielded), false when vcpu_run's loop should look
 * at requests first. Returns with interrupts masked.
 */
bool arch_vcpu_enter(struct vcpu *vcpu);
/* True if the vCPU has a virtual interrupt pending and enabled (WFI wake). */
bool arch_vcpu_irq_wakeable(struct vcpu *vcpu);
/* Earliest guest timer deadline in host ns while blocked, UINT64_MAX none. */
uint64_t arch_vcpu_timer_deadline_ns(struct vcpu *vcpu);
/* One line of arch register state for the shell's `vm info` (pc, interrupts, timer). */
void arch_vcpu_describe(struct vcpu *vcpu, char *buf, size_t len);
/*
 * Metrics: the vCPU's i-th hypercall counter (e.g. the calls of one firmware extension, then
 * "other" for extensions nobody serves) as a static name and a count since the VM was
 * created. Returns false for i past the last counter. Any CPU; the count is read racily
 * (a relaxed load of a counter only the vCPU's CPU writes).
 */
bool arch_vcpu_call_stat(const struct vcpu *vcpu, unsigned i, const char **name, uint64_t *count);

/* --- virtual interrupt controller (one per VM; the model is the architecture's) --- */
/*
 * Give the VM its interrupt controller: state in vm->arch, its register window at
 * the map's irqchip_base (arch_guest_map()) on vm->mmio, wired to every vCPU's VIRQ_EXT line, and
 * vm->irqchip / vm->irqchip_dev set so devices drive their lines by number (set_level may be called
 * with a device lock held, on any CPU; the chip's lock nests inside it). Once at VM creation,
 * after the vCPUs exist. 0 or a negative fv_err (vm_free undoes a partial setup).
 */
int arch_virq_init(struct vm *vm);
/* Fresh controller state for a new boot of the VM (every line low, nothing enabled). */
void arch_virq_reset(struct vm *vm);

/* --- guest device tree --- */
/*
 * Build this boot's device tree (the architecture's layout of everything the VM has: its
 * vCPUs, RAM, devices at guest_layout's places, /chosen with bootargs and initrd) into guest
 * RAM below `top`; returns its GPA or 0 (logged why). Caller holds vm->lock. Several CPUs may
 * build different VMs' trees at once: no shared scratch.
 */
gpa_t arch_vm_dtb_place(struct vm *vm, gpa_t top);
/*
 * The first two argument registers of vCPU 0 when a VM boots its kernel with the device tree
 * at dtb: the architecture's kernel boot protocol (RISC-V: CPU id, tree; ARM64: tree, 0).
 */
void arch_vm_boot_args(const struct vm *vm, gpa_t dtb, uint64_t *a0, uint64_t *a1);

/*
 * The registers of a vCPU that is off its CPU (running_cpu == -1, so its saved context is
 * current) in crash-dump order (ctl_proto.h enum ctl_dump_reg): pc, x1..x31, VS CSRs and
 * the last trap into the hypervisor. @reg has room for CTL_DUMP_NR_REGS.
 */
void arch_vcpu_dump_regs(const struct vcpu *vcpu, uint64_t *reg);

#endif
