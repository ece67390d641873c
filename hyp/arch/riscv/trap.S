/* SPDX-License-Identifier: MIT */
/*
 * Trap entry and the world switch.
 *
 * One stvec for everything. sscratch tells where the trap came from:
 *   sscratch != 0: a guest was running; sscratch = its struct riscv_guest_ctx.
 *   sscratch == 0: the hypervisor itself trapped (bug, or an expected fault
 *                  in a guarded guest-memory access), handled in C on the
 *                  current stack.
 * The hypervisor runs with sstatus.SIE = 0 at all times: HS interrupts
 * reach it only as guest exits (they are always enabled while V=1), or are
 * polled from sip when idle. So nothing here nests.
 */
#include "arch/riscv/asm_offsets.h"

	.section .text
	.balign 4
	.global riscv_hyp_trap_entry
riscv_hyp_trap_entry:
	csrrw	t6, sscratch, t6
	bnez	t6, guest_exit
	/* Hypervisor trap: t6 = 0 now and sscratch = original t6; swap back. */
	csrrw	t6, sscratch, t6
	addi	sp, sp, -TF_SIZE
	sd	x1, TF_X(1)(sp)
	sd	x3, TF_X(3)(sp)
	sd	x4, TF_X(4)(sp)
	sd	x5, TF_X(5)(sp)
	sd	x6, TF_X(6)(sp)
	sd	x7, TF_X(7)(sp)
	sd	x8, TF_X(8)(sp)
	sd	x9, TF_X(9)(sp)
	sd	x10, TF_X(10)(sp)
	sd	x11, TF_X(11)(sp)
	sd	x12, TF_X(12)(sp)
	sd	x13, TF_X(13)(sp)
	sd	x14, TF_X(14)(sp)
	sd	x15, TF_X(15)(sp)
	sd	x16, TF_X(16)(sp)
	sd	x17, TF_X(17)(sp)
	sd	x18, TF_X(18)(sp)
	sd	x19, TF_X(19)(sp)
	sd	x20, TF_X(20)(sp)
	sd	x21, TF_X(21)(sp)
	sd	x22, TF_X(22)(sp)
	sd	x23, TF_X(23)(sp)
	sd	x24, TF_X(24)(sp)
	sd	x25, TF_X(25)(sp)
	sd	x26, TF_X(26)(sp)
	sd	x27, TF_X(27)(sp)
	sd	x28, TF_X(28)(sp)
	sd	x29, TF_X(29)(sp)
	sd	x30, TF_X(30)(sp)
	sd	x31, TF_X(31)(sp)
	addi	t0, sp, TF_SIZE
	sd	t0, TF_X(2)(sp)
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	csrr	t0, sstatus
	sd	t0, TF_SSTATUS(sp)
	csrr	t0, scause
	sd	t0, TF_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, TF_STVAL(sp)
	mv	a0, sp
	call	riscv_hyp_trap
	/* Returned: a fixup changed sepc (guarded access) or the trap was benign. */
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	t0, TF_SSTATUS(sp)
	csrw	sstatus, t0
	ld	x1, TF_X(1)(sp)
	ld	x3, TF_X(3)(sp)
	ld	x4, TF_X(4)(sp)
	ld	x5, TF_X(5)(sp)
	ld	x6, TF_X(6)(sp)
	ld	x7, TF_X(7)(sp)
	ld	x8, TF_X(8)(sp)
	ld	x9, TF_X(9)(sp)
	ld	x10, TF_X(10)(sp)
	ld	x11, TF_X(11)(sp)
	ld	x12, TF_X(12)(sp)
	ld	x13, TF_X(13)(sp)
	ld	x14, TF_X(14)(sp)
	ld	x15, TF_X(15)(sp)
	ld	x16, TF_X(16)(sp)
	ld	x17, TF_X(17)(sp)
	ld	x18, TF_X(18)(sp)
	ld	x19, TF_X(19)(sp)
	ld	x20, TF_X(20)(sp)
	ld	x21, TF_X(21)(sp)
	ld	x22, TF_X(22)(sp)
	ld	x23, TF_X(23)(sp)
	ld	x24, TF_X(24)(sp)
	ld	x25, TF_X(25)(sp)
	ld	x26, TF_X(26)(sp)
	ld	x27, TF_X(27)(sp)
	ld	x28, TF_X(28)(sp)
	ld	x29, TF_X(29)(sp)
	ld	x30, TF_X(30)(sp)
	ld	x31, TF_X(31)(sp)
	addi	sp, sp, TF_SIZE
	sret

