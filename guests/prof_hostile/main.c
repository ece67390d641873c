// SPDX-License-Identifier: MIT
/*
 * prof_hostile: a guest whose frame pointer lies to the profiler (tests/integration/
 * test_profile.py, the `other` VM of linux-svc-prof.dts). prof_hostile_loop() spins with
 * s0 set, in turn, to: 0, a tiny value, a misaligned RAM address, the UART's MMIO window
 * (a read there would have side effects), the first byte past its RAM, the top of the
 * address space, and a crafted frame record in its RAM whose saved s0 points at itself
 * (a loop) with the return address PROF_HOSTILE_RA. The hypervisor's unwinder must stop
 * at each without faulting, reading MMIO or looping; the only return address it may
 * report is PROF_HOSTILE_RA. prof_hostile_loop sits at an 8 KiB boundary, away from
 * prof_target's prof_spin_here (4 KiB), so the two profiles can be told apart.
 */
#include <stdint.h>

#include "plat.h"
#include "printf.h"

#define PROF_HOSTILE_RA 0x80100000UL /* below its frames: not mistaken for a saved s0 */

/* A frame record: [fp-16] = saved s0, [fp-8] = return address; fp = &frame[2]. */
static uint64_t frame[4] __attribute__((aligned(16)));

void prof_hostile_loop(void);

__attribute__((noinline, aligned(8192))) void prof_hostile_loop(void)
{
	const uint64_t fp = (uint64_t)(uintptr_t)&frame[2];
	const uint64_t bad[] = {
	    0,
	    8,
	    0x80200003UL,                     /* misaligned, in RAM */
	    0x10000010UL,                     /* UART MMIO: fp-8 and fp-16 are device registers */
	    0x80000000UL + (32UL << 20) + 16, /* fp-16 and fp-8 just past its 32 MiB of RAM */
	    ~0UL - 15,                        /* top of the address space */
	    fp,                               /* the self-referencing frame */
	};
	frame[0] = fp; /* saved s0 = itself */
	frame[1] = PROF_HOSTILE_RA;
	for (;;) {
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			/* s0 is saved and restored around the spin: the compiler never sees it
			 * change. */
			__asm__ volatile("mv t1, s0\n"
			                 "mv s0, %0\n"
			                 "li t0, 300000\n"
			                 "1: addi t0, t0, -1\n"
			                 "bnez t0, 1b\n"
			                 "mv s0, t1\n"
			                 :
			                 : "r"(bad[i])
			                 : "t0", "t1", "memory");
		}
	}
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	printf("prof_hostile: spinning with hostile frame pointers\n");
	prof_hostile_loop();
}
