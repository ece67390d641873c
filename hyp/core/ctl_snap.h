/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_SNAP_H
#define FV_CORE_CTL_SNAP_H

/*
 * Snapshot requests of the control channel (SNAP_* and RESTORE_*, 0x58-0x5e;
 * docs/control-protocol.md "Snapshots"). Called by ctl.c's dispatcher on the
 * console tick with the request payload (its size already checked against
 * ctl_proto.c's table); every other field is checked here. One save and one
 * restore session at a time; their state lives here (core/snap_vm.h does the
 * work). Each returns CTL_OK with the response in @resp (*out bytes) or a
 * status.
 */
#include "lib/types.h"

struct vm;

/* SNAP_BEGIN of @vm (resolved by the caller; never the service VM). */
uint32_t ctl_snap_begin(struct vm *vm, const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_snap_read(const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_snap_end(const uint8_t *req);
uint32_t ctl_restore_begin(const uint8_t *req, uint8_t *resp, uint32_t *out);
uint32_t ctl_restore_data(const uint8_t *req, uint32_t len, uint8_t *resp, uint32_t *out);
/* RESTORE_COMMIT: CTL_OK with *vm the restored VM (the caller encodes its entry). */
uint32_t ctl_restore_commit(const uint8_t *req, struct vm **vm);
uint32_t ctl_restore_abort(const uint8_t *req);
/* A new control session (HELLO): an open save ends (the VM resumed if the save paused
 * it), an open restore is abandoned (its VM destroyed). */
void ctl_snap_reset(void);

#endif
