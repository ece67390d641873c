/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_DEFS_H
#define FV_ARCH_ARM64_DEFS_H

/* Words core prints where the architecture names a thing (see the RISC-V defs.h). */

/* The architecture as `make ARCH=` spells it (boot banner). */
#define ARCH_NAME "arm64"
/* What the hardware calls a CPU's id (struct cpu.hw_id: MPIDR_EL1 affinity fields). */
#define ARCH_CPU_ID_NAME "MPIDR"
/* The guest hypercall interface: PSCI (and later other SMCCC services) over HVC. */
#define ARCH_HCALL_NAME "psci"
/* A VM's UART is an emulated PL011, as on QEMU's arm64 virt (core/vconsole.c). */
#define ARCH_GUEST_UART_PL011 1
/* A VM's RTC is an emulated PL031, as on QEMU's arm64 virt (core/vm_rtc.c). */
#define ARCH_GUEST_RTC_PL031 1

#endif
