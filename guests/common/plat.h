/* SPDX-License-Identifier: MIT */
#ifndef GUEST_PLAT_H
#define GUEST_PLAT_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Facts about the machine the guest runs on, from the DTB passed in a1 when it is valid,
 * else defaults: timebase 10 MHz, RAM at 0x80000000 of 64 MiB.
 */
uint64_t plat_timebase_hz(void);
uint64_t plat_ram_base(void);
uint64_t plat_ram_size(void);
bool plat_has_dtb(void);
unsigned long plat_dtb(void);
unsigned long plat_boot_hartid(void);

/* The timebase counter now (RISC-V: rdtime; the arm64 guests' port: CNTVCT_EL0). */
uint64_t plat_now(void);
uint64_t plat_ms_to_ticks(uint64_t ms);
uint64_t plat_us_to_ticks(uint64_t us);
uint64_t plat_ticks_to_us(uint64_t ticks);
/* Busy-wait (no interrupts needed). */
void plat_delay_ms(uint64_t ms);

/* The RISC-V entry; the arm64 guests that link these files (guests/arm64/port, built with
 * GUEST_PORT_ARM64) have their own (guests/arm64/common/guest.h). */
#ifndef GUEST_PORT_ARM64
/* Called by crt0 on the boot hart; calls guest_main(), then shuts down if it returns. */
void plat_boot(unsigned long hartid, unsigned long dtb);

/* Implemented by each guest. */
void guest_main(unsigned long hartid, unsigned long dtb);
#endif

#endif
