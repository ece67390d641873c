// SPDX-License-Identifier: MIT
/* JSON bodies of the REST API (see fvd_json.h). */
#include "fvd_json.h"

#include <stdio.h>

#define MIB (1024u * 1024u)

/* cJSON numbers are doubles: exact for every integer below 2^53, which covers byte
 * counts of any real host. */
static bool json_num(cJSON *o, const char *k, uint64_t v)
{
	return cJSON_AddNumberToObject(o, k, (double)v) != NULL;
}

cJSON *fvd_json_host(const struct fvd_host_info *h, const char *backend_kind)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "hypervisor", "ferrovisor");
	ok = ok && cJSON_AddStringToObject(o, "version", h->version);
	ok = ok && cJSON_AddStringToObject(o, "arch", h->arch[0] ? h->arch : "riscv64");
	ok = ok && cJSON_AddStringToObject(o, "api_version", "v1");
	ok = ok && cJSON_AddStringToObject(o, "backend", backend_kind);
	ok = ok && json_num(o, "cpus", h->cpus);
	ok = ok && json_num(o, "memory_total_mb", h->memory_total / MIB);
	ok = ok && json_num(o, "memory_free_mb", h->memory_free / MIB);
	ok = ok && json_num(o, "vm_count", h->vm_count);
	ok = ok && json_num(o, "vm_limit", h->vm_limit);
	ok = ok && json_num(o, "uptime_ms", h->uptime_ms);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *fvd_json_vm(const struct fvd_vm_info *vm)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	ok = ok && cJSON_AddStringToObject(o, "name", vm->name);
	ok = ok && json_num(o, "id", vm->id);
	ok = ok && cJSON_AddStringToObject(o, "state", fvd_state_name(vm->state));
	ok = ok && cJSON_AddStringToObject(o, "role", vm->service ? "service" : "guest");
	ok = ok && json_num(o, "vcpus", vm->vcpus);
	ok = ok && json_num(o, "memory_mb", vm->memory_bytes / MIB);
	if (ok && vm->weight) {
		cJSON *cpus;

		ok = json_num(o, "weight", vm->weight);
		cpus = ok ? cJSON_AddArrayToObject(o, "affinity") : NULL;
		ok = cpus != NULL;
		for (unsigned c = 0; ok && c < 64; c++) {
			cJSON *n = (vm->affinity >> c) & 1u ? cJSON_CreateNumber(c) : NULL;

			if (n)
				cJSON_AddItemToArray(cpus, n);
		}
	}
	if (ok && vm->state == FVD_VM_CREATING) {
		cJSON *p = cJSON_AddObjectToObject(o, "progress");
		uint64_t pct = vm->upload_total ? vm->upload_done * 100u / vm->upload_total : 0;

		ok = p != NULL;
		ok = ok && json_num(p, "bytes_received", vm->upload_done);
		ok = ok && json_num(p, "bytes_total", vm->upload_total);
		ok = ok && json_num(p, "percent", pct);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *fvd_json_vm_list(const struct fvd_vm_info *vms, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = o ? cJSON_AddArrayToObject(o, "vms") : NULL;

	if (!arr) {
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		cJSON *vm = fvd_json_vm(&vms[i]);

		if (!vm) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToArray(arr, vm);
	}
	return o;
}

cJSON *fvd_json_problem(const struct fvd_problem_kind *k, const char *detail, const char *instance)
{
	char type[96];
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	snprintf(type, sizeof(type), "urn:ferrovisor:problem:%s", k->slug);
	ok = ok && cJSON_AddStringToObject(o, "type", type);
	ok = ok && cJSON_AddStringToObject(o, "title", k->title);
	ok = ok && json_num(o, "status", k->status);
	ok = ok && cJSON_AddStringToObject(o, "detail", detail);
	ok = ok && cJSON_AddStringToObject(o, "instance", instance);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
