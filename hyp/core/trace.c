// SPDX-License-Identifier: MIT
/*
 * Event tracer: per-CPU rings, the run-time class mask and the shell command that
 * switches classes and dumps the rings (core/trace.h). Everything but the class names
 * and the "not built in" answer exists only with FEATURES=trace.
 */
#include "core/trace.h"
#include "arch/defs.h"
#include "core/console.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"

#if TRACE_BUILT
#include "arch/trace.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "core/timer.h"
#include "core/trace_ring.h"
#include "core/vm.h"
#endif

static const char *const class_names[TRACE_NR_CLASSES] = {
    [TRACE_C_EXIT] = "exit",   [TRACE_C_HCALL] = ARCH_HCALL_NAME, [TRACE_C_IRQ] = "irq",
    [TRACE_C_SCHED] = "sched", [TRACE_C_VIRTIO] = "virtio",       [TRACE_C_MMIO] = "mmio",
    [TRACE_C_VM] = "vm",
};

const char *trace_class_name(unsigned c)
{
	return c < TRACE_NR_CLASSES ? class_names[c] : NULL;
}

#if !TRACE_BUILT

void trace_shell(int argc, char **argv, void (*print)(const char *line))
{
	UNUSED(argc);
	UNUSED(argv);
	print("trace: not built in (build the hypervisor with FEATURES=trace)");
}

#else

/*
 * Off at boot; the benchmark's build (FEATURES=trace,tracebench, bench/fvbench/trace.py)
 * traces exits and hypercalls from the first guest instruction, as its guest gives no
 * chance to type `trace on` first.
 */
#if defined(FV_FEATURE_TRACEBENCH) && FV_FEATURE_TRACEBENCH
uint32_t trace_mask = (1u << TRACE_C_EXIT) | (1u << TRACE_C_HCALL);
#else
uint32_t trace_mask;
#endif

/*
 * One ring per CPU, by logical CPU id, over 128 KiB of slots (TRACE_RING_RECS records). The
 * slots live apart from the 64-byte headers, so the emit path indexes with a shift.
 */
static struct trace_rec ring_slots[FV_MAX_CPUS][TRACE_RING_RECS];
#define RING(i)                                                                                    \
	{                                                                                          \
		.recs = ring_slots[i]                                                              \
	}
static struct trace_ring rings[FV_MAX_CPUS] = {RING(0), RING(1), RING(2), RING(3),
                                               RING(4), RING(5), RING(6), RING(7)};
_Static_assert(FV_MAX_CPUS == 8, "one RING() initialiser per CPU above");

/*
 * Serialises consumers (dump, clear, status): each ring has one consumer at a time
 * (trace_ring.h). Never taken by the producers.
 */
static struct spinlock trace_read_lock = SPINLOCK_INIT;

/* trace_emit on a ring that looked full: push after re-reading tail, or count a drop. */
static void __attribute__((noinline, cold))
trace_emit_full(struct trace_ring *ring, uint64_t who_a2, uint64_t a0, uint64_t a1, uint64_t ts)
{
	struct trace_rec r = {.ts = ts, .who_a2 = who_a2, .a0 = a0, .a1 = a1};
	trace_ring_push(ring, &r);
}

void trace_emit(uint64_t who, uint64_t a0, uint64_t a1, uint64_t a2)
{
	uint64_t id = trace_arch_this_cpu()->id;
	uint64_t ts = trace_arch_time();
	struct trace_ring *ring = &rings[id];
	/*
	 * The cost of every enabled event (bench `trace`, docs/tracing.md): the record is
	 * written in place (not built on the stack and copied), who and a2 as one word (the
	 * union's layout: who at byte 8, a2 at byte 12), and a ring that looks full goes out of
	 * line as a tail call, so this path needs no stack frame.
	 */
	uint64_t who_a2 = who | (id << 8) | (a2 << 32);
	uint64_t head = ring->head; /* only this CPU writes it */
	if (__builtin_expect(head - ring->tail_seen >= TRACE_RING_RECS, 0)) {
		trace_emit_full(ring, who_a2, a0, a1, ts);
		return;
	}
	struct trace_rec *r = &ring->recs[head & (TRACE_RING_RECS - 1)];
	r->ts = ts;
	r->who_a2 = who_a2;
	r->a0 = a0;
	r->a1 = a1;
	/* Release: the record's bytes are visible before the consumer sees the new head. */
	__atomic_store_n(&ring->head, head + 1, __ATOMIC_RELEASE);
}

uint32_t trace_get_mask(void)
{
	return __atomic_load_n(&trace_mask, __ATOMIC_RELAXED);
}

void trace_set_mask(uint32_t mask)
{
	__atomic_store_n(&trace_mask, mask & ((1u << TRACE_NR_CLASSES) - 1), __ATOMIC_RELAXED);
}

void trace_clear(void)
{
	spin_lock(&trace_read_lock);
	for (unsigned i = 0; i < cpu_count; i++)
		trace_ring_reset(&rings[i]);
	spin_unlock(&trace_read_lock);
}

unsigned trace_nr_cpus(void)
{
	return cpu_count;
}

unsigned trace_ring_capacity(void)
{
	return TRACE_RING_RECS;
}

void trace_cpu_counts(unsigned cpu, uint64_t *records, uint64_t *dropped)
{
	spin_lock(&trace_read_lock);
	*records = cpu < cpu_count ? trace_ring_count(&rings[cpu]) : 0;
	*dropped = cpu < cpu_count ? trace_ring_dropped(&rings[cpu]) : 0;
	spin_unlock(&trace_read_lock);
}

