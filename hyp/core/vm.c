// SPDX-License-Identifier: MIT
/* VM creation from configuration, boot and lifecycle (arch-neutral). */
#include "core/trace.h"
#include "core/vm.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/ctl.h"
#include "core/hostdump.h"
#include "core/prof.h"
#include "core/mem.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/timer.h"
#include "lib/fv_err.h"
#include "lib/printf.h"
#include "lib/string.h"

#define RAM_ALIGN (2UL << 20) /* lets stage-2 use 2 MiB leaves */

struct vm *vm_table[FV_MAX_VMS];
unsigned vm_count;
/* Slots being filled or emptied, and vm_count: a creation reserves its slot here first. */
static struct spinlock slots_lock = SPINLOCK_INIT;
static uint32_t slots_busy;
/* Every VM starts at a fresh RAM generation (see arch_vcpu_load): never reused by a slot. */
static uint32_t mem_gen_next;

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_STOPPED:
		return "stopped";
	case VM_RUNNING:
		return "running";
	case VM_STOPPING:
		return "stopping";
	case VM_CRASHED:
		return "crashed";
	case VM_SUSPENDED:
		return "suspended";
	case VM_PAUSED:
		return "paused";
	}
	return "?";
}

struct vm *vm_find(const char *name)
{
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		struct vm *vm = __atomic_load_n(&vm_table[i], __ATOMIC_ACQUIRE);
		if (vm && !__atomic_load_n(&vm->destroying, __ATOMIC_ACQUIRE) &&
		    strcmp(vm->name, name) == 0)
			return vm;
	}
	return NULL;
}

/* Reserve the lowest free slot; -FV_ENOSPC at the build's VM limit. */
static int slot_reserve(const char *name, unsigned *slot)
{
	int ret = -FV_ENOSPC;
	spin_lock(&slots_lock);
	for (unsigned i = 0; i < FV_MAX_VMS; i++) {
		if (!(slots_busy & (1U << i))) {
			slots_busy |= 1U << i;
			*slot = i;
			ret = 0;
			break;
		}
	}
	spin_unlock(&slots_lock);
	if (ret)
		pr_err("vm %s: VM limit reached (%u VMs, FV_MAX_VMS); not created", name,
		       FV_MAX_VMS);
	return ret;
}

static void slot_release(unsigned slot)
{
	spin_lock(&slots_lock);
	slots_busy &= ~(1U << slot);
	spin_unlock(&slots_lock);
}

static bool block_present(const struct vm *vm, uint64_t blk)
{
	/* Acquire: pairs with the release in populate_block (zeroes before the bit). */
	return (__atomic_load_n(&vm->ram_present[blk / 64], __ATOMIC_ACQUIRE) >> (blk % 64)) & 1;
}

/* Zero and map block @blk of the VM's RAM unless already present. */
static int populate_block(struct vm *vm, uint64_t blk)
{
	if (block_present(vm, blk))
		return 0;
	spin_lock(&vm->mem_lock);
	int ret = 0;
	if (!block_present(vm, blk)) {
		uint64_t off = blk * VM_RAM_BLOCK;
		/* No data survives from a previous boot or a previous owner of the memory. */
		arch_mem_zero(mem_phys_to_virt(vm->ram_hpa + off), VM_RAM_BLOCK);
		ret = arch_vm_map_ram(vm, vm->ram_gpa + off, vm->ram_hpa + off, VM_RAM_BLOCK);
		if (ret == 0)
			__atomic_fetch_or(&vm->ram_present[blk / 64], 1ULL << (blk % 64),
			                  __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->mem_lock);
	return ret;
}

int vm_ram_populate(struct vm *vm, gpa_t gpa)
{
	if (gpa < vm->ram_gpa || gpa - vm->ram_gpa >= vm->ram_size)
		return -FV_ENOENT;
	return populate_block(vm, (gpa - vm->ram_gpa) / VM_RAM_BLOCK);
}

void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len)
{
	/* Overflow-safe: gpa and len are guest-controlled. */
	if (gpa < vm->ram_gpa)
		return NULL;
	uint64_t off = gpa - vm->ram_gpa;
	if (off >= vm->ram_size || len > vm->ram_size - off)
		return NULL;
	uint64_t last = len ? (off + len - 1) / VM_RAM_BLOCK : off / VM_RAM_BLOCK;
	for (uint64_t blk = off / VM_RAM_BLOCK; blk <= last; blk++)
		if (populate_block(vm, blk) != 0)
			return NULL;
	return mem_phys_to_virt(vm->ram_hpa + off);
}

