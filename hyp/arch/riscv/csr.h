/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_CSR_H
#define FV_ARCH_RISCV_CSR_H

/*
 * CSR numbers, bit fields and accessors (RISC-V privileged spec v1.12+,
 * chapter "Hypervisor Extension"). H-extension CSR names assemble with
 * GCC 12's binutils as they are; H instructions need .option arch,+h.
 */
#include "lib/types.h"

/* sstatus */
#define SSTATUS_SIE        BIT(1)
#define SSTATUS_SPIE       BIT(5)
#define SSTATUS_SPP        BIT(8)
#define SSTATUS_VS         (3UL << 9)
#define SSTATUS_FS         (3UL << 13)
#define SSTATUS_FS_OFF     (0UL << 13)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_FS_CLEAN   (2UL << 13)
#define SSTATUS_FS_DIRTY   (3UL << 13)
#define SSTATUS_VS_OFF     (0UL << 9)
#define SSTATUS_VS_INITIAL (1UL << 9)
#define SSTATUS_VS_CLEAN   (2UL << 9)
#define SSTATUS_VS_DIRTY   (3UL << 9)
#define SSTATUS_SUM        BIT(18)
#define SSTATUS_MXR        BIT(19)
#define SSTATUS_UXL_64     (2UL << 32)

/* hstatus */
#define HSTATUS_VSBE        BIT(5)
#define HSTATUS_GVA         BIT(6)
#define HSTATUS_SPV         BIT(7)
#define HSTATUS_SPVP        BIT(8)
#define HSTATUS_HU          BIT(9)
#define HSTATUS_VGEIN_SHIFT 12
#define HSTATUS_VGEIN       (0x3fUL << 12)
#define HSTATUS_VTVM        BIT(20)
#define HSTATUS_VTW         BIT(21)
#define HSTATUS_VTSR        BIT(22)
#define HSTATUS_VSXL_SHIFT  32
#define HSTATUS_VSXL        (3UL << 32)
#define HSTATUS_VSXL_64     (2UL << 32)

/* interrupt numbers / bits in sip, sie, hvip, hip, hie, hideleg */
#define IRQ_S_SOFT   1
#define IRQ_VS_SOFT  2
#define IRQ_S_TIMER  5
#define IRQ_VS_TIMER 6
#define IRQ_S_EXT    9
#define IRQ_VS_EXT   10
#define IRQ_S_GEXT   12
#define MIP_SSIP     BIT(IRQ_S_SOFT)
#define MIP_VSSIP    BIT(IRQ_VS_SOFT)
#define MIP_STIP     BIT(IRQ_S_TIMER)
#define MIP_VSTIP    BIT(IRQ_VS_TIMER)
#define MIP_SEIP     BIT(IRQ_S_EXT)
#define MIP_VSEIP    BIT(IRQ_VS_EXT)
#define MIP_SGEIP    BIT(IRQ_S_GEXT)
#define VS_IRQ_MASK  (MIP_VSSIP | MIP_VSTIP | MIP_VSEIP)

/* scause exception codes */
#define EXC_INST_MISALIGNED  0
#define EXC_INST_ACCESS      1
#define EXC_ILLEGAL_INST     2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_ECALL_S          9 /* ecall from HS */
#define EXC_ECALL_VS         10
#define EXC_ECALL_M          11
#define EXC_INST_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15
#define EXC_INST_GUEST_PF    20
#define EXC_LOAD_GUEST_PF    21
#define EXC_VIRTUAL_INST     22
#define EXC_STORE_GUEST_PF   23
#define SCAUSE_INTR          BIT(63)

/* hgatp */
/* satp / vsatp MODE field */
#define SATP_MODE_SHIFT 60
#define SATP_MODE_SV39  8UL
#define SATP_MODE_SV48  9UL
#define SATP_MODE_SV57  10UL

#define HGATP_MODE_SHIFT  60
#define HGATP_VMID_SHIFT  44
#define HGATP_VMID_MASK   (0x3fffUL << HGATP_VMID_SHIFT)
#define HGATP_MODE_OFF    0UL
#define HGATP_MODE_SV39X4 8UL
#define HGATP_MODE_SV48X4 9UL
#define HGATP_MODE_SV57X4 10UL

/* henvcfg */
#define ENVCFG_FIOM  BIT(0)
#define ENVCFG_CBIE  (3UL << 4)
#define ENVCFG_CBCFE BIT(6)
#define ENVCFG_CBZE  BIT(7)
#define ENVCFG_ADUE  BIT(61)
#define ENVCFG_PBMTE BIT(62)
#define ENVCFG_STCE  BIT(63)

/* henvcfg.PMM (Ssnpm): pointer masking of VS/VU, the PMLEN values */
#define ENVCFG_PMM    (3UL << 32)
#define ENVCFG_PMM_7  (2UL << 32) /* PMLEN = 7 */
#define ENVCFG_PMM_16 (3UL << 32) /* PMLEN = 16 */

/* hcounteren / scounteren */
#define COUNTEREN_CY BIT(0)
#define COUNTEREN_TM BIT(1)
#define COUNTEREN_IR BIT(2)

#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long __v;                                                                 \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");                       \
		__v;                                                                               \
	})

#define csr_write(csr, val)                                                                        \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrw " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

#define csr_swap(csr, val)                                                                         \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrrw %0, " #csr ", %1" : "=r"(__v) : "rK"(__v) : "memory");     \
		__v;                                                                               \
	})

#define csr_set(csr, val)                                                                          \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrs " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

#define csr_clear(csr, val)                                                                        \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrc " #csr ", %0" : : "rK"(__v) : "memory");                    \
	})

#endif
