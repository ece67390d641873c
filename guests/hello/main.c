// SPDX-License-Identifier: MIT
/*
 * hello: prints "hello from hart <id>", then "heartbeat <n>" every 200 ms forever, paced by
 * SBI set_timer and WFI with timer interrupts. A witness that a VM keeps running.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "trap.h"

#define PERIOD_MS 200

static uint64_t next_deadline;

static void on_timer(void)
{
	uint64_t now = rdtime();

	/* Keep the period; after a long stall (host load) restart from now instead of
	 * firing a burst of catch-up interrupts. */
	next_deadline += plat_ms_to_ticks(PERIOD_MS);
	if (next_deadline <= now)
		next_deadline = now + plat_ms_to_ticks(PERIOD_MS);
	sbi_set_timer(next_deadline);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t seen = 0;

	(void)dtb;
	printf("hello from hart %lu\n", hartid);
	trap_set_timer_hook(on_timer);
	next_deadline = rdtime() + plat_ms_to_ticks(PERIOD_MS);
	sbi_set_timer(next_deadline);
	csr_set(sie, SIE_STIE);
	irq_enable();
	for (;;) {
		cpu_wfi();
		if (h->timer_count != seen) {
			seen = h->timer_count;
			printf("heartbeat %lu\n", (unsigned long)seen);
		}
	}
}
