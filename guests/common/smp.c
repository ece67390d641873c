// SPDX-License-Identifier: MIT
/* Starting and parking secondary harts through SBI HSM (SBI spec v2.0 §9). */
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "entry.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"

/* Written by the starting hart before hart_start, read by the started hart: the SBI call is
 * the handoff, a `fence rw, rw` before it orders the store. */
static volatile smp_entry_fn entries[GUEST_MAX_HARTS];

struct sbiret smp_start_hart_at(unsigned long hartid, unsigned long start_addr, smp_entry_fn fn,
                                unsigned long opaque)
{
	if (hartid < GUEST_MAX_HARTS) {
		entries[hartid] = fn;
		__asm__ volatile("fence rw, rw" : : : "memory");
	}
	return sbi_hart_start(hartid, start_addr, opaque);
}

struct sbiret smp_start_hart(unsigned long hartid, smp_entry_fn fn, unsigned long opaque)
{
	return smp_start_hart_at(hartid, (unsigned long)_secondary_entry, fn, opaque);
}

void smp_secondary_main(unsigned long hartid, unsigned long opaque)
{
	smp_entry_fn fn = entries[hartid];

	if (fn)
		fn(hartid, opaque);
	else
		printf("smp: hart %lu started without an entry\n", hartid);
	csr_write(sie, 0);
	sbi_hart_stop();
	printf("smp: hart %lu: hart_stop returned\n", hartid);
}

void smp_park(unsigned long hartid)
{
	/* Not the boot hart but entered at _start: become a stopped hart. */
	csr_write(sie, 0);
	sbi_hart_stop();
	printf("smp: hart %lu could not park\n", hartid);
}

long smp_find_other_hart(unsigned long self)
{
	for (unsigned long id = 0; id < GUEST_MAX_HARTS; id++) {
		if (id == self)
			continue;
		if (sbi_hart_get_status(id).error == SBI_SUCCESS)
			return (long)id;
	}
	return -1;
}

bool smp_wait_status(unsigned long hartid, long state, unsigned long timeout_ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(timeout_ms);

	do {
		struct sbiret r = sbi_hart_get_status(hartid);
		if (r.error == SBI_SUCCESS && r.value == state)
			return true;
	} while (rdtime() < end);
	return false;
}
