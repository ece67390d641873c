// SPDX-License-Identifier: MIT
/* Host unit tests of hyp/arch/riscv/vinsn.c: virtual-instruction exceptions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arch/riscv/vinsn.h"

static void test_wfi_waits_only_from_vs(void **state)
{
	(void)state;
	assert_int_equal(vinsn_classify(0x10500073U, true), VINSN_WAIT);
	/* VU-mode WFI: an illegal instruction for the guest, as on a hart without H. */
	assert_int_equal(vinsn_classify(0x10500073U, false), VINSN_ILLEGAL);
}

static void test_wrs_completes_from_both_modes(void **state)
{
	(void)state;
	assert_int_equal(vinsn_classify(0x00d00073U, true), VINSN_COMPLETE);
	assert_int_equal(vinsn_classify(0x00d00073U, false), VINSN_COMPLETE);
	assert_int_equal(vinsn_classify(0x01d00073U, true), VINSN_COMPLETE);
	assert_int_equal(vinsn_classify(0x01d00073U, false), VINSN_COMPLETE);
}

static void test_everything_else_illegal(void **state)
{
	static const uint32_t others[] = {
	    0,          /* stval not written and the fetch failed */
	    0x10200073, /* sret */
	    0x12000073, /* sfence.vma */
	    0x60002573, /* csrr a0, hstatus */
	    0x20002573, /* csrr a0, vsstatus */
	    0xc0302573, /* csrr a0, hpmcounter3 */
	    0x22000073, /* hfence.vvma */
	    0x10500033, /* WFI's bits with another opcode */
	    0x10510073, /* WFI with rs1 != 0 (reserved) */
	    0x00d000f3, /* wrs.nto with rd != 0 (not WRS) */
	    0x02d00073, /* next funct12 after wrs.sto */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(vinsn_classify(others[i], true), VINSN_ILLEGAL);
		assert_int_equal(vinsn_classify(others[i], false), VINSN_ILLEGAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wfi_waits_only_from_vs),
	    cmocka_unit_test(test_wrs_completes_from_both_modes),
	    cmocka_unit_test(test_everything_else_illegal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
