/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VM_VIRTIO_H
#define FV_CORE_VM_VIRTIO_H

/*
 * A VM's paravirtual devices: virtio-mmio windows in its guest physical
 * map (the map's virtio_base + j * virtio_stride, core/guest_map.h; interrupt 1 + j on its
 * interrupt controller), j counting disks, then NICs, then the console,
 * then the service VM's control channel.
 * Each device has its own lock; lock order: device -> VM interrupt controller lock -> sched.
 */
#include "lib/types.h"
#include "core/guest_layout.h"

#define VM_VIRTIO_IRQ0 1U
/* How long a vCPU that halts with disk requests in flight looks for their completion. */
#define VM_VIRTIO_HALT_POLL_NS 200000ULL
/*
 * How long a vCPU whose queue notification left exactly one request of its
 * disk in flight looks for that request's completion before it returns to
 * the guest (vm_virtio.c, notify_poll; docs/performance.md, issue #15).
 */
#define VM_VIRTIO_NOTIFY_POLL_NS 50000ULL

/* Device kinds (also the control protocol's CTL_DEV_* values, checked in ctl.c). */
#define VM_VIRTIO_KIND_BLK     1U
#define VM_VIRTIO_KIND_NET     2U
#define VM_VIRTIO_KIND_CONSOLE 3U
#define VM_VIRTIO_KIND_CONTROL 4U /* the service VM's control channel, last window */

/* A device's identity and counters (for the control protocol's DEV_LIST). */
struct vm_virtio_info {
	uint32_t kind; /* VM_VIRTIO_KIND_* */
	uint32_t irq;
	uint64_t base;
	/* blk: requests, errors, bytes read, written; net: rx frames, rx drops, tx frames,
	 * tx drops; console/control: bytes out, bytes in, errors, dropped */
	uint64_t counter[4];
	char name[16];
	/* net only: rx bytes, tx bytes; the switch index (-1 none) and port of the NIC */
	uint64_t rx_bytes, tx_bytes;
	int sw;
	unsigned port;
};

struct vm;
struct vcpu;
struct vm_vdev;

/*
 * Create the VM's devices from its configuration (at VM creation, boot CPU). 0 or -fv_err
 * (logged); on failure nothing is held: disk claims and switch ports are given back.
 */
int vm_virtio_create(struct vm *vm);
/*
 * Free every device of a VM that never ran (its creation failed after vm_virtio_create()):
 * disk claims released, switch ports detached, memory freed. Boot CPU.
 */
void vm_virtio_destroy(struct vm *vm);
/*
 * Reset every device of the VM and close its switch ports: when the VM
 * stops, and again before each boot (ports reopen once the guest's drivers
 * reach DRIVER_OK).
 */
void vm_virtio_reset(struct vm *vm);
/* Console input for the VM's virtio-console; returns bytes the guest took (0: none/no device). */
size_t vm_virtio_console_input(struct vm *vm, const uint8_t *buf, size_t len);
/*
 * Continue device work a guest notification left over when its per-call
 * budget ran out. Called on @vcpu's CPU before guest entry when VCPU_REQ_IO
 * is set; posts VCPU_REQ_IO again while work remains.
 */
void vm_virtio_service(struct vcpu *vcpu);
/*
 * Halt polling: @vcpu is about to block (WFI). If its VM has disk requests
 * in flight, poll their physical disks for up to VM_VIRTIO_HALT_POLL_NS,
 * until one finishes or the vCPU has an interrupt pending. @vcpu's CPU, no
 * lock held (completions take device locks).
 */
void vm_virtio_halt_poll(struct vcpu *vcpu);
/* Number of devices and the j-th one's window/interrupt (for the guest DTB). */
unsigned vm_virtio_count(const struct vm *vm);
void vm_virtio_window(const struct vm *vm, unsigned j, uint64_t *base, uint64_t *size,
                      uint32_t *irq);
/* One line per device into buf (for `vm info`). */
void vm_virtio_describe(const struct vm *vm, unsigned j, char *buf, size_t len);
/* The j-th device's kind, window and counters (racy snapshot of the counters). */
void vm_virtio_info(const struct vm *vm, unsigned j, struct vm_virtio_info *out);
/* Whether the j-th device is the control channel (its DT node gets a marker). */
bool vm_virtio_is_control(const struct vm *vm, unsigned j);
/*
 * Push the control channel's queued output into the service VM (ctl_poll).
 * Takes the control device's lock; call with no lock held.
 */
void vm_virtio_control_flush(struct vm *vm);

#endif
