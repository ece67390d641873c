/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_H
#define SBI_TEST_SUITE_H

/* Per-extension conformance suites (guests/sbi_test/ext_<ext>.c), run from guest_main(). */
void sbi_suite_pmu(void);

#endif
