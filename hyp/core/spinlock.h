/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SPINLOCK_H
#define FV_CORE_SPINLOCK_H

/*
 * Ticket spinlock on C11-style GCC atomics (arch-neutral: the compiler emits
 * AMOs on RISC-V, LSE/LL-SC on ARM64, lock xadd on x86). The hypervisor runs
 * with interrupts masked, so no irq-save variants are needed.
 */
#include "lib/types.h"
#include "arch/barrier.h"

/* Spin-wait hint of the architecture (arch/barrier.h: lets an emulator run the holder). */
static inline void spin_relax(void)
{
	arch_spin_hint();
}

struct spinlock {
	uint32_t next;
	uint32_t owner;
};

#define SPINLOCK_INIT                                                                              \
	{                                                                                          \
		0, 0                                                                               \
	}

static inline void spin_init(struct spinlock *l)
{
	l->next = 0;
	l->owner = 0;
}

static inline void spin_lock(struct spinlock *l)
{
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != ticket)
		spin_relax();
}

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t expect = owner;
	return __atomic_compare_exchange_n(&l->next, &expect, owner + 1, false, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#endif
