/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_METRICS_H
#define FV_CORE_CTL_METRICS_H

/*
 * Metrics responses of the control channel (HOST_METRICS, VM_METRICS, NET_METRICS;
 * docs/control-protocol.md "Metrics"). The counters themselves live where they are kept
 * cheaply (per CPU, per vCPU, per device, per switch, no lock on the hot path); these
 * functions only sum and encode them. Called by ctl.c's dispatcher on the console tick
 * (the context that owns the VM table), with no lock held; they take only the switch
 * locks (vnet_switch_stats) and read every other counter racily.
 */
#include "lib/types.h"

struct vm;

/* Control-channel counters HOST_METRICS reports (ctl.c keeps them). */
struct ctl_metrics_ctl {
	uint64_t frames, errors, events_dropped;
};

/* Encode HOST_METRICS into @out (room CTL_MAX_PAYLOAD); returns the payload length. */
uint32_t ctl_metrics_host(uint8_t *out, const struct ctl_metrics_ctl *ctl);
/* Encode VM_METRICS of @vm (@flags: CTL_VMF_*) into @out; returns the payload length. */
uint32_t ctl_metrics_vm(uint8_t *out, const struct vm *vm, uint32_t flags);
/* Encode NET_METRICS into @out; returns the payload length. */
uint32_t ctl_metrics_net(uint8_t *out);

#endif
