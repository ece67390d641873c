/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_BARRIER_H
#define FV_ARCH_ARM64_BARRIER_H

/*
 * Memory barriers and the spin-wait hint of ARMv8-A, for core and device code that includes
 * "arch/barrier.h" (same names on every architecture; docs/architecture.md, "barriers").
 */
#if !defined(__aarch64__)
#error "hyp/arch/arm64/include selected for a compiler that does not target AArch64"
#endif

/* Ordering between CPUs: inner shareable domain (all CPUs of the machine). */
#define arch_smp_mb()  __asm__ volatile("dmb ish" ::: "memory")
#define arch_smp_rmb() __asm__ volatile("dmb ishld" ::: "memory")
#define arch_smp_wmb() __asm__ volatile("dmb ishst" ::: "memory")

/*
 * Ordering against a DMA-ing device: outer shareable, and the full barrier is a DSB so a
 * following MMIO write (a virtio notify) is not issued before the ring updates complete.
 */
#define arch_dma_mb()  __asm__ volatile("dsb sy" ::: "memory")
#define arch_dma_rmb() __asm__ volatile("dmb oshld" ::: "memory")
#define arch_dma_wmb() __asm__ volatile("dmb oshst" ::: "memory")

/* Spin-wait hint: YIELD (lets an emulator or SMT core run the lock holder). */
#define arch_spin_hint() __asm__ volatile("yield" ::: "memory")

#endif
