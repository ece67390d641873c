/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_CMD_SNAP_H
#define FV_TOOLS_CMD_SNAP_H
/*
 * `ferrovisor --api URL vm snapshot NAME FILE [--stop]` and `vm restore FILE [--name NEW]
 * [--start]` (docs/snapshots.md): a VM saved into a file through the daemon
 * (POST /api/v1/vms/{name}/snapshot, streamed to disk) and a file restored into a new VM
 * (POST /api/v1/vms/restore, streamed from disk). argv[0] is the subcommand.
 */
#include "api_client.h"

int cmd_vm_snapshot(const struct api_client *c, int argc, char **argv);
int cmd_vm_restore(const struct api_client *c, int argc, char **argv);

#endif
