// SPDX-License-Identifier: MIT
/*
 * A VM's interrupt controller: the emulated PLIC (arch/riscv/vplic.c) on the
 * VM's MMIO bus, wired to the vCPUs' external interrupt lines. Context i
 * is vCPU i's S-mode external interrupt, matching the generated DTB.
 *
 * Locking: vm->arch.irq_lock protects vm->arch.plic. Devices call set_level with
 * their own lock held (lock order: device -> irq_lock -> sched lock).
 */
#include "core/arch.h"
#include "core/console.h"
#include "core/vcpu.h"
#include "core/vm.h"

_Static_assert(VPLIC_MMIO_SIZE == RISCV_GUEST_PLIC_SIZE,
               "the PLIC window is the one guest_layout checks");

static void plic_notify(void *ctx, unsigned context, bool level)
{
	struct vm *vm = ctx;
	if (context >= vm->nr_vcpus)
		return;
	if (level)
		vcpu_virq_raise(vm->vcpus[context], VIRQ_EXT);
	else
		vcpu_virq_lower(vm->vcpus[context], VIRQ_EXT);
}

static const struct vplic_ops plic_ops = {
    .notify = plic_notify,
};

static void irq_set_level(void *dev, unsigned irq, bool level)
{
	struct vm *vm = dev;
	spin_lock(&vm->arch.irq_lock);
	vplic_set_level(&vm->arch.plic, irq, level);
	spin_unlock(&vm->arch.irq_lock);
}

static const struct irqchip_ops vm_irqchip = {
    .set_level = irq_set_level,
};

static int plic_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->arch.irq_lock);
	int ret = vplic_read(&vm->arch.plic, off, width, val);
	spin_unlock(&vm->arch.irq_lock);
	return ret;
}

static int plic_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->arch.irq_lock);
	int ret = vplic_write(&vm->arch.plic, off, width, val);
	spin_unlock(&vm->arch.irq_lock);
	return ret;
}

static const struct mmio_ops plic_mmio = {
    .read = plic_read,
    .write = plic_write,
};

/* The VM's PLIC: one context per vCPU (core/arch.h). */
int arch_virq_init(struct vm *vm)
{
	spin_init(&vm->arch.irq_lock);
	int ret = vplic_init(&vm->arch.plic, VM_PLIC_NDEV + 1, vm->nr_vcpus, &plic_ops, vm);
	if (ret)
		return ret;
	ret = mmio_bus_add(&vm->mmio, VM_PLIC_BASE, VPLIC_MMIO_SIZE, &plic_mmio, vm, "plic");
	if (ret)
		return ret;
	vm->irqchip = &vm_irqchip;
	vm->irqchip_dev = vm;
	return 0;
}

void arch_virq_reset(struct vm *vm)
{
	spin_lock(&vm->arch.irq_lock);
	vplic_reset(&vm->arch.plic);
	spin_unlock(&vm->arch.irq_lock);
}