bool vm_ram_touched(const struct vm *vm, gpa_t gpa)
{
	if (gpa < vm->ram_gpa || gpa - vm->ram_gpa >= vm->ram_size)
		return false;
	return block_present(vm, (gpa - vm->ram_gpa) / VM_RAM_BLOCK);
}

/* Forget every block (VM restart): unmapped, so the next touch zeroes it again. */
static int discard_ram(struct vm *vm)
{
	size_t words = (size_t)((vm->ram_size / VM_RAM_BLOCK + 63) / 64);
	int ret = 0;
	/*
	 * Under mem_lock, so a block can never be populated between the unmap and
	 * the bitmap clear (its devices are reset by now, but be certain).
	 */
	spin_lock(&vm->mem_lock);
	bool any = false;
	for (size_t i = 0; i < words; i++)
		any = any || vm->ram_present[i];
	if (any) {
		ret = arch_vm_unmap_ram(vm, vm->ram_gpa, vm->ram_size);
		for (size_t i = 0; i < words; i++)
			__atomic_store_n(&vm->ram_present[i], 0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&vm->mem_gen, 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&vm->mem_lock);
	return ret;
}

/* Free the vCPUs create_vcpus() made (all, or those before a failure). */
static void destroy_vcpus(struct vm *vm)
{
	while (vm->nr_vcpus > 0) {
		struct vcpu *v = vm->vcpus[--vm->nr_vcpus];
		vm->vcpus[vm->nr_vcpus] = NULL;
		vm->hyp_mem_bytes -= sizeof(*v);
		mem_free(v);
	}
}

static int create_vcpus(struct vm *vm, const struct vm_config *cfg)
{
	uint64_t all = cpu_online_mask();
	for (unsigned i = 0; i < cfg->vcpus; i++) {
		struct vcpu *v = mem_zalloc_aligned(sizeof(*v), 64);
		if (!v)
			return -FV_ENOMEM;
		v->vm = vm;
		v->id = i;
		v->state = VCPU_STOPPED;
		v->running_cpu = -1;
		uint64_t aff = cfg->affinity ? cfg->affinity & all : all;
		if (cfg->vcpu_pin[i] >= 0)
			aff = BIT(cfg->vcpu_pin[i]);
		int ret = sched_entity_init(&v->se, cfg->weight, aff ? aff : all);
		if (ret) {
			mem_free(v);
			return ret;
		}
		vm->hyp_mem_bytes += sizeof(*v);
		vm->vcpus[i] = v;
		vm->nr_vcpus++;
	}
	return 0;
}

/*
 * Build a VM in a reserved slot. dyn: a run-time VM, which owns cfg (copied
 * into it) and *images (moved into it on success).
 */
static int create_in_slot(const struct vm_config *cfg, unsigned slot, bool dyn,
                          struct vm_stage *images, struct vm **out)
{
	struct vm *vm = mem_zalloc_aligned(sizeof(*vm), 64);
	if (!vm)
		return -FV_ENOMEM;
	vm->hyp_mem_bytes = sizeof(*vm);
	vm->id = slot;
	vm->dynamic = dyn;
	if (dyn) {
		vm->dyn_cfg = *cfg;
		cfg = &vm->dyn_cfg;
	}
	vm->cfg = cfg;
	vm->mem_gen = __atomic_add_fetch(&mem_gen_next, 1U << 16, __ATOMIC_RELAXED);
	spin_init(&vm->lock);
	memcpy(vm->name, cfg->name, sizeof(vm->name));
	vm->ram_gpa = cfg->mem_base;
	vm->ram_size = cfg->mem_size;
	int ret = -FV_EINVAL;
	if (!cfg->kernel) {
		pr_err("vm %s: no kernel image (kernel-size needs staged images)", cfg->name);
		goto out_vm;
	}
	/* Run-time VMs pack low so freed blocks are reused and large runs survive. */
	ret = dyn ? mem_alloc_pages_low(cfg->mem_size / PAGE_SIZE, RAM_ALIGN / PAGE_SIZE,
	                                &vm->ram_hpa)
	          : mem_alloc_pages(cfg->mem_size / PAGE_SIZE, RAM_ALIGN / PAGE_SIZE, &vm->ram_hpa);
	if (ret) {
		struct page_alloc_stats ps;
		struct heap_stats hs;
		mem_stats(&ps, &hs);
		pr_err("vm %s: cannot allocate %lu MiB of RAM (largest free run %lu MiB)",
		       cfg->name, (unsigned long)(cfg->mem_size >> 20),
		       (unsigned long)(ps.largest_free_run >> 8));
		goto out_vm;
	}
	spin_init(&vm->mem_lock);
	size_t bitmap = (size_t)((vm->ram_size / VM_RAM_BLOCK + 63) / 64) * sizeof(uint64_t);
	vm->ram_present = mem_zalloc(bitmap);
	if (!vm->ram_present) {
		ret = -FV_ENOMEM;
		goto out_ram;
	}
	vm->hyp_mem_bytes += bitmap;
	/* RAM is mapped block by block on first use (vm_ram_populate). */
	ret = arch_vm_init(vm);
	if (ret)
		goto out_bitmap;
	ret = create_vcpus(vm, cfg);
	if (ret)
		goto out_vcpus;
	/* The interrupt controller, UART and device windows live in struct vm (its MMIO bus). */
	ret = arch_virq_init(vm);
	if (ret)
		goto out_vcpus;
	vconsole_init(vm);
	if (cfg->has_uart) {
		ret = vconsole_attach(vm, cfg->uart_base);
		if (ret)
			goto out_vcpus;
	}
	ret = vm_rtc_init(vm);
	if (ret)
		goto out_vcpus;
	/* Last: disk claims and switch ports are the resources other VMs compete for. */
	ret = vm_virtio_create(vm);
	if (ret)
		goto out_vcpus; /* vm_virtio_create() gave back its own devices */
	vm->state = VM_STOPPED;
	if (images)
		vm_stage_move(&vm->images, images);
	spin_lock(&slots_lock);
	vm_count++;
	spin_unlock(&slots_lock);
	/* Publish last: readers of vm_table see a complete VM. */
	__atomic_store_n(&vm_table[slot], vm, __ATOMIC_RELEASE);
	*out = vm;
	return 0;

	/* Undo in reverse order: the next VM finds the RAM, VMID, claims and ports free. */
out_vcpus:
	destroy_vcpus(vm);
	arch_vm_destroy(vm);
out_bitmap:
	mem_free(vm->ram_present);
out_ram:
	mem_free_pages(vm->ram_hpa, cfg->mem_size / PAGE_SIZE);
out_vm:
	pr_err("vm %s: setup failed: %s (%d); what it held is released", cfg->name,
	       fv_strerror(ret), ret);
	mem_free(vm);
	return ret;
}

_Static_assert(VM_DTB_MAX == GUEST_DTB_ROOM && PAGE_SIZE == GUEST_PAGE_SIZE,
               "guest_layout_check_vm() checks the placement load_images() does");

int vm_create(const struct vm_config *cfg, struct vm **out)
{
	unsigned slot;
	int ret = slot_reserve(cfg->name, &slot);
	if (ret)
		return ret;
	ret = create_in_slot(cfg, slot, false, NULL, out);
	if (ret)
		slot_release(slot);
	return ret;
}

int vm_create_owned(const struct vm_config *cfg, struct vm_stage *images, struct vm **out)
{
	unsigned slot;
	int ret = slot_reserve(cfg->name, &slot);
	if (ret)
		return ret;
	ret = create_in_slot(cfg, slot, true, images, out);
	if (ret)
		slot_release(slot);
	return ret;
}

void vm_free(struct vm *vm)
{
	unsigned slot = vm->id;
	/* The slot is really free now: the control channel hears it and forgets the VM. */
	ctl_vm_freed(vm);
	/* A profiling session on it samples nothing more (a later VM may reuse the struct). */
	prof_vm_freed(vm);
	/* Unpublish first: the console tick (this context) holds no pointer past here. */
	__atomic_store_n(&vm_table[slot], NULL, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		timer_cancel(&vm->vcpus[i]->wake_timer);
		timer_cancel(&vm->vcpus[i]->vtimer);
	}
	vm_rtc_stop(vm);
	vm_virtio_destroy(vm); /* disk claims, switch ports */
	discard_ram(vm);
	/* Scrub: no later owner of these pages (another VM, the heap) sees this VM's data. */
	arch_mem_zero(mem_phys_to_virt(vm->ram_hpa), vm->ram_size);
	destroy_vcpus(vm);
	arch_vm_destroy(vm);
	mem_free(vm->ram_present);
	mem_free_pages(vm->ram_hpa, vm->ram_size / PAGE_SIZE);
	vm_stage_abort(&vm->images);
	pr_info("vm %s: destroyed: %lu MiB of RAM scrubbed and returned, slot %u free", vm->name,
	        (unsigned long)(vm->ram_size >> 20), slot);
	mem_free(vm);
	spin_lock(&slots_lock);
	vm_count--;
	slots_busy &= ~(1U << slot);
	spin_unlock(&slots_lock);
}

/* Fresh RAM and images; vm->lock held, all vCPUs stopped. */
static int load_images(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	/*
	 * No data survives from a previous boot or owner: every block is zeroed
	 * when first touched, so start with none present (the images' blocks are
	 * populated right here, the rest as the guest runs).
	 */
	if (discard_ram(vm) != 0) {
		pr_err("vm %s: cannot reset its RAM", vm->name);
		return -FV_ENOMEM;
	}
	void *dst = vm_gpa_to_hva(vm, vm->ram_gpa + cfg->kernel_offset, cfg->kernel_size);
	if (!dst) {
		pr_err("vm %s: the kernel does not fit in guest RAM", vm->name);
		return -FV_ERANGE;
	}
	memcpy(dst, cfg->kernel, cfg->kernel_size);
	/* initrd at the top of RAM, the device tree just below it. */
	gpa_t top = vm->ram_gpa + vm->ram_size;
	if (cfg->initrd_size) {
		gpa_t ig = ALIGN_DOWN(top - cfg->initrd_size, PAGE_SIZE);
		dst = vm_gpa_to_hva(vm, ig, cfg->initrd_size);
		if (!dst || ig < vm->ram_gpa + cfg->kernel_offset + cfg->kernel_size) {
			pr_err("vm %s: kernel and initrd do not fit in guest RAM", vm->name);
			return -FV_ERANGE;
		}
		memcpy(dst, cfg->initrd, cfg->initrd_size);
		top = ig;
	}
	vm->dtb_gpa = arch_vm_dtb_place(vm, top); /* says why when it fails */
	if (!vm->dtb_gpa)
		return -FV_ERANGE;
	return 0;
}

int vm_start(struct vm *vm)
{
	spin_lock(&vm->lock);
	if ((vm->state != VM_STOPPED && vm->state != VM_CRASHED) || vm->destroying) {
		spin_unlock(&vm->lock);
		return -FV_EBUSY;
	}
	__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	int ret = load_images(vm);
	if (ret) {
		spin_unlock(&vm->lock);
		pr_err("vm %s: not started (%d)", vm->name, ret); /* load_images() said why */
		return ret;
	}
	enum vm_state was = vm->state;
	vm->state = VM_RUNNING;
	vm->pending = VM_ACTION_NONE;
	/* A new boot: every vCPU's STA record (tagged with the old count) is off. */
	vm->boots++;
	/* All vCPUs are stopped: none is on a run queue, so no scheduler writes these. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_store_n(&vm->vcpus[i]->steal_ns, 0, __ATOMIC_RELAXED);
	vm->last_error[0] = '\0';
	vm->crash_vcpu1 = 0;
	spin_unlock(&vm->lock);
	ctl_vm_event(vm, was, VM_RUNNING, NULL);
	vconsole_reset(vm);
	arch_virq_reset(vm);
	vm_rtc_reset(vm);
	vm_virtio_reset(vm);
	pr_info("vm %s: boot #%lu, %u vCPU(s), %lu MiB", vm->name, (unsigned long)vm->boots,
	        vm->nr_vcpus, (unsigned long)(vm->ram_size >> 20));
	/* The architecture's kernel boot protocol says where the device tree goes. */
	uint64_t a0, a1;
	arch_vm_boot_args(vm, vm->dtb_gpa, &a0, &a1);
	return vcpu_power_on(vm->vcpus[0], vm->ram_gpa + vm->cfg->kernel_offset, a0, a1);
}

static void finish_stop(struct vm *vm, bool requested);

int vm_request(struct vm *vm, enum vm_action action, const char *why)
{
	spin_lock(&vm->lock);
	if (vm->destroying) {
		/* Its end is decided: a stop, reset or crash report changes nothing. */
		spin_unlock(&vm->lock);
		return -FV_EBUSY;
	}
	TRACE(TEV_VM_REQUEST, vm->id, TRACE_VCPU_NONE, action, vm->state, 0);
	if (vm->state == VM_STOPPED || vm->state == VM_CRASHED) {
		spin_unlock(&vm->lock);
		if (action == VM_ACTION_RESET)
			return vm_start(vm);
		return 0;
	}
	/* A crash report wins over a stop; a stop over a reset already asked. */
	if (vm->pending == VM_ACTION_NONE || action == VM_ACTION_CRASH ||
	    (action == VM_ACTION_STOP && vm->pending == VM_ACTION_RESET))
		vm->pending = action;
	if (action == VM_ACTION_CRASH && why)
		fv_snprintf(vm->last_error, sizeof(vm->last_error), "%s", why);
	/* A crash is reported from the exit handler of the vCPU that caused it: the one loaded
	 * on this CPU, if it is this VM's (the first report wins). */
	struct vcpu *cur = cpu_this()->current;
	if (action == VM_ACTION_CRASH && !vm->crash_vcpu1 && cur && cur->vm == vm)
		vm->crash_vcpu1 = cur->id + 1;
	vm->state = VM_STOPPING;
	spin_unlock(&vm->lock);
	if (why)
		pr_info("vm %s: %s", vm->name, why);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_STOP);
	/* Every vCPU may already be stopped (guest CPU-off calls): finish here then. */
	finish_stop(vm, true);
	return 0;
}

