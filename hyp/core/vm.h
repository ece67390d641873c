/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VM_H
#define FV_CORE_VM_H

/* Arch-neutral virtual machine. */
#include "lib/types.h"
#include "core/spinlock.h"
#include "core/config.h"
#include "core/guest_layout.h"
#include "core/mmio.h"
#include "core/vcpu.h"
#include "core/vconsole.h"
#include "core/vm_virtio.h"
#include "vdev/vplic.h"
#include "arch/vm.h"

#define FV_MAX_VMS 8

/* Guest physical map of the devices every VM may have (as on QEMU virt). */
#define VM_IRQ_UART  10
#define VM_PLIC_BASE GUEST_PLIC_BASE /* the map is core/guest_layout.h's */
#define VM_PLIC_NDEV 63
#define VM_DTB_MAX   (64 * 1024)
#define VM_RAM_BLOCK (2ULL << 20) /* unit of lazy zeroing; guest RAM sizes are multiples */

/* A virtual interrupt controller as seen by devices: wired lines by number. */
struct irqchip_ops {
	void (*set_level)(void *dev, unsigned irq, bool level);
};

enum vm_state {
	VM_STOPPED = 0,
	VM_RUNNING,
	VM_STOPPING,
	VM_CRASHED,   /* stopped by the hypervisor after a fatal guest error */
	VM_SUSPENDED, /* suspended to RAM by the guest (SBI SUSP) until a wake event */
};

/* What to do once every vCPU of a VM has stopped. */
enum vm_action {
	VM_ACTION_NONE = 0,
	VM_ACTION_STOP,
	VM_ACTION_RESET, /* reload images and boot again */
	VM_ACTION_CRASH,
};

struct vm {
	unsigned id;
	char name[VM_NAME_MAX];
	enum vm_state state;    /* protected by lock */
	enum vm_action pending; /* protected by lock */
	struct spinlock lock;   /* state, pending, running vCPU count */
	const struct vm_config *cfg;
	struct vm_arch arch;
	/* guest RAM: one contiguous host block mapped at cfg->mem_base */
	gpa_t ram_gpa;
	hpa_t ram_hpa;
	uint64_t ram_size;
	/*
	 * Guest RAM is zeroed and mapped lazily, one VM_RAM_BLOCK at a time, on
	 * the guest's first touch (stage-2 fault) or the hypervisor's first access
	 * (vm_gpa_to_hva): a VM starts without clearing all of its RAM first.
	 */
	struct spinlock mem_lock; /* populating blocks */
	uint64_t *ram_present;    /* bitmap: block zeroed and mapped this boot */
	uint32_t mem_gen;         /* bumped when RAM is unmapped (restart) */
	unsigned nr_vcpus;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	struct mmio_bus mmio;
	struct vconsole con;
	/* virtual interrupt controller, registered by its device (NULL = none) */
	const struct irqchip_ops *irqchip;
	void *irqchip_dev;
	struct spinlock irq_lock; /* the emulated PLIC's state */
	struct vplic plic;
	/* paravirtual devices (vm_virtio.c), window j = vdev[j] */
	unsigned nr_vdev;
	struct vm_vdev *vdev[CFG_MAX_VIRTIO];
	gpa_t dtb_gpa; /* where this boot's device tree was placed (0 = none) */
	uint64_t boots;
	uint64_t hyp_mem_bytes; /* hypervisor memory spent on this VM beyond its RAM */
	char last_error[96];
};

extern struct vm *vm_table[FV_MAX_VMS];
extern unsigned vm_count;

/*
 * Create a VM from its configuration (allocates RAM, stage-2 and VMID, vCPUs, devices with
 * their disk claims and switch ports). Boot CPU. 0, or -fv_err (logged) with everything it
 * took given back, so a later VM can have it.
 */
int vm_create(const struct vm_config *cfg, struct vm **out);
/* Boot a stopped VM: load images into fresh zeroed RAM, start vCPU 0. */
int vm_start(struct vm *vm);
/* Ask a VM to stop / reset; completes asynchronously when all vCPUs stopped. */
int vm_request(struct vm *vm, enum vm_action action, const char *why);
/* Called by a vCPU's CPU when that vCPU reaches STOPPED. */
void vm_vcpu_stopped(struct vm *vm);
struct vm *vm_find(const char *name);
/*
 * System suspend to RAM requested by `caller` (SBI SUSP): the VM becomes
 * VM_SUSPENDED (and caller->sys_suspended set) if it is running and every
 * other vCPU is STOPPED. Returns 0, -FV_EBUSY when another vCPU is not
 * stopped, -FV_EINVAL when the VM is not running (stopping, already
 * suspended). Takes vm->lock; the caller then blocks its vCPU until a wake
 * event.
 */
int vm_system_suspend(struct vm *vm, struct vcpu *caller);
/*
 * The suspended vCPU is about to run again (wake event or `vm resume`):
 * VM_SUSPENDED becomes VM_RUNNING. No-op in any other state (a stop that
 * raced with the wake wins). Called by that vCPU's CPU before entry.
 */
void vm_system_resumed(struct vm *vm);
/*
 * Operator wake-up of a suspended VM (`vm resume NAME`): wakes the vCPU
 * that suspended it. 0, or -FV_EBUSY if the VM is not suspended.
 */
int vm_resume(struct vm *vm);
const char *vm_state_name(enum vm_state s);
/* Interrupt controller of a VM (vm_irq.c). */
int vm_irq_init(struct vm *vm);
void vm_irq_reset(struct vm *vm);
/*
 * Build this boot's device tree into guest RAM below `top`; returns its GPA or 0. Caller
 * holds vm->lock. Several CPUs may build different VMs' trees at once: no shared scratch.
 */
gpa_t vm_dtb_place(struct vm *vm, gpa_t top);
/*
 * Translate a guest physical range in RAM to a hypervisor pointer; NULL if
 * outside. Zeroes and maps any block of the range the guest has not touched
 * yet, so the caller never sees (or has a device write into) stale memory.
 */
void *vm_gpa_to_hva(struct vm *vm, gpa_t gpa, uint64_t len);
/*
 * Guest stage-2 fault at @gpa: if it is RAM not yet present this boot, zero
 * and map its block. 0 = the guest may retry the access; -FV_ENOENT = not
 * RAM (MMIO or nothing); other errors = could not map (out of memory).
 */
int vm_ram_populate(struct vm *vm, gpa_t gpa);

#endif
