/* SPDX-License-Identifier: MIT */
/*
 * Guarded accesses to guest virtual memory, and boot-time CSR probes, with the H extension's
 * hypervisor load instructions. A fault (guest page fault, page fault,
 * access fault) is caught by riscv_hyp_trap(), which finds the faulting pc
 * in the fixup table below and resumes at the fixup with a0 = -1.
 * Caller: hypervisor code with hstatus.SPVP and vsatp/hgatp of the vCPU
 * loaded (the vCPU's CPU, after a guest exit).
 */
#include "arch/riscv/asm_offsets.h"

	.option push
	.option arch, +h

/* long riscv_guest_read_insn16(uint64_t gva, uint16_t *out): 0 or -1 */
	.global riscv_guest_read_insn16
riscv_guest_read_insn16:
	mv	t1, a1
.Lhlvx_insn:
	hlvx.hu	t0, (a0)
	sh	t0, 0(t1)
	li	a0, 0
	ret
.Lhlvx_fixup:
	/*
	 * The fault, a trap from HS, cleared hstatus.SPV. The caller is an
	 * exit handler of the loaded vCPU, whose guest exit left SPV = 1 for
	 * the return: trap.S's partial re-entry does not rewrite hstatus
	 * (trap.S, guest_exit), so it is put back here.
	 */
	li	t0, ASM_HSTATUS_SPV
	csrs	hstatus, t0
	li	a0, -1
	ret

/*
 * Feature probes used once at boot: read a CSR that only exists with an
 * extension. Return 0 if the read worked, -1 if it trapped.
 */
	.global riscv_probe_hstatus
riscv_probe_hstatus:
.Lprobe_h:
	csrr	t0, hstatus
	li	a0, 0
	ret
.Lprobe_h_fixup:
	li	a0, -1
	ret

/* long riscv_probe_cbo_zero(void *block): zero one cache block with Zicboz's cbo.zero. */
	.global riscv_probe_cbo_zero
riscv_probe_cbo_zero:
.Lprobe_cboz:
	.insn i 0x0f, 2, x0, a0, 4 /* cbo.zero (a0) */
	li	a0, 0
	ret
.Lprobe_cboz_fixup:
	li	a0, -1
	ret

/*
 * long riscv_probe_cbo_flush(void *block): write back and invalidate one cache
 * block with Zicbom's cbo.flush; traps unless M-mode set menvcfg.CBCFE.
 */
	.global riscv_probe_cbo_flush
riscv_probe_cbo_flush:
.Lprobe_cbom:
	.insn i 0x0f, 2, x0, a0, 2 /* cbo.flush (a0) */
	li	a0, 0
	ret
.Lprobe_cbom_fixup:
	li	a0, -1
	ret

	.global riscv_probe_stimecmp
riscv_probe_stimecmp:
.Lprobe_sstc:
	csrr	t0, stimecmp
	li	a0, 0
	ret
.Lprobe_sstc_fixup:
	li	a0, -1
	ret
	.option pop

	.section .rodata
	.balign 8
	.global riscv_fixup_table
riscv_fixup_table:
	.dword .Lhlvx_insn, .Lhlvx_fixup
	.dword .Lprobe_h, .Lprobe_h_fixup
	.dword .Lprobe_sstc, .Lprobe_sstc_fixup
	.dword .Lprobe_cboz, .Lprobe_cboz_fixup
	.dword .Lprobe_cbom, .Lprobe_cbom_fixup
	.global riscv_fixup_table_end
riscv_fixup_table_end:
