/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PLATFORM_H
#define FV_CORE_PLATFORM_H

/*
 * What the firmware's device tree says about the machine. Parsing is pure
 * (unit-tested on the host against QEMU's own DTBs).
 */
#include "lib/types.h"
#include "core/mem.h"

#define PLAT_MAX_MEM    8
#define PLAT_MAX_RSV    16
#define PLAT_MAX_CPUS   8
#define PLAT_MAX_VIRTIO 8

struct plat_dev {
	bool present;
	uint64_t base, size;
	uint32_t irq;
};

struct platform {
	struct mem_range mem[PLAT_MAX_MEM];
	unsigned nr_mem;
	struct mem_range rsv[PLAT_MAX_RSV]; /* /memreserve/ and /reserved-memory */
	unsigned nr_rsv;
	uint64_t timebase_hz;
	unsigned nr_cpus;
	uint64_t hartid[PLAT_MAX_CPUS];
	const char *isa;     /* riscv,isa of the first CPU */
	uint32_t cbom_block; /* riscv,cbom-block-size of the first CPU, 0 if absent */
	uint32_t cbop_block; /* riscv,cbop-block-size of the first CPU, 0 if absent */
	uint32_t cboz_block; /* riscv,cboz-block-size of the first CPU, 0 if absent */
	struct plat_dev uart;
	unsigned uart_reg_shift, uart_io_width;
	struct plat_dev plic;
	uint32_t plic_ndev;
	/* PLIC context wired to each CPU's S-mode external interrupt (same index as hartid[]); -1 =
	 * none */
	int plic_s_ctx[PLAT_MAX_CPUS];
	struct plat_dev clint;
	struct plat_dev aplic, imsic;
	struct plat_dev rtc; /* goldfish RTC ("google,goldfish-rtc"), read only */
	struct plat_dev virtio[PLAT_MAX_VIRTIO];
	unsigned nr_virtio;
	uint64_t initrd_start, initrd_end; /* 0 when no initrd */
};

/*
 * Parse the host DTB. Returns 0, or a negative fv_err when the tree is
 * malformed or lacks memory/cpus/timebase (missing optional devices are not
 * errors: their `present` stays false).
 */
int platform_parse(const void *fdt, size_t size, struct platform *p);

#endif
