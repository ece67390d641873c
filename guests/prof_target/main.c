// SPDX-License-Identifier: MIT
/*
 * prof_target: the guest the profiler integration test samples (tests/integration/
 * test_profile.py; built with symbols and frame pointers, build/guests/prof_target.elf).
 * It prints one line and then spends its time in prof_spin_here(), called through
 * prof_outer() -> prof_middle(), so the profile's top function is prof_spin_here and its
 * folded stacks show that caller chain. prof_spin_here sits on its own page so that no
 * other test guest (e.g. spin, the test's second VM) has code at its addresses.
 */
#include <stdint.h>

#include "plat.h"
#include "printf.h"

volatile uint64_t prof_counter;

void prof_spin_here(void);
void prof_middle(void);
void prof_outer(void);

__attribute__((noinline, aligned(4096))) void prof_spin_here(void)
{
	for (unsigned i = 0; i < 100000; i++)
		prof_counter++;
}

__attribute__((noinline)) void prof_middle(void)
{
	prof_spin_here();
	__asm__ volatile("" ::: "memory"); /* keep the call a call, not a tail jump */
}

__attribute__((noinline)) void prof_outer(void)
{
	for (;;) {
		prof_middle();
		__asm__ volatile("" ::: "memory");
	}
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	printf("prof_target: spinning in prof_spin_here\n");
	prof_outer();
}
