/* SPDX-License-Identifier: MIT */
/*
 * First instructions after OpenSBI. fw_dynamic enters the boot hart here in
 * HS-mode with a0 = hart id, a1 = host DTB; secondary harts arrive at
 * riscv_secondary_entry through SBI HSM hart_start with a1 = their struct cpu.
 *
 * Register convention inside the hypervisor: tp always points at this hart's
 * struct cpu (set before any C code), sscratch is 0 while the hart runs
 * hypervisor code and holds the guest context pointer while a guest runs.
 */
#include "arch/riscv/asm_offsets.h"

	.section .text.boot, "ax"
	.global _start
_start:
	/* No interrupts, no FP until we decide otherwise. */
	csrw	sie, zero
	csrw	sscratch, zero
	li	t0, 0x6000 /* SSTATUS_FS */
	csrc	sstatus, t0
	/*
	 * gp is not used (trap.S keeps a guest's gp live on the exit path):
	 * zero, so that an access through it would fault at once.
	 */
	li	gp, 0

	/* The boot CPU's struct cpu is static so the panic path works at once. */
	la	tp, cpu_boot_storage
	sd	a0, CPU_HW_ID(tp)
	/* Retired-instruction count at entry (-icount benchmarks: entry to first guest insn). */
	csrr	t0, instret
	la	t1, riscv_boot_instret
	sd	t0, 0(t1)

	la	t0, riscv_hyp_trap_entry
	csrw	stvec, t0

	/* Clear BSS except the boot struct cpu which lives in .data. */
	/* Clear BSS, 64 bytes per iteration (linker.ld aligns both ends to 64). */
	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	sd	zero, 8(t0)
	sd	zero, 16(t0)
	sd	zero, 24(t0)
	sd	zero, 32(t0)
	sd	zero, 40(t0)
	sd	zero, 48(t0)
	sd	zero, 56(t0)
	addi	t0, t0, 64
	j	1b
2:
	la	sp, cpu_boot_stack
	li	t0, ASM_CPU_STACK_SIZE
	add	sp, sp, t0
	/* a0 = hartid, a1 = dtb */
	call	hyp_main
3:	wfi
	j	3b

	.global riscv_secondary_entry
riscv_secondary_entry:
	/* a0 = hartid, a1 = opaque = struct cpu pointer prepared by the boot hart. */
	csrw	sie, zero
	csrw	sscratch, zero
	/*
	 * gp is not used (trap.S keeps a guest's gp live on the exit path):
	 * zero, so that an access through it would fault at once.
	 */
	li	gp, 0
	mv	tp, a1
	la	t0, riscv_hyp_trap_entry
	csrw	stvec, t0
	ld	sp, CPU_STACK_TOP(tp)
	call	hyp_secondary_main
4:	wfi
	j	4b
