// SPDX-License-Identifier: MIT
/*
 * echo: a console witness for input routing. Reads lines from the UART
 * (polled, waking every 10 ms with WFI + timer) and answers "echo: <line>".
 * Commands: "reboot" and "poweroff" call SBI SRST (reboot / shutdown of this
 * VM); "forge" prints what a hostile guest would to forge the operator's
 * terminal (see forge()); "fill" writes a pattern over all of its RAM above
 * the image (the memory-scrubbing test: a VM created later on the same memory
 * must find zeros only, which the boot check below scans for); "crash" points its
 * trap vector at an address with no memory and jumps there, so its own fault handler
 * cannot be fetched: the hypervisor stops it as crashed (the management events test).
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "trap.h"
#include "uart.h"

#define LINE_MAX 96
#define PATTERN  0x5afe5afe5afe5afeULL
/* A guest-physical address with neither RAM nor a device (Ferrovisor's guest map starts
 * devices at 0x0c000000 and RAM at 0x80000000). */
#define ECHO_NOWHERE 0x1000UL

extern char __image_end[];
static uint64_t dtb_addr; /* the hypervisor places the device tree at the top of RAM */

/* RAM above the image and its stacks, up to the device tree (or the top), 4 KiB aligned. */
static void free_ram(uint64_t *lo, uint64_t *hi)
{
	*lo = ((uint64_t)(uintptr_t)__image_end + 4095) & ~4095ULL;
	*hi = plat_ram_base() + plat_ram_size();
	if (dtb_addr > *lo && dtb_addr < *hi)
		*hi = dtb_addr & ~4095ULL;
}

/* Nonzero 64-bit words in all RAM above the image. */
static uint64_t count_nonzero(void)
{
	uint64_t lo, hi, bad = 0;
	free_ram(&lo, &hi);
	for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)lo;
	     p < (volatile uint64_t *)(uintptr_t)hi; p++)
		bad += *p != 0;
	return bad;
}

static void fill_ram(void)
{
	uint64_t lo, hi;
	free_ram(&lo, &hi);
	for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)lo;
	     p < (volatile uint64_t *)(uintptr_t)hi; p++)
		*p = PATTERN ^ (uint64_t)(uintptr_t)p;
	printf("echo: filled %lu KiB of RAM with a pattern\n", (unsigned long)((hi - lo) >> 10));
}

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
	/* All of it, not just the probes: the scrubbing test fills everything. */
	uint64_t lo, hi, all = count_nonzero();
	free_ram(&lo, &hi);
	printf("echo: scanned %lu KiB above the image: %s (%lu nonzero words)\n",
	       (unsigned long)((hi - lo) >> 10), all ? "NOT zero" : "zero", (unsigned long)all);
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)probes[i];
		for (unsigned k = 0; k < 4096 / 8; k++)
			p[k] = PATTERN ^ k;
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

	dtb_addr = dtb;
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
			} else if (streq(line, "fill")) {
				fill_ram();
			} else if (streq(line, "poweroff")) {
				printf("echo: powering off\n");
				sbi_system_reset(0, 0);
			} else if (streq(line, "forge")) {
				forge();
			} else if (streq(line, "crash")) {
				printf("echo: crashing\n");
				irq_disable();
				csr_write(stvec, ECHO_NOWHERE);
				((void (*)(void))(uintptr_t)ECHO_NOWHERE)();
			} else {
				printf("echo: %s\n", line);
			}
		} else if (len < LINE_MAX - 1 && c >= 0x20 && c < 0x7f) {
			line[len++] = (char)c;
		}
	}
}
