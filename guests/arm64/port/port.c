// SPDX-License-Identifier: MIT
/*
 * What the portable files of guests/common need from a platform, for the arm64 guests
 * that link them (PORT_OBJS in the Makefile: printf.c, string.c, fdt.c, vcon.c,
 * fvcp_client.c and the hypervisor's FVCP codec): console output (uart.h), the clock
 * (plat.h) and the check lines of test.h, on the arm64 console and PSCI of common/.
 * Check lines count in common/console.c, so check_result() reports them all.
 */
#include "guest.h"

/* guests/common headers (found through -I../common) */
#include "plat.h"
#include "test.h"
#include "uart.h"

#define PSCI_SYSTEM_OFF 0x84000008UL

void uart_write(const char *s, size_t len)
{
	/* con_puts writes NUL-terminated strings under the console lock: in pieces. */
	char piece[128];
	while (len) {
		size_t n = len < sizeof(piece) - 1 ? len : sizeof(piece) - 1;
		for (size_t i = 0; i < n; i++)
			piece[i] = s[i];
		piece[n] = 0;
		con_puts(piece);
		s += n;
		len -= n;
	}
}

uint64_t plat_now(void)
{
	uint64_t t;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t)::"memory");
	return t;
}

uint64_t plat_ms_to_ticks(uint64_t ms)
{
	uint64_t hz;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(hz));
	return hz / 1000 * ms;
}

bool test_check(bool cond, const char *name)
{
	return check_eq(name, cond ? 1 : 0, 1);
}

bool test_check_eq(const char *name, long got, long expected)
{
	return check_eq(name, got, expected);
}

void test_finish(void)
{
	check_result();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

void test_abort(const char *why)
{
	con_puts("abort: ");
	con_puts(why);
	con_puts("\n");
	check_eq("abort", 0, 1);
	test_finish();
}
