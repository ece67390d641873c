// SPDX-License-Identifier: MIT
/*
 * The arm64 echo guest's RAM checks, as guests/echo has them (the memory-scrubbing test,
 * test_hyp_dynamic.py): at boot, a few blocks far from the image must read zero, and all
 * RAM above the image is scanned; "fill" writes a pattern over all of it. RAM's extent is
 * the device tree's /memory, whose blob (at the top of RAM) is left alone.
 */
#include "echo.h"
#include "fdt.h"
#include "guest.h"
#include "printf.h"

#define PATTERN 0x5afe5afe5afe5afeULL

extern char __stacks_end[]; /* common/guest.ld: the image, its BSS and stacks end here */

static uint64_t ram_base, ram_size, dtb_addr;

/* RAM above the image and its stacks, up to the device tree (or the top), 4 KiB aligned. */
static void free_ram(uint64_t *lo, uint64_t *hi)
{
	*lo = ((uint64_t)(uintptr_t)__stacks_end + 4095) & ~4095ULL;
	*hi = ram_base + ram_size;
	if (dtb_addr > *lo && dtb_addr < *hi)
		*hi = dtb_addr & ~4095ULL;
}

static uint64_t count_nonzero(void)
{
	uint64_t lo, hi, bad = 0;
	free_ram(&lo, &hi);
	for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)lo;
	     p < (volatile uint64_t *)(uintptr_t)hi; p++)
		bad += *p != 0;
	return bad;
}

void echo_ram_fill(void)
{
	uint64_t lo, hi;
	free_ram(&lo, &hi);
	for (volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)lo;
	     p < (volatile uint64_t *)(uintptr_t)hi; p++)
		*p = PATTERN ^ (uint64_t)(uintptr_t)p;
	printf("echo: filled %lu KiB of RAM with a pattern\n", (unsigned long)((hi - lo) >> 10));
}

bool echo_ram_check(uint64_t dtb)
{
	dtb_addr = dtb;
	if (!fdt_get_memory(dtb, &ram_base, &ram_size) || ram_size < (4UL << 20))
		return false;
	uint64_t probes[3] = {ram_base + ram_size / 2, ram_base + ram_size - (1UL << 20),
	                      ram_base + ram_size / 4 + 4096};
	unsigned bad = 0;
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)probes[i];
		for (unsigned k = 0; k < 4096 / 8; k++)
			bad += p[k] != 0;
	}
	printf("echo: ram at boot %s (%u nonzero words)\n", bad ? "NOT zero" : "zero", bad);
	uint64_t lo, hi, all = count_nonzero();
	free_ram(&lo, &hi);
	printf("echo: scanned %lu KiB above the image: %s (%lu nonzero words)\n",
	       (unsigned long)((hi - lo) >> 10), all ? "NOT zero" : "zero", (unsigned long)all);
	/* Scribbled over, so a reboot that failed to clear RAM would show next time. */
	for (unsigned i = 0; i < 3; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)probes[i];
		for (unsigned k = 0; k < 4096 / 8; k++)
			p[k] = PATTERN ^ k;
	}
	return true;
}
