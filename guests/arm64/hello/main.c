// SPDX-License-Identifier: MIT
/*
 * arm64 hello guest: prints through the VM's emulated PL011, checks PSCI over HVC
 * (VERSION, FEATURES, CPU_ON of vCPU 1 with its context id, the documented errors,
 * AFFINITY_INFO while vCPU 1 runs and after its CPU_OFF) and ends with SYSTEM_OFF.
 */
#include "guest.h"

#define PSCI_VERSION       0x84000000UL
#define PSCI_CPU_OFF       0x84000002UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_SYSTEM_OFF    0x84000008UL
#define PSCI_FEATURES      0x8400000aUL
#define PSCI_CPU_ON        0xc4000003UL
#define CONTEXT_ID         0x5eedf00dUL

extern char _start[];
static volatile uint64_t secondary_context;
static volatile uint64_t secondary_started;

void guest_secondary(uint64_t cpu, uint64_t context)
{
	con_puts("vCPU ");
	con_dec((int64_t)cpu);
	con_puts(" up, context ");
	con_hex(context);
	con_puts("\n");
	secondary_context = context;
	__atomic_store_n(&secondary_started, 1, __ATOMIC_RELEASE);
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
	con_puts("error: CPU_OFF returned\n");
}

static bool wait_affinity(uint64_t cpu, int64_t want)
{
	for (unsigned i = 0; i < 10000000; i++)
		if (psci_call(PSCI_AFFINITY_INFO, cpu, 0, 0) == want)
			return true;
	return false;
}

void guest_main(uint64_t dtb)
{
	con_puts("hello from an arm64 guest at EL1, device tree at ");
	con_hex(dtb);
	con_puts("\n");
	int64_t v = psci_call(PSCI_VERSION, 0, 0, 0);
	con_puts("PSCI version ");
	con_dec(v >> 16);
	con_puts(".");
	con_dec(v & 0xffff);
	con_puts("\n");
	check_eq("psci.version", v, 0x10001);
	check_eq("psci.features.cpu_on", psci_call(PSCI_FEATURES, PSCI_CPU_ON, 0, 0), 0);
	check_eq("psci.features.unknown", psci_call(PSCI_FEATURES, 0x8400ffffUL, 0, 0), -1);
	check_eq("psci.unknown_function", psci_call(0x8400ffffUL, 0, 0, 0), -1);
	check_eq("psci.fid_upper_bits", psci_call(PSCI_VERSION | (1UL << 32), 0, 0, 0), -1);
	check_eq("psci.cpu_on.invalid_target", psci_call(PSCI_CPU_ON, 7, (uint64_t)_start, 0), -2);
	check_eq("psci.cpu_on.invalid_affinity",
	         psci_call(PSCI_CPU_ON, 1UL << 8 | 1, (uint64_t)_start, 0), -2);
	check_eq("psci.cpu_on.invalid_address", psci_call(PSCI_CPU_ON, 1, 0x1000, 0), -9);
	check_eq("psci.cpu_on.self", psci_call(PSCI_CPU_ON, 0, (uint64_t)_start, 0), -4);
	check_eq("psci.affinity_info.off", psci_call(PSCI_AFFINITY_INFO, 1, 0, 0), 1);
	check_eq("psci.cpu_on.valid", psci_call(PSCI_CPU_ON, 1, (uint64_t)_start, CONTEXT_ID), 0);
	for (unsigned i = 0;
	     i < 100000000 && !__atomic_load_n(&secondary_started, __ATOMIC_ACQUIRE); i++)
		;
	check_eq("psci.cpu_on.started", (int64_t)secondary_started, 1);
	check_eq("psci.cpu_on.context_id", (int64_t)secondary_context, (int64_t)CONTEXT_ID);
	check_eq("psci.affinity_info.off_after_cpu_off", wait_affinity(1, 1), 1);
	check_eq("psci.affinity_info.bad_level", psci_call(PSCI_AFFINITY_INFO, 1, 1, 0), -2);
	check_result();
	con_puts("powering off\n");
	psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);
	con_puts("error: SYSTEM_OFF returned\n");
}
