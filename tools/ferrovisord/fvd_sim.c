// SPDX-License-Identifier: MIT
/*
 * Simulated host backend (see fvd_sim.h). The state machine follows the hypervisor's:
 * start from stopped or crashed, stop from running/paused/crashed, reset from
 * running/paused/crashed (the VM runs afterwards), pause from running, resume from
 * paused. A VM being created accepts no action until its upload is committed.
 */
#include "fvd_sim.h"

#include <stdio.h>

#include "fvd_metrics.h"

#include <string.h>
#include <time.h>

#define BIT(s) (1u << (s))

#define FVD_SIM_CPUS     2u
#define FVD_SIM_CPU_MASK ((1ull << FVD_SIM_CPUS) - 1u)

/* Per action: the states it is allowed from and the state it leaves the VM in. */
static const struct {
	unsigned from;
	enum fvd_state to;
} sim_transitions[FVD_ACT__COUNT] = {
    [FVD_ACT_START] = {BIT(FVD_VM_STOPPED) | BIT(FVD_VM_CRASHED), FVD_VM_RUNNING},
    [FVD_ACT_STOP] = {BIT(FVD_VM_RUNNING) | BIT(FVD_VM_PAUSED) | BIT(FVD_VM_CRASHED),
                      FVD_VM_STOPPED},
    [FVD_ACT_RESET] = {BIT(FVD_VM_RUNNING) | BIT(FVD_VM_PAUSED) | BIT(FVD_VM_CRASHED),
                       FVD_VM_RUNNING},
    [FVD_ACT_PAUSE] = {BIT(FVD_VM_RUNNING), FVD_VM_PAUSED},
    [FVD_ACT_RESUME] = {BIT(FVD_VM_PAUSED), FVD_VM_RUNNING},
};

uint64_t fvd_sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), continued from crc (0 to start),
 * the checksum the control protocol announces for a package. */
static uint32_t sim_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static struct fvd_sim_vm *sim_find(struct fvd_sim *sim, const char *name)
{
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
		if (sim->vms[i].used && strcmp(sim->vms[i].info.name, name) == 0)
			return &sim->vms[i];
	}
	return NULL;
}

static uint64_t sim_used_memory(const struct fvd_sim *sim)
{
	uint64_t used = 0;

	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
		if (sim->vms[i].used)
			used += sim->vms[i].info.memory_bytes;
	}
	return used;
}

static void sim_add(struct fvd_sim *sim, const char *name, enum fvd_state st, uint32_t vcpus,
                    uint64_t mem, bool service)
{
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
		struct fvd_sim_vm *v = &sim->vms[i];

		if (v->used)
			continue;
		memset(v, 0, sizeof(*v));
		v->used = true;
		/* Callers pass names validated to fit (fvd_route_valid_name or literals). */
		strncpy(v->info.name, name, FVD_NAME_MAX);
		v->info.id = sim->next_id++;
		v->info.state = st;
		v->info.vcpus = vcpus;
		v->info.memory_bytes = mem;
		v->info.service = service;
		v->ctr.boots = st == FVD_VM_RUNNING ? 1 : 0;
		v->info.weight = 256;
		v->info.affinity = FVD_SIM_CPU_MASK;
		return;
	}
}

void fvd_sim_init(struct fvd_sim *sim, uint64_t start_ms)
{
	memset(sim, 0, sizeof(*sim));
	sim->next_id = 1;
	sim->start_ms = start_ms;
	sim_add(sim, "service", FVD_VM_RUNNING, 1, 256ull << 20, true);
	sim_add(sim, "alpha", FVD_VM_RUNNING, 2, 512ull << 20, false);
	sim_add(sim, "beta", FVD_VM_STOPPED, 1, 64ull << 20, false);
}

static int sim_host_info(void *be, struct fvd_host_info *out)
{
	struct fvd_sim *sim = be;
	uint32_t n = 0;

	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		n += sim->vms[i].used ? 1u : 0u;
	memset(out, 0, sizeof(*out));
	strncpy(out->version, "ferrovisor-sim", FVD_VERSION_MAX);
	out->cpus = FVD_SIM_CPUS;
	out->memory_total = FVD_SIM_MEMORY;
	out->memory_free = FVD_SIM_MEMORY - sim_used_memory(sim);
	out->vm_count = n;
	out->vm_limit = FVD_SIM_VM_LIMIT;
	out->uptime_ms = fvd_sim_now_ms() - sim->start_ms;
	return FVD_OK;
}

static int sim_vm_list(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
{
	struct fvd_sim *sim = be;
	size_t k = 0;

	/* Slots in order of their id, which is creation order. */
	for (uint32_t id = 1; id < sim->next_id; id++) {
		for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
			if (!sim->vms[i].used || sim->vms[i].info.id != id)
				continue;
			if (k < max)
				out[k] = sim->vms[i].info;
			k++;
		}
	}
	*n = k;
	return FVD_OK;
}

