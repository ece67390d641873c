/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SNAP_VM_H
#define FV_CORE_SNAP_VM_H

/*
 * Snapshots of a VM (docs/snapshot-format.md, docs/snapshots.md): the saver
 * streams a paused VM through the format's generator (snap_fmt.h) without
 * buffering its RAM; the restorer takes a stream piece by piece, creates the
 * VM from the embedded configuration once it has it and writes RAM and state
 * straight into it. Both run on the console tick (the control channel's
 * context, which owns the VM table); every value of a restored file is checked
 * before it is used. Arch state goes through core/snap_arch.h.
 */
#include "lib/types.h"
#include "core/config.h"
#include "core/snap_fmt.h"
#include "core/snap_virtio.h"
#include "core/vm_stage.h"

struct vm;

/* Payload sizes of the arch-neutral state sections (docs/snapshot-format.md). */
#define SNAP_CFG_LEN  624u
#define SNAP_VM_LEN   24u
#define SNAP_VCPU_LEN 32u
#define SNAP_RTC_LEN  32u
#define SNAP_UART_LEN 32u
/* SNAP_S_VCPU flags */
#define SNAP_VCPUF_CPU_SUSPENDED 0x1u /* waiting in a firmware CPU-suspend call */
#define SNAP_VCPUF_RESUME_NONRET 0x2u
#define SNAP_VCPUF_SYS_SUSPENDED 0x4u
#define SNAP_VCPUF_KNOWN         0x7u

/*
 * A CONFIG payload into @vc for a new VM @name: every field checked against
 * the header @h and this host (vm_config_precheck). 0 or -FV_EINVAL (logged).
 */
int snap_cfg_decode(const uint8_t *p, uint32_t len, const struct snap_hdr *h, const char *name,
                    struct vm_config *vc);

/* --- save ------------------------------------------------------------------------------------ */

struct snap_save {
	struct vm *vm;    /* compared, never followed, until vm_table[slot] is it again */
	unsigned slot;    /* its slot: the VM may be destroyed and freed during the save */
	uint32_t mem_gen; /* vm->mem_gen at begin: the same VM, not a restarted one */
	bool was_running; /* the save paused it (snap_save_end may resume it) */
	bool frozen;      /* its virtio devices are quiesced (snap_virtio_thaw at the end) */
	struct snap_gen gen;
	uint8_t *nz;
	uint8_t *post; /* the state sections */
	uint8_t cfg[SNAP_SMALL_MAX];
};

/* 0 if @vm can be saved by this format version; -FV_ENOTSUP (logged) for the service VM
 * (its control channel is the host's, not the VM's) and on a port without snapshots. */
int snap_save_supported(const struct vm *vm);
/* Every vCPU of @vm is off its CPU (a pause is asynchronous: until then, not yet). */
bool snap_vm_quiet(const struct vm *vm);
/*
 * Start saving @vm into @s (zeroed by the caller): the VM must be paused and quiet
 * (snap_vm_quiet); @paused_by_save: the save paused it, snap_save_end may resume it.
 * Encodes its configuration and state and scans its RAM. 0; -FV_EAGAIN (paused but a
 * vCPU is on a CPU again: nothing undone, try again); -FV_EBUSY (not paused), -FV_ENOMEM,
 * -FV_EINVAL: logged, and the VM is resumed if @paused_by_save.
 */
int snap_save_begin(struct snap_save *s, struct vm *vm, bool paused_by_save);
/* Whether the VM being saved is still the one, paused (not resumed, restarted, destroyed). */
bool snap_save_valid(const struct snap_save *s);
/* Release @s; resume the VM if @resume and the save paused it. */
void snap_save_end(struct snap_save *s, bool resume);

/* --- restore --------------------------------------------------------------------------------- */

struct snap_restore {
	char name[VM_NAME_MAX]; /* of the new VM */
	struct snap_rd rd;
	struct snap_hdr hdr;
	struct vm_config vc;
	struct vm_stage stage;
	struct vm *vm;    /* created at the first state section */
	uint64_t vcpu_on; /* bit i: vCPU i was powered on */
	bool was_running;
	bool migration; /* set by the caller after begin: a live-migration stream is expected */
	/* DEVICE sections come before the VM is made (their bindings make its devices):
	 * kept here until then. Bit j of dev_seen: device j's section read. */
	uint32_t dev_seen;
	uint8_t dev[SNAP_MAX_DEVICES][SNAP_DEV_LEN];
};

/*
 * Start a restore into a new VM named @name (checked: valid, not in use). 0 or
 * -FV_EINVAL/EEXIST, -FV_ENOTSUP on a port without snapshots (arch_snap_available).
 */
int snap_restore_begin(struct snap_restore *r, const char *name);
/* Feed bytes; SNAP_OK or the snap_err that stopped it (logged with the byte offset). */
int snap_restore_push(struct snap_restore *r, const uint8_t *p, size_t n);
/*
 * The stream is complete: check that END was read, then leave the VM paused
 * with its vCPUs as saved (vm_resume runs it). 0 with *out, or the snap_err.
 */
int snap_restore_commit(struct snap_restore *r, struct vm **out);
/* Give back everything a failed or abandoned restore took (the half-made VM is destroyed). */
void snap_restore_abort(struct snap_restore *r);

/* --- live migration (core/ctl_mig.c): the saver's parts, for a VM that keeps running ---------- */

/*
 * The stream header of a snapshot or migration of vm (flags as given, the guest's time
 * now, its RAM, vCPUs, arch and name) into h, and its two images' lengths into il.
 */
void snap_vm_hdr(const struct vm *vm, uint32_t flags, struct snap_hdr *h, uint64_t il[2]);
/* The generator callbacks of a save (RAM pages of @vm as ctx, its images). */
const struct snap_gen_ops *snap_vm_gen_ops(void);
/* The CONFIG payload of @vm into @out (room SNAP_CFG_LEN); returns its length. */
uint32_t snap_vm_cfg(const struct vm *vm, uint8_t *out);
/* Room the state sections of a VM need at most (snap_vm_post's @out). */
uint32_t snap_vm_post_max(void);
/* The state sections of a paused, quiet VM into @out; returns their bytes, *@n their count. */
uint32_t snap_vm_post(struct vm *vm, uint8_t *out, uint32_t *n);

#endif