/*
 * Every vCPU of @vm stopped: the VM stops (or reboots, or is destroyed) as its pending
 * action says. @requested: the caller is the requester checking whether the stop it asked
 * for is already complete, which it is only while the VM is still VM_STOPPING. Without
 * that check, a vCPU that finished a reset on another CPU has the VM RUNNING again (in
 * vm_start, before its vCPU 0 is powered on): all vCPUs look stopped and the VM would be
 * marked stopped while it boots (seen with control requests answered at once, issue 15).
 */
static void finish_stop(struct vm *vm, bool requested)
{
	spin_lock(&vm->lock);
	if (vm->state == VM_STOPPED || vm->state == VM_CRASHED ||
	    (requested && vm->state != VM_STOPPING)) {
		spin_unlock(&vm->lock);
		return;
	}
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i]->state != VCPU_STOPPED) {
			spin_unlock(&vm->lock);
			return;
		}
	}
	enum vm_action act = vm->pending;
	enum vm_state was = vm->state;
	vm->pending = VM_ACTION_NONE;
	vm->state = act == VM_ACTION_CRASH ? VM_CRASHED : VM_STOPPED;
	if (act == VM_ACTION_CRASH)
		vm->crashes++;
	/* Stopped is not paused: the next boot runs (the vCPUs are reset on power-on). */
	__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
	ctl_vm_event(vm, was, vm->state, vm->last_error);
	vconsole_flush(vm);
	/* No device keeps working on (or delivering into) the RAM of a stopped VM. */
	vm_virtio_reset(vm);
	switch (act) {
	case VM_ACTION_DESTROY:
		pr_info("vm %s: stopped; destroying", vm->name);
		/* vm_reap frees it on the console tick, once every vCPU is off its CPU. */
		__atomic_store_n(&vm->dead, true, __ATOMIC_RELEASE);
		break;
	case VM_ACTION_RESET:
		pr_info("vm %s: rebooting", vm->name);
		vm_start(vm);
		break;
	case VM_ACTION_CRASH:
		pr_info("vm %s: stopped after a fatal guest error", vm->name);
		hostdump_vm_crashed(vm);
		break;
	default:
		pr_info("vm %s: stopped", vm->name);
		break;
	}
}

