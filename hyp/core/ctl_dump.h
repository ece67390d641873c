/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_CTL_DUMP_H
#define FV_CORE_CTL_DUMP_H

/*
 * Crash-dump requests of the control channel (DUMP_INFO, DUMP_READ; docs/control-protocol.md
 * "Crash dumps"). Called by ctl.c's dispatcher on the console tick (the context that owns
 * the VM table) with a VM that is not the service VM; every field of the request is
 * checked here. Nothing is changed in the VM: a crashed VM keeps its RAM and registers
 * until it is started again or destroyed, so it can be dumped any number of times.
 */
#include "lib/types.h"

struct vm;

/* Encode DUMP_INFO of @vm into @out (room CTL_MAX_PAYLOAD); CTL_OK and *len, or a status. */
uint32_t ctl_dump_info(uint8_t *out, struct vm *vm, uint32_t *len);
/* DUMP_READ: @req is the whole ctl_dump_read payload (its name already resolved to @vm);
 * copies the RAM bytes into @out (room CTL_DUMP_CHUNK); CTL_OK and *len, or a status. */
uint32_t ctl_dump_read(uint8_t *out, struct vm *vm, const uint8_t *req, uint32_t *len);

#endif
