/* SPDX-License-Identifier: MIT */
#ifndef GUEST_CSR_H
#define GUEST_CSR_H

#include <stdint.h>

/* S-mode CSR bits used by the guests (RISC-V privileged spec §12.1). */
#define SSTATUS_SIE        (1UL << 1)
#define SSTATUS_SPIE       (1UL << 5)
#define SSTATUS_SPP        (1UL << 8)
#define SSTATUS_FS         (3UL << 13)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_FS_DIRTY   (3UL << 13)

#define IRQ_S_SOFT  1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT   9

#define SIP_SSIP (1UL << IRQ_S_SOFT)
#define SIP_STIP (1UL << IRQ_S_TIMER)
#define SIP_SEIP (1UL << IRQ_S_EXT)
#define SIE_SSIE SIP_SSIP
#define SIE_STIE SIP_STIP
#define SIE_SEIE SIP_SEIP

#define SCAUSE_INTERRUPT (1UL << 63)

/* Exception codes (scause with the interrupt bit clear). */
#define EXC_INSN_MISALIGNED  0
#define EXC_INSN_ACCESS      1
#define EXC_ILLEGAL_INSN     2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_ECALL_S          9
#define EXC_INSN_PAGE_FAULT  12
#define EXC_LOAD_PAGE_FAULT  13
#define EXC_STORE_PAGE_FAULT 15

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

#define csr_read_clear(csr, val)                                                                   \
	({                                                                                         \
		unsigned long __v = (unsigned long)(val);                                          \
		__asm__ volatile("csrrc %0, " #csr ", %1" : "=r"(__v) : "rK"(__v) : "memory");     \
		__v;                                                                               \
	})

/* Current time (the `time` CSR, timebase ticks). Always readable by S-mode on QEMU virt. */
static inline uint64_t rdtime(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t) : : "memory");
	return t;
}

/* Disable S-mode interrupts and return the previous sstatus.SIE state for irq_restore(). */
static inline unsigned long irq_save(void)
{
	return csr_read_clear(sstatus, SSTATUS_SIE) & SSTATUS_SIE;
}

static inline void irq_restore(unsigned long flags)
{
	if (flags & SSTATUS_SIE)
		csr_set(sstatus, SSTATUS_SIE);
}

static inline void irq_enable(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void irq_disable(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

static inline void cpu_wfi(void)
{
	__asm__ volatile("wfi" : : : "memory");
}

static inline void cpu_relax(void)
{
	/* Zihintpause `pause` is a hint encoded as a FENCE: harmless where unsupported. */
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010" : : : "memory");
}

#endif
