/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_BARRIER_H
#define FV_ARCH_RISCV_BARRIER_H

/*
 * Memory barriers and the spin-wait hint of RISC-V (RVWMO), for core and device code that
 * includes "arch/barrier.h". Every architecture provides this header with the same names
 * (docs/architecture.md, "barriers"); there is no generic fallback, so a port without one
 * does not build.
 */
#if !defined(__riscv)
#error "hyp/arch/riscv/include selected for a compiler that does not target RISC-V"
#endif

/* Ordering between CPUs (ordinary memory, e.g. a guest driver on another hart). */
#define arch_smp_mb()  __asm__ volatile("fence rw, rw" ::: "memory")
#define arch_smp_rmb() __asm__ volatile("fence r, r" ::: "memory")
#define arch_smp_wmb() __asm__ volatile("fence w, w" ::: "memory")

/*
 * Ordering between the CPU and a DMA-ing device. A notify is an MMIO write: "fence rw,rw"
 * does not order memory against I/O, so the full barrier includes the I/O sets.
 */
#define arch_dma_mb()  __asm__ volatile("fence iorw, iorw" ::: "memory")
#define arch_dma_rmb() __asm__ volatile("fence r, r" ::: "memory")
#define arch_dma_wmb() __asm__ volatile("fence w, w" ::: "memory")

/*
 * Spin-wait hint: Zihintpause "pause" (a nop without the extension); an emulator may use it
 * to run the lock holder, which matters when the holder's CPU was descheduled (TCG round
 * robin, nested virtualization).
 */
#define arch_spin_hint() __asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010" ::: "memory")

#endif
