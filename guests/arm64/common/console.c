// SPDX-License-Identifier: MIT
/* PL011 console output, PSCI calls and check lines for arm64 test guests. */
#include "guest.h"

#define PL011_DR 0x00
#define PL011_FR 0x18
#define FR_TXFF  (1u << 5)
#define FR_RXFE  (1u << 4)

volatile uint32_t *guest_uart = (volatile uint32_t *)GUEST_UART_BASE;
static unsigned failures;
static volatile uint32_t con_lock;

void con_putc(char c)
{
	while (guest_uart[PL011_FR / 4] & FR_TXFF)
		;
	guest_uart[PL011_DR / 4] = (uint8_t)c;
}

int con_getc(void)
{
	if (guest_uart[PL011_FR / 4] & FR_RXFE)
		return -1;
	return (int)(guest_uart[PL011_DR / 4] & 0xff);
}

/* Whole strings under a lock: two vCPUs' lines do not interleave. */
void con_puts(const char *s)
{
	while (__atomic_exchange_n(&con_lock, 1, __ATOMIC_ACQUIRE))
		;
	while (*s)
		con_putc(*s++);
	__atomic_store_n(&con_lock, 0, __ATOMIC_RELEASE);
}

void con_hex(uint64_t v)
{
	char buf[19] = "0x";
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = 0;
	con_puts(buf);
}

void con_dec(int64_t v)
{
	char buf[24];
	int i = 23;
	bool neg = v < 0;
	uint64_t u = neg ? (uint64_t)-v : (uint64_t)v;
	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (neg)
		buf[--i] = '-';
	con_puts(&buf[i]);
}

int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	__asm__ volatile("hvc #0"
	                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
	                 :
	                 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14",
	                   "x15", "x16", "x17", "memory");
	return (int64_t)x0;
}

bool check_eq(const char *name, int64_t got, int64_t want)
{
	bool ok = got == want;
	con_puts(ok ? "FV-CHECK PASS " : "FV-CHECK FAIL ");
	con_puts(name);
	if (!ok) {
		con_puts(" (got ");
		con_dec(got);
		con_puts(", want ");
		con_dec(want);
		con_puts(")");
		failures++;
	}
	con_puts("\n");
	return ok;
}

void check_result(void)
{
	if (!failures) {
		con_puts("FV-RESULT PASS\n");
		return;
	}
	con_puts("FV-RESULT FAIL ");
	con_dec(failures);
	con_puts(" check(s)\n");
}

/* A guest without an interrupt handler of its own gets none (it never unmasks IRQs). */
__attribute__((weak)) void guest_irq(void)
{
	con_puts("FV-CHECK FAIL unexpected_irq\n");
}

void guest_unexpected(uint64_t vector, uint64_t esr, uint64_t elr)
{
	con_puts("FV-CHECK FAIL unexpected_exception vector ");
	con_dec((int64_t)vector);
	con_puts(" ESR ");
	con_hex(esr);
	con_puts(" ELR ");
	con_hex(elr);
	con_puts("\n");
}
