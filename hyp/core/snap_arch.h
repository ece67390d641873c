/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_SNAP_ARCH_H
#define FV_CORE_SNAP_ARCH_H

/*
 * Architecture hooks of VM snapshots (docs/snapshot-format.md, sections
 * VM_ARCH and VCPU_ARCH): each port serialises its own per-VM and per-vCPU
 * state into an opaque, versioned payload and reads it back, checking every
 * field (a snapshot file is hostile input). Called by core/snap_vm.c on the
 * console tick with the VM paused or not yet started and every vCPU off its
 * CPU; the RISC-V port is hyp/arch/riscv/snap_riscv.c.
 */
#include "lib/types.h"

struct vm;
struct vcpu;

#define ARCH_SNAP_MAX 2048u /* largest VM_ARCH / VCPU_ARCH payload */

/*
 * Whether this port saves and restores VMs at all; false: every save and
 * restore is refused (a clear error), and no other hook below is called.
 */
bool arch_snap_available(void);
/* The architecture name in the snapshot header ("riscv64"). */
const char *arch_snap_name(void);
/* The VM's guest clock now, in timebase ticks (the header's guest_time). */
uint64_t arch_snap_guest_time(const struct vm *vm);
/* Encode the VM's arch state into @out (room ARCH_SNAP_MAX); returns its length. */
uint32_t arch_snap_vm_save(const struct vm *vm, uint8_t *out);
/*
 * Apply a VM_ARCH payload to a VM being restored (created, never run): its
 * guest clock continues from @guest_time (the header's) instead of jumping.
 * 0, or -FV_EINVAL (logged) for a payload this build cannot take.
 */
int arch_snap_vm_load(struct vm *vm, const uint8_t *p, uint32_t len, uint64_t guest_time);
/*
 * The restored VM is about to be released (every vCPU still off its CPU): its
 * guest clock reads @guest_time now, and timers armed in guest time follow.
 * Called once, last, so no time passes for the guest while the rest of the
 * stream was still arriving.
 */
void arch_snap_clock_resume(struct vm *vm, uint64_t guest_time);
/* Encode one vCPU's arch state (registers, CSRs, FP, SBI state) into @out. */
uint32_t arch_snap_vcpu_save(const struct vcpu *vcpu, uint8_t *out);
/* Apply a VCPU_ARCH payload to a stopped, never-run vCPU. 0 or -FV_EINVAL (logged). */
int arch_snap_vcpu_load(struct vcpu *vcpu, const uint8_t *p, uint32_t len);

/*
 * A vCPU waiting in the firmware's CPU-suspend call (RISC-V: SBI HSM
 * hart_suspend): returns SNAP_VCPUF_CPU_SUSPENDED / SNAP_VCPUF_RESUME_NONRET
 * bits (core/snap_vm.h) and where a non-retentive resume continues.
 */
uint32_t arch_snap_vcpu_suspend_save(const struct vcpu *vcpu, uint64_t *resume_addr,
                                     uint64_t *resume_arg);
/* Apply those bits (already checked against SNAP_VCPUF_KNOWN) to a never-run vCPU. */
void arch_snap_vcpu_suspend_load(struct vcpu *vcpu, uint32_t flags, uint64_t resume_addr,
                                 uint64_t resume_arg);
/* Encode the VM's emulated interrupt controller into @out (room ARCH_SNAP_MAX). */
uint32_t arch_snap_irqchip_save(struct vm *vm, uint8_t *out);
/*
 * Apply an IRQCHIP payload to a VM being restored, re-deriving the controller's
 * invariants and the vCPUs' external lines whatever the file said. 0, or
 * nonzero for a payload this VM's controller cannot take.
 */
int arch_snap_irqchip_load(struct vm *vm, const uint8_t *p, uint32_t len);

#endif
