// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) and the JSON stats of ferrovisord (see
 * fvd_metrics.h). Pure: no HTTP, no backend; unit-tested on the host (tests/unit/test_fvd).
 *
 * The exposition is written family by family from one table: each family has its name,
 * type and help text and a function that emits its samples, so every family appears
 * exactly once, with HELP and TYPE, and its samples together, as the format requires.
 */
#include "fvd_metrics.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fvd_route.h"

/* ------------------------------------------------------------------ output buffer */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void mb_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)n;
		char *np = realloc(b->p, ncap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

size_t fvd_metrics_escape(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return 0;
	for (; *in; in++) {
		const char *rep = NULL;
		char one[2] = {*in, '\0'};

		if (*in == '\\')
			rep = "\\\\";
		else if (*in == '"')
			rep = "\\\"";
		else if (*in == '\n')
			rep = "\\n";
		else
			rep = one;
		if (o + strlen(rep) >= cap)
			break;
		memcpy(out + o, rep, strlen(rep));
		o += strlen(rep);
	}
	out[o] = '\0';
	return o;
}

static const char *const exit_causes[FVD_M_EXIT_CAUSES] = {
    "sbi", "mmio", "wfi", "irq", "virtual_instruction", "guest_fault", "other",
};

const char *fvd_metrics_exit_cause(unsigned i)
{
	return i < FVD_M_EXIT_CAUSES ? exit_causes[i] : "unknown";
}

/* ------------------------------------------------------------------ samples */

/* A label set of up to four pairs; values escaped on output. */
struct lbl {
	const char *k[4];
	const char *v[4];
	unsigned n;
};

static void sample(struct mbuf *b, const char *name, const struct lbl *l, const char *value)
{
	mb_printf(b, "%s", name);
	if (l && l->n) {
		mb_printf(b, "{");
		for (unsigned i = 0; i < l->n; i++) {
			char esc[4 * FVD_M_LABEL_MAX + 8];

			fvd_metrics_escape(l->v[i], esc, sizeof(esc));
			mb_printf(b, "%s%s=\"%s\"", i ? "," : "", l->k[i], esc);
		}
		mb_printf(b, "}");
	}
	mb_printf(b, " %s\n", value);
}

static void sample_u(struct mbuf *b, const char *name, const struct lbl *l, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	sample(b, name, l, num);
}

/* Nanoseconds as seconds, exact to the nanosecond. */
static void sample_ns(struct mbuf *b, const char *name, const struct lbl *l, uint64_t ns)
{
	char num[32];

	snprintf(num, sizeof(num), "%" PRIu64 ".%09" PRIu64, ns / 1000000000u, ns % 1000000000u);
	sample(b, name, l, num);
}

#define L1(k0, v0)                 (&(struct lbl){{k0}, {v0}, 1})
#define L2(k0, v0, k1, v1)         (&(struct lbl){{k0, k1}, {v0, v1}, 2})
#define L3(k0, v0, k1, v1, k2, v2) (&(struct lbl){{k0, k1, k2}, {v0, v1, v2}, 3})

struct ctx {
	struct mbuf *b;
	const char *name;
	const struct fvd_metrics *m;
	const struct fvd_metrics_self *self;
};

typedef void (*family_fn)(const struct ctx *c);

/* --- daemon */

static void f_up(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->self->up ? 1 : 0);
}

static void f_scrapes(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->self->scrapes);
}

static void f_control_errors(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->self->control_errors);
}

static void f_scrape_seconds(const struct ctx *c)
{
	char num[32];

	snprintf(num, sizeof(num), "%.6f", c->self->scrape_seconds);
	sample(c->b, c->name, NULL, num);
}

/* --- host */

static void f_uptime(const struct ctx *c)
{
	sample_ns(c->b, c->name, NULL, c->m->uptime_ns);
}

static void f_vms(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->nr_vms);
}

static void f_cpu_seconds(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_cpus; i++) {
		char cpu[12];

		snprintf(cpu, sizeof(cpu), "%u", c->m->cpu[i].cpu);
		sample_ns(c->b, c->name, L2("cpu", cpu, "mode", "idle"), c->m->cpu[i].idle_ns);
		sample_ns(c->b, c->name, L2("cpu", cpu, "mode", "busy"), c->m->cpu[i].busy_ns);
	}
}

