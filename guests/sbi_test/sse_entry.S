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
#define SBI_EXT_SSE 0x535345

	.section .text
	.globl suite_sse_entry
	.balign 4
suite_sse_entry:
	addi	sp, sp, -256
	sd	x1, 8(sp)
	sd	x3, 24(sp)
	sd	x4, 32(sp)
	sd	x5, 40(sp)
	sd	x6, 48(sp)
	sd	x7, 56(sp)
	sd	x8, 64(sp)
	sd	x9, 72(sp)
	sd	x10, 80(sp)
	sd	x11, 88(sp)
	sd	x12, 96(sp)
	sd	x13, 104(sp)
	sd	x14, 112(sp)
	sd	x15, 120(sp)
	sd	x16, 128(sp)
	sd	x17, 136(sp)
	sd	x18, 144(sp)
	sd	x19, 152(sp)
	sd	x20, 160(sp)
	sd	x21, 168(sp)
	sd	x22, 176(sp)
	sd	x23, 184(sp)
	sd	x24, 192(sp)
	sd	x25, 200(sp)
	sd	x26, 208(sp)
	sd	x27, 216(sp)
	sd	x28, 224(sp)
	sd	x29, 232(sp)
	sd	x30, 240(sp)
	sd	x31, 248(sp)
	mv	a0, a6
	mv	a1, a7
	addi	a2, sp, 256
	call	suite_sse_handler
	ld	x1, 8(sp)
	ld	x3, 24(sp)
	ld	x4, 32(sp)
	ld	x5, 40(sp)
	ld	x6, 48(sp)
	ld	x7, 56(sp)
	ld	x8, 64(sp)
	ld	x9, 72(sp)
	ld	x10, 80(sp)
	ld	x11, 88(sp)
	ld	x12, 96(sp)
	ld	x13, 104(sp)
	ld	x14, 112(sp)
	ld	x15, 120(sp)
	ld	x18, 144(sp)
	ld	x19, 152(sp)
	ld	x20, 160(sp)
	ld	x21, 168(sp)
	ld	x22, 176(sp)
	ld	x23, 184(sp)
	ld	x24, 192(sp)
	ld	x25, 200(sp)
	ld	x26, 208(sp)
	ld	x27, 216(sp)
	ld	x28, 224(sp)
	ld	x29, 232(sp)
	ld	x30, 240(sp)
	ld	x31, 248(sp)
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
