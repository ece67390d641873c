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

/*
 * Guest RAM must be zero when a boot starts, whatever the last boot left.
 * Check a few blocks far from the image (the hypervisor zeroes lazily, by
 * 2 MiB block), then scribble over them so a reboot that failed to clear
 * RAM would show here next time.
 */
static void check_and_dirty_ram(void)
{
	uint64_t base = plat_ram_base(), size = plat_ram_size();
	uint64_t probes[3] = {base + size / 2, base + size - (1UL << 20), base + size / 4 + 4096};
	unsigned bad = 0;

	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)probes[i];
		for (unsigned k = 0; k < 4096 / 8; k++)
			bad += p[k] != 0;
	}
	printf("echo: ram at boot %s (%u nonzero words)\n", bad ? "NOT zero" : "zero", bad);
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)probes[i];
		for (unsigned k = 0; k < 4096 / 8; k++)
			p[k] = 0x5afe5afe5afe5afeULL ^ k;
	}
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
	check_and_dirty_ram();
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
