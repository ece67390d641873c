// SPDX-License-Identifier: MIT
/* RISC-V CPU hooks: per-CPU pointer, SMP start, IPIs, idle, time, power. */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/arch.h"
#include "core/bootwork.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "lib/printf.h"
#include "core/prof.h"
#include "core/timer.h"
#include "lib/string.h"
#include "core/stat.h"

struct cpu *cpu_this(void)
{
	struct cpu *c;
	__asm__("mv %0, tp" : "=r"(c));
	return c;
}

uint64_t arch_time_ticks(void)
{
	return csr_read(time);
}

void arch_timer_program(uint64_t deadline_ticks)
{
	if (riscv_feat.sstc)
		csr_write(stimecmp, deadline_ticks);
	else
		sbi_fw_set_timer(deadline_ticks);
	/* With Sstc the pending bit follows stimecmp; enable the interrupt. */
	csr_set(sie, MIP_STIP);
}

int arch_cpu_start(struct cpu *c)
{
	int ret =
	    sbi_fw_hart_start(c->hw_id, (unsigned long)riscv_secondary_entry, (unsigned long)c);
	return ret == 0 ? 0 : -FV_EIO;
}

void arch_cpu_kick(struct cpu *target)
{
	sbi_fw_send_ipi(1UL, target->hw_id);
}

void arch_cpu_relax(void)
{
	/* Zihintpause "pause", a hint (nop) where unsupported. */
	__asm__ volatile(".insn i 0x0f, 0, x0, x0, 0x010");
}

void riscv_handle_host_irqs(void)
{
	uint64_t sip = csr_read(sip);
	struct cpu *c = cpu_this();
	if (sip & MIP_SSIP) {
		csr_clear(sip, MIP_SSIP);
		STAT_INC(c->stats.irqs_ipi);
	}
	riscv_handle_external_irqs((sip & MIP_SEIP) != 0);
	/* Work other CPUs (or this one) asked the boot CPU for with an IPI: now. */
	bootwork_run();
	/* A profiling session started since this CPU last looked arms its sampling timer. */
	prof_cpu_poll();
	if (sip & MIP_STIP) {
		STAT_INC(c->stats.irqs_timer);
		/* Push the hardware deadline out; timer_handle_expired re-arms it. */
		arch_timer_program(UINT64_MAX);
		timer_handle_expired();
	}
}

void arch_cpu_idle(void)
{
	/*
	 * A guest WFI that halts in place (sched_halt) idles inside its exit
	 * handler, which may run in the profiler's sampling window: SIE = 1
	 * there and sie narrowed to the timer (prof_riscv.c). Idle as anywhere
	 * else, with SIE = 0, and give the window its state back afterwards:
	 * an IPI taken as a trap in HS would be a hypervisor panic.
	 */
	uint64_t in_window = csr_read(sstatus) & SSTATUS_SIE;
	uint64_t sie_window = csr_read(sie);
	/* Unconditional: no branch before the labelled wfi, which must not be duplicated. */
	csr_clear(sstatus, SSTATUS_SIE);
	/*
	 * SIE stays 0: wfi still wakes on a pending enabled interrupt, which we
	 * then handle by polling sip. No interrupt handler runs in HS here.
	 */
	csr_set(sie, MIP_SSIP | MIP_STIP);
	/* Labelled: the profiler's samples of an idle CPU name this pc (arch_prof_idle_pc). */
	__asm__ volatile(".globl riscv_idle_wfi\nriscv_idle_wfi: wfi" ::: "memory");
	/* (sie.SEIE, set by arch_irq_init / riscv_irq_cpu_init, also wakes wfi.) */
	riscv_handle_host_irqs();
	if (in_window) {
		csr_write(sie, sie_window);
		csr_set(sstatus, SSTATUS_SIE);
	}
}

void arch_system_poweroff(void)
{
	sbi_fw_shutdown(false);
}

void arch_early_putc(char c)
{
	sbi_fw_putchar(c);
}

void arch_platform_describe(const struct platform *p, char *buf, size_t len)
{
	fv_snprintf(buf, len, "plic %s, clint %s, aia %s", p->arch.plic.present ? "yes" : "no",
	            p->arch.clint.present ? "yes" : "no",
	            p->arch.imsic.present ? "imsic+aplic" : "no");
}

