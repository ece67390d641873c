/* SPDX-License-Identifier: MIT */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdbool.h>

/*
 * Test verdict lines parsed by tests/integration:
 *   FV-CHECK PASS <name>
 *   FV-CHECK FAIL <name> <details>
 *   FV-CHECK SKIP <name> <reason>   (not run here: neither a pass nor a failure)
 *   FV-RESULT PASS | FV-RESULT FAIL (<n> failed)
 * Safe to call from any hart; counters are atomic.
 */
bool test_check(bool cond, const char *name);
bool test_checkf(bool cond, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Check an SBI-style signed value against the expected one, printing both on failure. */
bool test_check_eq(const char *name, long got, long expected);
/*
 * Report `name` as skipped with a reason (e.g. the extension is absent on this SBI
 * implementation). Skips count neither as checks nor as failures.
 */
void test_skip(const char *name, const char *reason);
/*
 * Skip region: while a reason is set, every test_check* prints `FV-CHECK SKIP <name> <reason>`
 * instead of a verdict and returns false. Global (all harts); set and cleared by the boot hart
 * around one suite. NULL ends the region.
 */
void test_skip_all(const char *reason);
unsigned int test_failures(void);
unsigned int test_skips(void);
unsigned int test_checks(void);

/* Print FV-RESULT and shut down with SBI SRST (reason "failure" when checks failed). */
void test_finish(void) __attribute__((noreturn));
/* Count a failure, print FV-RESULT FAIL and shut down. */
void test_abort(const char *why) __attribute__((noreturn));
/* SRST shutdown; if that fails, hang with interrupts off. */
void test_shutdown(bool failure) __attribute__((noreturn));

#endif