/* One per-CPU value selected by offset into struct fvd_m_cpu. */
static void per_cpu(const struct ctx *c, size_t off, bool u32)
{
	for (uint32_t i = 0; i < c->m->nr_cpus; i++) {
		const char *base = (const char *)&c->m->cpu[i];
		char cpu[12];
		uint64_t v;

		if (u32) {
			uint32_t x;

			memcpy(&x, base + off, sizeof(x));
			v = x;
		} else {
			memcpy(&v, base + off, sizeof(v));
		}
		snprintf(cpu, sizeof(cpu), "%u", c->m->cpu[i].cpu);
		sample_u(c->b, c->name, L1("cpu", cpu), v);
	}
}

static void f_rq(const struct ctx *c)
{
	per_cpu(c, offsetof(struct fvd_m_cpu, rq_len), true);
}

static void f_cpu_exits(const struct ctx *c)
{
	per_cpu(c, offsetof(struct fvd_m_cpu, guest_exits), false);
}

static void f_switches(const struct ctx *c)
{
	per_cpu(c, offsetof(struct fvd_m_cpu, switches), false);
}

static void f_migrations(const struct ctx *c)
{
	per_cpu(c, offsetof(struct fvd_m_cpu, migrations_in), false);
}

static void f_host_irqs(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_cpus; i++) {
		char cpu[12];

		snprintf(cpu, sizeof(cpu), "%u", c->m->cpu[i].cpu);
		sample_u(c->b, c->name, L2("cpu", cpu, "type", "timer"), c->m->cpu[i].irqs_timer);
		sample_u(c->b, c->name, L2("cpu", cpu, "type", "ipi"), c->m->cpu[i].irqs_ipi);
	}
}

static void f_pages(const struct ctx *c)
{
	const uint64_t pg = 4096;

	sample_u(c->b, c->name, L1("state", "total"), c->m->pages_total * pg);
	sample_u(c->b, c->name, L1("state", "free"), c->m->pages_free * pg);
	sample_u(c->b, c->name, L1("state", "used"), c->m->pages_used * pg);
	sample_u(c->b, c->name, L1("state", "reserved"), c->m->pages_reserved * pg);
}

static void f_page_fail(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->page_alloc_failures);
}

static void f_heap(const struct ctx *c)
{
	sample_u(c->b, c->name, L1("state", "total"), c->m->heap_total);
	sample_u(c->b, c->name, L1("state", "used"), c->m->heap_used);
	sample_u(c->b, c->name, L1("state", "free"), c->m->heap_free);
	sample_u(c->b, c->name, L1("state", "peak"), c->m->heap_peak);
}

static void f_heap_fail(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->heap_alloc_failures);
}

static void f_ctl_frames(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->ctl_frames);
}

static void f_ctl_rejected(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->ctl_errors);
}

static void f_ctl_events_dropped(const struct ctx *c)
{
	sample_u(c->b, c->name, NULL, c->m->ctl_events_dropped);
}

/* --- VMs */

static void f_vm_state(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (unsigned s = 0; s < FVD_VM__COUNT; s++)
			sample_u(c->b, c->name,
			         L2("vm", v->name, "state", fvd_state_name((enum fvd_state)s)),
			         v->state == (enum fvd_state)s ? 1 : 0);
	}
}

/* One per-VM value selected by offset into struct fvd_m_vm; ns values become seconds. */
static void per_vm(const struct ctx *c, size_t off, bool ns)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];
		uint64_t x;

		memcpy(&x, (const char *)v + off, sizeof(x));
		if (ns)
			sample_ns(c->b, c->name, L1("vm", v->name), x);
		else
			sample_u(c->b, c->name, L1("vm", v->name), x);
	}
}

static void f_vm_cpu(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, run_ns), true);
}

static void f_vm_steal(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, steal_ns), true);
}

static void f_vm_irqs(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, irqs_injected), false);
}

static void f_vm_migrations(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, migrations), false);
}

static void f_vm_mem(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, mem_bytes), false);
}

static void f_vm_hyp_mem(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, hyp_mem_bytes), false);
}

static void f_vm_boots(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, boots), false);
}

static void f_vm_crashes(const struct ctx *c)
{
	per_vm(c, offsetof(struct fvd_m_vm, crashes), false);
}

static void f_vm_restarts(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		/* Every boot after the first: resets, and starts after a stop or crash. */
		sample_u(c->b, c->name, L1("vm", v->name), v->boots ? v->boots - 1 : 0);
	}
}

static void f_vm_vcpus(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++)
		sample_u(c->b, c->name, L1("vm", c->m->vm[i].name), c->m->vm[i].nr_vcpus);
}

