// SPDX-License-Identifier: MIT
/*
 * RISC-V snapshot state that is plain data (core/snap_arch.h): a vCPU's SBI
 * HSM suspend record and the VM's vPLIC as the IRQCHIP section
 * (docs/snapshot-format.md). Apart from the CSR and FP work of snap_riscv.c
 * so the host unit test (test_snap_vm) links it unchanged.
 */
#include "core/snap_arch.h"
#include "arch/riscv/vplic.h"
#include "core/ctl_proto.h"
#include "core/snap_vm.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

/* The IRQCHIP payload: sources and contexts, then the vPLIC's registers and bitmaps. */
#define SNAP_PLIC_LEN                                                                              \
	(8u + VPLIC_MAX_SOURCES + VPLIC_MAX_CONTEXTS + 12u * VPLIC_WORDS +                         \
	 4u * VPLIC_MAX_CONTEXTS * VPLIC_WORDS)
_Static_assert(SNAP_PLIC_LEN <= ARCH_SNAP_MAX, "the vPLIC section fits core's buffer");

uint32_t arch_snap_vcpu_suspend_save(const struct vcpu *v, uint64_t *resume_addr,
                                     uint64_t *resume_arg)
{
	*resume_addr = v->arch.hsm.resume_addr;
	*resume_arg = v->arch.hsm.resume_arg;
	return (v->arch.hsm.suspended ? SNAP_VCPUF_CPU_SUSPENDED : 0) |
	       (v->arch.hsm.resume_nonret ? SNAP_VCPUF_RESUME_NONRET : 0);
}

void arch_snap_vcpu_suspend_load(struct vcpu *v, uint32_t flags, uint64_t resume_addr,
                                 uint64_t resume_arg)
{
	v->arch.hsm.suspended = (flags & SNAP_VCPUF_CPU_SUSPENDED) != 0;
	v->arch.hsm.resume_nonret = (flags & SNAP_VCPUF_RESUME_NONRET) != 0;
	v->arch.hsm.resume_addr = resume_addr;
	v->arch.hsm.resume_arg = resume_arg;
}

static uint32_t put_plic(const struct vplic *pl, uint8_t *p)
{
	uint8_t *q = p;
	ctl_put32(q, pl->nsources);
	ctl_put32(q + 4, pl->ncontexts);
	q += 8;
	memcpy(q, pl->priority, VPLIC_MAX_SOURCES);
	q += VPLIC_MAX_SOURCES;
	memcpy(q, pl->threshold, VPLIC_MAX_CONTEXTS);
	q += VPLIC_MAX_CONTEXTS;
	for (unsigned w = 0; w < VPLIC_WORDS; w++, q += 12) {
		ctl_put32(q, pl->level[w]);
		ctl_put32(q + 4, pl->pending[w]);
		ctl_put32(q + 8, pl->claimed[w]);
	}
	for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++)
		for (unsigned w = 0; w < VPLIC_WORDS; w++, q += 4)
			ctl_put32(q, pl->enable[c][w]);
	return (uint32_t)(q - p);
}

uint32_t arch_snap_irqchip_save(struct vm *vm, uint8_t *out)
{
	spin_lock(&vm->arch.irq_lock);
	uint32_t len = put_plic(&vm->arch.plic, out);
	spin_unlock(&vm->arch.irq_lock);
	return len;
}

int arch_snap_irqchip_load(struct vm *vm, const uint8_t *p, uint32_t len)
{
	if (len != SNAP_PLIC_LEN)
		return 1;
	struct vplic *pl = &vm->arch.plic;
	spin_lock(&vm->arch.irq_lock);
	int bad = ctl_get32(p) != pl->nsources || ctl_get32(p + 4) != pl->ncontexts;
	if (!bad) {
		const uint8_t *q = p + 8;
		for (unsigned s = 0; s < VPLIC_MAX_SOURCES; s++)
			pl->priority[s] = q[s] & VPLIC_MAX_PRIORITY;
		q += VPLIC_MAX_SOURCES;
		for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++)
			pl->threshold[c] = q[c] & VPLIC_MAX_PRIORITY;
		q += VPLIC_MAX_CONTEXTS;
		for (unsigned w = 0; w < VPLIC_WORDS; w++, q += 12) {
			pl->level[w] = ctl_get32(q);
			pl->pending[w] = ctl_get32(q + 4);
			pl->claimed[w] = ctl_get32(q + 8);
		}
		for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++)
			for (unsigned w = 0; w < VPLIC_WORDS; w++, q += 4)
				pl->enable[c][w] = ctl_get32(q);
		/* Re-establish the model's invariants (vplic.h) whatever the file said. */
		for (unsigned w = 0; w < VPLIC_WORDS; w++) {
			uint32_t valid = 0;
			for (unsigned b = 0; b < 32; b++)
				if (w * 32 + b != 0 && w * 32 + b < pl->nsources)
					valid |= 1u << b;
			pl->level[w] &= valid;
			pl->claimed[w] &= valid;
			pl->pending[w] = (pl->pending[w] | (pl->level[w] & ~pl->claimed[w])) &
			                 valid & ~pl->claimed[w];
			for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++)
				pl->enable[c][w] = c < pl->ncontexts ? pl->enable[c][w] & valid : 0;
		}
		for (unsigned c = VPLIC_MAX_CONTEXTS; c-- > pl->ncontexts;)
			pl->threshold[c] = 0;
		pl->output = 0;
		for (unsigned c = 0; c < pl->ncontexts; c++)
			if (vplic_context_pending(pl, c))
				pl->output |= 1u << c;
	}
	spin_unlock(&vm->arch.irq_lock);
	/* The contexts' outputs drive the vCPUs' external interrupt lines. */
	for (unsigned c = 0; !bad && c < pl->ncontexts && c < vm->nr_vcpus; c++)
		if (pl->output & (1u << c))
			__atomic_fetch_or(&vm->vcpus[c]->virq_pending, VIRQ_EXT, __ATOMIC_ACQ_REL);
	return bad;
}
