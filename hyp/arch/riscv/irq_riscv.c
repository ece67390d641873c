// SPDX-License-Identifier: MIT
/*
 * Host external interrupts on RISC-V: each CPU's S-mode PLIC context
 * receives the sources routed to it (core/irq.c decides; the boot CPU gets
 * every source at first). The hypervisor never runs with sstatus.SIE set, so
 * a pending SEIP is taken as a trap only while a guest runs (V=1 always
 * traps HS interrupts), or seen after wfi in the idle loop; both paths call
 * riscv_handle_host_irqs(), which claims from this CPU's own context.
 *
 * Moving a source (arch_irq_route): the new CPU's enable bit is set at once,
 * the old CPU's is cleared by the old CPU itself (asked by IPI), between two
 * claims. The PLIC ignores a completion for a source not enabled in the
 * completing context (PLIC spec, "Interrupt Completion"), so clearing it
 * from elsewhere while the old CPU is between claim and complete would leave
 * the source blocked for good. Meanwhile both contexts may claim it; only one
 * wins each claim and every movable handler is safe on any CPU.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/irq.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "core/spinlock.h"
#include "arch/riscv/plic.h"

#define CLAIMS_PER_TRAP 16 /* bounded: a stuck source cannot hold the CPU */
#define DROP_WORDS      ((IRQ_MAX + 63) / 64)

static struct plic host_plic;
static bool plic_ready;
static int cpu_ctx[FV_MAX_CPUS];               /* CPU id -> its S-mode context, -1 = none */
static struct spinlock enable_lock;            /* the read-modify-write of enable words */
static uint64_t drop[FV_MAX_CPUS][DROP_WORDS]; /* sources CPU i is to disable (atomic) */

int arch_irq_init(const struct platform *p)
{
	if (!p->arch.plic.present || !p->arch.plic_ndev)
		return -FV_ENOTSUP;
	spin_init(&enable_lock);
	for (unsigned c = 0; c < FV_MAX_CPUS; c++) {
		cpu_ctx[c] = -1;
		if (c >= cpu_count || !cpu_table[c])
			continue;
		for (unsigned i = 0; i < p->nr_cpus; i++)
			if (p->cpu_hwid[i] == cpu_table[c]->hw_id)
				cpu_ctx[c] = p->arch.plic_s_ctx[i];
	}
	unsigned me = cpu_this()->id;
	if (me >= FV_MAX_CPUS || cpu_ctx[me] < 0)
		return -FV_ENOTSUP;
	plic_init(&host_plic, (uintptr_t)p->arch.plic.base, p->arch.plic_ndev);
	/* Every CPU's context starts empty, whatever the firmware left enabled. */
	for (unsigned c = 0; c < FV_MAX_CPUS; c++)
		if (cpu_ctx[c] >= 0)
			plic_ctx_init(&host_plic, cpu_ctx[c]);
	plic_ready = true;
	csr_set(sie, MIP_SEIP);
	return 0;
}

void riscv_irq_cpu_init(void)
{
	unsigned me = cpu_this()->id;
	/* A secondary CPU takes external interrupts once a source is routed to its context. */
	if (!plic_ready || me >= FV_MAX_CPUS || cpu_ctx[me] < 0)
		return;
	/*
	 * The firmware's warm start of this hart (SBI HSM hart_start, after arch_irq_init)
	 * masks its S-mode context again (threshold 7 on QEMU virt with OpenSBI 1.5.1):
	 * open it here, on the hart itself, before any source is routed to it (irq_spread
	 * runs once every CPU is online).
	 */
	plic_set_threshold(&host_plic, cpu_ctx[me], 0);
	csr_set(sie, MIP_SEIP);
}

int arch_irq_enable(unsigned irq)
{
	unsigned me = cpu_this()->id;
	if (!plic_ready || me >= FV_MAX_CPUS)
		return -FV_ENOTSUP;
	spin_lock(&enable_lock);
	int ret = plic_enable(&host_plic, irq, cpu_ctx[me]);
	spin_unlock(&enable_lock);
	return ret;
}

int arch_irq_route(unsigned irq, unsigned from, unsigned to)
{
	if (!plic_ready || irq >= IRQ_MAX || from >= FV_MAX_CPUS || to >= FV_MAX_CPUS ||
	    cpu_ctx[to] < 0)
		return -FV_EINVAL;
	spin_lock(&enable_lock);
	int ret = plic_enable(&host_plic, irq, cpu_ctx[to]);
	if (ret == 0) {
		/* Routed back before the old CPU dropped it: keep it. */
		__atomic_fetch_and(&drop[to][irq / 64], ~(1ULL << (irq % 64)), __ATOMIC_ACQ_REL);
		__atomic_fetch_or(&drop[from][irq / 64], 1ULL << (irq % 64), __ATOMIC_ACQ_REL);
	}
	spin_unlock(&enable_lock);
	if (ret == 0 && from != cpu_this()->id)
		arch_cpu_kick(cpu_table[from]);
	return ret;
}

/* This CPU, outside claim..complete: clear the enables other CPUs asked it to drop. */
static void apply_drops(unsigned me)
{
	for (unsigned w = 0; w < DROP_WORDS; w++) {
		if (!__atomic_load_n(&drop[me][w], __ATOMIC_ACQUIRE))
			continue;
		spin_lock(&enable_lock);
		uint64_t bits = __atomic_exchange_n(&drop[me][w], 0, __ATOMIC_ACQ_REL);
		for (unsigned b = 0; b < 64; b++)
			if (bits & (1ULL << b))
				plic_disable(&host_plic, w * 64 + b, cpu_ctx[me]);
		spin_unlock(&enable_lock);
	}
}

void riscv_handle_external_irqs(bool pending)
{
	unsigned me = cpu_this()->id;
	if (!plic_ready || me >= FV_MAX_CPUS || cpu_ctx[me] < 0)
		return;
	int ctx = cpu_ctx[me];
	apply_drops(me);
	if (!pending)
		return;
	for (unsigned n = 0; n < CLAIMS_PER_TRAP; n++) {
		uint32_t irq = plic_claim(&host_plic, ctx);
		if (!irq)
			break;
		irq_dispatch(irq);
		plic_complete(&host_plic, ctx, irq);
	}
}
