/* SPDX-License-Identifier: MIT */
#ifndef GUEST_BENCH_MMIO_LOOP_H
#define GUEST_BENCH_MMIO_LOOP_H

#include <stdint.h>

/* loop.S: n one-byte loads from addr, nothing else in the loop body. */
void mmio_load_loop(unsigned long n, const volatile uint8_t *addr);

#endif
