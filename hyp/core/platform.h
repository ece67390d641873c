/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PLATFORM_H
#define FV_CORE_PLATFORM_H

/*
 * What the firmware's device tree says about the machine. Parsing is pure
 * (unit-tested on the host against QEMU's own DTBs) and the architecture's
 * (hyp/arch/<isa>/platform.c): each one knows its firmware's bindings.
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

/* Which device struct platform's rtc is (each architecture's board has one). */
enum plat_rtc_kind {
	PLAT_RTC_GOLDFISH, /* "google,goldfish-rtc": ns counter, TIME_LOW latches TIME_HIGH */
	PLAT_RTC_PL031,    /* "arm,pl031": seconds counter (RTCDR) */
};

/* The architecture's part (struct platform_arch): it needs plat_dev and PLAT_MAX_CPUS. */
#include "arch/platform.h"

struct platform {
	struct mem_range mem[PLAT_MAX_MEM];
	unsigned nr_mem;
	struct mem_range rsv[PLAT_MAX_RSV]; /* /memreserve/ and /reserved-memory */
	unsigned nr_rsv;
	uint64_t timebase_hz;
	unsigned nr_cpus;
	uint64_t cpu_hwid[PLAT_MAX_CPUS]; /* the hardware's id of each enabled CPU (struct cpu) */
	int cpu_node[PLAT_MAX_CPUS];      /* its node's offset in the host tree */
	int fdt_cpus;                     /* offset of /cpus in the host tree, -1 if none */
	struct plat_dev uart;
	bool uart_pl011; /* the console UART is an Arm PL011 ("arm,pl011"), else an ns16550 */
	unsigned uart_reg_shift, uart_io_width;
	struct plat_dev rtc; /* the host's RTC (read only): wallclock.c reads it at boot */
	enum plat_rtc_kind rtc_kind;
	struct plat_dev virtio[PLAT_MAX_VIRTIO];
	unsigned nr_virtio;
	uint64_t initrd_start, initrd_end; /* 0 when no initrd */
	struct platform_arch arch;         /* CPU hints, host interrupt controllers */
};

/*
 * Parse the host DTB (arch hook). Returns 0, or a negative fv_err when the tree is
 * malformed or lacks memory/cpus/timebase (missing optional devices are not
 * errors: their `present` stays false).
 */
int platform_parse(const void *fdt, size_t size, struct platform *p);

#endif
