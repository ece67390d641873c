// SPDX-License-Identifier: MIT
/* Host device interrupts: handler table over the arch's interrupt controller (irq.h). */
#include "core/irq.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/spinlock.h"
#include "lib/printf.h"

struct irq_desc {
	irq_handler_fn fn;
	void *arg;
	const char *name;
	bool movable;
	unsigned cpu;                /* where it is routed (routing lock) */
	uint64_t count[FV_MAX_CPUS]; /* handled on each CPU (that CPU only writes its own) */
};

static struct irq_desc irqs[IRQ_MAX];
static bool irq_ready;
static uint64_t spurious;
static struct spinlock route_lock; /* irqs[].cpu and the controller's routing registers */

int irq_init(const struct platform *p)
{
	spin_init(&route_lock);
	int ret = arch_irq_init(p);
	irq_ready = ret == 0;
	if (ret)
		pr_warn("no host interrupt controller: physical devices are polled");
	return ret;
}

int irq_register_named(unsigned irq, irq_handler_fn fn, void *arg, const char *name, bool movable)
{
	if (!irq_ready)
		return -FV_ENOTSUP;
	if (irq == 0 || irq >= IRQ_MAX || !fn)
		return -FV_EINVAL;
	if (irqs[irq].fn)
		return -FV_EBUSY;
	irqs[irq].arg = arg;
	irqs[irq].name = name;
	irqs[irq].movable = movable;
	irqs[irq].cpu = cpu_this()->id;
	/* Publish the handler before the source can fire. */
	__atomic_store_n(&irqs[irq].fn, fn, __ATOMIC_RELEASE);
	return arch_irq_enable(irq);
}

int irq_register(unsigned irq, irq_handler_fn fn, void *arg)
{
	return irq_register_named(irq, fn, arg, NULL, false);
}

int irq_set_cpu(unsigned irq, unsigned cpu)
{
	if (irq == 0 || irq >= IRQ_MAX || cpu >= cpu_count || !cpu_table[cpu] ||
	    !__atomic_load_n(&cpu_table[cpu]->online, __ATOMIC_ACQUIRE))
		return -FV_EINVAL;
	if (!__atomic_load_n(&irqs[irq].fn, __ATOMIC_ACQUIRE))
		return -FV_EINVAL;
	spin_lock(&route_lock);
	int ret = 0;
	if (irqs[irq].cpu != cpu) {
		ret = arch_irq_route(irq, irqs[irq].cpu, cpu);
		if (ret == 0)
			irqs[irq].cpu = cpu;
	}
	spin_unlock(&route_lock);
	return ret;
}

void irq_spread(void)
{
	unsigned next = 0, n = cpu_count;
	if (!irq_ready || n < 2)
		return;
	for (unsigned irq = 1; irq < IRQ_MAX; irq++) {
		if (!irqs[irq].fn || !irqs[irq].movable)
			continue;
		/* CPUs 1 .. n-1 in turn: the boot CPU (0) keeps the UART and the shell. */
		unsigned cpu = 1 + next++ % (n - 1);
		int ret = irq_set_cpu(irq, cpu);
		if (ret == 0)
			pr_info("irq %u (%s): routed to cpu %u", irq, irqs[irq].name, cpu);
		else if (ret == -FV_ENOTSUP)
			return; /* the port routes everything to the boot CPU */
	}
}

unsigned irq_cpu(unsigned irq)
{
	return irq < IRQ_MAX ? __atomic_load_n(&irqs[irq].cpu, __ATOMIC_RELAXED) : 0;
}

void irq_dispatch(unsigned irq)
{
	irq_handler_fn fn = irq < IRQ_MAX ? __atomic_load_n(&irqs[irq].fn, __ATOMIC_ACQUIRE) : NULL;
	if (!fn) {
		__atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED);
		return;
	}
	unsigned c = cpu_this()->id;
	if (c < FV_MAX_CPUS)
		__atomic_fetch_add(&irqs[irq].count[c], 1, __ATOMIC_RELAXED);
	fn(irqs[irq].arg);
}

void irq_describe(void (*out)(const char *line))
{
	char line[160];
	for (unsigned irq = 1; irq < IRQ_MAX; irq++) {
		if (!__atomic_load_n(&irqs[irq].fn, __ATOMIC_ACQUIRE))
			continue;
		size_t k =
		    (size_t)fv_snprintf(line, sizeof(line), "irq %u (%s): cpu %u, handled", irq,
		                        irqs[irq].name ? irqs[irq].name : "-", irq_cpu(irq));
		for (unsigned c = 0; c < cpu_count && c < FV_MAX_CPUS && k < sizeof(line); c++)
			k += (size_t)fv_snprintf(
			    line + k, sizeof(line) - k, " cpu%u %lu", c,
			    (unsigned long)__atomic_load_n(&irqs[irq].count[c], __ATOMIC_RELAXED));
		out(line);
	}
	fv_snprintf(line, sizeof(line), "spurious: %lu",
	            (unsigned long)__atomic_load_n(&spurious, __ATOMIC_RELAXED));
	out(line);
}
