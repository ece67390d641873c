/* SPDX-License-Identifier: MIT */
/*
 * Build-time check of asm_offsets.h: every offset that trap.S and boot.S use
 * is compared with offsetof() of the C structure it names. A field added,
 * removed or reordered without updating asm_offsets.h fails this file's
 * compilation, and with it the build. Nothing here generates code.
 */
#include "arch/riscv/asm_offsets.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/vcpu.h"
#include "core/percpu.h"
#include "lib/types.h"

#define ASM_OFFSET_CHECK(type, field, off)                                                         \
	_Static_assert(offsetof(type, field) == (off),                                             \
	               #type "." #field " moved: update asm_offsets.h")

/* struct cpu: read by boot.S (secondary entry) and trap.S through tp. */
ASM_OFFSET_CHECK(struct cpu, hw_id, CPU_HW_ID);
ASM_OFFSET_CHECK(struct cpu, stack_top, CPU_STACK_TOP);
_Static_assert(CPU_STACK_SIZE == ASM_CPU_STACK_SIZE,
               "boot.S sizes the boot stack with ASM_CPU_STACK_SIZE");

/* struct riscv_guest_ctx: saved and restored by the world switch in trap.S. */
ASM_OFFSET_CHECK(struct riscv_guest_ctx, x[1], GCTX_X(1));
ASM_OFFSET_CHECK(struct riscv_guest_ctx, x[31], GCTX_X(31));
ASM_OFFSET_CHECK(struct riscv_guest_ctx, sepc, GCTX_SEPC);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, sstatus, GCTX_SSTATUS);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, hstatus, GCTX_HSTATUS);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, host_ra, GCTX_HOST_RA);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, host_sp, GCTX_HOST_SP);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, host_tp, GCTX_HOST_TP);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, host_s[0], GCTX_HOST_S(0));
ASM_OFFSET_CHECK(struct riscv_guest_ctx, host_s[11], GCTX_HOST_S(11));
ASM_OFFSET_CHECK(struct riscv_guest_ctx, scause, GCTX_SCAUSE);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, stval, GCTX_STVAL);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, htval, GCTX_HTVAL);
ASM_OFFSET_CHECK(struct riscv_guest_ctx, htinst, GCTX_HTINST);
_Static_assert(sizeof(struct riscv_guest_ctx) == GCTX_SIZE, "struct riscv_guest_ctx size changed");

/* struct riscv_trap_frame: built on the stack by trap.S for traps taken in HS-mode. */
ASM_OFFSET_CHECK(struct riscv_trap_frame, x[1], TF_X(1));
ASM_OFFSET_CHECK(struct riscv_trap_frame, x[31], TF_X(31));
ASM_OFFSET_CHECK(struct riscv_trap_frame, sepc, TF_SEPC);
ASM_OFFSET_CHECK(struct riscv_trap_frame, sstatus, TF_SSTATUS);
ASM_OFFSET_CHECK(struct riscv_trap_frame, scause, TF_SCAUSE);
ASM_OFFSET_CHECK(struct riscv_trap_frame, stval, TF_STVAL);
_Static_assert(sizeof(struct riscv_trap_frame) == TF_SIZE, "struct riscv_trap_frame size changed");
_Static_assert(TF_SIZE % 16 == 0, "trap.S keeps sp 16-byte aligned (RISC-V psABI)");
_Static_assert(RISCV_EXIT_REENTER == 0, "trap.S re-enters the guest on a zero return (beqz)");
_Static_assert(ASM_EXC_ECALL_VS == EXC_ECALL_VS, "trap.S tests scause for a VS ecall");
_Static_assert(ASM_HSTATUS_SPV == HSTATUS_SPV, "guest_access.S puts hstatus.SPV back");
_Static_assert(ASM_EXC_GPF_LS == EXC_STORE_GUEST_PF && (EXC_LOAD_GUEST_PF | 2) == ASM_EXC_GPF_LS &&
                   (EXC_VIRTUAL_INST | 2) != ASM_EXC_GPF_LS &&
                   (EXC_INST_GUEST_PF | 2) != ASM_EXC_GPF_LS,
               "trap.S finds load/store guest page faults by scause | 2 == 23");
