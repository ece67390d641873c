/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_PRINT_H
#define FV_TOOLS_PRINT_H

/* Human-readable views of a resolved configuration. */
#include <stdio.h>

#include "model.h"

/*
 * The resolved configuration as YAML: every key with its effective value,
 * in the host:/vms: form, comments for what the resolver derived (image
 * kinds and sizes, virtio slots, guest virtio devices). Every switch is
 * listed under host.switches with its uplink, every interface with its
 * switch and MAC. It loads again as the same configuration.
 */
void print_resolved(FILE *f, const struct model *m);

/* One line per VM: console number, name, vCPUs, memory, pinning, devices, kernel. */
void print_table(FILE *f, const struct model *m);

/* How the console works and its keys; with m, also which number each VM has. */
void print_console_help(FILE *f, const struct model *m);

#endif
