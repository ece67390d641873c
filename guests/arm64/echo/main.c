// SPDX-License-Identifier: MIT
/*
 * arm64 echo guest, the arm64 twin of guests/echo (its console part): reads lines from the
 * VM's PL011 (polled, waking every 10 ms from WFI on the virtual-timer tick) and answers
 * "echo: <line>". "crash" jumps to an address outside the VM's RAM with interrupts masked:
 * the hypervisor stops it as crashed (instruction fetch outside RAM; the management events
 * test). "poweroff" ends with PSCI SYSTEM_OFF. At boot it checks that its RAM is zero and
 * "fill" writes a pattern over it (ram.c: the memory-scrubbing test).
 */
#include "echo.h"
#include "guest.h"

#define LINE_MAX        128
#define ECHO_NOWHERE    0x20000000UL /* below RAM (0x40000000), no device there */
#define PSCI_SYSTEM_OFF 0x84000008UL

void guest_irq(void)
{
	tick_irq();
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

static bool streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

void guest_main(uint64_t dtb)
{
	static char line[LINE_MAX];
	unsigned len = 0;

	bool ram = echo_ram_check(dtb);
	con_puts("echo: ready on hart 0\n");
	tick_start(10);
	for (;;) {
		int c = con_getc();
		if (c < 0) {
			__asm__ volatile("wfi");
			continue;
		}
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			if (len == 0)
				continue;
			len = 0;
			if (streq(line, "crash")) {
				con_puts("echo: crashing\n");
				tick_stop();
				((void (*)(void))ECHO_NOWHERE)();
			} else if (streq(line, "fill") && ram) {
				echo_ram_fill();
			} else if (streq(line, "poweroff")) {
				con_puts("echo: powering off\n");
				psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
			} else {
				con_puts("echo: ");
				con_puts(line);
				con_puts("\n");
			}
		} else if (len < LINE_MAX - 1 && c >= 0x20 && c < 0x7f) {
			line[len++] = (char)c;
		}
	}
}
