/* SPDX-License-Identifier: MIT */
#ifndef GUEST_SPINLOCK_H
#define GUEST_SPINLOCK_H

#include <stdint.h>

#include "csr.h"

/* Test-and-test-and-set lock on an AMOSWAP.W with acquire/release ordering. */
struct spinlock {
	volatile uint32_t locked;
};

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0                                                                                  \
	}

static inline uint32_t spin_swap_acquire(volatile uint32_t *p, uint32_t v)
{
	uint32_t old;

	__asm__ volatile("amoswap.w.aq %0, %2, %1" : "=r"(old), "+A"(*p) : "r"(v) : "memory");
	return old;
}

static inline void spin_lock(struct spinlock *l)
{
	for (;;) {
		if (spin_swap_acquire(&l->locked, 1) == 0)
			return;
		while (l->locked)
			cpu_relax();
	}
}

static inline int spin_trylock(struct spinlock *l)
{
	return spin_swap_acquire(&l->locked, 1) == 0;
}

static inline void spin_unlock(struct spinlock *l)
{
	/* Release: every access of the critical section is ordered before the store. */
	__asm__ volatile("amoswap.w.rl zero, zero, %0" : "+A"(l->locked) : : "memory");
}

/* Atomic helpers (AMOs, sequentially consistent). */
static inline uint64_t atomic_add64(volatile uint64_t *p, uint64_t v)
{
	uint64_t old;

	__asm__ volatile("amoadd.d.aqrl %0, %2, %1" : "=r"(old), "+A"(*p) : "r"(v) : "memory");
	return old;
}

static inline uint32_t atomic_add32(volatile uint32_t *p, uint32_t v)
{
	uint32_t old;

	__asm__ volatile("amoadd.w.aqrl %0, %2, %1" : "=r"(old), "+A"(*p) : "r"(v) : "memory");
	return old;
}

static inline uint64_t atomic_load64(const volatile uint64_t *p)
{
	uint64_t v = *p;

	__asm__ volatile("fence r, rw" : : : "memory");
	return v;
}

static inline void atomic_store64(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("fence rw, w" : : : "memory");
	*p = v;
}

#endif