size_t trace_read(unsigned cpu, struct trace_rec *out, size_t max)
{
	if (cpu >= cpu_count)
		return 0;
	spin_lock(&trace_read_lock);
	size_t n = trace_ring_pop(&rings[cpu], out, max);
	spin_unlock(&trace_read_lock);
	return n;
}

/* Bit of class NAME, or of every class for "all"; 0 if unknown. */
static uint32_t class_bit(const char *name)
{
	if (strcmp(name, "all") == 0)
		return (1u << TRACE_NR_CLASSES) - 1;
	for (unsigned i = 0; i < TRACE_NR_CLASSES; i++)
		if (strcmp(name, class_names[i]) == 0)
			return 1u << i;
	return 0;
}

static void print_status(void (*print)(const char *line))
{
	char buf[160];
	size_t off = 0;
	uint32_t mask = __atomic_load_n(&trace_mask, __ATOMIC_RELAXED);
	buf[0] = '\0';
	for (unsigned i = 0; i < TRACE_NR_CLASSES && off < sizeof(buf); i++) {
		if (!(mask & (1u << i)))
			continue;
		int n = fv_snprintf(buf + off, sizeof(buf) - off, " %s", class_names[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	char line[200];
	fv_snprintf(line, sizeof(line), "trace: classes on:%s", mask ? buf : " none");
	print(line);
	spin_lock(&trace_read_lock);
	for (unsigned i = 0; i < cpu_count; i++) {
		fv_snprintf(line, sizeof(line), "trace: cpu %u: %lu records, %lu dropped (ring %u)",
		            i, (unsigned long)trace_ring_count(&rings[i]),
		            (unsigned long)trace_ring_dropped(&rings[i]), TRACE_RING_RECS);
		print(line);
	}
	spin_unlock(&trace_read_lock);
}

/*
 * Print every ring as text, consuming it: the header names the VMs, then one line per
 * record, CPU by CPU, then each CPU's drop count. The format is docs/tracing.md's, read
 * by `ferrovisor trace json`. The shell runs on the boot CPU's console tick, where
 * vm_table entries stay valid (core/vm.h).
 */
static void dump(void (*print)(const char *line))
{
	char line[160];
	print("TRACE-BEGIN v1 " ARCH_NAME); /* the arch names the EXIT/HCALL arguments */
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *vm = vm_table[i];
		if (!vm)
			continue;
		fv_snprintf(line, sizeof(line), "TRVM %u %u %s", vm->id, vm->nr_vcpus, vm->name);
		print(line);
	}
	spin_lock(&trace_read_lock);
	unsigned long total = 0;
	for (unsigned cpu = 0; cpu < cpu_count; cpu++) {
		struct trace_rec recs[16];
		size_t n;
		while ((n = trace_ring_pop(&rings[cpu], recs, ARRAY_SIZE(recs))) != 0) {
			for (size_t k = 0; k < n; k++) {
				const struct trace_rec *r = &recs[k];
				/* An MMIO record's a1 is its start time: ns like ts. */
				uint64_t a1 =
				    r->event == TEV_MMIO ? time_ticks_to_ns(r->a1) : r->a1;
				fv_snprintf(line, sizeof(line), "TR %u %lu %02x %u %u %lx %lx %x",
				            r->cpu, (unsigned long)time_ticks_to_ns(r->ts),
				            r->event, r->vm, r->vcpu, (unsigned long)r->a0,
				            (unsigned long)a1, r->a2);
				print(line);
			}
			total += n;
		}
		fv_snprintf(line, sizeof(line), "TRDROP %u %lu", cpu,
		            (unsigned long)trace_ring_dropped(&rings[cpu]));
		print(line);
	}
	spin_unlock(&trace_read_lock);
	fv_snprintf(line, sizeof(line), "TRACE-END %lu", total);
	print(line);
}

void trace_shell(int argc, char **argv, void (*print)(const char *line))
{
	if (argc >= 2 && strcmp(argv[1], "on") == 0 && argc >= 3) {
		uint32_t add = 0;
		for (int i = 2; i < argc; i++) {
			uint32_t b = class_bit(argv[i]);
			if (!b) {
				char line[96];
				fv_snprintf(line, sizeof(line),
				            "trace: unknown class '%s' (exit " ARCH_HCALL_NAME
				            " irq sched virtio mmio vm all)",
				            argv[i]);
				print(line);
				return;
			}
			add |= b;
		}
		__atomic_fetch_or(&trace_mask, add, __ATOMIC_RELAXED);
		print_status(print);
	} else if (argc == 2 && strcmp(argv[1], "off") == 0) {
		__atomic_store_n(&trace_mask, 0, __ATOMIC_RELAXED);
		print_status(print);
	} else if (argc == 2 && strcmp(argv[1], "status") == 0) {
		print_status(print);
	} else if (argc == 2 && strcmp(argv[1], "clear") == 0) {
		trace_clear();
		print_status(print);
	} else if (argc == 2 && strcmp(argv[1], "dump") == 0) {
		dump(print);
	} else {
		print("usage: trace on CLASS...|all | off | status | clear | dump "
		      "(classes: exit " ARCH_HCALL_NAME " irq sched virtio mmio vm)");
	}
}

#endif
