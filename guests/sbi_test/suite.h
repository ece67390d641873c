/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_H
#define SBI_TEST_SUITE_H

/*
 * The conformance suites of sbi_test, one per SBI extension (ext_<ext>.c), called in order by
 * guest_main(). Each prints `FV-CHECK ... <ext>.<function>.<case>` lines and leaves the
 * second hart STOPPED. One line per extension.
 */
void sbi_suite_base(void);
void sbi_suite_legacy(void);
void sbi_suite_time(void);
void sbi_suite_ipi(void);
void sbi_suite_rfence(void);
void sbi_suite_hsm(void);
void sbi_suite_dbcn(void);
void sbi_suite_srst(void);
void sbi_suite_sse(void);
void sbi_suite_hsm_spec(void);
void sbi_suite_sta(void);
void sbi_suite_susp(void);
void sbi_suite_fwft(void);
void sbi_suite_dbtr(void);
void sbi_suite_pmu(void);

#endif