int arch_features_probe(const struct platform *p)
{
	const struct riscv_cpu_hints hints = {p->arch.isa, p->arch.cbom_block, p->arch.cbop_block,
	                                      p->arch.cboz_block};
	return riscv_features_probe(&hints);
}

int arch_selfcheck(void)
{
	const struct sbi_ext *t = sbi_guest_exts;
	size_t n = sbi_guest_nr_exts;
	if (sbi_table_check(t, n) != 0) {
		/* The shortest failing prefix ends with the offending row: name it. */
		size_t k = 1;
		while (k < n && sbi_table_check(t, k) == 0)
			k++;
		pr_err("sbi: extension table row '%s' (EIDs 0x%lx-0x%lx) is inverted or overlaps "
		       "an earlier row",
		       t[k - 1].name, t[k - 1].eid_start, t[k - 1].eid_end);
		return -1;
	}
	sbi_index_build(&sbi_guest_index, t, n);
	riscv_exit_ecall_init();
	pr_info("sbi: %lu extension(s), EID ranges disjoint", (unsigned long)n);
	return 0;
}

void arch_mem_zero(void *p, uint64_t size)
{
	uint64_t b = riscv_feat.cboz_block;
	uintptr_t a = (uintptr_t)p;
	if (!b || (a & (b - 1)) || (size & (b - 1))) {
		memset(p, 0, size);
		return;
	}
	uintptr_t end = a + size;
	/*
	 * Eight blocks per iteration through four address registers, each advanced by four
	 * blocks after use (cbo.zero has no offset field): 17 instructions per 8 blocks, where
	 * compiled loops took 2.75 a block (a 2 MiB RAM block is 32 768 blocks of 64 bytes).
	 */
	uintptr_t step = 8 * b, groups = (end - a) / step;
	if (groups) {
		uintptr_t p0 = a, p1 = a + b, p2 = a + 2 * b, p3 = a + 3 * b, half = 4 * b;
		uintptr_t limit = a + groups * step;
		__asm__ volatile("1:\n\t"
		                 ".insn i 0x0f, 2, x0, %0, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %1, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %2, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %3, 4\n\t"
		                 "add %0, %0, %4\n\t"
		                 "add %1, %1, %4\n\t"
		                 "add %2, %2, %4\n\t"
		                 "add %3, %3, %4\n\t"
		                 ".insn i 0x0f, 2, x0, %0, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %1, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %2, 4\n\t"
		                 ".insn i 0x0f, 2, x0, %3, 4\n\t"
		                 "add %0, %0, %4\n\t"
		                 "add %1, %1, %4\n\t"
		                 "add %2, %2, %4\n\t"
		                 "add %3, %3, %4\n\t"
		                 "bltu %0, %5, 1b"
		                 : "+r"(p0), "+r"(p1), "+r"(p2), "+r"(p3)
		                 : "r"(half), "r"(limit)
		                 : "memory");
		a = limit;
	}
	for (; a < end; a += b)
		__asm__ volatile(".insn i 0x0f, 2, x0, %0, 4" : : "r"(a) : "memory");
}

void arch_cpu_init(void)
{
	/*
	 * Exceptions the guest handles itself go straight to VS-mode; guest
	 * page faults, VS ecalls and virtual instructions stay with us.
	 */
	csr_write(hedeleg, BIT(EXC_INST_MISALIGNED) | BIT(EXC_BREAKPOINT) | BIT(EXC_ECALL_U) |
	                       BIT(EXC_INST_PAGE_FAULT) | BIT(EXC_LOAD_PAGE_FAULT) |
	                       BIT(EXC_STORE_PAGE_FAULT) | BIT(EXC_ILLEGAL_INST));
	csr_write(hideleg, VS_IRQ_MASK);
	csr_write(hvip, 0);
	csr_write(hcounteren, 0);
	csr_write(hgatp, 0);
	csr_write(sie, MIP_SSIP | MIP_STIP);
	if (riscv_feat.sstc)
		csr_write(stimecmp, UINT64_MAX);
	riscv_fwft_cpu_init();
	riscv_dbtr_cpu_init();
	riscv_irq_cpu_init();
}
