/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_H
#define SBI_TEST_SUITE_H

/* Per-extension conformance suites of sbi_test, one line each, called from guest_main(). */
void sbi_suite_hsm_spec(void);
void sbi_suite_sta(void);
void sbi_suite_susp(void);

#endif
