// SPDX-License-Identifier: MIT
/*
 * bench_uart: console input latency witness. Busy-reads its UART (no interrupts, no wfi,
 * so the guest's own wake-up is not in the figure) and answers every byte b it receives
 * with the line "K<b>" at once: the host times a byte written to QEMU's serial chardev to
 * that line (bench/fvbench/console.py). Natively the UART is QEMU's; under Ferrovisor it
 * is the VM's emulated one, fed from the physical UART's interrupt (or the 10 ms poll).
 */
#include "plat.h"
#include "printf.h"
#include "uart.h"

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	printf("bench_uart: ready\n");
	for (;;) {
		int c = uart_getc();
		if (c < 0 || c == '\r' || c == '\n')
			continue;
		char line[3] = {'K', (char)c, '\n'};
		uart_write(line, sizeof(line));
	}
}
