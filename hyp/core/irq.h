/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_IRQ_H
#define FV_CORE_IRQ_H

/*
 * The hypervisor's own device interrupts (physical devices, not guests'):
 * a handler table indexed by the host interrupt controller's source
 * number. Sources are routed to the boot CPU. Handlers run on that CPU in
 * hypervisor context (no lock held, interrupts masked, as all hypervisor
 * code runs), from a guest exit or the idle loop; they must be short and
 * may take device locks.
 */
#include "lib/types.h"
#include "core/platform.h"

#define IRQ_MAX 128

typedef void (*irq_handler_fn)(void *arg);

/* Bring up the host interrupt controller (boot CPU). 0, or -FV_ENOTSUP if there is none. */
int irq_init(const struct platform *p);
/* Install @fn(@arg) for source @irq and enable it. 0, -FV_EINVAL, -FV_EBUSY or -FV_ENOTSUP. */
int irq_register(unsigned irq, irq_handler_fn fn, void *arg);
/* Run the handler of @irq (arch code, after claiming it); counts spurious ones. */
void irq_dispatch(unsigned irq);

#endif
