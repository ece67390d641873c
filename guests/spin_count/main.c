// SPDX-License-Identifier: MIT
/*
 * spin_count: a CPU hog that reports its progress. It masks interrupts and
 * counts loop iterations; every SPIN_BLOCK iterations it prints
 * "spin_count N" (N = blocks done so far). The rate of these lines is the
 * CPU share the scheduler gives it, which the scheduling tests compare
 * between two such VMs on one CPU (weights) or watch move (affinity).
 */
#include "csr.h"
#include "plat.h"
#include "printf.h"

#define SPIN_BLOCK (1UL << 27)

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	printf("spin_count: start\n");
	irq_disable();
	csr_write(sie, 0);
	for (unsigned long n = 1;; n++) {
		for (unsigned long i = 0; i < SPIN_BLOCK; i++)
			__asm__ volatile("" : : : "memory");
		printf("spin_count %lu\n", n);
	}
}
