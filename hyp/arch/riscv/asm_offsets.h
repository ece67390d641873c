/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_ASM_OFFSETS_H
#define FV_ARCH_RISCV_ASM_OFFSETS_H

/*
 * Offsets used by assembly. Kept by hand and checked against the C
 * structures with _Static_assert in asm_offsets_check.c, so a layout change
 * that forgets the assembly breaks the build instead of the guest.
 */

/* struct cpu (core/percpu.h) */
#define CPU_HW_ID          0
#define CPU_STACK_TOP      8
#define ASM_CPU_STACK_SIZE 16384 /* CPU_STACK_SIZE (core/percpu.h) */

/* struct riscv_guest_ctx (arch/vcpu.h) */
#define GCTX_X(n)      ((n)*8)
#define GCTX_SEPC      256
#define GCTX_SSTATUS   264
#define GCTX_HSTATUS   272
#define GCTX_HOST_RA   280
#define GCTX_HOST_SP   288
#define GCTX_HOST_TP   296
#define GCTX_HOST_S(n) (304 + (n)*8)
#define GCTX_SCAUSE    400
#define GCTX_STVAL     408
#define GCTX_HTVAL     416
#define GCTX_HTINST    424
#define GCTX_SIZE      432

/*
 * What riscv_exit_fast(), riscv_exit_ecall() and riscv_exit_gpf()
 * (exit_fast.c) tell trap.S after handling a guest exit: enter the guest
 * again at once, or return this value from riscv_vcpu_enter() to the vCPU
 * loop.
 */
#define RISCV_EXIT_REENTER 0 /* handled; nothing for the loop: back into the guest */
#define RISCV_EXIT_LOOP    1 /* handled; the loop's pre-entry checks have work */
#define RISCV_EXIT_LEAVE   2 /* handled; the scheduler must act (arch_vcpu_enter returns true) */
#define RISCV_EXIT_FULL    3 /* riscv_exit_gpf/_ecall: not handled, needs the whole ctx */

/* scause of an ecall from VS-mode (EXC_ECALL_VS): trap.S takes the SBI path on it. */
#define ASM_EXC_ECALL_VS 10
/* Load (21) and store (23) guest page faults: the only causes c with (c | 2) == 23. */
#define ASM_EXC_GPF_LS 23
/* hstatus.SPV (HSTATUS_SPV): the fixup of a faulting guarded guest access sets it again. */
#define ASM_HSTATUS_SPV 0x80

/* struct riscv_trap_frame (arch/riscv/trap.h): x1..x31, sepc, sstatus, scause, stval */
#define TF_X(n)    ((n)*8)
#define TF_SEPC    256
#define TF_SSTATUS 264
#define TF_SCAUSE  272
#define TF_STVAL   280
#define TF_SIZE    288

#endif
