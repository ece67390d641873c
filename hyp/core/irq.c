// SPDX-License-Identifier: MIT
/* Host device interrupts: handler table over the arch's interrupt controller (irq.h). */
#include "core/irq.h"
#include "core/arch.h"
#include "core/console.h"

struct irq_desc {
	irq_handler_fn fn;
	void *arg;
	uint64_t count;
};

static struct irq_desc irqs[IRQ_MAX];
static bool irq_ready;
static uint64_t spurious;

int irq_init(const struct platform *p)
{
	int ret = arch_irq_init(p);
	irq_ready = ret == 0;
	if (ret)
		pr_warn("no host interrupt controller: physical devices are polled");
	return ret;
}

int irq_register(unsigned irq, irq_handler_fn fn, void *arg)
{
	if (!irq_ready)
		return -FV_ENOTSUP;
	if (irq == 0 || irq >= IRQ_MAX || !fn)
		return -FV_EINVAL;
	if (irqs[irq].fn)
		return -FV_EBUSY;
	irqs[irq].arg = arg;
	/* Publish the handler before the source can fire. */
	__atomic_store_n(&irqs[irq].fn, fn, __ATOMIC_RELEASE);
	return arch_irq_enable(irq);
}

void irq_dispatch(unsigned irq)
{
	irq_handler_fn fn = irq < IRQ_MAX ? __atomic_load_n(&irqs[irq].fn, __ATOMIC_ACQUIRE) : NULL;
	if (!fn) {
		spurious++;
		return;
	}
	irqs[irq].count++;
	fn(irqs[irq].arg);
}
