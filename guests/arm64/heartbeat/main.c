// SPDX-License-Identifier: MIT
/*
 * arm64 heartbeat guest, the arm64 twin of guests/hello: prints "hello from hart 0", then
 * "heartbeat <n>" every 200 ms forever, paced by the EL1 virtual timer (common/tick.c) and
 * WFI. A witness that a VM keeps running (management-plane tests: stop/start/pause/resume
 * through ferrovisord). One PSCI_VERSION call at boot, so that its hypercall counters are
 * not zero (test_metrics.py), as hello's SBI set_timer calls are.
 */
#include "guest.h"

#define PERIOD_MS    200
#define PSCI_VERSION 0x84000000UL

void guest_irq(void)
{
	tick_irq();
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	con_puts("hello from hart 0\n");
	if (psci_call(PSCI_VERSION, 0, 0, 0) < 0x10000)
		con_puts("error: PSCI version below 1.0\n");
	tick_start(PERIOD_MS);
	uint64_t seen = 0;
	for (;;) {
		__asm__ volatile("wfi");
		/* Every tick gets its line, also two that came while this vCPU waited for a
		 * CPU: the count on the console is contiguous (test_mgmt_e2e checks it). */
		while (seen != tick_count()) {
			seen++;
			con_puts("heartbeat ");
			con_dec((int64_t)seen);
			con_puts("\n");
		}
	}
}
