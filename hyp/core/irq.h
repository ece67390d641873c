/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_IRQ_H
#define FV_CORE_IRQ_H

/*
 * The hypervisor's own device interrupts (physical devices, not guests'):
 * a handler table indexed by the host interrupt controller's source
 * number. A source is routed to one CPU at a time: the boot CPU when it is
 * registered, another online CPU after irq_set_cpu() (arch_irq_route; a
 * port without per-CPU routing keeps every source on the boot CPU).
 * Handlers run on the source's CPU in hypervisor context (no lock held,
 * interrupts masked, as all hypervisor code runs), from a guest exit or the
 * idle loop; they must be short, may take device locks, and must not assume
 * the boot CPU unless they registered with irq_register() and never moved.
 */
#include "lib/types.h"
#include "core/platform.h"

#define IRQ_MAX 128

typedef void (*irq_handler_fn)(void *arg);

/* Bring up the host interrupt controller (boot CPU). 0, or -FV_ENOTSUP if there is none. */
int irq_init(const struct platform *p);
/* Install @fn(@arg) for source @irq and enable it. 0, -FV_EINVAL, -FV_EBUSY or -FV_ENOTSUP. */
int irq_register(unsigned irq, irq_handler_fn fn, void *arg);
/*
 * Like irq_register(), naming the source for `irqs` in the shell (@name is kept, not copied)
 * and, when @movable, letting irq_spread() move it off the boot CPU. Boot CPU.
 */
int irq_register_named(unsigned irq, irq_handler_fn fn, void *arg, const char *name, bool movable);
/*
 * Route registered source @irq to CPU @cpu (online). Any CPU; serialised by the routing lock.
 * 0, -FV_EINVAL (no such source or CPU, CPU not online) or -FV_ENOTSUP (the port routes
 * everything to the boot CPU). A handler already running elsewhere finishes there.
 */
int irq_set_cpu(unsigned irq, unsigned cpu);
/*
 * Boot CPU, once every CPU is online: move the movable sources (physical disks and NICs)
 * round-robin to the CPUs other than the boot CPU, which keeps the console UART, the shell
 * and the control channel. No-op on one CPU. Prints one line per moved source.
 */
void irq_spread(void);
/* The CPU source @irq is routed to (0 for an unknown source). */
unsigned irq_cpu(unsigned irq);
/* Run the handler of @irq (arch code, after claiming it); counts per CPU and spurious ones. */
void irq_dispatch(unsigned irq);
/* One line per registered source (name, CPU, handled per CPU) for the shell's `irqs`. */
void irq_describe(void (*out)(const char *line));

#endif
