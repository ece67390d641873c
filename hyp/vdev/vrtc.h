/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VRTC_H
#define FV_VDEV_VRTC_H

/*
 * Emulated goldfish RTC, one per VM (Android emulator "goldfish" virtual
 * hardware, device "goldfish-rtc", compatible "google,goldfish-rtc"; the
 * device QEMU virt has at 0x101000). Registers, all 32 bits wide:
 *
 *   0x00 TIME_LOW        R: low half of the time in ns; latches the high half
 *                        W: replaces the low half of the time
 *   0x04 TIME_HIGH       R: the high half latched by the last TIME_LOW read
 *                        W: replaces the high half of the time
 *   0x08 ALARM_LOW       W: low half of the alarm time; arms the alarm
 *   0x0c ALARM_HIGH      W: high half of the next alarm time
 *   0x10 IRQ_ENABLED     W: bit 0 enables the alarm interrupt
 *   0x14 CLEAR_ALARM     W: disarms the alarm
 *   0x18 ALARM_STATUS    R: 1 while an alarm is armed
 *   0x1c CLEAR_INTERRUPT W: lowers the interrupt
 *
 * Writes to TIME_LOW/TIME_HIGH act at once on their half (as QEMU's model:
 * Linux writes TIME_HIGH then TIME_LOW). Time is "host wall clock + this
 * VM's offset", modulo 2^64: setting the clock only moves the offset, so
 * no guest can change another VM's clock or the host's.
 *
 * Pure state machine: the caller passes the host wall-clock time (ns since
 * the epoch) to every call, and arms a timer at vrtc_alarm_due() itself.
 * Not internally locked: the owner serialises calls on one instance.
 * Plain data, no pointers: a snapshot may copy it.
 */
#include "lib/types.h"

#define VRTC_MMIO_SIZE 0x1000u /* the window QEMU gives it; registers in the first 0x20 */

#define VRTC_TIME_LOW        0x00
#define VRTC_TIME_HIGH       0x04
#define VRTC_ALARM_LOW       0x08
#define VRTC_ALARM_HIGH      0x0c
#define VRTC_IRQ_ENABLED     0x10
#define VRTC_CLEAR_ALARM     0x14
#define VRTC_ALARM_STATUS    0x18
#define VRTC_CLEAR_INTERRUPT 0x1c
#define VRTC_NR_REGS_BYTES   0x20

struct vrtc {
	uint64_t offset;     /* guest time - host time, modulo 2^64 */
	uint32_t time_high;  /* latched by the last TIME_LOW read */
	uint32_t alarm_high; /* ALARM_HIGH as last written */
	uint64_t alarm;      /* guest time of the armed alarm */
	bool alarm_armed;
	bool irq_enabled;
	bool irq_pending; /* the alarm fired; until CLEAR_INTERRUPT */
};

/* A fresh RTC whose time is the host's (offset 0), no alarm, interrupt off. */
void vrtc_init(struct vrtc *r);

/*
 * A new boot of the VM: alarm disarmed, interrupt off and lowered. The
 * offset stays, as a battery-backed clock keeps its time across a reset.
 */
void vrtc_reset(struct vrtc *r);

/* The guest's time at host time host_ns (ns since the epoch, modulo 2^64). */
uint64_t vrtc_guest_ns(const struct vrtc *r, uint64_t host_ns);

/*
 * A guest access at offset (relative to the window) of width bytes, host
 * time host_ns. Only aligned 32-bit accesses to the eight registers are
 * valid: anything else returns -FV_EINVAL (the caller faults the guest) and
 * changes nothing. Reads of write-only registers return 0; writes to
 * read-only registers (ALARM_STATUS) are ignored. A write of ALARM_LOW with
 * a time not after now fires the alarm at once.
 */
int vrtc_read(struct vrtc *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t *val);
int vrtc_write(struct vrtc *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t val);

/*
 * Fire the alarm if it is armed and due at host_ns (disarms it, marks the
 * interrupt pending). Returns true if it fired.
 */
bool vrtc_poll(struct vrtc *r, uint64_t host_ns);

/*
 * Host time (ns since the epoch) at which the armed alarm is due, or false
 * when none is armed. A due time at or before host_ns is returned as host_ns.
 */
bool vrtc_alarm_due(const struct vrtc *r, uint64_t host_ns, uint64_t *due);

/* The level of the interrupt line: pending and enabled. */
bool vrtc_irq_level(const struct vrtc *r);

#endif
