/* SPDX-License-Identifier: MIT */
#ifndef GUEST_FPU_TEST_FPU_H
#define GUEST_FPU_TEST_FPU_H

#include <stdint.h>

/* Assembly helpers (fpu.S). */
void fpu_load(const uint64_t pat[32]);
uint64_t fpu_verify(const uint64_t pat[32]);
void fpu_work(unsigned long rounds);
void fpu_corrupt(unsigned int which);
unsigned long fpu_read_fcsr(void);
void fpu_write_fcsr(unsigned long v);

#endif
