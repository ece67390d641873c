/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SNAP_VIRTIO_H
#define FV_CORE_SNAP_VIRTIO_H

/*
 * A VM's virtio devices in snapshots (docs/snapshot-format.md, section
 * DEVICE): one section per device window j (disks, NICs, the console),
 * carrying its backend binding (disk slot and slice, switch and MAC), its
 * transport and queue state (vdev/virtio_snap.h) and device extras. Called
 * by snap_vm.c / snap_restore.c on the console tick with the VM paused or
 * not yet started. The service VM's control channel is never saved.
 */
#include "lib/types.h"
#include "core/config.h"

struct vm;

#define SNAP_DEV_LEN     512u /* DEVICE payload */
#define SNAP_DEV_VERSION 1u

/*
 * Before a save (the VM paused, every vCPU off its CPU): stop traffic into
 * guest RAM (NIC ports disabled, console input held back) and wait until the
 * disks finished every request in flight and wrote its used entry, so the
 * snapshot holds no request. 0, or -FV_EBUSY (logged; devices thawed again).
 */
int snap_virtio_quiesce(struct vm *vm);
/* After a save: traffic flows again (the NIC's port reconnects if its driver runs). */
void snap_virtio_thaw(struct vm *vm);
/* Encode device @j (< vm->nr_vdev) into @out (SNAP_DEV_LEN bytes); returns the length. */
uint32_t snap_virtio_save(struct vm *vm, unsigned j, uint8_t *out);

/* Room for the encoded BIND sections of the most devices a VM has. */
#define SNAP_VIRTIO_BIND_MAX (8u * (16u + SNAP_DEV_LEN + 4u))

/*
 * Live migration, at its start (the VM running): one encoded BIND section per
 * device into @out (room @cap): a DEVICE payload with its binding (version,
 * kind, backend) and zeros after it. Returns the bytes written.
 */
uint32_t snap_virtio_bind_sections(struct vm *vm, uint8_t *out, uint32_t cap);
/*
 * A BIND payload is well-formed (zeros after the binding) and a DEVICE payload
 * carries the same binding. The restore of a migration requires both.
 */
bool snap_virtio_bind_valid(const uint8_t *bind, uint32_t len);
bool snap_virtio_same_binding(const uint8_t *bind, const uint8_t *dev);

/*
 * Restore, before the VM exists: take device @j's backend binding from a DEVICE payload into
 * @vc (disk slot and slice, switch by name, MAC), checking its kind against @vc's device
 * counts and the switch against this host. 0 or -FV_EINVAL (logged with @vc->name).
 */
int snap_virtio_bind(struct vm_config *vc, unsigned j, const uint8_t *p, uint32_t len);
/*
 * Restore, the VM created (never run, devices made from the bound @vc): load device @j's
 * state, checking it against the device (same capacity, features, queues in RAM). The NIC
 * stays off its switch until snap_virtio_start. 0 or -FV_EINVAL (logged).
 */
int snap_virtio_load(struct vm *vm, unsigned j, const uint8_t *p, uint32_t len);
/* Restore complete: connect the NICs' ports again and let every queue be processed. */
void snap_virtio_start(struct vm *vm);

#endif