static void f_vm_exits(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (unsigned k = 0; k < FVD_M_EXIT_CAUSES; k++)
			sample_u(c->b, c->name, L2("vm", v->name, "cause", exit_causes[k]),
			         v->exits[k]);
	}
}

static void f_sbi(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_calls; k++)
			sample_u(c->b, c->name, L2("vm", v->name, "extension", v->call[k].name),
			         v->call[k].calls);
	}
}

/* One per-vCPU value selected by offset into struct fvd_m_vcpu. */
static void per_vcpu(const struct ctx *c, size_t off, bool ns)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_vcpus; k++) {
			char idx[12];
			uint64_t x;

			memcpy(&x, (const char *)&v->vcpu[k] + off, sizeof(x));
			snprintf(idx, sizeof(idx), "%u", v->vcpu[k].index);
			if (ns)
				sample_ns(c->b, c->name, L2("vm", v->name, "vcpu", idx), x);
			else
				sample_u(c->b, c->name, L2("vm", v->name, "vcpu", idx), x);
		}
	}
}

static void f_vcpu_cpu(const struct ctx *c)
{
	per_vcpu(c, offsetof(struct fvd_m_vcpu, run_ns), true);
}

static void f_vcpu_steal(const struct ctx *c)
{
	per_vcpu(c, offsetof(struct fvd_m_vcpu, steal_ns), true);
}

static void f_vcpu_irqs(const struct ctx *c)
{
	per_vcpu(c, offsetof(struct fvd_m_vcpu, irqs_injected), false);
}

static void f_vcpu_exits(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_vcpus; k++) {
			char idx[12];
			uint64_t tot = 0;

			for (unsigned e = 0; e < FVD_M_EXIT_CAUSES; e++)
				tot += v->vcpu[k].exits[e];
			snprintf(idx, sizeof(idx), "%u", v->vcpu[k].index);
			sample_u(c->b, c->name, L2("vm", v->name, "vcpu", idx), tot);
		}
	}
}

/* Devices of one kind: counter @ci of each, labelled vm + disk or vm + nic/switch/port. */
static void per_dev(const struct ctx *c, enum fvd_m_dev_kind kind, unsigned ci)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_devs; k++) {
			const struct fvd_m_dev *d = &v->dev[k];

			if (d->kind != kind)
				continue;
			if (kind == FVD_M_DEV_BLK) {
				sample_u(c->b, c->name, L2("vm", v->name, "disk", d->name),
				         d->c[ci]);
				continue;
			}
			char port[12];
			const char *sw = d->sw >= 0 && (uint32_t)d->sw < c->m->nr_switches
			                     ? c->m->sw[d->sw].name
			                     : "";

			snprintf(port, sizeof(port), "%u", d->port);
			sample_u(c->b, c->name,
			         &(struct lbl){{"vm", "nic", "switch", "port"},
			                       {v->name, d->name, sw, port},
			                       4},
			         d->c[ci]);
		}
	}
}

static void f_blk_requests(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_BLK, 0);
}

static void f_blk_errors(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_BLK, 1);
}

static void f_blk_read(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_BLK, 2);
}

static void f_blk_write(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_BLK, 3);
}

static void f_net_rx_pk(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 0);
}

static void f_net_rx_bytes(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 1);
}

static void f_net_rx_drop(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 2);
}

static void f_net_tx_pk(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 3);
}

static void f_net_tx_bytes(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 4);
}

static void f_net_tx_drop(const struct ctx *c)
{
	per_dev(c, FVD_M_DEV_NET, 5);
}

/* --- switches and their ports */

static void per_switch(const struct ctx *c, size_t off)
{
	for (uint32_t i = 0; i < c->m->nr_switches; i++) {
		uint64_t x;

		memcpy(&x, (const char *)&c->m->sw[i] + off, sizeof(x));
		sample_u(c->b, c->name, L1("switch", c->m->sw[i].name), x);
	}
}

static void f_sw_drops(const struct ctx *c)
{
	per_switch(c, offsetof(struct fvd_m_switch, drops));
}

static void f_sw_floods(const struct ctx *c)
{
	per_switch(c, offsetof(struct fvd_m_switch, floods));
}

static void f_sw_learned(const struct ctx *c)
{
	per_switch(c, offsetof(struct fvd_m_switch, learned));
}