/*
 * Complete ctx (at t6) on a partial path that leaves it: the guest's gp and
 * callee-saved registers s0-s11, still live, and hstatus, which the partial
 * paths neither save nor restore (see guest_exit). Clobbers t2.
 */
.macro COMPLETE_GUEST_CTX
	sd	x3, GCTX_X(3)(t6)
	sd	x8, GCTX_X(8)(t6)
	sd	x9, GCTX_X(9)(t6)
	sd	x18, GCTX_X(18)(t6)
	sd	x19, GCTX_X(19)(t6)
	sd	x20, GCTX_X(20)(t6)
	sd	x21, GCTX_X(21)(t6)
	sd	x22, GCTX_X(22)(t6)
	sd	x23, GCTX_X(23)(t6)
	sd	x24, GCTX_X(24)(t6)
	sd	x25, GCTX_X(25)(t6)
	sd	x26, GCTX_X(26)(t6)
	sd	x27, GCTX_X(27)(t6)
	csrr	t2, hstatus
	sd	t2, GCTX_HSTATUS(t6)
.endm

/*
 * Guest exit: t6 = guest ctx, sscratch = guest t6.
 *
 * First only what any C call clobbers or the host needs is saved: ra, sp,
 * tp, t0-t6, a0-a7 and sepc, sstatus (scause on the paths that read it).
 * The guest's callee-saved registers (s0-s11) stay live: a C function
 * preserves them. So does its gp: the hypervisor never uses gp (no compiler
 * allocates it, and linker.ld defines no __global_pointer$, so the linker
 * relaxes no access to it; boot.S sets it to 0 so that one would fault).
 * Two exits are handled on this partial save (their
 * contracts in riscv.h): SBI calls (riscv_exit_ecall: a0-a7, sepc, sstatus)
 * and load/store guest page faults through another register than s0-s11
 * (riscv_exit_gpf, MMIO); they re-enter the guest restoring just that half.
 * Every other exit, and one of those that leaves for the vCPU loop, first
 * completes ctx: outside those two functions ctx always holds the whole
 * guest state.
 *
 * hstatus is not saved or restored on the partial paths either: the trap
 * set it for the return (SPV = 1, SPVP = the guest's mode) and nothing on
 * them changes it for good. The only trap the hypervisor takes there, a
 * guarded guest access that faults, puts SPV back in its fixup
 * (guest_access.S), the profiler's window puts back SPV and GVA
 * (prof_riscv.c), and the one handler that changes SPVP restores it
 * (exit.c, trapped_insn). Leaving, ctx gets the CSR's value
 * (COMPLETE_GUEST_CTX), as it had at the exit.
 */
guest_exit:
	sd	x1, GCTX_X(1)(t6)
	sd	x2, GCTX_X(2)(t6)
	sd	x4, GCTX_X(4)(t6)
	sd	x5, GCTX_X(5)(t6)
	sd	x6, GCTX_X(6)(t6)
	sd	x7, GCTX_X(7)(t6)
	sd	x10, GCTX_X(10)(t6)
	sd	x11, GCTX_X(11)(t6)
	sd	x12, GCTX_X(12)(t6)
	sd	x13, GCTX_X(13)(t6)
	sd	x14, GCTX_X(14)(t6)
	sd	x15, GCTX_X(15)(t6)
	sd	x16, GCTX_X(16)(t6)
	sd	x17, GCTX_X(17)(t6)
	sd	x28, GCTX_X(28)(t6)
	sd	x29, GCTX_X(29)(t6)
	sd	x30, GCTX_X(30)(t6)
	csrrw	t5, sscratch, zero
	sd	t5, GCTX_X(31)(t6)
	csrr	t0, sepc
	sd	t0, GCTX_SEPC(t6)
	csrr	t0, sstatus
	sd	t0, GCTX_SSTATUS(t6)
	csrr	t0, scause
	/*
	 * The host stack is that of riscv_vcpu_enter's caller (its frame lies
	 * above the saved sp). No register survives the partial paths' calls
	 * that is not the guest's: they hand ctx back in a1 (struct
	 * riscv_exit_ret, riscv.h) beside the RISCV_EXIT_* code in a0.
	 */
	ld	sp, GCTX_HOST_SP(t6)
	ld	tp, GCTX_HOST_TP(t6)
	li	t1, ASM_EXC_ECALL_VS
	bne	t0, t1, not_ecall

	/* SBI call (scause is stored only if it leaves: riscv_exit_ecall knows it). */
	mv	a0, t6
	call	riscv_exit_ecall
	mv	t6, a1
	bnez	a0, ecall_leave		/* RISCV_EXIT_REENTER == 0 */

