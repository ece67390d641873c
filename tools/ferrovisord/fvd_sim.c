// SPDX-License-Identifier: MIT
/*
 * Simulated host backend (see fvd_sim.h). The state machine follows the hypervisor's:
 * start from stopped or crashed, stop from running/paused/crashed, reset from
 * running/paused/crashed (the VM runs afterwards), pause from running, resume from
 * paused. A VM being created accepts no action until its upload is committed.
 *
 * Every operation takes sim->lock (HTTP connections each have a thread); the heartbeat
 * thread takes it too. Console output and events go to the hub under that lock (lock
 * order: sim, then hub).
 */
#include "fvd_sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fvd_hub.h"
#include "fvd_metrics.h"
#include "fvd_route.h"

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

/* ------------------------------------------------------------------ tracer */

/* Hypervisor enum values the records carry (hyp/core/vm.h, trace.h). */
enum { SIM_TEV_VM_STATE = 0x60, SIM_TEV_VM_REQUEST = 0x61, SIM_TRACE_C_VM = 6 };
enum {
	SIM_HV_STOPPED,
	SIM_HV_RUNNING,
	SIM_HV_STOPPING,
	SIM_HV_CRASHED,
	SIM_HV_SUSPENDED,
	SIM_HV_PAUSED
};
enum { SIM_HV_ACT_NONE, SIM_HV_ACT_STOP, SIM_HV_ACT_RESET };

static uint64_t sim_hv_state(enum fvd_state s)
{
	static const uint64_t map[FVD_VM__COUNT] = {
	    [FVD_VM_CREATING] = SIM_HV_STOPPED,    [FVD_VM_STOPPED] = SIM_HV_STOPPED,
	    [FVD_VM_RUNNING] = SIM_HV_RUNNING,     [FVD_VM_PAUSED] = SIM_HV_PAUSED,
	    [FVD_VM_CRASHED] = SIM_HV_CRASHED,     [FVD_VM_STOPPING] = SIM_HV_STOPPING,
	    [FVD_VM_SUSPENDED] = SIM_HV_SUSPENDED,
	};
	return (unsigned)s < FVD_VM__COUNT ? map[s] : SIM_HV_STOPPED;
}

