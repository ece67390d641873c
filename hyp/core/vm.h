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
#include "core/vm_stage.h"
#include "core/vm_rtc.h"
#include "arch/vm.h"

#define FV_MAX_VMS 8

/* Guest physical map of the devices every VM may have (as on QEMU virt). */
#define VM_IRQ_UART  10
#define VM_IRQ_RTC   11 /* the goldfish RTC's alarm, as on QEMU virt */
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
	VM_SUSPENDED, /* suspended to RAM by the guest (firmware call) until a wake event */
	VM_PAUSED,    /* paused by the operator (vm_pause): no vCPU runs until vm_resume */
};

/* What to do once every vCPU of a VM has stopped. */
enum vm_action {
	VM_ACTION_NONE = 0,
	VM_ACTION_STOP,
	VM_ACTION_RESET, /* reload images and boot again */
	VM_ACTION_CRASH,
	VM_ACTION_DESTROY, /* vm_destroy: stop, then free everything (vm_reap) */
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
	/* Dirty-page log of a live migration (dirty_log.h): a bit per 4 KiB page, owned by
	 * the migration session; both under mem_lock (NULL / false: not logging). */
	uint64_t *dirty_bm;
	bool dirty_on;
	unsigned nr_vcpus;
	struct vcpu *vcpus[VM_MAX_VCPUS];
	struct mmio_bus mmio;
	struct vconsole con;
	/* virtual interrupt controller, registered by arch_virq_init (NULL = none); its state
	 * is in arch */
	const struct irqchip_ops *irqchip;
	void *irqchip_dev;
	struct vm_rtc rtc; /* goldfish RTC (vm_rtc.c) */
	/* paravirtual devices (vm_virtio.c), window j = vdev[j] */
	unsigned nr_vdev;
	struct vm_vdev *vdev[CFG_MAX_VIRTIO];
	gpa_t dtb_gpa; /* where this boot's device tree was placed (0 = none) */
	uint64_t boots;
	uint64_t crashes;       /* stops after a fatal guest error (metrics; under lock) */
	uint64_t hyp_mem_bytes; /* hypervisor memory spent on this VM beyond its RAM */
	char last_error[96];
	/* 1 + index of the vCPU whose fatal error crashed the VM, 0 = none or not known (under
	 * lock; cleared by vm_start): a crash dump lists that vCPU first. */
	unsigned crash_vcpu1;
	/*
	 * Run-time VMs (vm_create_dynamic) own their configuration and images;
	 * cfg points at dyn_cfg then. Boot VMs point into the boot bundle.
	 */
	bool dynamic;
	bool paused;     /* vm_pause..vm_resume: vCPUs park, wakes deferred (atomic) */
	bool destroying; /* vm_destroy accepted (under lock) */
	bool dead;       /* stopped for good: vm_reap frees it (atomic) */
	bool reap_armed; /* vm_reap cancelled its timers; frees it on the next tick */
	struct vm_config dyn_cfg;
	struct vm_stage images;
};

/*
 * The VMs by slot: vm_table[i] is the VM with id i, NULL for a free slot
 * (never created, or destroyed). FV_MAX_VMS is the build's VM limit.
 * Slots are filled (release store) by vm_create/vm_create_dynamic on any
 * CPU and emptied only by vm_reap on the boot CPU's console tick, the
 * context that runs the shell and the console mux: code there may use a
 * VM pointer from the table until it returns. Elsewhere, use only VMs you
 * were handed (a vCPU's own VM, a device's VM).
 */
extern struct vm *vm_table[FV_MAX_VMS];
extern unsigned vm_count; /* live VMs (slots in use) */

/*
 * Create a VM from its configuration (allocates RAM, stage-2 and VMID, vCPUs, devices with
 * their disk claims and switch ports). Boot CPU. 0, or -fv_err (logged) with everything it
 * took given back, so a later VM can have it.
 */
int vm_create(const struct vm_config *cfg, struct vm **out);
/*
 * vm_create for a run-time VM (vm_dyn.c): the VM keeps its own copy of cfg and takes the
 * staged images (cfg->kernel/initrd must point into them). Same errors as vm_create plus
 * -FV_ENOSPC at the VM limit. Any CPU.
 */
int vm_create_owned(const struct vm_config *cfg, struct vm_stage *images, struct vm **out);
/*
 * Free a dead VM (vm_reap): slot emptied, devices, RAM (scrubbed), vCPUs, stage-2, VMID and
 * images given back. Every vCPU stopped and off every CPU. Console tick only.
 */
void vm_free(struct vm *vm);
/*
 * Why VM config vc cannot be set up on this machine, checked before anything is taken:
 * its guest-physical map (guest_layout_check_vm(), the check the tool applies too) and
 * the CPUs its cpu-affinity / vcpu-pin name. 0, or the -fv_err of the first reason
 * (logged as "vm NAME: not created: ..."). Boot (main.c) and run-time creation use it.
 */
int vm_config_precheck(const struct vm_config *vc);

/* Boot a stopped VM: load images into fresh zeroed RAM, start vCPU 0. */
int vm_start(struct vm *vm);
/* Ask a VM to stop / reset; completes asynchronously when all vCPUs stopped. */
int vm_request(struct vm *vm, enum vm_action action, const char *why);
/* Called by a vCPU's CPU when that vCPU reaches STOPPED. */
void vm_vcpu_stopped(struct vm *vm);
/* Live VM by name (NULL if none or being destroyed). Console-tick context (see vm_table). */
struct vm *vm_find(const char *name);
/*
 * System suspend to RAM requested by `caller` (a firmware call): the VM becomes
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
 * `vm resume NAME`, one command for both kinds of sleep: a VM paused by
 * vm_pause() continues (its vCPUs are requeued, wake events that came
 * meanwhile delivered); a VM its guest suspended to RAM (firmware call) is woken
 * at its resume address. 0, or -FV_EBUSY if the VM is neither paused nor
 * suspended. Any CPU.
 */
