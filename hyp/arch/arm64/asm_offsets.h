/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_ASM_OFFSETS_H
#define FV_ARCH_ARM64_ASM_OFFSETS_H

/*
 * Offsets used by assembly, kept by hand and checked against the C structures with
 * _Static_assert in asm_offsets_check.c.
 */

/* struct cpu (core/percpu.h) */
#define CPU_HW_ID          0
#define CPU_STACK_TOP      8
#define ASM_CPU_STACK_SIZE 16384 /* CPU_STACK_SIZE (core/percpu.h) */

/* struct arm64_guest_ctx (arch/vcpu.h) */
#define GCTX_X(n)     ((n)*8)
#define GCTX_PC       248
#define GCTX_PSTATE   256
#define GCTX_HOST_X19 264
#define GCTX_HOST_SP  360
#define GCTX_ESR      368
#define GCTX_FAR      376
#define GCTX_HPFAR    384
#define GCTX_SIZE     392

/* What arm64_guest_run() returns: which vector the guest left through. */
#define ARM64_EXIT_SYNC 0 /* synchronous exception (ESR_EL2 says which) */
#define ARM64_EXIT_IRQ  1 /* physical IRQ (routed to EL2 while the guest runs) */
#define ARM64_EXIT_FIQ  2
#define ARM64_EXIT_SERR 3 /* SError */

#endif