static int sim_vm_get(void *be, const char *name, struct fvd_vm_info *out)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	*out = v->info;
	return FVD_OK;
}

static int sim_vm_action(void *be, const char *name, enum fvd_action act)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if ((unsigned)act >= FVD_ACT__COUNT)
		return FVD_E_INVAL;
	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.state == FVD_VM_CREATING)
		return FVD_E_BUSY;
	/* The service VM runs the daemon itself: the hypervisor refuses every request that
	 * names it (docs/control-protocol.md, E_PERMISSION). */
	if (v->info.service)
		return FVD_E_DENIED;
	if (!(sim_transitions[act].from & BIT(v->info.state)))
		return FVD_E_STATE;
	v->info.state = sim_transitions[act].to;
	if (act == FVD_ACT_START || act == FVD_ACT_RESET)
		v->ctr.boots++;
	return FVD_OK;
}

static int sim_vm_destroy(void *be, const char *name)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (v->info.state == FVD_VM_CREATING)
		return FVD_E_BUSY;
	v->used = false;
	return FVD_OK;
}

static int sim_create_begin(void *be, const struct fvd_create_req *req)
{
	struct fvd_sim *sim = be;
	struct fvd_sim_vm *v;
	size_t used = 0;

	if (req->vcpus == 0 || req->vcpus > 8 || req->memory_bytes == 0 || req->package_bytes == 0)
		return FVD_E_INVAL;
	if (req->package_bytes > FVD_SIM_PACKAGE_MAX)
		return FVD_E_TOOBIG;
	if (sim_find(sim, req->name))
		return FVD_E_EXISTS;
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		used += sim->vms[i].used ? 1u : 0u;
	if (used == FVD_SIM_VM_LIMIT)
		return FVD_E_LIMIT;
	if (req->memory_bytes > FVD_SIM_MEMORY - sim_used_memory(sim))
		return FVD_E_NOMEM;
	sim_add(sim, req->name, FVD_VM_CREATING, req->vcpus, req->memory_bytes, false);
	v = sim_find(sim, req->name);
	v->info.upload_total = req->package_bytes;
	v->has_crc = req->has_crc;
	v->crc_expect = req->crc32c;
	v->crc_run = 0;
	return FVD_OK;
}

static int sim_create_chunk(void *be, const char *name, const void *data, size_t len)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.state != FVD_VM_CREATING)
		return FVD_E_STATE;
	if (len > v->info.upload_total - v->info.upload_done)
		return FVD_E_TOOBIG;
	v->info.upload_done += len;
	v->crc_run = sim_crc32c(v->crc_run, data, len);
	return FVD_OK;
}

static int sim_create_end(void *be, const char *name, bool commit)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.state != FVD_VM_CREATING)
		return FVD_E_STATE;
	if (!commit) {
		v->used = false;
		return FVD_OK;
	}
	/* A short or damaged package is never a VM: the hypervisor would have half an image. */
	if (v->info.upload_done != v->info.upload_total ||
	    (v->has_crc && v->crc_run != v->crc_expect)) {
		v->used = false;
		return FVD_E_INVAL;
	}
	v->info.state = FVD_VM_STOPPED;
	v->info.upload_done = 0;
	v->info.upload_total = 0;
	return FVD_OK;
}

/* Advance a running VM's counters by dt_ms of plausible activity: a quarter of each vCPU
 * busy, a little steal, a steady rate of exits, SBI calls, disk and network traffic. */
static void sim_advance(struct fvd_sim_vm *v, uint64_t dt_ms)
{
	static const uint64_t exits_per_ms[7] = {3, 5, 2, 4, 1, 0, 0};
	uint64_t dt_ns = dt_ms * 1000000u;

	if (v->info.state != FVD_VM_RUNNING)
		return;
	v->ctr.run_ns += dt_ns * v->info.vcpus / 4u;
	v->ctr.steal_ns += dt_ns * v->info.vcpus / 50u;
	for (unsigned k = 0; k < 7; k++)
		v->ctr.exits[k] += exits_per_ms[k] * dt_ms;
	v->ctr.sbi[0] += dt_ms / 100u; /* base */
	v->ctr.sbi[1] += dt_ms * 2u;   /* time */
	v->ctr.sbi[2] += dt_ms;        /* ipi */
	v->ctr.blk_req += dt_ms / 10u;
	v->ctr.blk_read += dt_ms * 4096u;
	v->ctr.blk_write += dt_ms * 512u;
	v->ctr.net_rx += dt_ms / 5u;
	v->ctr.net_rx_bytes += dt_ms / 5u * 600u;
	v->ctr.net_tx += dt_ms / 5u;
	v->ctr.net_tx_bytes += dt_ms / 5u * 400u;
}

