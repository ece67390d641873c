// SPDX-License-Identifier: MIT
/*
 * Each VM boot gets a device tree describing exactly what it is given:
 * its vCPUs with the ISA the hypervisor really offers (no H, only the
 * extensions it switches or virtualizes), its RAM, UART, PLIC, /chosen.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/console.h"
#include "arch/riscv/guest_dtb.h"
#include "core/mem.h"
#include "core/timer.h"
#include "core/vm.h"
#include "lib/string.h"

static unsigned long isa_flags(void)
{
	unsigned long f = 0;
	if (riscv_feat.sstc)
		f |= GUEST_ISA_SSTC;
	if (riscv_feat.svpbmt)
		f |= GUEST_ISA_SVPBMT;
	if (riscv_feat.svadu)
		f |= GUEST_ISA_SVADU;
	if (riscv_feat.zicbom)
		f |= GUEST_ISA_ZICBOM;
	if (riscv_feat.cbop_block)
		f |= GUEST_ISA_ZICBOP;
	if (riscv_feat.zicboz)
		f |= GUEST_ISA_ZICBOZ;
	return f;
}

/* The VS-stage mode the guest may use: the widest vsatp takes (probed at boot). */
static const char *mmu_type(void)
{
	switch (riscv_feat.vsatp_mode) {
	case SATP_MODE_SV57:
		return "riscv,sv57";
	case SATP_MODE_SV48:
		return "riscv,sv48";
	default:
		return "riscv,sv39";
	}
}

/* The inputs of one tree: over 1 KiB, kept off the 16 KiB hypervisor stack. */
struct vm_dtb_scratch {
	struct guest_isa isa;
	struct guest_dtb_params p;
};

/*
 * Build the tree into a scratch area of its own. Each call allocates one: two VMs start on
 * two CPUs at once (each under only its own vm->lock), so shared buffers would mix their
 * trees. A global lock would also do, but would serialise unrelated VM boots for nothing.
 */
static gpa_t place(struct vm *vm, gpa_t top, struct vm_dtb_scratch *s)
{
	struct guest_dtb_params *p = &s->p;
	const struct vm_config *cfg = vm->cfg;
	if (guest_dtb_isa(riscv_feat.host_isa ? riscv_feat.host_isa : "rv64imafdc", isa_flags(),
	                  &s->isa) != 0) {
		pr_err("vm %s: cannot build its device tree (no usable ISA string)", vm->name);
		return 0;
	}
	p->vm_name = vm->name;
	p->nr_vcpus = vm->nr_vcpus;
	p->timebase_hz = (uint32_t)time_freq_hz();
	p->isa = s->isa.isa;
	p->isa_exts = s->isa.exts;
	p->mmu_type = mmu_type();
	/* Block sizes only with the extension: each flag above implies a valid size. */
	p->cbom_block_size = riscv_feat.zicbom ? riscv_feat.cbom_block : 0;
	p->cbop_block_size = riscv_feat.cbop_block;
	p->cboz_block_size = riscv_feat.zicboz ? riscv_feat.cboz_block : 0;
	p->mem_base = vm->ram_gpa;
	p->mem_size = vm->ram_size;
	p->bootargs = cfg->bootargs[0] ? cfg->bootargs : NULL;
	if (cfg->initrd_size) {
		p->initrd_start = top;
		p->initrd_end = top + cfg->initrd_size;
	}
	p->uart.present = cfg->has_uart;
	p->uart.base = cfg->uart_base;
	p->uart.irq = VM_IRQ_UART;
	p->rtc.present = vm->rtc.present;
	p->rtc.base = RISCV_GUEST_RTC_BASE;
	p->rtc.irq = VM_IRQ_RTC;
	p->plic.present = true;
	p->plic.base = VM_PLIC_BASE;
	p->plic.size = VPLIC_MMIO_SIZE;
	p->plic.ndev = VM_PLIC_NDEV;
	p->nr_virtio = vm_virtio_count(vm);
	for (unsigned j = 0; j < p->nr_virtio && j < GUEST_DTB_MAX_VIRTIO; j++) {
		vm_virtio_window(vm, j, &p->virtio[j].base, &p->virtio[j].size, &p->virtio[j].irq);
		p->virtio[j].control = vm_virtio_is_control(vm, j);
	}
	gpa_t dtb = ALIGN_DOWN(top - VM_DTB_MAX, PAGE_SIZE);
	void *buf = vm_gpa_to_hva(vm, dtb, VM_DTB_MAX);
	if (!buf || dtb < vm->ram_gpa + cfg->kernel_offset + cfg->kernel_size) {
		pr_err("vm %s: no room for its %u KiB device tree between the kernel and 0x%lx",
		       vm->name, (unsigned)(VM_DTB_MAX >> 10), (unsigned long)top);
		return 0;
	}
	int n = guest_dtb_build(p, buf, VM_DTB_MAX);
	if (n < 0) {
		pr_err("vm %s: cannot build its device tree (%d)", vm->name, n);
		return 0;
	}
	return dtb;
}

gpa_t arch_vm_dtb_place(struct vm *vm, gpa_t top)
{
	struct vm_dtb_scratch *s = mem_zalloc(sizeof(*s));
	if (!s) {
		pr_err("vm %s: no memory to build its device tree", vm->name);
		return 0;
	}
	gpa_t dtb = place(vm, top, s);
	mem_free(s);
	return dtb;
}

/* Linux/OpenSBI boot protocol: a0 = hart id (vCPU 0 boots), a1 = device tree. */
void arch_vm_boot_args(const struct vm *vm, gpa_t dtb, uint64_t *a0, uint64_t *a1)
{
	UNUSED(vm);
	*a0 = 0;
	*a1 = dtb;
}
