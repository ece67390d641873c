// SPDX-License-Identifier: MIT
/*
 * sbi_test: SBI v3.0 conformance suite. Walks the SBI specification extension by extension
 * (one ext_<ext>.c each, declared in suite.h): valid calls, every documented error, boundary
 * values, and calls from both harts at once. Runs as a VM under Ferrovisor and natively on
 * OpenSBI; checks that do not apply natively print FV-CHECK SKIP. Needs two harts.
 * guest_main is a plain ordered list of suites; the run ends with an SRST shutdown.
 */
#include "plat.h"
#include "printf.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
	printf("sbi_test: start on hart %lu dtb 0x%lx timebase %lu\n", hartid, dtb,
	       (unsigned long)plat_timebase_hz());
	suite_init(hartid);
	sbi_suite_base();
	sbi_suite_legacy();
	sbi_suite_time();
	sbi_suite_ipi();
	sbi_suite_rfence();
	sbi_suite_hsm();
	sbi_suite_dbcn();
	sbi_suite_sse();
	sbi_suite_hsm_spec();
	sbi_suite_sta();
	sbi_suite_susp();
	sbi_suite_fwft();
	sbi_suite_dbtr();
	sbi_suite_pmu();
	sbi_suite_srst();
	test_finish();
}
