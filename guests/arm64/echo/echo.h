/* SPDX-License-Identifier: MIT */
#ifndef GUEST_ARM64_ECHO_H
#define GUEST_ARM64_ECHO_H

#include <stdbool.h>
#include <stdint.h>

/* Boot check of the VM's RAM (ram.c): probes and a full scan, printed; false without a
 * /memory node in @dtb (then "fill" does nothing). */
bool echo_ram_check(uint64_t dtb);
/* "fill": a pattern over all RAM above the image, printed. */
void echo_ram_fill(void);

#endif
