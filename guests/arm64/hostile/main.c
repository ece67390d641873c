// SPDX-License-Identifier: MIT
/*
 * arm64 hostile guest: what a broken or malicious guest does to its hypervisor. The mode
 * comes from the VM's bootargs ("fvmode=X", found in the device tree Ferrovisor gives it):
 *   a  survivable garbage: PSCI calls with every argument out of range, every GICD/GICR
 *      register written with all ones and read back, ICC_SGI1R_EL1 with every bit set,
 *      then FV-RESULT PASS and SYSTEM_OFF (the VM must stop cleanly, nothing else hurt);
 *   b  a load from a guest physical address nothing answers (no RAM, no device);
 *   c  a load pair from the UART (no syndrome: not emulatable);
 *   d  a jump to an address outside RAM.
 * Modes b-d must stop only this VM, with one log line saying why.
 */
#include "guest.h"

#define PSCI_CPU_ON        0xc4000003UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_FEATURES      0x8400000aUL
#define PSCI_SYSTEM_OFF    0x84000008UL

static char find_mode(const uint8_t *dtb)
{
	/* The blob's total size is its big-endian header word 1; bounded for a bad tree. */
	uint32_t size =
	    (uint32_t)dtb[4] << 24 | (uint32_t)dtb[5] << 16 | (uint32_t)dtb[6] << 8 | dtb[7];
	if (size > 65536)
		size = 65536;
	static const char key[] = "fvmode=";
	for (uint32_t i = 0; i + sizeof(key) < size; i++) {
		unsigned k = 0;
		while (k < sizeof(key) - 1 && dtb[i + k] == (uint8_t)key[k])
			k++;
		if (k == sizeof(key) - 1)
			return (char)dtb[i + k];
	}
	return '?';
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
}

static void survivable(void)
{
	static const uint64_t bad[] = {~0ULL, 1ULL << 63, 0xff00000000ULL, 0x100, 2, 0x80000000};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (unsigned j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
			int64_t r = psci_call(PSCI_CPU_ON, bad[i], bad[j], bad[i] ^ bad[j]);
			if (r == 0)
				check_eq("hostile.cpu_on_garbage_refused", r, -2);
			(void)psci_call(PSCI_AFFINITY_INFO, bad[i], bad[j], 0);
			(void)psci_call(PSCI_FEATURES, bad[i], 0, 0);
			(void)psci_call(bad[i] | bad[j], bad[i], bad[j], 0);
		}
	con_puts("psci garbage answered\n");
	/* Every GIC register of the window: all ones written, then read. */
	const uint64_t gicr = GUEST_GICR_BASE - GUEST_GICD_BASE;
	for (uint64_t off = 0; off < gicr + 0x10000; off += 4) {
		if (off >= 0x10000 && off < gicr)
			continue; /* between GICD and the GICRs: no register (would stop the VM) */
		volatile uint32_t *r = (volatile uint32_t *)(GUEST_GICD_BASE + off);
		*r = 0xffffffffU;
		(void)*r;
	}
	con_puts("gic register sweep survived\n");
	__asm__ volatile("msr S3_0_C12_C11_5, %0" : : "r"(~0ULL)); /* ICC_SGI1R_EL1 */
	check_eq("hostile.still_running", 1, 1);
	check_result();
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
}

void guest_main(uint64_t dtb)
{
	char mode = find_mode((const uint8_t *)dtb);
	con_puts("hostile mode ");
	con_putc(mode);
	con_puts("\n");
	switch (mode) {
	case 'a':
		survivable();
		break;
	case 'b':
		(void)*(volatile uint32_t *)0x50000000UL;
		break;
	case 'c': {
		uint64_t x, y;
		__asm__ volatile("ldp %0, %1, [%2]" : "=r"(x), "=r"(y) : "r"(GUEST_UART_BASE));
		break;
	}
	case 'd':
		((void (*)(void))0x1000UL)();
		break;
	default:
		break;
	}
	con_puts("FV-CHECK FAIL hostile.survived_mode\n");
}
