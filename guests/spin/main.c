// SPDX-License-Identifier: MIT
/* spin: a hostile CPU hog. Prints one line, masks every interrupt and spins forever. */
#include "csr.h"
#include "plat.h"
#include "printf.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	printf("spin: start\n");
	irq_disable();
	csr_write(sie, 0);
	for (;;)
		__asm__ volatile("" : : : "memory");
}
