/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_PLATFORM_H
#define FV_ARCH_RISCV_PLATFORM_H

/*
 * The RISC-V part of what the host device tree says (struct platform.arch, filled by
 * hyp/arch/riscv/platform.c): the boot CPU's ISA hints and the host interrupt controllers.
 */
#ifndef FV_CORE_PLATFORM_H
#error "include core/platform.h, which defines struct plat_dev and PLAT_MAX_CPUS first"
#endif

struct platform_arch {
	const char *isa;     /* riscv,isa of the first CPU */
	uint32_t cbom_block; /* riscv,cbom-block-size of the first CPU, 0 if absent */
	uint32_t cbop_block; /* riscv,cbop-block-size of the first CPU, 0 if absent */
	uint32_t cboz_block; /* riscv,cboz-block-size of the first CPU, 0 if absent */
	struct plat_dev plic;
	uint32_t plic_ndev;
	/* PLIC context wired to each CPU's S-mode external interrupt (same index as
	 * platform.cpu_hwid[]); -1 = none */
	int plic_s_ctx[PLAT_MAX_CPUS];
	struct plat_dev clint;
	struct plat_dev aplic, imsic;
};

#endif
