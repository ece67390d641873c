// SPDX-License-Identifier: MIT
/*
 * arm64 spin guest, the twin of guests/spin: a hostile CPU hog. Prints one line, masks
 * every exception (DAIF) and spins forever without a trap: only the hypervisor's own
 * interrupts (routed to EL2 whatever the guest masks) take its CPU back
 * (test_hyp_dynamic.py: a pause parks it, a destroy stops it).
 */
#include "guest.h"

void guest_irq(void)
{
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	con_puts("spin: start\n");
	__asm__ volatile("msr daifset, #0xf" ::: "memory");
	for (;;)
		__asm__ volatile("" ::: "memory");
}
