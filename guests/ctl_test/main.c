// SPDX-License-Identifier: MIT
/*
 * ctl_test on riscv64 (ctl_test.c does the service VM's work): the control console is the
 * service VM's first virtio-mmio window; in a VM without the channel, that address faults
 * (load and store access faults, injected by the hypervisor).
 */
#include "ct.h"
#include "plat.h"
#include "test.h"
#include "trap.h"

#define CT_CTL_GPA   0x10001000UL /* the service VM's only virtio device: window 0 */
#define CT_PROBE_GPA 0x10001000UL

static void probe(unsigned long dtb)
{
	ct_probe_dt(dtb);
	struct trap_record rec;
	trap_expect_begin();
	uint32_t v = *(volatile uint32_t *)CT_PROBE_GPA;
	bool faulted = trap_expect_end(&rec);
	test_check(faulted && rec.scause == 5, "probe.read.faults");
	test_check(!faulted || v != 0x74726976, "probe.read.nothing");
	trap_expect_begin();
	*(volatile uint32_t *)(CT_PROBE_GPA + 0x70) = 0;
	faulted = trap_expect_end(&rec);
	test_check(faulted && rec.scause == 7, "probe.write.faults");
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	if (!ct_is_service(dtb)) {
		probe(dtb);
		test_finish();
	}
	ct_run_service(dtb, CT_CTL_GPA, plat_ram_base());
}
