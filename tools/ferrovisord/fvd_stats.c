// SPDX-License-Identifier: MIT
/*
 * Reading the backend's counters for /metrics and /api/v1/stats, and the JSON of
 * GET /api/v1/stats (see fvd_metrics.h). Unit-tested on the host (tests/unit/test_fvd_metrics).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fvd_metrics.h"
#include "fvd_route.h"

/* ------------------------------------------------------------------ reading */

int fvd_metrics_read(const struct fvd_backend *be, struct fvd_metrics *m,
                     struct fvd_metrics_self *self)
{
	struct timespec t0, t1;
	int err;

	if (!be->ops->metrics)
		return FVD_E_NOTSUP;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = be->ops->metrics(be->ctx, m);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	self->scrapes++;
	self->scrape_seconds =
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	self->up = err == FVD_OK;
	if (err)
		self->control_errors++;
	return err;
}

/* ------------------------------------------------------------------ JSON */

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static cJSON *json_vm(const struct fvd_m_vm *v)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t br = 0, bw = 0, nrx = 0, ntx = 0, berr = 0, exits = 0;

	if (!o)
		return NULL;
	for (uint32_t k = 0; k < v->nr_devs; k++) {
		if (v->dev[k].kind == FVD_M_DEV_BLK) {
			berr += v->dev[k].c[1];
			br += v->dev[k].c[2];
			bw += v->dev[k].c[3];
		} else if (v->dev[k].kind == FVD_M_DEV_NET) {
			nrx += v->dev[k].c[1];
			ntx += v->dev[k].c[4];
		}
	}
	for (unsigned e = 0; e < FVD_M_EXIT_CAUSES; e++)
		exits += v->exits[e];
	cJSON_AddStringToObject(o, "state", fvd_state_name(v->state));
	cJSON_AddNumberToObject(o, "vcpus", v->nr_vcpus);
	cJSON_AddNumberToObject(o, "memory_bytes", (double)v->mem_bytes);
	cJSON_AddNumberToObject(o, "cpu_seconds", secs(v->run_ns));
	cJSON_AddNumberToObject(o, "steal_seconds", secs(v->steal_ns));
	cJSON_AddNumberToObject(o, "exits", (double)exits);
	cJSON_AddNumberToObject(o, "blk_read_bytes", (double)br);
	cJSON_AddNumberToObject(o, "blk_write_bytes", (double)bw);
	cJSON_AddNumberToObject(o, "blk_errors", (double)berr);
	cJSON_AddNumberToObject(o, "net_rx_bytes", (double)nrx);
	cJSON_AddNumberToObject(o, "net_tx_bytes", (double)ntx);
	cJSON_AddNumberToObject(o, "boots", (double)v->boots);
	cJSON_AddNumberToObject(o, "crashes", (double)v->crashes);
	return o;
}

struct cJSON *fvd_metrics_json(const struct fvd_metrics *m)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *host = cJSON_AddObjectToObject(root, "host");
	cJSON *cpus = cJSON_AddArrayToObject(host, "cpus");
	cJSON *vms = cJSON_AddObjectToObject(root, "vms");
	uint64_t idle = 0, busy = 0;

	if (!root || !host || !cpus || !vms) {
		cJSON_Delete(root);
		return NULL;
	}
	for (uint32_t i = 0; i < m->nr_cpus; i++) {
		cJSON *c = cJSON_CreateObject();

		cJSON_AddNumberToObject(c, "cpu", m->cpu[i].cpu);
		cJSON_AddNumberToObject(c, "idle_seconds", secs(m->cpu[i].idle_ns));
		cJSON_AddNumberToObject(c, "busy_seconds", secs(m->cpu[i].busy_ns));
		cJSON_AddNumberToObject(c, "run_queue", m->cpu[i].rq_len);
		cJSON_AddItemToArray(cpus, c);
		idle += m->cpu[i].idle_ns;
		busy += m->cpu[i].busy_ns;
	}
	cJSON_AddNumberToObject(host, "uptime_seconds", secs(m->uptime_ns));
	cJSON_AddNumberToObject(host, "cpu_idle_seconds", secs(idle));
	cJSON_AddNumberToObject(host, "cpu_busy_seconds", secs(busy));
	cJSON_AddNumberToObject(host, "vm_count", m->nr_vms);
	cJSON_AddNumberToObject(host, "memory_total_bytes", (double)(m->pages_total * 4096u));
	cJSON_AddNumberToObject(host, "memory_free_bytes", (double)(m->pages_free * 4096u));
	cJSON_AddNumberToObject(host, "heap_total_bytes", (double)m->heap_total);
	cJSON_AddNumberToObject(host, "heap_used_bytes", (double)m->heap_used);
	for (uint32_t i = 0; i < m->nr_vms; i++) {
		cJSON *v = json_vm(&m->vm[i]);

		if (v)
			cJSON_AddItemToObject(vms, m->vm[i].name, v);
	}
	return root;
}
