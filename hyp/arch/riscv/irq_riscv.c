// SPDX-License-Identifier: MIT
/*
 * Host external interrupts on RISC-V: the PLIC's S-mode context of the
 * boot hart receives every enabled source. The hypervisor never runs with
 * sstatus.SIE set, so a pending SEIP is taken as a trap only while a guest
 * runs (V=1 always traps HS interrupts), or seen after wfi in the idle
 * loop; both paths call riscv_handle_host_irqs().
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/irq.h"
#include "core/percpu.h"
#include "core/platform.h"
#include "arch/riscv/plic.h"

#define CLAIMS_PER_TRAP 16 /* bounded: a stuck source cannot hold the CPU */

static struct plic host_plic;
static int boot_ctx = -1;
static unsigned boot_cpu_id;

int arch_irq_init(const struct platform *p)
{
	if (!p->arch.plic.present || !p->arch.plic_ndev)
		return -FV_ENOTSUP;
	struct cpu *c = cpu_this();
	for (unsigned i = 0; i < p->nr_cpus; i++)
		if (p->cpu_hwid[i] == c->hw_id)
			boot_ctx = p->arch.plic_s_ctx[i];
	if (boot_ctx < 0)
		return -FV_ENOTSUP;
	boot_cpu_id = c->id;
	plic_init(&host_plic, (uintptr_t)p->arch.plic.base, p->arch.plic_ndev, boot_ctx);
	csr_set(sie, MIP_SEIP);
	return 0;
}

int arch_irq_enable(unsigned irq)
{
	if (boot_ctx < 0)
		return -FV_ENOTSUP;
	return plic_enable(&host_plic, irq, boot_ctx);
}

void riscv_handle_external_irqs(void)
{
	/* Only the boot hart's context has sources enabled. */
	if (boot_ctx < 0 || cpu_this()->id != boot_cpu_id)
		return;
	for (unsigned n = 0; n < CLAIMS_PER_TRAP; n++) {
		uint32_t irq = plic_claim(&host_plic, boot_ctx);
		if (!irq)
			break;
		irq_dispatch(irq);
		plic_complete(&host_plic, boot_ctx, irq);
	}
}
