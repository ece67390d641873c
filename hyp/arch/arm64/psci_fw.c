// SPDX-License-Identifier: MIT
/*
 * PSCI calls from the hypervisor to the firmware below it (QEMU's built-in PSCI on virt):
 * SMC when the host DTB's /psci says method = "smc" (EL2 present, no EL3), else HVC. SMC
 * Calling Convention: function id in x0, arguments x1..x3, result in x0.
 */
#include "arch/arm64/arm64.h"
#include "core/platform.h"

static int psci_conduit = ARM64_PSCI_NONE;

void arm64_psci_fw_init(int conduit)
{
	psci_conduit = conduit;
}

int64_t arm64_psci_fw_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;
	if (psci_conduit == ARM64_PSCI_SMC)
		__asm__ volatile("smc #0"
		                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		                 :
		                 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		                   "x14", "x15", "x16", "x17", "memory");
	else if (psci_conduit == ARM64_PSCI_HVC)
		__asm__ volatile("hvc #0"
		                 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
		                 :
		                 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
		                   "x14", "x15", "x16", "x17", "memory");
	else
		return -1; /* PSCI NOT_SUPPORTED: the firmware offers no PSCI */
	return (int64_t)x0;
}
