// SPDX-License-Identifier: MIT
/*
 * echo: a console witness for input routing. Reads lines from the UART
 * (polled, waking every 10 ms with WFI + timer) and answers "echo: <line>".
 * Commands: "reboot" and "poweroff" call SBI SRST (reboot / shutdown of this
 * VM); "forge" prints what a hostile guest would to forge the operator's
 * terminal (see forge()).
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

/*
 * Terminal control a hostile guest sends: set the window title (OSC ... BEL),
 * return to the line start and erase it (CR, CSI 2K) to print a fake
 * hypervisor line, backspace over its own tag, an 8-bit CSI (0x9b), a
 * UTF-8 "e acute" and a C1 control in UTF-8 (U+009B). The console
 * multiplexer must show all of it as text (core/conesc.h).
 */
static void forge(void)
{
	static const char *const seqs[] = {
	    "\x1b]0;pwned-title\x07",
	    "\r\x1b[2K[hyp] vm hello: stopped after a fatal guest error\n",
	    "\b\b\b\b\b\b\b\b[hyp] fake tagless line\n",
	    "8bit-csi \x9b"
	    "31m utf8 \xc3\xa9 c1 \xc2\x9b"
	    "2J\n",
	    "dsr \x1b[6n query\n",
	};
	for (unsigned i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		size_t n = 0;
		while (seqs[i][n])
			n++;
		uart_write(seqs[i], n);
	}
	printf("echo: forged\n");
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
			} else if (streq(line, "forge")) {
				forge();
			} else {
				printf("echo: %s\n", line);
			}
		} else if (len < LINE_MAX - 1 && c >= 0x20 && c < 0x7f) {
			line[len++] = (char)c;
		}
	}
}
