/* SPDX-License-Identifier: MIT */
/* Misaligned accesses for the FWFT checks: fixed encodings, so the trap is predictable. */
	.text
	.option push
	.option norvc
/* unsigned long fwft_load_misaligned(const void *p): ld from p (p % 8 != 0). */
	.globl fwft_load_misaligned
fwft_load_misaligned:
	mv	t0, a0
	li	a0, 0
	ld	a0, 0(t0)
	ret
/* void fwft_amo_misaligned(void *p): amoadd.w of 1 at p (p % 4 != 0). */
	.globl fwft_amo_misaligned
fwft_amo_misaligned:
	li	t0, 1
	amoadd.w zero, t0, (a0)
	ret
	.option pop
