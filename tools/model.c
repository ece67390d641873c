// SPDX-License-Identifier: MIT
/* Defaults and lifetime of the tool's configuration model. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_vm_init(struct model_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->vcpus = MODEL_DEFAULT_VCPUS;
	vm->memory = MODEL_DEFAULT_MEMORY;
	vm->memory_base = MODEL_DEFAULT_MEM_BASE;
	vm->kernel_offset = MODEL_DEFAULT_KOFFSET;
	vm->weight = MODEL_DEFAULT_WEIGHT;
	vm->autostart = true;
	vm->uart = true;
	vm->rtc = true;
	vm->uart_base = MODEL_DEFAULT_UART;
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		vm->pin[i] = -1;
}

int model_init(struct model *m, const char *file)
{
	memset(m, 0, sizeof(*m));
	m->host.cpus = MODEL_DEFAULT_CPUS;
	m->host.time_slice_us = MODEL_DEFAULT_SLICE_US;
	m->file = strdup(file);
	return m->file ? 0 : -1;
}

static void vm_free(struct model_vm *vm)
{
	free(vm->kernel);
	free(vm->kernel_path);
	free(vm->initrd);
	free(vm->initrd_path);
	free(vm->command_line);
	for (unsigned i = 0; i < vm->nr_nics; i++)
		free(vm->nics[i].tap);
	for (unsigned i = 0; i < vm->nr_disks; i++) {
		free(vm->disks[i].image);
		free(vm->disks[i].path);
	}
}

static void switch_free(struct model_switch *sw)
{
	free(sw->up.tap);
	for (unsigned i = 0; i < sw->up.nr_hostfwd; i++)
		free(sw->up.hostfwd[i]);
}

void model_free(struct model *m)
{
	for (unsigned i = 0; i < m->nr_vms; i++)
		vm_free(&m->vms[i]);
	for (unsigned i = 0; i < m->host.nr_switches; i++)
		switch_free(&m->host.switches[i]);
	free(m->file);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}

unsigned model_virtio_count(const struct model *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->nr_vms; i++)
		for (unsigned k = 0; k < m->vms[i].nr_disks; k++)
			n += m->vms[i].disks[k].share_vm < 0;
	for (unsigned i = 0; i < m->host.nr_switches; i++)
		n += m->host.switches[i].up.kind != UPLINK_NONE;
	return n;
}

void model_switch_init(struct model_switch *sw, const char *name)
{
	memset(sw, 0, sizeof(*sw));
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	sw->up.slot = -1;
}

void model_uplink_describe(const struct model_uplink *up, char *buf, size_t len)
{
	switch (up->kind) {
	case UPLINK_TAP:
		snprintf(buf, len, "tap %s", up->tap);
		break;
	case UPLINK_SOCKET:
		snprintf(buf, len, "socket");
		break;
	case UPLINK_USER:
		snprintf(buf, len, "user-mode network");
		break;
	case UPLINK_NONE:
		snprintf(buf, len, "none");
		break;
	}
}
