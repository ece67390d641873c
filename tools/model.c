// SPDX-License-Identifier: MIT
/* Defaults and lifetime of the tool's configuration model. */
#include "model.h"

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

void model_free(struct model *m)
{
	for (unsigned i = 0; i < m->nr_vms; i++)
		vm_free(&m->vms[i]);
	free(m->file);
	free(m->dir);
	memset(m, 0, sizeof(*m));
}

unsigned model_virtio_count(const struct model *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < m->nr_vms; i++)
		n += m->vms[i].nr_nics + m->vms[i].nr_disks;
	return n;
}
