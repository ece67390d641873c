// SPDX-License-Identifier: MIT
/* Physical goldfish RTC: reading the time (contract in goldfish_rtc.h). */
#include "drivers/goldfish_rtc.h"

#define REG_TIME_LOW  0x00
#define REG_TIME_HIGH 0x04

static uint32_t reg_read(uintptr_t base, unsigned reg)
{
	return *(volatile uint32_t *)(base + reg);
}

uint64_t goldfish_rtc_read_ns(uintptr_t base)
{
	/* Order matters: the TIME_LOW read latches the TIME_HIGH the next read returns. */
	uint32_t lo = reg_read(base, REG_TIME_LOW);
	uint32_t hi = reg_read(base, REG_TIME_HIGH);
	return ((uint64_t)hi << 32) | lo;
}
