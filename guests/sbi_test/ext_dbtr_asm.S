/* SPDX-License-Identifier: MIT */
/* Code and accesses the DBTR checks put triggers on (fixed, uncompressed encodings). */
	.text
	.option push
	.option norvc
	.balign 4
/* unsigned long dbtr_target(unsigned long x): x + 1 (x if its first instruction is skipped) */
	.globl dbtr_target
dbtr_target:
	addi	a0, a0, 1
	ret
	.balign 4
	.globl dbtr_target2
dbtr_target2:
	addi	a0, a0, 1
	ret
/* void dbtr_store(unsigned long *p, unsigned long v) */
	.globl dbtr_store
dbtr_store:
	sd	a1, 0(a0)
	ret
/* unsigned long dbtr_load(const unsigned long *p) */
	.globl dbtr_load
dbtr_load:
	ld	a0, 0(a0)
	ret
	.option pop
