// SPDX-License-Identifier: MIT
/* The guest maps the tool knows and its selection (contract in arch_map.h). */
#include "arch_map.h"

#include <stddef.h>
#include <string.h>

#include "arch/arm64/guest_map.h"
#include "arch/riscv/guest_map.h"

static const struct guest_map *const maps[] = {&guest_map_riscv64, &guest_map_arm64};

/* The tool is single-threaded: one configuration at a time. */
static const struct guest_map *selected = &guest_map_riscv64;

const struct guest_map *tool_guest_map_find(const char *arch)
{
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (strcmp(maps[i]->arch, arch) == 0)
			return maps[i];
	return NULL;
}

void tool_guest_map_select(const struct guest_map *map)
{
	selected = map;
}

const char *tool_guest_map_names(void)
{
	return "riscv64, arm64";
}

const struct guest_map *arch_guest_map(void)
{
	return selected;
}
