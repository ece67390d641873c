// SPDX-License-Identifier: MIT
/*
 * echo: a console witness for input routing. Reads lines from the UART
 * (polled, waking every 10 ms with WFI + timer) and answers "echo: <line>".
 * Commands: "reboot" and "poweroff" call SBI SRST (reboot / shutdown of this
 * VM).
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "trap.h"
#include "uart.h"

#define LINE_MAX 96

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static void on_timer(void)
{
	sbi_set_timer(rdtime() + plat_ms_to_ticks(10));
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	static char line[LINE_MAX];
	unsigned len = 0;

	(void)dtb;
	printf("echo: ready on hart %lu\n", hartid);
	trap_set_timer_hook(on_timer);
	sbi_set_timer(rdtime() + plat_ms_to_ticks(10));
	csr_set(sie, SIE_STIE);
	irq_enable();
	for (;;) {
		int c = uart_getc();
		if (c < 0) {
			cpu_wfi();
			continue;
		}
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			if (len == 0)
				continue;
			len = 0;
			if (streq(line, "reboot")) {
				printf("echo: rebooting\n");
				sbi_system_reset(1, 0);
			} else if (streq(line, "poweroff")) {
				printf("echo: powering off\n");
				sbi_system_reset(0, 0);
			} else {
				printf("echo: %s\n", line);
			}
		} else if (len < LINE_MAX - 1 && c >= 0x20 && c < 0x7f) {
			line[len++] = (char)c;
		}
	}
}
