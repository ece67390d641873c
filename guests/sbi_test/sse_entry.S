/* SPDX-License-Identifier: MIT */
/*
 * SSE handler entry of the sbi_test SSE suite (SBI v3.0 chapter 17).
 *
 * suite_sse_entry: ENTRY_PC of the suite's events. The SBI enters it with a6 = hart id,
 *   a7 = ENTRY_ARG, sstatus.SIE = 0 and every other register as the interrupted code left
 *   it. It saves all registers on the interrupted stack (the psABI has no red zone), calls
 *   suite_sse_handler(hartid, arg, sp_at_entry), restores every register and completes with
 *   sbi_sse_complete, which restores a6/a7/sepc/sstatus and resumes the interrupted code.
 *
 * suite_sse_inject(event_id, hart_id): the inject ECALL, returning sbiret.error; a local event
 *   injected on the calling hart is taken right after the ECALL, so the handler sees
 *   sepc == suite_sse_inject_ret.
 */
#include "regs_asm.h"

#define SBI_EXT_SSE 0x535345

	.section .text
	.globl suite_sse_entry
	.balign 4
suite_sse_entry:
	addi	sp, sp, -256
	gpr_save
	mv	a0, a6
	mv	a1, a7
	addi	a2, sp, 256
	call	suite_sse_handler
	/* a6/a7 are loaded too, then replaced by the complete call's FID/EID. */
	gpr_load
	addi	sp, sp, 256
	li	a7, SBI_EXT_SSE
	li	a6, 6
	ecall
	/* complete returned here: it did not resume the interrupted code. */
	call	suite_sse_complete_returned
1:	j	1b

	.globl suite_sse_inject
	.balign 4
suite_sse_inject:
	li	a7, SBI_EXT_SSE
	li	a6, 7
	ecall
	.globl suite_sse_inject_ret
suite_sse_inject_ret:
	ret