static void sim_vm_metrics(const struct fvd_sim_vm *v, struct fvd_m_vm *o)
{
	static const char *const sbi_names[3] = {"base", "time", "ipi"};

	memset(o, 0, sizeof(*o));
	memcpy(o->name, v->info.name, sizeof(o->name));
	o->id = v->info.id;
	o->state = v->info.state;
	o->service = v->info.service;
	o->mem_bytes = v->info.memory_bytes;
	o->hyp_mem_bytes = 64u << 10;
	o->boots = v->ctr.boots;
	o->run_ns = v->ctr.run_ns;
	o->steal_ns = v->ctr.steal_ns;
	o->irqs_injected = v->ctr.exits[3];
	memcpy(o->exits, v->ctr.exits, sizeof(o->exits));
	o->nr_vcpus = v->info.vcpus < FVD_M_VCPUS ? v->info.vcpus : FVD_M_VCPUS;
	for (uint32_t k = 0; k < o->nr_vcpus; k++) {
		/* Even shares of the VM's totals (the sim keeps no per-vCPU history). */
		o->vcpu[k].index = k;
		o->vcpu[k].run_ns = o->run_ns / o->nr_vcpus;
		o->vcpu[k].steal_ns = o->steal_ns / o->nr_vcpus;
		o->vcpu[k].irqs_injected = o->irqs_injected / o->nr_vcpus;
		for (unsigned e = 0; e < FVD_M_EXIT_CAUSES; e++)
			o->vcpu[k].exits[e] = o->exits[e] / o->nr_vcpus;
	}
	o->nr_calls = 3;
	for (unsigned k = 0; k < 3; k++) {
		snprintf(o->call[k].name, sizeof(o->call[k].name), "%s", sbi_names[k]);
		o->call[k].calls = v->ctr.sbi[k];
	}
	o->nr_devs = 2;
	o->dev[0].kind = FVD_M_DEV_BLK;
	snprintf(o->dev[0].name, sizeof(o->dev[0].name), "vda");
	o->dev[0].sw = -1;
	o->dev[0].c[0] = v->ctr.blk_req;
	o->dev[0].c[2] = v->ctr.blk_read;
	o->dev[0].c[3] = v->ctr.blk_write;
	o->dev[1].kind = FVD_M_DEV_NET;
	snprintf(o->dev[1].name, sizeof(o->dev[1].name), "eth0");
	o->dev[1].sw = 0;
	o->dev[1].port = v->info.id;
	o->dev[1].c[0] = v->ctr.net_rx;
	o->dev[1].c[1] = v->ctr.net_rx_bytes;
	o->dev[1].c[3] = v->ctr.net_tx;
	o->dev[1].c[4] = v->ctr.net_tx_bytes;
}

static int sim_metrics(void *be, struct fvd_metrics *out)
{
	struct fvd_sim *sim = be;
	uint64_t now = fvd_sim_now_ms();
	uint64_t up_ns = (now - sim->start_ms) * 1000000u;
	uint64_t dt = sim->metrics_ms && now > sim->metrics_ms ? now - sim->metrics_ms : 0;
	uint64_t busy;

	sim->metrics_ms = now;
	memset(out, 0, sizeof(*out));
	out->uptime_ns = up_ns;
	out->pages_total = FVD_SIM_MEMORY / 4096u;
	out->pages_used = sim_used_memory(sim) / 4096u;
	out->pages_free = out->pages_total - out->pages_used;
	out->heap_total = 1u << 20;
	out->heap_used = 200u << 10;
	out->heap_free = out->heap_total - out->heap_used;
	out->heap_peak = 256u << 10;
	out->nr_switches = 1;
	snprintf(out->sw[0].name, sizeof(out->sw[0].name), "lan0");
	/* Slots in id order, as vm_list. */
	for (uint32_t id = 1; id < sim->next_id; id++) {
		for (size_t i = 0; i < FVD_SIM_VM_LIMIT && out->nr_vms < FVD_M_VMS; i++) {
			struct fvd_sim_vm *v = &sim->vms[i];

			if (!v->used || v->info.id != id || v->info.state == FVD_VM_CREATING)
				continue;
			uint64_t was = v->ctr.run_ns;

			sim_advance(v, dt);
			sim->busy_ns += v->ctr.run_ns - was;
			sim_vm_metrics(v, &out->vm[out->nr_vms]);
			if (out->nr_ports < FVD_M_PORTS) {
				struct fvd_m_port *p = &out->port[out->nr_ports++];

				p->sw = 0;
				p->port = v->info.id;
				p->enabled = v->info.state == FVD_VM_RUNNING;
				memcpy(p->vm, v->info.name, sizeof(p->vm));
				p->rx_frames = v->ctr.net_tx;
				p->tx_frames = v->ctr.net_rx;
			}
			out->nr_vms++;
		}
	}
	/* Two CPUs sharing the vCPUs' run time; the rest of the uptime is idle. */
	busy = sim->busy_ns;
	out->nr_cpus = 2;
	for (uint32_t c = 0; c < 2; c++) {
		uint64_t b = busy / 2u < up_ns ? busy / 2u : up_ns;

		out->cpu[c].cpu = c;
		out->cpu[c].busy_ns = b;
		out->cpu[c].idle_ns = up_ns - b;
		out->cpu[c].guest_exits = busy / 2000u;
		out->cpu[c].switches = busy / 1000000u;
		out->cpu[c].irqs_timer = up_ns / 10000000u;
		out->cpu[c].rq_len = c == 0 ? 1 : 0;
	}
	return FVD_OK;
}

