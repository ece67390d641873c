// SPDX-License-Identifier: MIT
/*
 * arm64 per-VM setup: VMID and stage-2 translation tables (VMSAv8-64, 4 KiB granule,
 * 39-bit IPA: the walk starts at level 1 with one 512-entry table, VTCR_EL2 in cpu.c).
 * RAM is mapped Normal write-back, read/write/execute, with 2 MiB blocks where the range
 * allows and 4 KiB pages elsewhere. Nothing but RAM is ever mapped: every device access
 * faults to the hypervisor (vcpu_arm64.c), as does any address outside the VM's RAM.
 */
#include "arch/arm64/arm64.h"
#include "arch/arm64/guest_map.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/mem.h"
#include "core/vm.h"
#include "lib/string.h"

#define S2_VALID    (1ULL << 0)
#define S2_TABLE    (1ULL << 1)   /* at levels 1-2: table; at level 3: page */
#define S2_NORMAL   (0xfULL << 2) /* MemAttr: Normal, outer and inner write-back */
#define S2_AP_RW    (3ULL << 6)
#define S2_SH_INNER (3ULL << 8)
#define S2_AF       (1ULL << 10)
#define S2_LEAF     (S2_NORMAL | S2_AP_RW | S2_SH_INNER | S2_AF)
#define S2_ADDR     0x0000fffffffff000ULL
#define S2_IPA_BITS 39
#define L1_SHIFT    30
#define L2_SHIFT    21
#define L3_SHIFT    12
#define SZ_2M       (1ULL << L2_SHIFT)

static uint64_t vmid_used = 1; /* VMID 0 is never a guest's */
static struct spinlock vmid_lock = SPINLOCK_INIT;
_Static_assert(FV_MAX_VMS < 64, "every VM gets a VMID from the 64-bit map");

static uint64_t *table_of(uint64_t desc)
{
	return mem_phys_to_virt(desc & S2_ADDR);
}

/* A zeroed table page, counted as the VM's overhead. */
static int table_alloc(struct vm *vm, hpa_t *out)
{
	if (mem_alloc_pages(1, 1, out) != 0)
		return -FV_ENOMEM;
	memset(mem_phys_to_virt(*out), 0, PAGE_SIZE);
	vm->hyp_mem_bytes += PAGE_SIZE;
	return 0;
}

/* The next-level table under *e, created if absent, a block split if present. */
static int next_table(struct vm *vm, uint64_t *e, unsigned child_shift, uint64_t **out)
{
	if ((*e & (S2_VALID | S2_TABLE)) == (S2_VALID | S2_TABLE)) {
		*out = table_of(*e);
		return 0;
	}
	hpa_t pa;
	if (table_alloc(vm, &pa) != 0)
		return -FV_ENOMEM;
	uint64_t *t = mem_phys_to_virt(pa);
	if (*e & S2_VALID) {
		/* Split a block into the same mapping at the next level first. */
		uint64_t base = *e & S2_ADDR, attrs = *e & ~S2_ADDR & ~(S2_TABLE | S2_VALID);
		uint64_t leaf_type = child_shift == L3_SHIFT ? (S2_VALID | S2_TABLE) : S2_VALID;
		for (unsigned i = 0; i < 512; i++)
			t[i] = (base + ((uint64_t)i << child_shift)) | attrs | leaf_type;
	}
	__asm__ volatile("dsb ishst" ::: "memory");
	*e = pa | S2_VALID | S2_TABLE;
	*out = t;
	return 0;
}

/* Map or (hpa == ~0) unmap one 2 MiB block or 4 KiB page at gpa. */
static int s2_set(struct vm *vm, gpa_t gpa, hpa_t hpa, bool block)
{
	uint64_t *l1 = mem_phys_to_virt(vm->arch.s2_root);
	uint64_t *l2, *l3;
	bool unmap = hpa == ~0ULL;
	uint64_t *e1 = &l1[(gpa >> L1_SHIFT) & 511];
	if (unmap && !(*e1 & S2_VALID))
		return 0;
	if (next_table(vm, e1, L2_SHIFT, &l2) != 0)
		return -FV_ENOMEM;
	uint64_t *e2 = &l2[(gpa >> L2_SHIFT) & 511];
	if (block) {
		if ((*e2 & (S2_VALID | S2_TABLE)) == (S2_VALID | S2_TABLE)) {
			hpa_t t = *e2 & S2_ADDR;
			*e2 = 0;
			mem_free_pages(t, 1);
			vm->hyp_mem_bytes -= PAGE_SIZE;
		}
		*e2 = unmap ? 0 : (hpa | S2_LEAF | S2_VALID);
		return 0;
	}
	if (unmap && !(*e2 & S2_VALID))
		return 0;
	if (next_table(vm, e2, L3_SHIFT, &l3) != 0)
		return -FV_ENOMEM;
	l3[(gpa >> L3_SHIFT) & 511] = unmap ? 0 : (hpa | S2_LEAF | S2_VALID | S2_TABLE);
	return 0;
}

static int s2_range(struct vm *vm, gpa_t gpa, hpa_t hpa, uint64_t size)
{
	if ((gpa | size) & (PAGE_SIZE - 1) || gpa + size < gpa ||
	    gpa + size > (1ULL << S2_IPA_BITS))
		return -FV_EINVAL;
	bool unmap = hpa == ~0ULL;
	int ret = 0;
	spin_lock(&vm->arch.s2_lock);
	for (uint64_t off = 0; off < size && ret == 0;) {
		bool block = !((gpa + off) & (SZ_2M - 1)) && size - off >= SZ_2M &&
		             (unmap || !((hpa + off) & (SZ_2M - 1)));
		ret = s2_set(vm, gpa + off, unmap ? hpa : hpa + off, block);
		off += block ? SZ_2M : PAGE_SIZE;
	}
	spin_unlock(&vm->arch.s2_lock);
	return ret;
}

