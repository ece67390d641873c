/* SPDX-License-Identifier: MIT */
#ifndef GUEST_BENCH_IRQ_VEC_H
#define GUEST_BENCH_IRQ_VEC_H

#include <stdint.h>

/* What irqb_vector recorded for one hart (layout fixed by vec.S). */
struct irqb_record {
	volatile uint64_t instret; /* at handler entry */
	volatile uint64_t time;    /* at handler entry */
	volatile uint64_t scause;
	volatile uint64_t flag; /* 1: interrupt taken, 2: unexpected exception */
};

extern struct irqb_record irqb_records[];

/* vec.S: the measurement trap vector (for stvec) and the wait loops it ends. */
void irqb_vector(void);
void irqb_wait(volatile uint64_t *flag, volatile uint64_t *ready);
void irqb_wait_idle(volatile uint64_t *flag, volatile uint64_t *ready);
uint64_t irqb_edge(uint64_t *instret);
uint64_t irqb_arm_sstc(uint64_t deadline);
void irqb_spin(unsigned long n);

#endif
