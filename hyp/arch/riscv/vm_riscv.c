// SPDX-License-Identifier: MIT
/* RISC-V per-VM setup: VMID, G-stage page tables, guest time base. */
#include "arch/riscv/csr.h"
#include "arch/riscv/guest_map.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/vm.h"
#include "lib/string.h"

/*
 * VMIDs in use, bit n = VMID n. VMID 0 stays unused so a bug shows up as a fault. VMs are
 * created and destroyed at run time on any CPU: vmid_lock protects the map.
 */
static uint64_t vmid_used = 1;
static struct spinlock vmid_lock = SPINLOCK_INIT;
_Static_assert(FV_MAX_VMS < 64, "every VM gets a VMID from the 64-bit map");

/* Lowest free VMID not above max; 0 if none. */
static uint16_t vmid_alloc(uint32_t max)
{
	uint16_t got = 0;
	spin_lock(&vmid_lock);
	for (uint32_t id = 1; id <= max && id < 64 && !got; id++) {
		if (!(vmid_used & (1ULL << id))) {
			vmid_used |= 1ULL << id;
			got = (uint16_t)id;
		}
	}
	spin_unlock(&vmid_lock);
	return got;
}

/* Table pages come from the page allocator and are zeroed here. */
static int s2_alloc(size_t npages, hpa_t *out)
{
	int ret = mem_alloc_pages(npages, npages, out);
	if (ret == 0)
		memset(mem_phys_to_virt(*out), 0, npages * PAGE_SIZE);
	return ret;
}

static int s2_alloc_table(void *ctx, hpa_t *out)
{
	struct vm *vm = ctx;
	vm->hyp_mem_bytes += PAGE_SIZE;
	return s2_alloc(1, out);
}

static int s2_alloc_root(void *ctx, hpa_t *out)
{
	struct vm *vm = ctx;
	vm->hyp_mem_bytes += STAGE2_ROOT_SIZE;
	return s2_alloc(STAGE2_ROOT_SIZE / PAGE_SIZE, out);
}

static void s2_free(void *ctx, hpa_t pa, size_t size)
{
	struct vm *vm = ctx;
	vm->hyp_mem_bytes -= size;
	mem_free_pages(pa, size / PAGE_SIZE);
}

static void *s2_p2v(void *ctx, hpa_t pa)
{
	UNUSED(ctx);
	return mem_phys_to_virt(pa);
}

static const struct stage2_pt_ops s2_ops = {
    .alloc_table = s2_alloc_table,
    .alloc_root = s2_alloc_root,
    .free_table = s2_free,
    .phys_to_virt = s2_p2v,
};

const struct guest_map *arch_guest_map(void)
{
	return &guest_map_riscv64;
}

int arch_vm_init(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;
	spin_init(&a->sse_lock);
	a->sse.running_hart = -1;
	/* Sv39x4 covers 2 TiB of guest physical space, enough for any VM here. */
	enum stage2_mode mode = riscv_feat.sv39x4 ? STAGE2_SV39X4 : STAGE2_SV48X4;
	int ret = stage2_pt_init(&a->s2, mode, &s2_ops, vm);
	if (ret)
		return ret;
	uint32_t vmid_max = riscv_feat.vmid_bits ? (1U << riscv_feat.vmid_bits) - 1 : 0;
	a->vmid = 0; /* no VMIDs: arch_vcpu_load flushes on every VM switch */
	if (vmid_max != 0) {
		a->vmid = vmid_alloc(vmid_max);
		if (a->vmid == 0) {
			stage2_pt_destroy(&a->s2);
			return -FV_ENOMEM;
		}
	}
	a->hgatp = stage2_pt_hgatp(&a->s2, a->vmid);
	/* Guest time starts near 0 and runs with host time, same on all vCPUs. */
	a->htimedelta = 0 - csr_read(time);
	return 0;
}

void arch_vm_destroy(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;
	/* Never ran, but its VMID may still tag entries a previous owner left. */
	riscv_hfence_gvma_vmid(a->vmid);
	stage2_pt_destroy(&a->s2);
	/*
	 * Other CPUs may still cache entries tagged with this VMID: the next VM
	 * that gets it starts at a fresh vm->mem_gen, so each CPU flushes the
	 * VMID before it first runs that VM (arch_vcpu_load).
	 */
	spin_lock(&vmid_lock);
	if (a->vmid)
		vmid_used &= ~(1ULL << a->vmid);
	spin_unlock(&vmid_lock);
	a->vmid = 0;
	a->hgatp = 0;
}

int arch_vm_unmap_ram(struct vm *vm, gpa_t gpa, uint64_t size)
{
	int ret = stage2_pt_unmap(&vm->arch.s2, gpa, size);
	riscv_hfence_gvma_vmid(vm->arch.vmid);
	return ret;
}

int arch_vm_map_ram(struct vm *vm, gpa_t gpa, hpa_t hpa, uint64_t size)
{
	/* While the dirty log is on (mem_lock held), a new block's first write is logged too. */
	unsigned perms = vm->dirty_on ? STAGE2_R | STAGE2_X : STAGE2_R | STAGE2_W | STAGE2_X;
	int ret = stage2_pt_map(&vm->arch.s2, gpa, hpa, size, perms);
	/* New mappings only; stale "invalid" entries for this VMID may be cached. */
	riscv_hfence_gvma_vmid(vm->arch.vmid);
	return ret;
}
