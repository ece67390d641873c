// SPDX-License-Identifier: MIT
/* Check/verdict helpers shared by the test guests. */
#include <stdarg.h>
#include <stdint.h>

#include "csr.h"
#include "printf.h"
#include "sbi.h"
#include "spinlock.h"
#include "test.h"
#include "uart.h"

static volatile uint32_t n_checks;
static volatile uint32_t n_failed;
static volatile uint32_t n_skipped;
static const char *volatile skip_reason;

void test_skip(const char *name, const char *reason)
{
	atomic_add32(&n_skipped, 1);
	printf("FV-CHECK SKIP %s %s\n", name, reason);
}

void test_skip_all(const char *reason)
{
	skip_reason = reason;
}

/* In a skip region: print the SKIP line for `name` and return true. */
static bool skipped(const char *name)
{
	const char *why = skip_reason;

	if (!why)
		return false;
	test_skip(name, why);
	return true;
}

bool test_check(bool cond, const char *name)
{
	if (skipped(name))
		return false;
	atomic_add32(&n_checks, 1);
	if (cond) {
		printf("FV-CHECK PASS %s\n", name);
	} else {
		atomic_add32(&n_failed, 1);
		printf("FV-CHECK FAIL %s\n", name);
	}
	return cond;
}

bool test_checkf(bool cond, const char *name, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	if (skipped(name))
		return false;
	atomic_add32(&n_checks, 1);
	if (cond) {
		printf("FV-CHECK PASS %s\n", name);
		return true;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	atomic_add32(&n_failed, 1);
	printf("FV-CHECK FAIL %s %s\n", name, detail);
	return false;
}

bool test_check_eq(const char *name, long got, long expected)
{
	return test_checkf(got == expected, name, "got %ld (0x%lx) expected %ld (0x%lx)", got,
	                   (unsigned long)got, expected, (unsigned long)expected);
}

unsigned int test_failures(void)
{
	return n_failed;
}

unsigned int test_skips(void)
{
	return n_skipped;
}

unsigned int test_checks(void)
{
	return n_checks;
}

void test_shutdown(bool failure)
{
	sbi_system_reset(SBI_SRST_SHUTDOWN,
	                 failure ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_NONE);
	printf("test: SBI system_reset returned, halting\n");
	csr_write(sie, 0);
	for (;;)
		cpu_wfi();
}

void test_finish(void)
{
	printf("test: %u checks, %u failed, %u skipped\n", n_checks, n_failed, n_skipped);
	if (n_failed == 0 && n_checks > 0)
		printf("FV-RESULT PASS\n");
	else if (n_failed == 0)
		printf("FV-RESULT FAIL (no checks ran)\n");
	else
		printf("FV-RESULT FAIL (%u failed)\n", n_failed);
	test_shutdown(n_failed != 0 || n_checks == 0);
}

void test_abort(const char *why)
{
	char line[160];
	int n;

	atomic_add32(&n_failed, 1);
	/* May run in a trap taken while this hart holds the console lock: write unlocked. */
	n = snprintf(line, sizeof(line), "FV-RESULT FAIL (%u failed: %s)\n", n_failed, why);
	uart_write_unlocked(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	test_shutdown(true);
}
