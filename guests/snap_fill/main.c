// SPDX-License-Identifier: MIT
/*
 * snap_fill: touches its RAM for the snapshot benchmark (bench/fvbench/snap.py): every
 * page from the end of its image up to 1 MiB below the top of RAM gets non-zero bytes, so
 * a snapshot carries all of it; then it prints "snap_fill: filled N KiB" and waits.
 */
#include "fdt.h"
#include "plat.h"
#include "printf.h"

extern char __image_end[];

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	uint64_t base = 0, size = 0;
	if (!fdt_get_memory(dtb, &base, &size)) {
		printf("snap_fill: no memory node\n");
		return;
	}
	uint64_t start = ((uint64_t)(uintptr_t)__image_end + 4095) & ~4095ull;
	uint64_t end = base + size - (1u << 20);
	for (uint64_t p = start; p < end; p += 8)
		*(volatile uint64_t *)(uintptr_t)p = p * 0x9e3779b97f4a7c15ull | 1;
	printf("snap_fill: filled %lu KiB\n", (unsigned long)((end - start) >> 10));
	for (;;)
		__asm__ volatile("wfi");
}
