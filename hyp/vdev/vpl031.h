/* SPDX-License-Identifier: MIT */
#ifndef FV_VDEV_VPL031_H
#define FV_VDEV_VPL031_H

/*
 * Emulated Arm PrimeCell PL031 real-time clock (Arm DDI 0224), the RTC of
 * QEMU's arm64 virt machine, for architectures whose guests expect it
 * (ARCH_GUEST_RTC_PL031). A 32-bit seconds counter with one match
 * interrupt. Registers, all 32 bits wide, in a 4 KiB window:
 *
 *   0x000 RTCDR    R: the counter (seconds)
 *   0x004 RTCMR    R/W: the match value: the interrupt is raised when the counter reaches it
 *   0x008 RTCLR    R/W: a write loads the counter; reads give the last value written
 *   0x00c RTCCR    R/W: bit 0 "started"; the clock here is running from reset (a
 *                  battery-backed clock already set), reads 1 and ignores writes, as
 *                  the TRM says of writes once it is started
 *   0x010 RTCIMSC  R/W: bit 0 enables the interrupt
 *   0x014 RTCRIS   R: bit 0 the raw match status
 *   0x018 RTCMIS   R: RIS & IMSC (the line)
 *   0x01c RTCICR   W: writing bit 0 clears the match status
 *   0xfe0-0xffc    R: peripheral and PrimeCell ids (PL031: 0x00041031, 0xb105f00d)
 *
 * Time is "host wall clock + this VM's offset" in whole seconds modulo
 * 2^32: loading the counter only moves the offset, so no guest can change
 * another VM's clock or the host's. Other offsets in the window read 0 and
 * ignore writes; anything but an aligned 32-bit access is refused.
 *
 * Pure state machine like vrtc.h: the caller passes the host wall-clock
 * time (ns since the epoch) to every call and arms a timer at
 * vpl031_alarm_due() itself. Not internally locked. Plain data, no
 * pointers: a snapshot may copy it.
 */
#include "lib/types.h"

#define VPL031_MMIO_SIZE 0x1000u

#define VPL031_DR   0x000
#define VPL031_MR   0x004
#define VPL031_LR   0x008
#define VPL031_CR   0x00c
#define VPL031_IMSC 0x010
#define VPL031_RIS  0x014
#define VPL031_MIS  0x018
#define VPL031_ICR  0x01c
#define VPL031_ID   0xfe0 /* PeriphID0..3, then PCellID0..3 at 0xff0 */

struct vpl031 {
	uint32_t offset; /* guest seconds - host seconds, modulo 2^32 */
	uint32_t mr;
	uint32_t lr;
	bool imsc;
	bool ris;
	uint64_t match_s; /* host second at which the counter next equals mr */
};

/* A fresh RTC at host time host_ns: the host's time (offset 0), match 0, interrupt off. */
void vpl031_init(struct vpl031 *r, uint64_t host_ns);

/* A new boot of the VM: interrupt off and cleared, match 0; the time (offset) stays. */
void vpl031_reset(struct vpl031 *r, uint64_t host_ns);

/*
 * A saved state (snapshot restore) at host time host_ns: offset, MR, LR and the interrupt
 * bits as given (any value is a state the guest could have made); the next match is
 * derived from MR, as a write of MR would.
 */
void vpl031_load(struct vpl031 *r, uint32_t offset, uint32_t mr, uint32_t lr, bool imsc, bool ris,
                 uint64_t host_ns);

/* The counter at host time host_ns. */
uint32_t vpl031_counter(const struct vpl031 *r, uint64_t host_ns);

/*
 * A guest access at offset (relative to the window) of width bytes, host
 * time host_ns. Only aligned 32-bit accesses inside the window are valid:
 * anything else returns -FV_EINVAL and changes nothing. A match that is due
 * is taken first (vpl031_poll), so a read of RIS is current.
 */
int vpl031_read(struct vpl031 *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t *val);
int vpl031_write(struct vpl031 *r, uint64_t host_ns, uint64_t offset, unsigned width, uint64_t val);

/* Raise RIS if the counter has reached the match value by host_ns; true if it did. */
bool vpl031_poll(struct vpl031 *r, uint64_t host_ns);

/*
 * When the next match happens, in host ns (always after host_ns once
 * vpl031_poll(r, host_ns) ran): true and *due set. A PL031's match always
 * lies ahead (the counter wraps), so this is true; the caller sleeps in
 * bounded steps.
 */
bool vpl031_alarm_due(const struct vpl031 *r, uint64_t host_ns, uint64_t *due);

/* The interrupt line: RIS & IMSC. */
bool vpl031_irq_level(const struct vpl031 *r);

#endif
