/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_GDB_H
#define FV_CORE_GDB_H

/*
 * The guest debugger: a gdb remote stub (gdb_stub.c) for one VM, reached
 * through the hypervisor's own physical virtio console (the gdb channel,
 * `ferrovisor run --gdb NAME[:PORT]`, docs/debugging.md). No guest can reach
 * the channel or the stub.
 *
 * Run control: halting the VM sets every vCPU's dbg_hold and kicks it out
 * of the guest; the scheduler parks held vCPUs (descheduled, not spinning;
 * sched.c). The stub reads and writes vCPU state only once every vCPU is
 * off its CPU. Breakpoints are ebreak / c.ebreak patched into guest memory;
 * while a debugger is attached the VM's breakpoint exceptions come to the
 * hypervisor (hedeleg per vCPU load) and ones that are not the debugger's
 * are reflected to the guest as if delegated. The VM's clock is held back
 * by the time it spent halted (htimedelta), so the guest sees no jump.
 *
 * Concurrency: the stub and the breakpoint table edits run on the boot
 * CPU's console tick (gdb_poll); vCPU CPUs only look up breakpoints
 * (bp_lock) and raise a stop (atomics).
 */
#include "lib/types.h"

struct vm;
struct vcpu;

/*
 * Boot CPU, after the VMs are created: give the physical gdb channel (if
 * QEMU has one) to VM vm_name's stub. "" or no channel = no debugger.
 */
void gdb_init(const char *vm_name);

/* Console tick: move channel bytes through the stub, report stops. */
void gdb_poll(void);

/* Whether a debugger is attached to vm (its breakpoint exceptions come to us). Any CPU. */
bool gdb_vm_attached(const struct vm *vm);

/*
 * A breakpoint exception of v at pc (v's own CPU, exit handler). true if it
 * is the debugger's (a breakpoint or step point for v): the VM is halting
 * and v must leave the guest (it has a pause request). false: reflect it.
 */
bool gdb_breakpoint_hit(struct vcpu *v, uint64_t pc);

/* --- arch hooks (hyp/arch/<arch>/gdb_arch.c); v is halted and off every CPU --- */
int gdb_arch_reg_read(struct vcpu *v, unsigned regno, uint64_t *val, unsigned *size);
int gdb_arch_reg_write(struct vcpu *v, unsigned regno, uint64_t val);
/* Guest virtual -> guest physical through v's own page tables; 0 or -FV_EFAULT. */
int gdb_arch_translate(struct vcpu *v, uint64_t va, uint64_t *gpa);
uint64_t gdb_arch_pc(struct vcpu *v);
/*
 * Where v goes after executing the instruction insn (its first 4 bytes, or 2
 * for a compressed one) at its pc. 0, or -FV_ENOTSUP if it cannot be known.
 */
int gdb_arch_next_pc(struct vcpu *v, uint32_t insn, uint64_t *next);
/* The breakpoint instruction for gdb's kind (2 or 4 bytes); its length, 0 for a bad kind. */
unsigned gdb_arch_bp_insn(uint64_t kind, uint8_t out[4]);
/* The VM was halted for ticks platform ticks: keep its clock from jumping. */
void gdb_arch_time_shift(struct vm *vm, uint64_t ticks);
/* Target description XML for qXfer:features:read. */
const char *gdb_arch_target_xml(void);

#endif
