// SPDX-License-Identifier: MIT
/* Physical PL031 RTC: identifying it and reading the time (contract in pl031_rtc.h). */
#include "drivers/pl031_rtc.h"

#define REG_DR         0x000 /* data register: seconds counter */
#define REG_PERIPH_ID0 0xfe0 /* PeriphID0..3, then PCellID0..3, one byte per word */

/* The PrimeCell ids byte by byte; a 0 bit in the mask is ignored (PeriphID2[7:4] is the revision).
 */
static const uint8_t pl031_ids[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
static const uint8_t pl031_id_mask[8] = {0xff, 0xff, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint32_t reg_read(uintptr_t base, unsigned reg)
{
	return *(volatile uint32_t *)(base + reg);
}

bool pl031_rtc_probe(uintptr_t base)
{
	for (unsigned i = 0; i < 8; i++) {
		uint32_t v = reg_read(base, REG_PERIPH_ID0 + 4 * i);
		/* Bits 31:8 of an id register are reserved: only the byte identifies. */
		if ((v & pl031_id_mask[i]) != pl031_ids[i])
			return false;
	}
	return true;
}

uint64_t pl031_rtc_read_ns(uintptr_t base)
{
	return (uint64_t)reg_read(base, REG_DR) * 1000000000ULL;
}
