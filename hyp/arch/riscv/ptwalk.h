/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_PTWALK_H
#define FV_ARCH_RISCV_PTWALK_H

/*
 * Software walk of a guest's own VS-stage page tables (RISC-V privileged
 * spec §10.3 "Sv32/Sv39/Sv48/Sv57", §18.5.1: the VS-stage translation uses
 * vsatp and yields a guest physical address). For the debugger: it reads
 * memory by guest virtual address without the guest's help and without
 * touching the hardware translation.
 *
 * Pure logic (host unit-tested): page-table entries are fetched through a
 * callback, which the hypervisor backs with the VM's RAM only (anything else
 * is a fault). A malformed table (reserved bits, misaligned superpage,
 * non-leaf at the last level, W without R) is a fault, never a crash.
 */
#include "lib/types.h"

#define PTW_R     BIT(0) /* access wants read */
#define PTW_W     BIT(1) /* write */
#define PTW_X     BIT(2) /* execute */
#define PTW_DEBUG BIT(3) /* debugger access: R or X suffices to read, W is not needed to write */

#define PTW_MODE_BARE 0ULL
#define PTW_MODE_SV39 8ULL
#define PTW_MODE_SV48 9ULL
#define PTW_MODE_SV57 10ULL

/* Read the 8-byte PTE at guest physical pte_gpa; 0 or -FV_EFAULT (not RAM). */
typedef int (*ptwalk_read_fn)(void *ctx, uint64_t pte_gpa, uint64_t *pte);

/*
 * Translate va under satp (vsatp layout: MODE 63:60, PPN 43:0; ASID ignored)
 * for an access of kind flags (PTW_*). Returns 0 with *gpa, or -FV_EFAULT
 * (unmapped, not permitted, malformed table, va not canonical) or
 * -FV_ENOTSUP (a satp mode other than Bare/Sv39/Sv48/Sv57).
 */
int riscv_ptwalk(uint64_t satp, uint64_t va, unsigned flags, ptwalk_read_fn rd, void *ctx,
                 uint64_t *gpa);

/*
 * The reader for walks of a VM's own tables by the hypervisor (ctx: the struct vm):
 * 8-byte aligned PTEs in that VM's RAM only (guest_pte.c; not in host unit builds).
 */
int riscv_guest_pte_read(void *vm, uint64_t gpa, uint64_t *pte);

#endif
