/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_H
#define SBI_TEST_SUITE_H

/* Per-extension conformance suites of sbi_test (ext_<ext>.c), one line each. */
void sbi_suite_fwft(void);
void sbi_suite_dbtr(void);

#endif
