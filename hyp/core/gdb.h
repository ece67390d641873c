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

/*
 * The VM a debugger is attached to, NULL when none (gdb.c writes it; atomic,
 * release). Read it through gdb_vm_attached.
 */
extern struct vm *gdb_attached_vm;

/*
 * Whether a debugger is attached to vm (its breakpoint exceptions come to us). Any CPU.
 * Inline: the MMIO exit path asks on every access (docs/performance.md, issue #15).
 */
static inline bool gdb_vm_attached(const struct vm *vm)
{
	return vm && __atomic_load_n(&gdb_attached_vm, __ATOMIC_ACQUIRE) == vm;
}

/*
 * A breakpoint exception of v at pc (v's own CPU, exit handler). true if it
 * is the debugger's (a breakpoint or step point for v): the VM is halting
 * and v must leave the guest (it has a pause request). false: reflect it.
 */
bool gdb_breakpoint_hit(struct vcpu *v, uint64_t pc);

/*
 * Watchpoints (Z2 write, Z3 read, Z4 access) trap through stage-2 permissions at page
 * granularity: a watched page loses W (write watches) or R (read/access watches) while a
 * debugger is attached. What an arch fault handler asks about such a fault:
 */
enum gdb_watch_verdict {
	GDB_WATCH_NONE = 0, /* not a watched page: handle the fault as always */
	GDB_WATCH_HIT,      /* the access touches a watched range: the VM is halting */
	GDB_WATCH_MISS,     /* another byte of a watched page: emulate the access, go on */
};
/*
 * v's explicit access of width bytes at gpa (is_store) faulted; width 0 = an access the arch
 * cannot decode (it counts as a hit on the page's first matching watch, so it is never
 * silently skipped). v's own CPU, exit handler.
 */
enum gdb_watch_verdict gdb_watch_fault(struct vcpu *v, uint64_t gpa, unsigned width, bool is_store);
/* Whether gpa lies in a page with watches (cheap; v's own CPU). */
bool gdb_watch_page(const struct vm *vm, uint64_t gpa);

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
/*
 * The length of the instruction whose first two bytes are b (little endian): 2 or 4 on
 * RISC-V (compressed or not), always 4 on arm64.
 */
unsigned gdb_arch_insn_len(const uint8_t b[2]);
/* The breakpoint instruction for gdb's kind (2 or 4 bytes); its length, 0 for a bad kind. */
unsigned gdb_arch_bp_insn(uint64_t kind, uint8_t out[4]);
/* The VM was halted for ticks platform ticks: keep its clock from jumping. */
void gdb_arch_time_shift(struct vm *vm, uint64_t ticks);
/*
 * Make guest-physical page gpa_page trap writes (trap_w) and/or reads (trap_r) through
 * stage-2, or give it back full access (neither). Every vCPU of vm halted. 0 or -fv_err.
 */
int gdb_arch_protect(struct vm *vm, uint64_t gpa_page, bool trap_r, bool trap_w);
/* Target description XML for qXfer:features:read. */
const char *gdb_arch_target_xml(void);

#endif
