/* SPDX-License-Identifier: MIT */
#ifndef FV_GUEST_ARM64_H
#define FV_GUEST_ARM64_H

/*
 * What arm64 test guests share: the console (the VM's PL011 at its default address),
 * PSCI calls over HVC, and FV-CHECK lines in the format of guests/common/test.h.
 */
#include <stdbool.h>
#include <stdint.h>

/*
 * The arm64 guest map (hyp/arch/arm64/guest_map.h, QEMU arm64 virt's): RAM from 1 GiB, the
 * VM's UART at Ferrovisor's default uart-base (configs may move it; these guests don't),
 * the GICv3 distributor and the first redistributor (128 KiB per vCPU after it).
 */
#define GUEST_RAM_BASE  0x40000000UL
#define GUEST_UART_BASE 0x09000000UL
#define GUEST_GICD_BASE 0x08000000UL
#define GUEST_GICR_BASE 0x080a0000UL

/* The PL011 the console writes to: GUEST_UART_BASE unless a guest points it elsewhere first. */
extern volatile uint32_t *guest_uart;

void guest_main(uint64_t dtb);
void guest_secondary(uint64_t cpu, uint64_t context);

void con_putc(char c);
void con_puts(const char *s);
void con_hex(uint64_t v);
void con_dec(int64_t v);

/* PSCI call through HVC #0 (SMC Calling Convention). */
int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3);

/* "FV-CHECK PASS name" / "FV-CHECK FAIL name (got X, want Y)"; returns ok. */
bool check_eq(const char *name, int64_t got, int64_t want);
/* "FV-RESULT PASS" or "FV-RESULT FAIL n check(s)". */
void check_result(void);

/* Interrupts (common/vectors.S): VBAR_EL1 = guest_vectors; IRQs call guest_irq(). */
extern char guest_vectors[];
void guest_irq(void);
/* Any other exception: reported as "FV-CHECK FAIL unexpected_exception" and the CPU parks. */
void guest_unexpected(uint64_t vector, uint64_t esr, uint64_t elr);

/* A periodic virtual-timer tick on vCPU 0 (common/tick.c): tick_start() sets up the GIC and
 * the timer and unmasks IRQs; the guest's guest_irq() calls tick_irq() (acknowledges the
 * interrupt, re-arms the timer, true on a tick); tick_count() counts ticks; tick_stop()
 * masks IRQs and stops the timer. */
void tick_start(unsigned period_ms);
bool tick_irq(void);
uint64_t tick_count(void);
void tick_stop(void);

/* The PL011's receive side: a byte typed on the VM's console, or -1 when none is waiting. */
int con_getc(void);

#endif
