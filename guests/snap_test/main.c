// SPDX-License-Identifier: MIT
/* snap_test on riscv64 (snap_test.c does the work): the control console is the service
 * VM's first virtio-mmio slot on Ferrovisor's RISC-V guest map. */
#include "plat.h"
#include "snap_test.h"

#define CTL_GPA 0x10001000UL

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	snap_test_run(dtb, CTL_GPA);
}
