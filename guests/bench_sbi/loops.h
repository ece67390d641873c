/* SPDX-License-Identifier: MIT */
#ifndef GUEST_BENCH_SBI_LOOPS_H
#define GUEST_BENCH_SBI_LOOPS_H

/* loops.S: n iterations of the same loop body, without and with an SBI BASE call. */
void bench_bare_loop(unsigned long n);
void bench_ecall_loop(unsigned long n);

#endif
