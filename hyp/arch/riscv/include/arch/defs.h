/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_DEFS_H
#define FV_ARCH_RISCV_DEFS_H

/*
 * Words core prints where the architecture names a thing (core/arch.h lists every hook; these
 * are the constants beside them). Log lines and shell output keep the architecture's own
 * vocabulary, so an operator reads "hart 2" on RISC-V and "MPIDR 0x..." on ARM64.
 */

/* The architecture as `make ARCH=` spells it (boot banner). */
#define ARCH_NAME "riscv64"
/* What the hardware calls a CPU's id (struct cpu.hw_id): "cpu 1 (hart 3)". */
#define ARCH_CPU_ID_NAME "hart"
/* The guest hypercall interface (exit class, trace class, metrics): SBI ecalls. */
#define ARCH_HCALL_NAME "sbi"

#endif
