// SPDX-License-Identifier: MIT
/*
 * crash: a guest that dies at once, for the metrics and alerting tests (crash counters, a
 * crash-looping VM). It prints "crash: stvec -> unmapped, faulting", points its trap vector
 * at a guest-physical address that is neither RAM nor a device, and loads from one. The
 * load faults, the fault's trap handler cannot be fetched, and Ferrovisor stops the VM as
 * crashed ("cannot fetch its trap handler"). Natively (no hypervisor) the hart would spin in
 * firmware: it is meant for Ferrovisor only.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"

#define UNMAPPED 0x1000UL /* below the virt board's devices: nothing there */

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("crash: hart %lu: stvec -> unmapped, faulting\n", hartid);
	csr_write(stvec, UNMAPPED);
	(void)*(volatile uint32_t *)UNMAPPED;
	printf("crash: still alive (the load did not fault)\n");
	for (;;)
		;
}
