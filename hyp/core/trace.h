/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_TRACE_H
#define FV_CORE_TRACE_H

/*
 * Event tracer (issue #13, item 3). Built only with FEATURES=trace (FV_FEATURE_TRACE);
 * without it every TRACE() below compiles to nothing and trace.c keeps no rings.
 *
 * Classes are switched on and off at run time (`trace on CLASS...` in the shell): an
 * event point costs one load of trace_mask and one branch while its class is off. An
 * enabled event reads the time base and appends a 32-byte record to the emitting CPU's
 * ring (trace_ring.h: lock-free, drop-and-count when full). `trace dump` prints the rings
 * as text lines that `ferrovisor trace json` turns into Chrome/Perfetto trace-event JSON
 * (docs/tracing.md describes both formats).
 */
#include "lib/types.h"

/* Event classes: bit positions in trace_mask, names in trace_class_name(). */
enum trace_class {
	TRACE_C_EXIT,   /* guest exits, by cause */
	TRACE_C_HCALL,  /* hypercalls (firmware calls) and their result; named ARCH_HCALL_NAME */
	TRACE_C_IRQ,    /* virtual interrupts injected */
	TRACE_C_SCHED,  /* vCPU switched in/out, migrations */
	TRACE_C_VIRTIO, /* virtio queue notify / completion */
	TRACE_C_MMIO,   /* emulated MMIO accesses (with duration) */
	TRACE_C_VM,     /* VM lifecycle: state changes and requests */
	TRACE_NR_CLASSES,
};

/*
 * Events: the class in bits 7..4. Arguments (a0, a1, a2) per event; the host converter
 * (tools/trace_json.c) reads them by the same table, docs/tracing.md lists them.
 */
enum trace_event {
	TEV_EXIT = 0x00,            /* a0 cause, a1 pc, a2 fault address (low 32 bits); per arch */
	TEV_HCALL = 0x10,           /* a0 extension, a1 function, a2 error (s32); per arch */
	TEV_IRQ_INJECT = 0x20,      /* a0 VIRQ_* lines newly raised; on the target vCPU */
	TEV_SCHED_IN = 0x30,        /* vCPU loaded on this CPU */
	TEV_SCHED_OUT = 0x31,       /* vCPU put; a0 its state (enum vcpu_state) */
	TEV_SCHED_MIGRATE = 0x32,   /* a0 from CPU, a1 to CPU (the puller emits it) */
	TEV_VIRTIO_NOTIFY = 0x40,   /* a0 device index in the VM, a1 queue */
	TEV_VIRTIO_COMPLETE = 0x41, /* a0 device index, a1 queue, a2 buffers used */
	TEV_MMIO = 0x50,            /* a0 GPA, a1 start (ticks), a2 size | write << 8 */
	TEV_VM_STATE = 0x60,        /* a0 old, a1 new (enum vm_state) */
	TEV_VM_REQUEST = 0x61,      /* a0 enum vm_action asked, a1 the VM state then */
};
/*
 * The per-arch arguments (the dump's TRACE-BEGIN line names the architecture):
 * riscv64: EXIT a0 scause, a1 sepc, a2 stval; HCALL a0 SBI EID, a1 FID, a2 SBI error.
 * arm64: EXIT a0 ESR_EL2 (an IRQ, FIQ or SError exit: bit 63 | ARM64_EXIT_*), a1 ELR_EL2,
 * a2 FAR_EL2; HCALL a0 SMCCC function id, a1 its function number, a2 the result (x0);
 * IRQ_INJECT a0 the INTID put in a list register (riscv64: the VIRQ_* lines).
 */

#define TRACE_EVENT_CLASS(ev) ((unsigned)(ev) >> 4)
/* vm / vcpu argument of an event that has none (stored as TRACE_NONE, trace_ring.h). */
#define TRACE_VM_NONE   0xffu
#define TRACE_VCPU_NONE 0xffu

#if defined(FV_FEATURE_TRACE) && FV_FEATURE_TRACE
#include "core/trace_ring.h"

/* Bit c set: class c is on. Written by trace_set_mask(), read racily by every event point. */
extern uint32_t trace_mask;

/*
 * Record one event on the calling CPU's ring; who = TRACE_REC_WHO(event, 0, vm, vcpu) (the
 * CPU is added here; bits 32.. zero), a2's low 32 bits kept (the rest is ignored). Any
 * context of the hypervisor (no locks taken, none needed: see trace_ring.h). Callers go
 * through TRACE(), which checks the class first. who and a2 are 64-bit parameters so that
 * the record's who/a2 word is built without zero-extending them (the cost per event).
 */
void trace_emit(uint64_t who, uint64_t a0, uint64_t a1, uint64_t a2);

/* TRACE_REC_WHO(ev, 0, vm, vcpu) computed in 64 bits: no zero-extension at the call. */
#define TRACE_WHO64(ev, vm, vcpu)                                                                  \
	((uint64_t)(ev) | (((uint64_t)(vm)&0xffu) << 16) | (((uint64_t)(vcpu)&0xffu) << 24))

/*
 * Emit event for (vm, vcpu) if its class is on. A relaxed load and a branch while it is
 * off; the arguments are evaluated only when it is on.
 */
#define TRACE(ev, vm, vcpu, a0, a1, a2)                                                            \
	do {                                                                                       \
		if (__builtin_expect(__atomic_load_n(&trace_mask, __ATOMIC_RELAXED) &              \
		                         (1u << TRACE_EVENT_CLASS(ev)),                            \
		                     0))                                                           \
			trace_emit(TRACE_WHO64((ev), (vm), (vcpu)), (a0), (a1), (uint64_t)(a2));   \
	} while (0)
struct trace_rec;

/* Control channel side (ctl_trace.c), console tick; the readers serialise on one lock. */
uint32_t trace_get_mask(void);
void trace_set_mask(uint32_t mask);
/* Empty every ring and restart its drop count. */
void trace_clear(void);
/* Number of CPUs with a ring (cpu_count) and the capacity of each. */
unsigned trace_nr_cpus(void);
unsigned trace_ring_capacity(void);
/* Records waiting on cpu's ring and records it dropped since the last clear. */
void trace_cpu_counts(unsigned cpu, uint64_t *records, uint64_t *dropped);
/* Consume up to max records of cpu's ring into out, oldest first; returns how many. */
size_t trace_read(unsigned cpu, struct trace_rec *out, size_t max);

/* True while class c is on (for an event point that must prepare an argument). */
#define TRACE_ON(c) ((__atomic_load_n(&trace_mask, __ATOMIC_RELAXED) & (1u << (c))) != 0)
#define TRACE_BUILT 1
#else
/* sizeof: the operands stay "used" for the compiler and are never evaluated. */
#define TRACE(ev, vm, vcpu, a0, a1, a2) ((void)sizeof((ev) + (vm) + (vcpu) + (a0) + (a1) + (a2)))
#define TRACE_ON(c)                     ((void)sizeof(c), false)
#define TRACE_BUILT                     0
#endif

/* Name of class c ("exit", ARCH_HCALL_NAME, ...), NULL if out of range. */
const char *trace_class_name(unsigned c);

/*
 * Shell command `trace on CLASS...|all | off | status | clear | dump`. Console context.
 * Prints why when the tracer is not built in.
 */
void trace_shell(int argc, char **argv, void (*print)(const char *line));

#endif
