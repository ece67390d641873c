/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_UTIL_H
#define SBI_TEST_SUITE_UTIL_H

/* Small helpers shared by the ext_*.c suites of sbi_test. */
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"

/* Ferrovisor's SBI implementation ID ("FV"). */
#define SUITE_IMPL_ID_FV 0x4656L

/* True when the SBI is Ferrovisor (where every extension of these suites must exist). */
static inline bool suite_under_ferrovisor(void)
{
	struct sbiret r = sbi_get_impl_id();

	return r.error == SBI_SUCCESS && r.value == SUITE_IMPL_ID_FV;
}

/* A check that cannot run here (extension or feature absent natively): not a PASS. */
static inline void suite_skip(const char *name, const char *why)
{
	printf("FV-CHECK SKIP %s %s\n", name, why);
}

/* Spin until *p != old or timeout_ms pass; true if it changed. */
static inline bool suite_wait_change(const volatile uint64_t *p, uint64_t old,
                                     unsigned long timeout_ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(timeout_ms);

	while (*p == old) {
		if (rdtime() > end)
			return false;
		__asm__ volatile("nop");
	}
	return true;
}

#endif
