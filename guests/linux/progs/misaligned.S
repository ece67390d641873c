/* SPDX-License-Identifier: MIT */
/*
 * misaligned: a static riscv64 Linux program (no libc) for the FWFT tests.
 * 1. A misaligned 8-byte load from user space: prints MISALIGN-LD-OK if it
 *    returned the right bytes (however the platform handled it), else
 *    MISALIGN-LD-BAD.
 * 2. A misaligned amoadd.w: prints MISALIGN-AMO-TRY first; an AMO cannot be
 *    emulated, so the kernel sends SIGBUS and MISALIGN-AMO-DONE never prints.
 * Build: riscv64-linux-gnu-gcc -nostdlib -static -o misaligned misaligned.S
 */
	.option norvc
	.option norelax
	.data
	.balign 8
buf:	.byte 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b
	.balign 8
expect:	.dword 0x1817161514131211
msg_ok:	.ascii "MISALIGN-LD-OK\n"
	.set msg_ok_len, . - msg_ok
msg_bad: .ascii "MISALIGN-LD-BAD\n"
	.set msg_bad_len, . - msg_bad
msg_try: .ascii "MISALIGN-AMO-TRY\n"
	.set msg_try_len, . - msg_try
msg_done: .ascii "MISALIGN-AMO-DONE\n"
	.set msg_done_len, . - msg_done

	.text
	.globl _start
_start:
	lla	s0, buf
	addi	t0, s0, 1
	ld	t1, 0(t0)
	lla	t2, expect
	ld	t2, 0(t2)
	lla	a1, msg_ok
	li	a2, msg_ok_len
	beq	t1, t2, 1f
	lla	a1, msg_bad
	li	a2, msg_bad_len
1:	li	a0, 1
	li	a7, 64			/* write */
	ecall
	li	a0, 1
	lla	a1, msg_try
	li	a2, msg_try_len
	li	a7, 64
	ecall
	addi	t0, s0, 1
	li	t1, 1
	amoadd.w zero, t1, (t0)
	li	a0, 1
	lla	a1, msg_done
	li	a2, msg_done_len
	li	a7, 64
	ecall
	li	a0, 0
	li	a7, 93			/* exit */
	ecall