/* Drop this CPU's and (broadcast) every CPU's stage-2 and stage-1 entries of the VM's VMID. */
static void s2_flush(struct vm *vm)
{
	uint64_t saved = sysreg_read(vttbr_el2);
	__asm__ volatile("dsb ishst" ::: "memory");
	sysreg_write(vttbr_el2, vm->arch.vttbr);
	isb();
	__asm__ volatile("tlbi vmalls12e1is\n dsb ish" ::: "memory");
	sysreg_write(vttbr_el2, saved);
	isb();
}

_Static_assert(ARM64_GUEST_GPA_LIMIT == 1ULL << S2_IPA_BITS,
               "the guest map ends where stage-2 translation does");

const struct guest_map *arch_guest_map(void)
{
	return &guest_map_arm64;
}

int arch_vm_init(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;
	spin_init(&a->s2_lock);
	hpa_t root;
	if (table_alloc(vm, &root) != 0)
		return -FV_ENOMEM;
	uint16_t id = 0;
	spin_lock(&vmid_lock);
	for (uint16_t i = 1; i < 64 && !id; i++)
		if (!(vmid_used & (1ULL << i))) {
			vmid_used |= 1ULL << i;
			id = i;
		}
	spin_unlock(&vmid_lock);
	if (!id) {
		mem_free_pages(root, 1);
		vm->hyp_mem_bytes -= PAGE_SIZE;
		return -FV_ENOMEM;
	}
	a->s2_root = root;
	a->vmid = id;
	a->vttbr = root | ((uint64_t)id << 48);
	/* Guest virtual time starts near 0 and runs with the physical counter. */
	a->cntvoff = arch_time_ticks();
	return 0;
}

static void free_tables(struct vm *vm, uint64_t *t, unsigned level)
{
	for (unsigned i = 0; i < 512; i++) {
		if ((t[i] & (S2_VALID | S2_TABLE)) != (S2_VALID | S2_TABLE) || level == 3)
			continue;
		free_tables(vm, table_of(t[i]), level + 1);
		mem_free_pages(t[i] & S2_ADDR, 1);
		vm->hyp_mem_bytes -= PAGE_SIZE;
	}
}

void arch_vm_destroy(struct vm *vm)
{
	struct vm_arch *a = &vm->arch;
	if (a->s2_root) {
		s2_flush(vm);
		free_tables(vm, mem_phys_to_virt(a->s2_root), 1);
		mem_free_pages(a->s2_root, 1);
		vm->hyp_mem_bytes -= PAGE_SIZE;
	}
	spin_lock(&vmid_lock);
	if (a->vmid)
		vmid_used &= ~(1ULL << a->vmid);
	spin_unlock(&vmid_lock);
	a->s2_root = 0;
	a->vmid = 0;
	a->vttbr = 0;
}

int arch_vm_map_ram(struct vm *vm, gpa_t gpa, hpa_t hpa, uint64_t size)
{
	if (hpa & (PAGE_SIZE - 1))
		return -FV_EINVAL;
	int ret = s2_range(vm, gpa, hpa, size);
	/* New mappings only, but a fault may have left an "invalid" entry cached. */
	s2_flush(vm);
	return ret;
}

int arch_vm_unmap_ram(struct vm *vm, gpa_t gpa, uint64_t size)
{
	int ret = s2_range(vm, gpa, ~0ULL, size);
	s2_flush(vm);
	return ret;
}

int arm64_s2_page_perms(struct vm *vm, gpa_t gpa_page, bool readable, bool writable)
{
	if ((gpa_page & (PAGE_SIZE - 1)) || gpa_page >= (1ULL << S2_IPA_BITS))
		return -FV_EINVAL;
	int ret = -FV_EFAULT;
	spin_lock(&vm->arch.s2_lock);
	uint64_t *l1 = mem_phys_to_virt(vm->arch.s2_root), *l2, *l3;
	uint64_t *e1 = &l1[(gpa_page >> L1_SHIFT) & 511];
	/* Only a mapped page: next_table then splits the blocks over it, never allocates a
	 * mapping of its own. Every vCPU of the VM is off its CPU (the debugger halted it). */
	if (!(*e1 & S2_VALID) || next_table(vm, e1, L2_SHIFT, &l2) != 0)
		goto out;
	uint64_t *e2 = &l2[(gpa_page >> L2_SHIFT) & 511];
	if (!(*e2 & S2_VALID) || next_table(vm, e2, L3_SHIFT, &l3) != 0)
		goto out;
	uint64_t *e3 = &l3[(gpa_page >> L3_SHIFT) & 511];
	if (!(*e3 & S2_VALID))
		goto out;
	/* S2AP: bit 6 = read, bit 7 = write (Arm ARM D8.4.2); execution is XN's, unchanged. */
	*e3 = (*e3 & ~S2_AP_RW) | (readable ? 1ULL << 6 : 0) | (writable ? 1ULL << 7 : 0);
	ret = 0;
out:
	spin_unlock(&vm->arch.s2_lock);
	s2_flush(vm);
	return ret;
}
