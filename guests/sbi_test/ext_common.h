/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_EXT_COMMON_H
#define SBI_TEST_EXT_COMMON_H

/*
 * Helpers shared by the SBI 3.0 suites (FWFT, DBTR): constants the common
 * sbi.h does not have yet, and the check that tolerates a documented
 * OpenSBI 1.5.1 deviation natively (printed as SKIP) but never under
 * Ferrovisor.
 */
#include <stdbool.h>

#include "printf.h"
#include "sbi.h"
#include "test.h"

#define EXT_SBI_ERR_INVALID_STATE -10
#define EXT_SBI_ERR_BAD_RANGE     -11
#define EXT_SBI_ERR_DENIED_LOCKED -14
#define EXT_SBI_IMPL_OPENSBI      1

/* True when the SBI implementation is OpenSBI (the native runs). */
static inline bool ext_on_opensbi(void)
{
	return sbi_get_impl_id().value == EXT_SBI_IMPL_OPENSBI;
}

/* Print one SKIP verdict line (not counted as a check). */
static inline void ext_skip(const char *name, const char *why)
{
	printf("FV-CHECK SKIP %s %s\n", name, why);
}

/*
 * got == want passes. Otherwise, on OpenSBI and when @deviation names a
 * known deviation of OpenSBI 1.5.1 from the spec, print SKIP with the
 * values; anywhere else it fails.
 */
static inline void ext_check_eq(const char *name, long got, long want, const char *deviation)
{
	if (got != want && deviation && ext_on_opensbi()) {
		printf("FV-CHECK SKIP %s opensbi-1.5.1 deviation (%s): got %ld, spec says %ld\n",
		       name, deviation, got, want);
		return;
	}
	test_check_eq(name, got, want);
}

/* Like ext_check_eq for a boolean outcome. */
static inline void ext_check(bool cond, const char *name, const char *deviation)
{
	if (!cond && deviation && ext_on_opensbi()) {
		printf("FV-CHECK SKIP %s opensbi-1.5.1 deviation (%s)\n", name, deviation);
		return;
	}
	test_check(cond, name);
}

#endif
