/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_VM_RTC_H
#define FV_CORE_VM_RTC_H

/*
 * A VM's real-time clock: the emulated goldfish RTC (vdev/vrtc.c), or the
 * PL031 (vdev/vpl031.c) where arch/defs.h sets ARCH_GUEST_RTC_PL031, on the
 * VM's MMIO bus at the map's rtc_base (arch_guest_map()), interrupt VM_IRQ_RTC, its time the host
 * wall clock (core/wallclock.c) plus the VM's own offset. The alarm is a
 * hypervisor timer that raises the line on the VM's interrupt controller.
 *
 * Locking: lock protects dev; taken by the VM's vCPUs (MMIO) and the alarm
 * timer on any CPU; order lock -> the VM's interrupt controller lock (as every device).
 */
#include "lib/types.h"
#include "core/spinlock.h"
#include "core/timer.h"
#include "vdev/vpl031.h"
#include "vdev/vrtc.h"

struct vm;

struct vm_rtc {
	struct spinlock lock;
	struct vrtc dev;     /* the goldfish model */
	struct vpl031 pl031; /* the PL031 model instead, where ARCH_GUEST_RTC_PL031 says so */
	struct timer_event alarm;
	bool present; /* the VM has one (config has_rtc) */
};

/* Give VM vm its RTC if its configuration has one. VM creation only. 0 or -FV_ENOMEM/EEXIST. */
int vm_rtc_init(struct vm *vm);
/* A new boot: alarm off, interrupt lowered, the VM's time offset kept. */
void vm_rtc_reset(struct vm *vm);
/* After its state was replaced (snapshot restore): drive the line, arm or cancel the alarm. */
void vm_rtc_resync(struct vm *vm);
/*
 * The RTC section of a snapshot (vm_rtc_snap.c): its 32 bytes in the layout of this
 * architecture's model into p, the VM paused; returns the length. Load: every field
 * checked (reserved bits zero), the state replaced and the line and alarm resynced;
 * 0 or -FV_EINVAL (a VM without an RTC, a wrong length or a bad field; nothing changed).
 */
uint32_t vm_rtc_snap_save(struct vm *vm, uint8_t *p);
int vm_rtc_snap_load(struct vm *vm, const uint8_t *p, uint32_t len);
/* Cancel the alarm timer: before the VM is freed. */
void vm_rtc_stop(struct vm *vm);

#endif