partial_reenter:
	/* Back into the guest: gp, s0-s11 and hstatus were never touched. */
	ld	t0, GCTX_SEPC(t6)
	csrw	sepc, t0
	ld	t0, GCTX_SSTATUS(t6)
	csrw	sstatus, t0
	csrw	sscratch, t6
	ld	x1, GCTX_X(1)(t6)
	ld	x2, GCTX_X(2)(t6)
	ld	x4, GCTX_X(4)(t6)
	ld	x5, GCTX_X(5)(t6)
	ld	x6, GCTX_X(6)(t6)
	ld	x7, GCTX_X(7)(t6)
	ld	x10, GCTX_X(10)(t6)
	ld	x11, GCTX_X(11)(t6)
	ld	x12, GCTX_X(12)(t6)
	ld	x13, GCTX_X(13)(t6)
	ld	x14, GCTX_X(14)(t6)
	ld	x15, GCTX_X(15)(t6)
	ld	x16, GCTX_X(16)(t6)
	ld	x17, GCTX_X(17)(t6)
	ld	x28, GCTX_X(28)(t6)
	ld	x29, GCTX_X(29)(t6)
	ld	x30, GCTX_X(30)(t6)
	ld	x31, GCTX_X(31)(t6)
	sret

ecall_leave:
	/*
	 * The vCPU loop (or the scheduler) needs the whole guest state: the
	 * guest's s0-s11 are still live here. An ecall leaves stval, htval
	 * and htinst zero (RISC-V priv spec: no other value is defined for
	 * it), so they are written as such rather than read before the call.
	 */
	COMPLETE_GUEST_CTX
	li	t1, ASM_EXC_ECALL_VS
	sd	t1, GCTX_SCAUSE(t6)
	sd	zero, GCTX_STVAL(t6)
	sd	zero, GCTX_HTVAL(t6)
	sd	zero, GCTX_HTINST(t6)
	/* Not handled (a call that may stop the vCPU): the general path, ctx now whole. */
	li	t0, RISCV_EXIT_FULL
	beq	a0, t0, exit_full_call
	j	exit_to_loop

not_ecall:
	sd	t0, GCTX_SCAUSE(t6)
	csrr	t2, stval
	sd	t2, GCTX_STVAL(t6)
	csrr	t2, htval
	sd	t2, GCTX_HTVAL(t6)
	csrr	t2, htinst
	sd	t2, GCTX_HTINST(t6)
	ori	t0, t0, 2
	li	t1, ASM_EXC_GPF_LS
	bne	t0, t1, exit_full

	/* Load or store guest page fault: MMIO, or RAM touched the first time. */
	mv	a0, t6
	call	riscv_exit_gpf
	mv	t6, a1
	beqz	a0, partial_reenter
	COMPLETE_GUEST_CTX
	li	t0, RISCV_EXIT_FULL
	bne	a0, t0, exit_to_loop
	/* Not handled (riscv_exit_gpf changed nothing): the general path, ctx now whole. */
	j	exit_full_call

exit_full:
	COMPLETE_GUEST_CTX
exit_full_call:
	/*
	 * Handle the exit in C right here, on the host stack. Every guest
	 * register is in ctx, so the callee-saved ones are free: s1 keeps ctx
	 * across the call. Most exits then go straight back into the guest
	 * without restoring and re-saving the host's callee-saved registers or
	 * passing through the vCPU loop (docs/performance.md).
	 */
	mv	s1, t6
	mv	a0, t6
	call	riscv_exit_fast
	mv	t6, s1
	beqz	a0, reenter_guest	/* RISCV_EXIT_REENTER == 0 */

