/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_MIG_H
#define FV_CORE_CTL_MIG_H

/*
 * Live-migration requests of the control channel, source side (MIG_*,
 * 0x60-0x63; docs/control-protocol.md "Live migration"). Called by ctl.c's
 * dispatcher on the console tick with the request payload (its size already
 * checked against ctl_proto.c's table); every other field is checked here.
 * One migration at a time; its state lives here: the VM's dirty log
 * (core/dirty_log.h) and the stream's generator (core/snap_fmt.h). Each
 * returns CTL_OK with the response in @resp (*out bytes) or a status.
 */
#include "lib/types.h"

struct vm;

/* MIG_BEGIN of @vm (resolved by the caller). */
uint32_t ctl_mig_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_mig_round(const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_mig_read(const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_mig_end(const uint8_t *req);
/* A new control session (HELLO): an open migration ends, the VM resumed if it paused it. */
void ctl_mig_reset(void);

#endif
