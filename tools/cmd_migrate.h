/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_CMD_MIGRATE_H
#define FV_TOOLS_CMD_MIGRATE_H
/*
 * `ferrovisor --api URL_SRC migrate NAME --to URL_DST [--to-token-file F]` and
 * `... migrate cancel NAME` (docs/snapshots.md "Live migration"): asks the source daemon
 * to move a running VM to the destination daemon (POST /api/v1/vms/{name}/migrate) and
 * prints what it cost; cancel is DELETE on the same resource.
 */
extern const char cmd_migrate_usage[];
int cmd_migrate(const char *api, int argc, char **argv);

#endif