static void sim_trace(struct fvd_sim *sim, uint8_t ev, uint32_t vm, uint64_t a0, uint64_t a1)
{
	struct timespec ts;
	struct fvd_trace_rec *r;

	if (!(sim->trace.mask & (1u << SIM_TRACE_C_VM)))
		return;
	if (sim->trace.head - sim->trace.tail >= FVD_SIM_TRACE_RECS) {
		sim->trace.dropped++;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	r = &sim->trace.recs[sim->trace.head++ % FVD_SIM_TRACE_RECS];
	memset(r, 0, sizeof(*r));
	r->ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	r->event = ev;
	r->vm = (uint8_t)vm;
	r->vcpu = 0xff;
	r->a0 = a0;
	r->a1 = a1;
}

/* What the hypervisor records for an action: stop and reset pass through "stopping". */
static void sim_trace_action(struct fvd_sim *sim, const struct fvd_sim_vm *v, enum fvd_action act)
{
	uint64_t from = sim_hv_state(v->info.state);

	if (act == FVD_ACT_STOP || act == FVD_ACT_RESET) {
		sim_trace(sim, SIM_TEV_VM_REQUEST, v->info.id,
		          act == FVD_ACT_STOP ? SIM_HV_ACT_STOP : SIM_HV_ACT_RESET, from);
		if (from == SIM_HV_CRASHED) {
			/* A stopped or crashed VM is started again at once (vm_request). */
			if (act == FVD_ACT_RESET)
				sim_trace(sim, SIM_TEV_VM_STATE, v->info.id, from, SIM_HV_RUNNING);
			else
				sim_trace(sim, SIM_TEV_VM_STATE, v->info.id, from, SIM_HV_STOPPED);
			return;
		}
		sim_trace(sim, SIM_TEV_VM_STATE, v->info.id, SIM_HV_STOPPING, SIM_HV_STOPPED);
		if (act == FVD_ACT_RESET)
			sim_trace(sim, SIM_TEV_VM_STATE, v->info.id, SIM_HV_STOPPED,
			          SIM_HV_RUNNING);
		return;
	}
	sim_trace(sim, SIM_TEV_VM_STATE, v->info.id, from, sim_hv_state(sim_transitions[act].to));
}

static int sim_trace_ctl_l(void *be, int op, uint32_t mask, struct fvd_trace_status *out)
{
	struct fvd_sim *sim = be;

	switch (op) {
	case FVD_TRACE_STATUS:
		break;
	case FVD_TRACE_SET:
		if (mask >> FVD_TRACE_CLASSES)
			return FVD_E_INVAL;
		sim->trace.mask = mask;
		break;
	case FVD_TRACE_CLEAR:
		sim->trace.tail = sim->trace.head;
		sim->trace.dropped = 0;
		break;
	default:
		return FVD_E_INVAL;
	}
	memset(out, 0, sizeof(*out));
	out->mask = sim->trace.mask;
	out->nr_classes = FVD_TRACE_CLASSES;
	out->nr_cpus = FVD_SIM_CPUS;
	out->ring_records = FVD_SIM_TRACE_RECS;
	out->records[0] = sim->trace.head - sim->trace.tail;
	out->dropped[0] = sim->trace.dropped;
	return FVD_OK;
}

static int sim_trace_read_l(void *be, uint32_t cpu, struct fvd_trace_rec *out, size_t max,
                            size_t *n)
{
	struct fvd_sim *sim = be;

	*n = 0;
	if (cpu >= FVD_SIM_CPUS)
		return FVD_E_INVAL;
	/* Only CPU 0 records (the simulated host does its VM work there). */
	while (cpu == 0 && *n < max && sim->trace.tail != sim->trace.head)
		out[(*n)++] = sim->trace.recs[sim->trace.tail++ % FVD_SIM_TRACE_RECS];
	return FVD_OK;
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

/* sim->lock held: a vm-state event. */
static void sim_event(struct fvd_sim *sim, const struct fvd_sim_vm *v, const char *state,
                      const char *old, const char *cause, const char *severity)
{
	struct fvd_event ev = {.type = "vm-state",
	                       .vm = v->info.name,
	                       .state = state,
	                       .old_state = old,
	                       .cause = cause,
	                       .severity = severity,
	                       .count = -1};

	fvd_hub_event(sim->hub, &ev);
}

/* sim->lock held: changes the state and logs it; action names the operator's request, or
 * NULL for a change from inside the guest. */
static void sim_set_state(struct fvd_sim *sim, struct fvd_sim_vm *v, enum fvd_state st,
                          const char *action, const char *severity)
{
	char cause[48];
	enum fvd_state old = v->info.state;

	v->info.state = st;
	if (action)
		snprintf(cause, sizeof(cause), "operator:%s", action);
	else
		snprintf(cause, sizeof(cause), "guest");
	sim_event(sim, v, fvd_state_name(st), fvd_state_name(old), cause, severity);
}

/* sim->lock held: console output of a simulated guest. */
static void sim_say(struct fvd_sim *sim, const struct fvd_sim_vm *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void sim_say(struct fvd_sim *sim, const struct fvd_sim_vm *v, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		fvd_hub_console_put(sim->hub, v->info.name, buf,
		                    (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
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
	pthread_mutex_init(&sim->lock, NULL);
	sim->next_id = 1;
	sim->start_ms = start_ms;
	sim_add(sim, "service", FVD_VM_RUNNING, 1, 256ull << 20, true);
	sim_add(sim, "alpha", FVD_VM_RUNNING, 2, 512ull << 20, false);
	sim_add(sim, "beta", FVD_VM_STOPPED, 1, 64ull << 20, false);
}

static int sim_host_info_l(void *be, struct fvd_host_info *out)
{
	struct fvd_sim *sim = be;
	uint32_t n = 0;

	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++)
		n += sim->vms[i].used ? 1u : 0u;
	memset(out, 0, sizeof(*out));
	strncpy(out->version, "ferrovisor-sim", FVD_VERSION_MAX);
	/* The simulated host has RISC-V's exits and SBI extensions (sim_metrics). */
	strncpy(out->arch, "riscv64", FVD_ARCH_MAX);
	out->cpus = FVD_SIM_CPUS;
	out->memory_total = FVD_SIM_MEMORY;
	out->memory_free = FVD_SIM_MEMORY - sim_used_memory(sim);
	out->vm_count = n;
	out->vm_limit = FVD_SIM_VM_LIMIT;
	out->uptime_ms = fvd_sim_now_ms() - sim->start_ms;
	return FVD_OK;
}

static int sim_vm_list_l(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
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

static int sim_vm_get_l(void *be, const char *name, struct fvd_vm_info *out)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	*out = v->info;
	return FVD_OK;
}

static int sim_vm_action_l(void *be, const char *name, enum fvd_action act)
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
	sim_trace_action(be, v, act);
	sim_set_state(be, v, sim_transitions[act].to, fvd_action_name(act), "info");
	if (act == FVD_ACT_START || act == FVD_ACT_RESET) {
		v->ctr.boots++;
		sim_say(be, v, "sim %s: boot\n", v->info.name);
	}
	return FVD_OK;
}

static int sim_vm_destroy_l(void *be, const char *name)
{
	struct fvd_sim_vm *v = sim_find(be, name);

	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (v->info.state == FVD_VM_CREATING)
		return FVD_E_BUSY;
	v->used = false;
	sim_event(be, v, "destroyed", fvd_state_name(v->info.state), "operator:destroy", "info");
	return FVD_OK;
}

static int sim_create_begin_l(void *be, const struct fvd_create_req *req)
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

static int sim_create_chunk_l(void *be, const char *name, const void *data, size_t len)
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

static int sim_create_end_l(void *be, const char *name, bool commit)
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
	sim_set_state(be, v, FVD_VM_STOPPED, "create", "info");
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

static int sim_metrics_l(void *be, struct fvd_metrics *out)
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

/* sim->lock held: a complete line typed on v's console. */
static void sim_command(struct fvd_sim *sim, struct fvd_sim_vm *v)
{
	const char *l = v->line;

	if (strncmp(l, "echo ", 5) == 0) {
		sim_say(sim, v, "%s\n", l + 5);
	} else if (strcmp(l, "halt") == 0) {
		sim_say(sim, v, "sim %s: halting\n", v->info.name);
		sim_set_state(sim, v, FVD_VM_STOPPED, NULL, "critical");
	} else if (strcmp(l, "crash") == 0) {
		struct fvd_event ev = {.type = "vm-crash",
		                       .vm = v->info.name,
		                       .cause = "sim: illegal instruction (scause 2) at 0x80200000",
		                       .severity = "critical",
		                       .count = -1};

		sim_set_state(sim, v, FVD_VM_CRASHED, NULL, "critical");
		fvd_hub_event(sim->hub, &ev);
	}
}

static int sim_console_input_l(struct fvd_sim *sim, const char *name, const void *data, size_t len,
                               size_t *taken)
{
	struct fvd_sim_vm *v = sim_find(sim, name);
	const char *p = data;

	*taken = 0;
	if (!v)
		return FVD_E_NOTFOUND;
	if (v->info.service)
		return FVD_E_DENIED;
	if (v->info.state == FVD_VM_CREATING)
		return FVD_E_BUSY;
	/* Running, or paused: the bytes wait in its input queue (as the hypervisor's do). */
	if (v->info.state != FVD_VM_RUNNING && v->info.state != FVD_VM_PAUSED)
		return FVD_E_STATE;
	for (size_t i = 0;
	     i < len && (v->info.state == FVD_VM_RUNNING || v->info.state == FVD_VM_PAUSED); i++) {
		char ch = p[i];

		(*taken)++;
		if (ch == '\r' || ch == '\n') {
			fvd_hub_console_put(sim->hub, v->info.name, "\n", 1);
			v->line[v->line_len] = '\0';
			v->line_len = 0;
			sim_command(sim, v);
			continue;
		}
		/* Echoed as a terminal would; a line longer than the buffer is cut. */
		fvd_hub_console_put(sim->hub, v->info.name, &ch, 1);
		if (v->line_len + 1 < sizeof(v->line))
			v->line[v->line_len++] = ch;
	}
	return FVD_OK;
}

static void *sim_tick(void *arg)
{
	struct fvd_sim *sim = arg;
	struct timespec ts = {.tv_sec = FVD_SIM_TICK_MS / 1000,
	                      .tv_nsec = (FVD_SIM_TICK_MS % 1000) * 1000000L};

	for (;;) {
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&sim->lock);
		for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
			struct fvd_sim_vm *v = &sim->vms[i];

			if (v->used && !v->info.service && v->info.state == FVD_VM_RUNNING)
				sim_say(sim, v, "heartbeat %u\n", ++v->beats);
		}
		pthread_mutex_unlock(&sim->lock);
	}
	return NULL;
}

static int sim_events_start(void *be, struct fvd_hub *hub)
{
	struct fvd_sim *sim = be;
	int err = FVD_OK;

	pthread_mutex_lock(&sim->lock);
	sim->hub = hub;
	for (size_t i = 0; i < FVD_SIM_VM_LIMIT; i++) {
		struct fvd_sim_vm *v = &sim->vms[i];

		if (v->used && !v->info.service && v->info.state == FVD_VM_RUNNING)
			sim_say(sim, v, "sim %s: boot\n", v->info.name);
	}
	if (!sim->ticking) {
		if (pthread_create(&sim->ticker, NULL, sim_tick, sim) == 0) {
			pthread_detach(sim->ticker);
			sim->ticking = true;
		} else {
			err = FVD_E_NOMEM;
		}
	}
	pthread_mutex_unlock(&sim->lock);
	return err;
}

/* Each operation under sim->lock. */
#define SIM_LOCKED(call)                                                                           \
	do {                                                                                       \
		struct fvd_sim *s_ = be;                                                           \
		int r_;                                                                            \
		pthread_mutex_lock(&s_->lock);                                                     \
		r_ = call;                                                                         \
		pthread_mutex_unlock(&s_->lock);                                                   \
		return r_;                                                                         \
	} while (0)

static int sim_host_info(void *be, struct fvd_host_info *out)
{
	SIM_LOCKED(sim_host_info_l(be, out));
}

static int sim_vm_list(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
{
	SIM_LOCKED(sim_vm_list_l(be, out, max, n));
}

static int sim_vm_get(void *be, const char *name, struct fvd_vm_info *out)
{
	SIM_LOCKED(sim_vm_get_l(be, name, out));
}

static int sim_vm_action(void *be, const char *name, enum fvd_action act)
{
	SIM_LOCKED(sim_vm_action_l(be, name, act));
}

static int sim_vm_destroy(void *be, const char *name)
{
	SIM_LOCKED(sim_vm_destroy_l(be, name));
}

static int sim_create_begin(void *be, const struct fvd_create_req *req)
{
	SIM_LOCKED(sim_create_begin_l(be, req));
}

static int sim_create_chunk(void *be, const char *name, const void *data, size_t len)
{
	SIM_LOCKED(sim_create_chunk_l(be, name, data, len));
}

static int sim_create_end(void *be, const char *name, bool commit)
{
	SIM_LOCKED(sim_create_end_l(be, name, commit));
}

static int sim_console_input(void *be, const char *name, const void *data, size_t len,
                             size_t *taken)
{
	SIM_LOCKED(sim_console_input_l(be, name, data, len, taken));
}

static int sim_metrics(void *be, struct fvd_metrics *out)
{
	SIM_LOCKED(sim_metrics_l(be, out));
}

static int sim_vm_set_sched_l(void *be, const char *name, const struct fvd_sched_req *req);

static int sim_trace_ctl(void *be, int op, uint32_t mask, struct fvd_trace_status *out)
{
	SIM_LOCKED(sim_trace_ctl_l(be, op, mask, out));
}

static int sim_trace_read(void *be, uint32_t cpu, struct fvd_trace_rec *out, size_t max, size_t *n)
{
	SIM_LOCKED(sim_trace_read_l(be, cpu, out, max, n));
}

static int sim_vm_set_sched(void *be, const char *name, const struct fvd_sched_req *req)
{
	SIM_LOCKED(sim_vm_set_sched_l(be, name, req));
}
/* As the hypervisor: any state but creating; never the service VM; CPUs the host has. */
static int sim_vm_set_sched_l(void *be, const char *name, const struct fvd_sched_req *req)
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

static int sim_dump_info_l(void *be, const char *name, struct fvd_dump_info *out)
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

static int sim_dump_read_l(void *be, const char *name, uint64_t gpa, void *buf, size_t len)
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

static int sim_dump_info(void *be, const char *name, struct fvd_dump_info *out)
{
	SIM_LOCKED(sim_dump_info_l(be, name, out));
}

static int sim_dump_read(void *be, const char *name, uint64_t gpa, void *buf, size_t len)
{
	SIM_LOCKED(sim_dump_read_l(be, name, gpa, buf, len));
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
    .events_start = sim_events_start,
    .console_input = sim_console_input,
    .vm_set_sched = sim_vm_set_sched,
    .trace_ctl = sim_trace_ctl,
    .trace_read = sim_trace_read,
    .dump_info = sim_dump_info,
    .dump_read = sim_dump_read,
    .snap_begin = fvd_sim_snap_begin,
    .snap_read = fvd_sim_snap_read,
    .snap_end = fvd_sim_snap_end,
    .restore_begin = fvd_sim_restore_begin,
    .restore_data = fvd_sim_restore_data,
    .restore_end = fvd_sim_restore_end,
    .mig_begin = fvd_sim_mig_begin,
    .mig_round = fvd_sim_mig_round,
    .mig_read = fvd_sim_mig_read,
    .mig_end = fvd_sim_mig_end,
};