void vm_vcpu_stopped(struct vm *vm)
{
	finish_stop(vm, false);
}

int vm_system_suspend(struct vm *vm, struct vcpu *caller)
{
	int ret = 0;
	/* vm->lock orders this against a guest CPU-on call, which powers vCPUs on under it. */
	spin_lock(&vm->lock);
	if (vm->state != VM_RUNNING) {
		ret = -FV_EINVAL;
	} else {
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			struct vcpu *o = vm->vcpus[i];
			if (o != caller &&
			    __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) != VCPU_STOPPED)
				ret = -FV_EBUSY;
		}
		if (ret == 0) {
			vm->state = VM_SUSPENDED;
			caller->sys_suspended = true;
		}
	}
	spin_unlock(&vm->lock);
	if (ret == 0)
		pr_info("vm %s: suspended to RAM by vcpu %u (wake: its timer, an interrupt, or "
		        "`vm resume %s`)",
		        vm->name, caller->id, vm->name);
	return ret;
}

void vm_system_resumed(struct vm *vm)
{
	bool resumed = false;
	spin_lock(&vm->lock);
	if (vm->state == VM_SUSPENDED) {
		vm->state = VM_RUNNING;
		resumed = true;
	}
	/* An operator wake that raced with another wake event is used up. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		__atomic_fetch_and(&vm->vcpus[i]->requests, ~(uint32_t)VCPU_REQ_WAKE,
		                   __ATOMIC_ACQ_REL);
	spin_unlock(&vm->lock);
	if (resumed)
		pr_info("vm %s: resumed from suspend to RAM", vm->name);
}

int vm_pause(struct vm *vm)
{
	spin_lock(&vm->lock);
	if (vm->state != VM_RUNNING || vm->destroying) {
		spin_unlock(&vm->lock);
		return -FV_EBUSY;
	}
	vm->state = VM_PAUSED;
	/* Before the requests: a vCPU that sees REQ_PAUSE must find paused set (sched.c). */
	__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
	ctl_vm_event(vm, VM_RUNNING, VM_PAUSED, NULL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_request(vm->vcpus[i], VCPU_REQ_PAUSE);
	pr_info("vm %s: paused", vm->name);
	return 0;
}

/* Continue a paused VM; vm->lock held on entry, dropped here. */
static int unpause_unlock(struct vm *vm)
{
	vm->state = VM_RUNNING;
	__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	spin_unlock(&vm->lock);
	ctl_vm_event(vm, VM_PAUSED, VM_RUNNING, NULL);
	/* paused is clear: whatever parks from here on is requeued by sched_unpause. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		sched_unpause(vm->vcpus[i]);
	pr_info("vm %s: resumed", vm->name);
	return 0;
}

int vm_resume(struct vm *vm)
{
	struct vcpu *target = NULL;
	spin_lock(&vm->lock);
	if (vm->state == VM_PAUSED && !vm->destroying)
		return unpause_unlock(vm);
	if (vm->state == VM_SUSPENDED)
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i]->sys_suspended)
				target = vm->vcpus[i];
	/*
	 * A request bit, not just a wake: if the vCPU has not blocked yet,
	 * sched_block sees the bit under the scheduler lock and does not block.
	 * Posted under vm->lock (order vm->lock, then sched lock, as a guest CPU-on call)
	 * so vm_system_resumed, which clears it under the same lock, never
	 * leaves a stale bit behind. It resumes at its resume address.
	 */
	if (target)
		vcpu_request(target, VCPU_REQ_WAKE);
	spin_unlock(&vm->lock);
	return target ? 0 : -FV_EBUSY;
}
