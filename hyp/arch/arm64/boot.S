/* SPDX-License-Identifier: MIT */
/*
 * First instructions on arm64. QEMU (-kernel) loads the image as a Linux arm64 Image (the
 * header below) and enters _start at EL2 with the MMU off and x0 = the host DTB. Secondary
 * CPUs arrive at arm64_secondary_entry through PSCI CPU_ON with x0 = their struct cpu.
 *
 * Register convention inside the hypervisor: TPIDR_EL2 always holds this CPU's struct cpu
 * (set before any C code); SP_EL2 is the CPU's stack in the hypervisor and the guest
 * context while a guest runs (entry.S). PSTATE.DAIF stays masked: the hypervisor's own
 * interrupts are taken as guest exits or polled after wfi, as on RISC-V.
 */
#include "arch/arm64/asm_offsets.h"

/* TCR_EL2: T0SZ=25 (39-bit VA, walk starts at level 1), WBWA inner/outer, inner shareable,
 * 4 KiB granule, PS=40 bits, RES1 bits 23 and 31. */
#define BOOT_TCR  0x80823519
/* MAIR_EL2: attribute 0 = Device-nGnRnE, attribute 1 = Normal write-back. */
#define BOOT_MAIR 0xff00
/* SCTLR_EL2 (E2H=0): RES1 bits, M (MMU), C (data cache), SA (stack alignment), I. */
#define BOOT_SCTLR 0x30C5183D
/* Level-1 block entries (1 GiB): valid block, AttrIndx, AP[1] (RES1 at EL2), SH, AF, XN. */
#define L1_DEVICE ((1 << 0) | (0 << 2) | (1 << 6) | (1 << 10) | (1 << 54))
#define L1_NORMAL ((1 << 0) | (1 << 2) | (1 << 6) | (3 << 8) | (1 << 10))
/* HCR_EL2 while no guest runs: EL1 is AArch64, nothing else routed or trapped. */
#define BOOT_HCR  (1 << 31)
/* CPTR_EL2 (E2H=0): RES1 bits, TZ (trap SVE) and TSM (trap SME); FP/SIMD not trapped. */
#define BOOT_CPTR 0x33ff

	.section .text.boot, "ax"
	.global _start
_start:
	/* Linux arm64 Image header (Documentation/arm64/booting in the kernel's terms). */
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0x200000		/* text_offset: loaded at RAM base + 2 MiB */
	.quad	__image_size		/* image_size, BSS included */
	.quad	0x2			/* flags: little endian, 4 KiB pages */
	.quad	0, 0, 0			/* res2..res4 */
	.ascii	"ARM\x64"		/* magic */
	.long	0			/* res5: no PE header */

primary_entry:
	msr	daifset, #0xf
	mov	x20, x0			/* DTB */
	mrs	x1, CurrentEL
	cmp	x1, #(2 << 2)
	b.ne	not_el2
	bl	el2_regs_init

	/* The boot CPU's struct cpu is static (.data) so the panic path works at once. */
	adrp	x0, cpu_boot_storage
	add	x0, x0, :lo12:cpu_boot_storage
	msr	tpidr_el2, x0
	mrs	x1, mpidr_el1
	ldr	x2, =0xff00ffffff	/* Aff3..Aff0 */
	and	x21, x1, x2
	str	x21, [x0, #CPU_HW_ID]

	/* Clear BSS, 64 bytes per iteration (linker.ld aligns both ends). */
	adrp	x0, __bss_start
	add	x0, x0, :lo12:__bss_start
	adrp	x1, __bss_end
	add	x1, x1, :lo12:__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0, #0]
	stp	xzr, xzr, [x0, #16]
	stp	xzr, xzr, [x0, #32]
	stp	xzr, xzr, [x0, #48]
	add	x0, x0, #64
	b	1b
2:
	/* Identity map: GiB 0 is devices (GIC, UART, virtio-mmio), GiB 1..255 normal memory. */
	adrp	x0, arm64_boot_pt
	add	x0, x0, :lo12:arm64_boot_pt
	ldr	x1, =L1_DEVICE
	str	x1, [x0]
	ldr	x1, =L1_NORMAL
	mov	x2, #1
3:	lsl	x3, x2, #30
	orr	x3, x3, x1
	str	x3, [x0, x2, lsl #3]
	add	x2, x2, #1
	cmp	x2, #256
	b.lo	3b
	dsb	ish
	bl	mmu_on

	adrp	x0, cpu_boot_stack
	add	x0, x0, :lo12:cpu_boot_stack
	add	sp, x0, #ASM_CPU_STACK_SIZE
	mov	x0, x21			/* hw id */
	mov	x1, x20			/* dtb */
	bl	hyp_main
4:	wfi
	b	4b

not_el2:
	/* Entered below EL2: no virtualization (QEMU needs -M virt,virtualization=on). */
	wfi
	b	not_el2

	.global arm64_secondary_entry
arm64_secondary_entry:
	/* x0 = the struct cpu the boot CPU prepared (PSCI CPU_ON context id). */
	msr	daifset, #0xf
	mov	x20, x0
	bl	el2_regs_init
	msr	tpidr_el2, x20
	bl	mmu_on
	ldr	x0, [x20, #CPU_STACK_TOP]
	mov	sp, x0
	bl	hyp_secondary_main
5:	wfi
	b	5b

/* EL2 control registers every CPU sets before its MMU is on. Clobbers x0. */
el2_regs_init:
	ldr	x0, =BOOT_HCR
	msr	hcr_el2, x0
	ldr	x0, =BOOT_CPTR
	msr	cptr_el2, x0
	adrp	x0, arm64_hyp_vectors
	add	x0, x0, :lo12:arm64_hyp_vectors
	msr	vbar_el2, x0
	msr	spsel, #1
	isb
	ret

/* Turn on the EL2 MMU with the boot identity map (tables already written). Clobbers x0. */
mmu_on:
	ldr	x0, =BOOT_MAIR
	msr	mair_el2, x0
	ldr	x0, =BOOT_TCR
	msr	tcr_el2, x0
	adrp	x0, arm64_boot_pt
	add	x0, x0, :lo12:arm64_boot_pt
	msr	ttbr0_el2, x0
	isb
	tlbi	alle2
	dsb	ish
	isb
	ldr	x0, =BOOT_SCTLR
	msr	sctlr_el2, x0
	isb
	ret

	.section .bss
	.balign 4096
	.global arm64_boot_pt
arm64_boot_pt:
	.skip	4096
