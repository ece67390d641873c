// SPDX-License-Identifier: MIT
/*
 * A VM's interrupt controller: the emulated PLIC (vdev/vplic.c) on the
 * VM's MMIO bus, wired to the vCPUs' external interrupt lines. Context i
 * is vCPU i's S-mode external interrupt, matching the generated DTB.
 *
 * Locking: vm->irq_lock protects vm->plic. Devices call set_level with
 * their own lock held (lock order: device -> irq_lock -> sched lock).
 */
#include "core/console.h"
#include "core/vcpu.h"
#include "core/vm.h"

_Static_assert(VPLIC_MMIO_SIZE == GUEST_PLIC_SIZE,
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
	spin_lock(&vm->irq_lock);
	vplic_set_level(&vm->plic, irq, level);
	spin_unlock(&vm->irq_lock);
}

static const struct irqchip_ops vm_irqchip = {
    .set_level = irq_set_level,
};

static int plic_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->irq_lock);
	int ret = vplic_read(&vm->plic, off, width, val);
	spin_unlock(&vm->irq_lock);
	return ret;
}

static int plic_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	spin_lock(&vm->irq_lock);
	int ret = vplic_write(&vm->plic, off, width, val);
	spin_unlock(&vm->irq_lock);
	return ret;
}

static const struct mmio_ops plic_mmio = {
    .read = plic_read,
    .write = plic_write,
};

/*
 * Give the VM its PLIC (one context per vCPU). Called once at VM creation,
 * after its vCPUs exist. Returns 0 or a negative fv_err.
 */
int vm_irq_init(struct vm *vm)
{
	spin_init(&vm->irq_lock);
	int ret = vplic_init(&vm->plic, VM_PLIC_NDEV + 1, vm->nr_vcpus, &plic_ops, vm);
	if (ret)
		return ret;
	ret = mmio_bus_add(&vm->mmio, VM_PLIC_BASE, VPLIC_MMIO_SIZE, &plic_mmio, vm, "plic");
	if (ret)
		return ret;
	vm->irqchip = &vm_irqchip;
	vm->irqchip_dev = vm;
	return 0;
}

/* Fresh controller state for a new boot of the VM. */
void vm_irq_reset(struct vm *vm)
{
	spin_lock(&vm->irq_lock);
	vplic_reset(&vm->plic);
	spin_unlock(&vm->irq_lock);
}
