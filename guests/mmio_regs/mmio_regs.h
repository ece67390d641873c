/* SPDX-License-Identifier: MIT */
#ifndef GUEST_MMIO_REGS_H
#define GUEST_MMIO_REGS_H

/* What register k holds at the access (regs.S); the low byte differs for every k. */
#define MMIO_REGS_PATTERN(k) (0x5a000080 + ((k) << 16) + (k))

#ifndef __ASSEMBLER__
#include <stdint.h>
void mmio_regs_load(unsigned n, uint64_t *out, uintptr_t addr);
void mmio_regs_store(unsigned n, uint64_t *out, uintptr_t addr);
#endif

#endif
