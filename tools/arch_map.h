/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_ARCH_MAP_H
#define FV_TOOLS_ARCH_MAP_H

/*
 * The guest-physical maps the tool knows (every architecture's table,
 * hyp/arch/<isa>/guest_map.c, linked unchanged) and the one the current
 * configuration targets (`host.arch`, default riscv64). The hypervisor's
 * configuration parser, linked into the tool, reads the selection through
 * arch_guest_map() as it reads the running architecture's map in the
 * hypervisor, so both apply the same defaults and limits.
 */
#include "core/guest_map.h"

/* The map of architecture name ("riscv64", "arm64"), NULL if the tool knows none. */
const struct guest_map *tool_guest_map_find(const char *arch);

/* Make map the one arch_guest_map() answers (the resolver, per configuration). */
void tool_guest_map_select(const struct guest_map *map);

/* "riscv64, arm64": the names tool_guest_map_find() knows, for messages. */
const char *tool_guest_map_names(void);

#endif
