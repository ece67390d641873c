/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_PLATFORM_H
#define FV_ARCH_ARM64_PLATFORM_H

/*
 * The arm64 part of what the host device tree says (struct platform.arch, filled by
 * hyp/arch/arm64/platform.c): the GICv3, the generic timer's hypervisor PPI and how PSCI is
 * reached.
 */
#ifndef FV_CORE_PLATFORM_H
#error "include core/platform.h, which defines struct plat_dev and PLAT_MAX_CPUS first"
#endif

enum arm64_psci_conduit {
	ARM64_PSCI_NONE = 0,
	ARM64_PSCI_SMC,
	ARM64_PSCI_HVC,
};

struct platform_arch {
	struct plat_dev gicd;      /* "arm,gic-v3" reg 0: distributor */
	struct plat_dev gicr;      /* reg 1: the redistributor region (all CPUs' frames) */
	uint32_t timer_hyp_intid;  /* EL2 physical timer (CNTHP) interrupt id, 0 if unknown */
	uint32_t timer_virt_intid; /* EL1 virtual timer interrupt id (what guests get) */
	enum arm64_psci_conduit psci;
};

#endif
