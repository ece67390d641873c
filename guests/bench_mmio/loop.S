/* SPDX-License-Identifier: MIT */
/*
 * The measured loop of bench_mmio: n byte loads from one address. Run once on a UART register
 * and once on RAM, the difference per iteration is the extra cost of an MMIO read.
 */
	.text

/* void mmio_load_loop(unsigned long n, const volatile uint8_t *addr) */
	.globl mmio_load_loop
	.balign 4
mmio_load_loop:
	beqz	a0, 2f
1:	lbu	t0, 0(a1)
	addi	a0, a0, -1
	bnez	a0, 1b
2:	ret