static void per_port(const struct ctx *c, size_t off)
{
	for (uint32_t i = 0; i < c->m->nr_ports; i++) {
		const struct fvd_m_port *p = &c->m->port[i];
		const char *sw = p->sw < c->m->nr_switches ? c->m->sw[p->sw].name : "";
		char port[12];
		uint64_t x;

		memcpy(&x, (const char *)p + off, sizeof(x));
		snprintf(port, sizeof(port), "%u", p->port);
		sample_u(c->b, c->name,
		         L3("switch", sw, "port", port, "vm", p->uplink ? "(uplink)" : p->vm), x);
	}
}

static void f_port_rx(const struct ctx *c)
{
	per_port(c, offsetof(struct fvd_m_port, rx_frames));
}

static void f_port_tx(const struct ctx *c)
{
	per_port(c, offsetof(struct fvd_m_port, tx_frames));
}

static void f_port_drops(const struct ctx *c)
{
	per_port(c, offsetof(struct fvd_m_port, drops));
}

static void f_port_inbox_drops(const struct ctx *c)
{
	per_port(c, offsetof(struct fvd_m_port, inbox_drops));
}

/* ------------------------------------------------------------------ the families */

static const struct family {
	const char *name;
	const char *type;
	const char *help;
	family_fn fn;
	bool self; /* the daemon's own: written even when the hypervisor did not answer */
} families[] = {
    {"ferrovisor_up", "gauge", "1 if the hypervisor answered this scrape over the control channel",
     f_up, true},
    {"ferrovisor_scrapes_total", "counter", "Metrics reads the daemon attempted", f_scrapes, true},
    {"ferrovisor_control_errors_total", "counter",
     "Metrics reads that failed on the control channel", f_control_errors, true},
    {"ferrovisor_scrape_duration_seconds", "gauge",
     "Time the last metrics read took over the control channel", f_scrape_seconds, true},
    {"ferrovisor_host_uptime_seconds", "gauge", "Time since the hypervisor booted", f_uptime,
     false},
    {"ferrovisor_host_vms", "gauge", "VMs defined on the host", f_vms, false},
    {"ferrovisor_host_cpu_seconds_total", "counter",
     "Physical CPU time, idle or busy (running vCPUs or the hypervisor)", f_cpu_seconds, false},
    {"ferrovisor_host_run_queue_length", "gauge", "vCPUs queued on a CPU plus the running one",
     f_rq, false},
    {"ferrovisor_host_vm_exits_total", "counter", "Guest exits handled on a CPU", f_cpu_exits,
     false},
    {"ferrovisor_host_context_switches_total", "counter", "vCPU switches on a CPU", f_switches,
     false},
    {"ferrovisor_host_migrations_total", "counter",
     "vCPUs a CPU pulled from another CPU's run queue", f_migrations, false},
    {"ferrovisor_host_interrupts_total", "counter", "Host interrupts taken, by type", f_host_irqs,
     false},
    {"ferrovisor_host_memory_bytes", "gauge", "Page allocator memory by state", f_pages, false},
    {"ferrovisor_host_page_alloc_failures_total", "counter", "Page allocations that failed",
     f_page_fail, false},
    {"ferrovisor_host_heap_bytes", "gauge", "Hypervisor heap by state (peak: highest used)", f_heap,
     false},
    {"ferrovisor_host_heap_alloc_failures_total", "counter", "Heap allocations that failed",
     f_heap_fail, false},
    {"ferrovisor_control_frames_total", "counter",
     "Frames the hypervisor received on the control channel", f_ctl_frames, false},
    {"ferrovisor_control_rejected_frames_total", "counter",
     "Control frames the hypervisor answered with an error", f_ctl_rejected, false},
    {"ferrovisor_control_events_dropped_total", "counter",
     "Control channel events lost because the daemon did not read", f_ctl_events_dropped, false},
    {"ferrovisor_vm_state", "gauge", "1 for the state the VM is in, 0 for the others", f_vm_state,
     false},
    {"ferrovisor_vm_vcpus", "gauge", "vCPUs of the VM", f_vm_vcpus, false},
    {"ferrovisor_vm_memory_bytes", "gauge", "Guest RAM assigned to the VM", f_vm_mem, false},
    {"ferrovisor_vm_hypervisor_memory_bytes", "gauge",
     "Hypervisor memory spent on the VM beyond its RAM", f_vm_hyp_mem, false},
    {"ferrovisor_vm_cpu_seconds_total", "counter", "Time the VM's vCPUs ran on physical CPUs",
     f_vm_cpu, false},
    {"ferrovisor_vm_steal_seconds_total", "counter",
     "Time the VM's vCPUs were runnable but waited for a CPU", f_vm_steal, false},
    {"ferrovisor_vm_exits_total", "counter", "Guest exits by cause", f_vm_exits, false},
    {"ferrovisor_sbi_calls_total", "counter",
     "SBI calls by extension (other: extension IDs nobody serves)", f_sbi, false},
    {"ferrovisor_vm_interrupts_injected_total", "counter", "Virtual interrupts raised", f_vm_irqs,
     false},
    {"ferrovisor_vm_migrations_total", "counter", "vCPU moves between physical CPUs",
     f_vm_migrations, false},
    {"ferrovisor_vm_boots_total", "counter", "Starts of the VM, the first included", f_vm_boots,
     false},
    {"ferrovisor_vm_restarts_total", "counter", "Starts after the first (resets, restarts)",
     f_vm_restarts, false},
    {"ferrovisor_vm_crashes_total", "counter", "Stops after a fatal guest error", f_vm_crashes,
     false},
    {"ferrovisor_vcpu_cpu_seconds_total", "counter", "Time the vCPU ran", f_vcpu_cpu, false},
    {"ferrovisor_vcpu_steal_seconds_total", "counter",
     "Time the vCPU was runnable but waited for a CPU", f_vcpu_steal, false},
    {"ferrovisor_vcpu_exits_total", "counter", "Guest exits of the vCPU", f_vcpu_exits, false},
    {"ferrovisor_vcpu_interrupts_injected_total", "counter", "Virtual interrupts raised",
     f_vcpu_irqs, false},
    {"ferrovisor_vm_blk_requests_total", "counter", "virtio-blk requests", f_blk_requests, false},
    {"ferrovisor_vm_blk_errors_total", "counter", "virtio-blk requests completed with an error",
     f_blk_errors, false},
    {"ferrovisor_vm_blk_read_bytes_total", "counter", "Bytes read by virtio-blk requests",
     f_blk_read, false},
    {"ferrovisor_vm_blk_write_bytes_total", "counter", "Bytes written by virtio-blk requests",
     f_blk_write, false},
    {"ferrovisor_vm_net_rx_packets_total", "counter", "Frames delivered to the VM's NIC",
     f_net_rx_pk, false},
    {"ferrovisor_vm_net_rx_bytes_total", "counter", "Bytes delivered to the VM's NIC",
     f_net_rx_bytes, false},
    {"ferrovisor_vm_net_rx_dropped_total", "counter", "Frames for the NIC dropped (no buffer)",
     f_net_rx_drop, false},
    {"ferrovisor_vm_net_tx_packets_total", "counter", "Frames the VM's NIC sent", f_net_tx_pk,
     false},
    {"ferrovisor_vm_net_tx_bytes_total", "counter", "Bytes the VM's NIC sent", f_net_tx_bytes,
     false},
    {"ferrovisor_vm_net_tx_dropped_total", "counter", "Frames from the NIC dropped", f_net_tx_drop,
     false},
    {"ferrovisor_net_switch_dropped_total", "counter",
     "Frames a virtual switch refused (invalid ports included)", f_sw_drops, false},
    {"ferrovisor_net_switch_flooded_total", "counter",
     "Frames a virtual switch flooded to every port", f_sw_floods, false},
    {"ferrovisor_net_switch_learned_total", "counter", "MAC addresses a switch learnt",
     f_sw_learned, false},
    {"ferrovisor_net_port_rx_packets_total", "counter",
     "Frames from a switch port the switch accepted", f_port_rx, false},
    {"ferrovisor_net_port_tx_packets_total", "counter", "Frames the switch sent to a port",
     f_port_tx, false},
    {"ferrovisor_net_port_dropped_total", "counter", "Frames from a port the switch refused",
     f_port_drops, false},
    {"ferrovisor_net_port_inbox_dropped_total", "counter",
     "Frames for a port lost because its inbox was full", f_port_inbox_drops, false},
};

char *fvd_metrics_prom(const struct fvd_metrics *m, const struct fvd_metrics_self *self)
{
	struct mbuf b = {.p = malloc(16384), .cap = 16384};

	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct family *f = &families[i];
		struct ctx c = {&b, f->name, m, self};

		if (!f->self && !self->up)
			continue;
		mb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		f->fn(&c);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

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
