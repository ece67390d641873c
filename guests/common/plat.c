// SPDX-License-Identifier: MIT
/* Boot-hart initialisation and platform facts. */
#include "config.h"
#include "csr.h"
#include "fdt.h"
#include "plat.h"
#include "test.h"

/* Written once by the boot hart before any other hart is started. */
static uint64_t timebase_hz = GUEST_DEFAULT_TB_HZ;
static uint64_t ram_base = GUEST_RAM_BASE;
static uint64_t ram_size = 64UL << 20;
static unsigned long dtb_addr;
static bool dtb_valid;
static unsigned long boot_hartid;

uint64_t plat_timebase_hz(void)
{
	return timebase_hz;
}

uint64_t plat_ram_base(void)
{
	return ram_base;
}

uint64_t plat_ram_size(void)
{
	return ram_size;
}

bool plat_has_dtb(void)
{
	return dtb_valid;
}

unsigned long plat_dtb(void)
{
	return dtb_valid ? dtb_addr : 0;
}

unsigned long plat_boot_hartid(void)
{
	return boot_hartid;
}

uint64_t plat_now(void)
{
	return rdtime();
}

uint64_t plat_ms_to_ticks(uint64_t ms)
{
	return ms * timebase_hz / 1000;
}

uint64_t plat_us_to_ticks(uint64_t us)
{
	return us * timebase_hz / 1000000;
}

uint64_t plat_ticks_to_us(uint64_t ticks)
{
	return ticks * 1000000 / timebase_hz;
}

void plat_delay_ms(uint64_t ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);

	while (rdtime() < end)
		cpu_relax();
}

void plat_boot(unsigned long hartid, unsigned long dtb)
{
	uint64_t v, base, size;

	boot_hartid = hartid;
	dtb_addr = dtb;
	dtb_valid = fdt_valid(dtb);
	if (dtb_valid) {
		if (fdt_get_timebase(dtb, &v) && v)
			timebase_hz = v;
		if (fdt_get_memory(dtb, &base, &size) && size) {
			ram_base = base;
			ram_size = size;
		}
	}
	guest_main(hartid, dtb);
	test_finish();
}
