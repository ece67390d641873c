/* SPDX-License-Identifier: MIT */
/*
 * Kernel-virtual segments of a core file (pure, unit-tested on the host): the mappings of
 * the upper half of a guest's address space, found by walking its own page tables (the
 * vsatp of each vCPU: Sv39, Sv48 or Sv57; bare adds nothing) in the dumped RAM, coalesced
 * into runs where virtual and physical addresses advance together. fvd_core.c adds one
 * PT_LOAD per run that points at the RAM already in the file, so gdb reads a Linux guest's
 * kernel stack and variables at their virtual addresses (docs/debugging.md).
 */
#ifndef FVD_CORE_VA_H
#define FVD_CORE_VA_H

#include <stddef.h>
#include <stdint.h>

#define FVD_CORE_MAX_VSEGS 1024 /* runs kept at most (the first ones by address) */

struct fvd_core_seg {
	uint64_t va, pa, size;
};

/* Reads the 8-byte page-table entry at guest physical @pa; 0, or -1 outside RAM. */
typedef int (*fvd_core_pte_fn)(void *ctx, uint64_t pa, uint64_t *pte);

/* The runs of every translation mode in @satp[0..n) (duplicates ignored) into @out (room
 * @max), by virtual address; returns how many. Tables outside RAM, reserved encodings and
 * misaligned superpages are skipped; the walk visits a bounded number of entries. */
size_t fvd_core_va_segs(const uint64_t *satp, size_t n, fvd_core_pte_fn pte, void *ctx,
                        struct fvd_core_seg *out, size_t max);

#endif /* FVD_CORE_VA_H */
