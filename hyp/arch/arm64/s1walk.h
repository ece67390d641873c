/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_S1WALK_H
#define FV_ARCH_ARM64_S1WALK_H

/*
 * The guest's stage-1 translation (VMSAv8-64, Arm ARM D8.2-D8.3) walked in software, as the
 * guest's MMU would walk it, for the debugger (gdb_arch_translate): virtual address ->
 * guest-physical address. Pure code: compiles on the host and is unit-tested
 * (tests/unit/test_arm64_s1walk.c). Every table read goes through the caller's read
 * function, which decides what guest memory is (the hypervisor: the VM's RAM only).
 *
 * Supported: SCTLR_EL1.M off (identity); TTBR0/TTBR1 by VA bit 55 with TBI0/TBI1 and
 * EPD0/EPD1; 4 KiB, 16 KiB and 64 KiB granules; input sizes of 16-52 bits: TxSZ 16..48,
 * and 12..15 (52-bit VA) with 64 KiB pages (FEAT_LVA) or TCR_EL1.DS (FEAT_LPA2, 4 KiB and
 * 16 KiB pages; Debian's arm64 kernel runs so on a CPU that has it: five levels from
 * level -1); table, block and page descriptors with 52-bit output address forms; output
 * addresses bounded by TCR_EL1.IPS; the access flag (a fault without hardware management,
 * TCR_EL1.HA); big-endian tables (SCTLR_EL1.EE). Permissions are not checked: the
 * debugger reads what the kernel maps, whoever may access it.
 */
#include "lib/types.h"

/* The guest's EL1 translation controls. */
struct arm64_s1_regs {
	uint64_t sctlr, tcr, ttbr0, ttbr1;
};

/* Read the 8-byte descriptor at guest-physical gpa (8-aligned); false: not readable. */
typedef bool (*arm64_s1_read_fn)(void *ctx, uint64_t gpa, uint64_t *desc);

/*
 * Translate va. 0 with *pa set, or -FV_EFAULT: a translation, address size or access flag
 * fault, a reserved descriptor, a TCR_EL1 setting the walker does not support, or a table
 * read refused. A walk reads at most five descriptors (one per level), whatever the tables
 * hold: a loop in them cannot make it run longer.
 */
int arm64_s1_walk(const struct arm64_s1_regs *r, uint64_t va, arm64_s1_read_fn read, void *ctx,
                  uint64_t *pa);

#endif