/* As the hypervisor: any state but creating; never the service VM; CPUs the host has. */
static int sim_vm_set_sched(void *be, const char *name, const struct fvd_sched_req *req)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.state == FVD_VM_CREATING)
		return FVD_E_BUSY;
	if (v->info.service)
		return FVD_E_DENIED;
	if (req->weight > 65535u || (req->affinity & ~FVD_SIM_CPU_MASK))
		return FVD_E_INVAL;
	if (req->weight)
		v->info.weight = req->weight;
	if (req->affinity)
		v->info.affinity = req->affinity;
	return FVD_OK;
}

/*
 * Crash dumps of the simulation: a quiet VM shows FVD_SIM_DUMP_RAM bytes of RAM at
 * FVD_SIM_DUMP_GPA whose bytes are a function of the address and the VM id, and vCPU
 * registers derived from the same (pc inside that RAM), so a test can check the core file
 * the daemon writes byte by byte.
 */
#define FVD_SIM_DUMP_GPA 0x80000000ull
#define FVD_SIM_DUMP_RAM (64ull << 10)

static int sim_dump_vm(struct fvd_sim *sim, const char *name, struct fvd_sim_vm **out)
{
	struct fvd_sim_vm *v = sim_find(sim, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (v->info.state != FVD_VM_STOPPED && v->info.state != FVD_VM_CRASHED &&
	    v->info.state != FVD_VM_PAUSED)
		return FVD_E_STATE;
	*out = v;
	return FVD_OK;
}

static int sim_dump_info(void *be, const char *name, struct fvd_dump_info *out)
{
	struct fvd_sim_vm *v;
	int err = sim_dump_vm(be, name, &v);

	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", v->info.name);
	out->state = v->info.state;
	out->boots = v->ctr.boots;
	if (v->info.state == FVD_VM_CRASHED)
		snprintf(out->cause, sizeof(out->cause), "simulated crash");
	out->nr_regions = 1;
	out->region[0].gpa = FVD_SIM_DUMP_GPA;
	out->region[0].size = FVD_SIM_DUMP_RAM;
	out->nr_vcpus = v->info.vcpus < FVD_DUMP_MAX_VCPUS ? v->info.vcpus : FVD_DUMP_MAX_VCPUS;
	for (uint32_t i = 0; i < out->nr_vcpus; i++) {
		out->vcpu[i].index = i;
		out->vcpu[i].reg[0] = FVD_SIM_DUMP_GPA + 0x1000u * (i + 1u);
		for (unsigned r = 1; r < FVD_DUMP_NR_REGS; r++)
			out->vcpu[i].reg[r] = ((uint64_t)(i + 1u) << 32) | r;
	}
	return FVD_OK;
}

static int sim_dump_read(void *be, const char *name, uint64_t gpa, void *buf, size_t len)
{
	struct fvd_sim_vm *v;
	int err = sim_dump_vm(be, name, &v);
	uint8_t *p = buf;

	if (err)
		return err;
	if (len == 0 || len > FVD_DUMP_CHUNK || gpa < FVD_SIM_DUMP_GPA ||
	    gpa - FVD_SIM_DUMP_GPA > FVD_SIM_DUMP_RAM ||
	    len > FVD_SIM_DUMP_RAM - (gpa - FVD_SIM_DUMP_GPA))
		return FVD_E_INVAL;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(((gpa + i) >> 3) ^ v->info.id);
	return FVD_OK;
}

const struct fvd_backend_ops fvd_sim_ops = {
    .kind = "sim",
    .host_info = sim_host_info,
    .vm_list = sim_vm_list,
    .vm_get = sim_vm_get,
    .vm_action = sim_vm_action,
    .vm_destroy = sim_vm_destroy,
    .create_begin = sim_create_begin,
    .create_chunk = sim_create_chunk,
    .create_end = sim_create_end,
    .metrics = sim_metrics,
    .vm_set_sched = sim_vm_set_sched,
    .dump_info = sim_dump_info,
    .dump_read = sim_dump_read,
};