int vm_resume(struct vm *vm);
/*
 * Pause a running VM (`vm pause NAME`): it becomes VM_PAUSED at once and each
 * vCPU parks at its next exit (a guest-running vCPU is kicked out with an
 * IPI), so within an IPI round trip no vCPU of the VM runs. Its devices keep
 * their state; interrupts and timer expiries that arrive meanwhile stay
 * pending and are delivered on vm_resume. Guest time is not stopped: like a
 * machine a hypervisor deschedules, the guest sees time jump over the pause
 * (its time CSR is host time plus a fixed offset). 0, or -FV_EBUSY unless
 * the VM is running. Any CPU.
 */
int vm_pause(struct vm *vm);
/*
 * Scheduling weight (1..SCHED_WEIGHT_MAX, 0 = keep) and CPU affinity (mask of
 * online CPUs, 0 = keep) of every vCPU of vm, in any VM state, running
 * included (sched_set_params: effective at the next scheduling decision; a
 * vCPU on a CPU outside the mask is moved). A vCPU the configuration pins
 * (vcpu-pin) keeps its pin. 0; -FV_EINVAL for a weight out of range or a mask
 * naming an offline CPU; -FV_ERANGE if the mask leaves out a pinned vCPU's
 * CPU; -FV_EBUSY while the VM is being destroyed. Any CPU (vm_sched.c).
 */
int vm_set_sched(struct vm *vm, uint32_t weight, uint64_t mask);
/*
 * Create a VM at run time from a configuration blob in the boot-bundle
 * format (config-v1 FDT, see config.c), through the same parser.
 *   blob/len  the blob; only read during the call (copied as needed).
 *   node      which VM node of blob to instantiate (its node or vm-name);
 *             NULL = the blob must describe exactly one VM. A node marked
 *             `template` is fine (that mark only keeps it from booting).
 *   name      name of the new VM, NULL = the node's name. Must be unique.
 *   images    staged kernel/initrd (vm_stage.h), required when the node
 *             gives kernel-size/initrd-size instead of image bytes, and then
 *             of exactly those sizes; NULL = the images are in the blob (they
 *             are copied into staging pages the VM owns). On success the VM
 *             takes the staged buffers (*images is closed); on failure the
 *             caller still owns them (call vm_stage_abort).
 * Memory: the VM's RAM is one contiguous 2 MiB-aligned block taken
 * lowest-address first from the free pool (docs/architecture.md says how
 * fragmentation is handled). Devices: disks claim their physical slot or
 * slice now (refused if another live VM holds an overlapping claim); NICs
 * get a port on an existing switch (by name; a name the host does not have
 * is refused); default MACs get the VM's slot number. The VM is created
 * stopped (started if the node says autostart).
 * Returns 0 with *out set, or: -FV_ENOSPC "VM limit" (FV_MAX_VMS live VMs,
 * logged with the limit), -FV_EEXIST (name taken), -FV_EINVAL (blob invalid,
 * images missing or of the wrong size; logged with the parser's message),
 * -FV_ENOENT (no such node/switch), -FV_ENOMEM (no RAM), or a device error.
 * Nothing is held on failure.
 * Context: the boot CPU's console tick (where the shell runs), no locks held:
 * disk claims (hostdev) and the vm_table readers live there. The control
 * channel queues its create requests and serves them from that tick too.
 */
int vm_create_dynamic(const void *blob, size_t len, const char *node, const char *name,
                      struct vm_stage *images, struct vm **out);
/*
 * Destroy a VM: it is stopped (if running, asynchronously: its vCPUs are
 * asked to stop) and then, on the boot CPU's console tick (vm_reap), its
 * RAM is scrubbed (zeroed) and returned to the pool, its vCPUs, timers,
 * stage-2 tables, VMID, disk claims, switch ports and images freed and its
 * slot emptied for a later VM. vm_find() stops finding it at once. 0, or
 * -FV_EBUSY if it is already being destroyed. Any CPU (the freeing itself
 * always happens on the console tick); completion is the log line
 * "vm NAME: destroyed: ..." and the slot reading NULL.
 */
int vm_destroy(struct vm *vm);
/*
 * Free the VMs vm_destroy() finished stopping (see vm_destroy). Boot CPU,
 * console tick only (the context that may hold vm_table pointers).
 */
void vm_reap(void);
/* Page-pool memory for vm_stage_open (the control channel's image staging). */
const struct vm_stage_ops *vm_stage_pool(void);
/* The boot bundle, kept for `vm create TEMPLATE` (main.c sets it once at boot). */
void vm_set_boot_blob(const void *blob, size_t len);
/*
 * Shell `vm create TEMPLATE [NAME]`: a new VM from the boot bundle's VM
 * node TEMPLATE through vm_create_dynamic (the control channel's path). NAME
 * defaults to TEMPLATE-N, N the lowest number not in use. The template's
 * images are staged in 4 KiB chunks and passed as `images`, as the control
 * channel does. 0, -FV_ENOENT (no template of that name), or as
 * vm_create_dynamic. Console tick (the shell).
 */
int vm_create_from_template(const char *tmpl, const char *name, struct vm **out);
const char *vm_state_name(enum vm_state s);
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
/*
 * Whether the RAM block holding @gpa (inside the VM's RAM) was populated this boot; a block
 * that was not reads as zeros. Any CPU; populates nothing (a dump reader skips such blocks).
 */
bool vm_ram_touched(const struct vm *vm, gpa_t gpa);

#endif
