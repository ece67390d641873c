/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_HOST_BARRIER_H
#define FV_ARCH_HOST_BARRIER_H

/*
 * The host "architecture" of the unit tests (tests/unit is on the include path before any
 * hyp/arch/<isa>/include): the barriers of arch/barrier.h as C11 fences, which the host
 * compiler turns into the real instructions of whatever CPU runs the tests (mfence, dmb ish).
 * Correct everywhere, if slower than an architecture's own choice.
 */
#define arch_smp_mb()    __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_smp_rmb()   __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_smp_wmb()   __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_dma_mb()    __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_dma_rmb()   __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_dma_wmb()   __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define arch_spin_hint() __asm__ volatile("" ::: "memory")

#endif
