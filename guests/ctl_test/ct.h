/* SPDX-License-Identifier: MIT */
#ifndef CT_H
#define CT_H

/*
 * ctl_test: the bare-metal service-VM test guest. It drives the control
 * channel (a virtio-console, docs/control-protocol.md) with a polling
 * driver (vcon.c) and the hypervisor's own codec (hyp/core/ctl_proto.c,
 * linked unchanged), and checks the protocol end to end (main.c). Booted
 * in a VM without the channel it checks that nothing of it is reachable.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ctl_proto.h"

/* Reset and start the virtio-console at @base; false if it is not one or will not run. */
bool vcon_init(uint64_t base);
/* Write @n bytes (in chunks of at most 4 KiB), each chunk completed before the next. */
void vcon_write(const void *buf, size_t n);
/* Copy what the device returned into @buf (room @cap), re-posting the buffers; bytes copied. */
size_t vcon_read(uint8_t *buf, size_t cap);

/* main.c's request helpers for the suites in other files: send and await (the status,
 * -1 on timeout), the last response's payload, and polling for events. */
long ct_call(uint16_t type, const void *pl, size_t len);
const uint8_t *ct_resp(uint32_t *len);
void ct_pump(uint64_t ms);

/* The profiler ops PROF_START/STOP/READ (prof.c). */
void suite_prof(void);
/* Answers on notification, CTL_STATS' counters, a garbage flood (fast.c). */
void suite_fast(void);

#endif
