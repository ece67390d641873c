// SPDX-License-Identifier: MIT
/*
 * SRST extension (EID "SRST"), SBI spec v3.0 chapter 10: what can be checked without ending
 * the run. Reserved reset types and reasons, and vendor/platform types an implementation
 * does not implement, must return SBI_ERR_INVALID_PARAM; reset_type and reset_reason are
 * uint32_t, so garbage in the upper register bits must not change that. The successful
 * shutdown is the suite's final call (test_finish in guest_main).
 */
#include <stdint.h>

#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

static long reset(unsigned long type, unsigned long reason)
{
	return sbi_ecall(SBI_EXT_SRST, 0, type, reason, 0, 0, 0, 0).error;
}

void sbi_suite_srst(void)
{
	static const struct {
		unsigned long type, reason;
		const char *name;
	} cases[] = {
	    {0x00000003UL, 0, "srst.system_reset.reserved_type_first"},
	    {0xEFFFFFFFUL, 0, "srst.system_reset.reserved_type_last"},
	    {SBI_SRST_SHUTDOWN, 0x00000002UL, "srst.system_reset.reserved_reason_first"},
	    {SBI_SRST_COLD_REBOOT, 0xDFFFFFFFUL, "srst.system_reset.reserved_reason_last"},
	    {SBI_SRST_WARM_REBOOT, 0x12345678UL, "srst.system_reset.reserved_reason_warm"},
	    /* Vendor/platform types nobody here implements. */
	    {0xF0000000UL, 0, "srst.system_reset.vendor_type_unimplemented"},
	    {0xFFFFFFFFUL, 1, "srst.system_reset.vendor_type_last_unimplemented"},
	    /* Upper 32 bits are not part of the uint32_t arguments. */
	    {0xdeadbeef00000003UL, 0, "srst.system_reset.reserved_type_upper_bits"},
	    {0xffffffff00000000UL | SBI_SRST_SHUTDOWN, 0xffffffff00000002UL,
	     "srst.system_reset.reserved_reason_upper_bits"},
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_check_eq(cases[i].name, reset(cases[i].type, cases[i].reason),
		              SBI_ERR_INVALID_PARAM);
}
