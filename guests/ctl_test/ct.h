/* SPDX-License-Identifier: MIT */
#ifndef CT_H
#define CT_H

/*
 * ctl_test: the bare-metal service-VM test guest. It drives the control
 * channel (a virtio-console, docs/control-protocol.md) through the FVCP
 * client (guests/common/fvcp_client.c, with the hypervisor's own codec),
 * and checks the protocol end to end (main.c). Booted
 * in a VM without the channel it checks that nothing of it is reachable.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fvcp_client.h"
#include "vcon.h"

/* Whether the device tree @dtb has the control channel (a node marked ferrovisor,control). */
bool ct_is_service(unsigned long dtb);
/* In a VM without the channel: its device tree names no control or virtio device. */
void ct_probe_dt(unsigned long dtb);
/*
 * The service VM's checks (ctl_test.c) with the control console at @ctl_base, the guest
 * RAM base (the witness's, the same map) @ram_base and the initrd of @dtb. Ends the guest.
 */
void ct_run_service(unsigned long dtb, uint64_t ctl_base, uint64_t ram_base);

/* The last response's payload (fvcp_payload()), its length in *@len. */
const uint8_t *ct_resp(uint32_t *len);

/* The profiler ops PROF_START/STOP/READ (prof.c). */
void suite_prof(void);
/* Answers on notification, CTL_STATS' counters, a garbage flood (fast.c). */
void suite_fast(void);

#endif