exit_to_loop:
	/* Back to the vCPU loop: riscv_vcpu_enter returns a0 to its caller. */
	ld	ra, GCTX_HOST_RA(t6)
	ld	s0, GCTX_HOST_S(0)(t6)
	ld	s1, GCTX_HOST_S(1)(t6)
	ld	s2, GCTX_HOST_S(2)(t6)
	ld	s3, GCTX_HOST_S(3)(t6)
	ld	s4, GCTX_HOST_S(4)(t6)
	ld	s5, GCTX_HOST_S(5)(t6)
	ld	s6, GCTX_HOST_S(6)(t6)
	ld	s7, GCTX_HOST_S(7)(t6)
	ld	s8, GCTX_HOST_S(8)(t6)
	ld	s9, GCTX_HOST_S(9)(t6)
	ld	s10, GCTX_HOST_S(10)(t6)
	ld	s11, GCTX_HOST_S(11)(t6)
	ret

reenter_guest:
	mv	a0, t6
	j	enter_guest

/*
 * long riscv_vcpu_enter(struct riscv_guest_ctx *ctx)
 * Enter the guest described by ctx (sepc, sstatus.SPP, hstatus.SPV=1 set by
 * the caller). Each guest trap is handled by riscv_exit_ecall(),
 * riscv_exit_gpf() or riscv_exit_fast() (above); returns their
 * RISCV_EXIT_LOOP or RISCV_EXIT_LEAVE. Caller: the vCPU loop
 * with interrupts disabled (sstatus.SIE = 0).
 */
	.global riscv_vcpu_enter
riscv_vcpu_enter:
	sd	ra, GCTX_HOST_RA(a0)
	sd	sp, GCTX_HOST_SP(a0)
	sd	tp, GCTX_HOST_TP(a0)
	sd	s0, GCTX_HOST_S(0)(a0)
	sd	s1, GCTX_HOST_S(1)(a0)
	sd	s2, GCTX_HOST_S(2)(a0)
	sd	s3, GCTX_HOST_S(3)(a0)
	sd	s4, GCTX_HOST_S(4)(a0)
	sd	s5, GCTX_HOST_S(5)(a0)
	sd	s6, GCTX_HOST_S(6)(a0)
	sd	s7, GCTX_HOST_S(7)(a0)
	sd	s8, GCTX_HOST_S(8)(a0)
	sd	s9, GCTX_HOST_S(9)(a0)
	sd	s10, GCTX_HOST_S(10)(a0)
	sd	s11, GCTX_HOST_S(11)(a0)
enter_guest:
	ld	t0, GCTX_SEPC(a0)
	csrw	sepc, t0
	ld	t0, GCTX_SSTATUS(a0)
	csrw	sstatus, t0
	ld	t0, GCTX_HSTATUS(a0)
	csrw	hstatus, t0
	csrw	sscratch, a0
	ld	x1, GCTX_X(1)(a0)
	ld	x2, GCTX_X(2)(a0)
	ld	x3, GCTX_X(3)(a0)
	ld	x4, GCTX_X(4)(a0)
	ld	x5, GCTX_X(5)(a0)
	ld	x6, GCTX_X(6)(a0)
	ld	x7, GCTX_X(7)(a0)
	ld	x8, GCTX_X(8)(a0)
	ld	x9, GCTX_X(9)(a0)
	ld	x11, GCTX_X(11)(a0)
	ld	x12, GCTX_X(12)(a0)
	ld	x13, GCTX_X(13)(a0)
	ld	x14, GCTX_X(14)(a0)
	ld	x15, GCTX_X(15)(a0)
	ld	x16, GCTX_X(16)(a0)
	ld	x17, GCTX_X(17)(a0)
	ld	x18, GCTX_X(18)(a0)
	ld	x19, GCTX_X(19)(a0)
	ld	x20, GCTX_X(20)(a0)
	ld	x21, GCTX_X(21)(a0)
	ld	x22, GCTX_X(22)(a0)
	ld	x23, GCTX_X(23)(a0)
	ld	x24, GCTX_X(24)(a0)
	ld	x25, GCTX_X(25)(a0)
	ld	x26, GCTX_X(26)(a0)
	ld	x27, GCTX_X(27)(a0)
	ld	x28, GCTX_X(28)(a0)
	ld	x29, GCTX_X(29)(a0)
	ld	x30, GCTX_X(30)(a0)
	ld	x31, GCTX_X(31)(a0)
	ld	x10, GCTX_X(10)(a0)
	sret
