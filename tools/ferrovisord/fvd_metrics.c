// SPDX-License-Identifier: MIT
/*
 * Prometheus text exposition (format 0.0.4) of ferrovisord (see fvd_metrics.h; the JSON
 * stats and the backend read are in fvd_stats.c). Pure: no HTTP, no backend; unit-tested on
 * the host (tests/unit/test_fvd_metrics).
 *
 * The exposition is written family by family from one table: each family has its name,
 * type and help text and a function that emits its samples, so every family appears
 * exactly once, with HELP and TYPE, and its samples together, as the format requires.
 */
#include "fvd_metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/*
 * The hypervisor's exit buckets are arch-neutral (hypercall, MMIO, WFI, interrupt, trapped
 * instruction, guest fault, other); their `cause` labels are each architecture's own words,
 * so riscv64's series stay what dashboards know ("sbi", "virtual_instruction") and arm64's
 * say what they count (HVC/SMC calls, trapped system-register accesses). The hypercall
 * interface likewise: SBI extensions on riscv64, SMCCC services (PSCI) on arm64. An unknown
 * or empty architecture (the sim, older hypervisors) is riscv64.
 */
struct arch_words {
	const char *arch;
	const char *interface; /* ferrovisor_vm_hypercalls_total's interface label */
	const char *cause[FVD_M_EXIT_CAUSES];
};

static const struct arch_words arch_words[] = {
    {"riscv64",
     "sbi",
     {"sbi", "mmio", "wfi", "irq", "virtual_instruction", "guest_fault", "other"}},
    {"arm64", "smccc", {"hvc", "mmio", "wfi", "irq", "sysreg", "guest_fault", "other"}},
};

static const struct arch_words *words_of(const char *arch)
{
	for (size_t i = 0; i < sizeof(arch_words) / sizeof(arch_words[0]); i++)
		if (arch && strcmp(arch, arch_words[i].arch) == 0)
			return &arch_words[i];
	return &arch_words[0];
}

const char *fvd_metrics_exit_cause_of(const char *arch, unsigned i)
{
	return i < FVD_M_EXIT_CAUSES ? words_of(arch)->cause[i] : "unknown";
}

const char *fvd_metrics_exit_cause(unsigned i)
{
	return fvd_metrics_exit_cause_of("riscv64", i);
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

/*
 * Where a family's values come from. Most families are one field per CPU, VM, vCPU, device,
 * switch or port, found by its offset in the snapshot struct (generic emitters below); the
 * others have a function of their own.
 */
enum scope {
	SC_FN,   /* fn writes the samples */
	SC_HOST, /* one value: struct fvd_metrics field at off */
	SC_CPU,  /* per CPU: struct fvd_m_cpu field at off, label cpu */
	SC_VM,   /* per VM: struct fvd_m_vm field at off, label vm */
	SC_VCPU, /* per vCPU: struct fvd_m_vcpu field at off, labels vm, vcpu */
	SC_BLK,  /* per block device: counter off, labels vm, disk */
	SC_NET,  /* per NIC: counter off, labels vm, nic, switch, port */
	SC_SW,   /* per switch: struct fvd_m_switch field at off, label switch */
	SC_PORT, /* per switch port: struct fvd_m_port field at off, labels switch, port, vm */
};

#define F_NS      0x1u /* nanoseconds, written as seconds */
#define F_U32     0x2u /* the field is a uint32_t (else uint64_t) */
#define F_RISCV64 0x4u /* a RISC-V family: written only when the hypervisor is riscv64 */

struct family;

struct ctx {
	struct mbuf *b;
	const struct family *f;
	const struct fvd_metrics *m;
	const struct fvd_metrics_self *self;
};

struct family {
	const char *name;
	const char *type;
	const char *help;
	enum scope scope;
	size_t off;
	unsigned flags; /* F_* */
	void (*fn)(const struct ctx *c);
	bool self; /* the daemon's own: written even when the hypervisor did not answer */
};

/* The field of the current family in a struct at base. */
static void value(const struct ctx *c, const struct lbl *l, const void *base)
{
	uint64_t v = 0;

	if (c->f->flags & F_U32) {
		uint32_t x;

		memcpy(&x, (const char *)base + c->f->off, sizeof(x));
		v = x;
	} else {
		memcpy(&v, (const char *)base + c->f->off, sizeof(v));
	}
	if (c->f->flags & F_NS)
		sample_ns(c->b, c->f->name, l, v);
	else
		sample_u(c->b, c->f->name, l, v);
}

static const char *switch_name(const struct fvd_metrics *m, int64_t sw)
{
	return sw >= 0 && sw < (int64_t)m->nr_switches ? m->sw[sw].name : "";
}

/* Samples of a family of any scope but SC_FN. */
static void emit(const struct ctx *c)
{
	const struct fvd_metrics *m = c->m;
	char num[12], port[12];

	switch (c->f->scope) {
	case SC_FN:
		c->f->fn(c);
		break;
	case SC_HOST:
		value(c, NULL, m);
		break;
	case SC_CPU:
		for (uint32_t i = 0; i < m->nr_cpus; i++) {
			snprintf(num, sizeof(num), "%u", m->cpu[i].cpu);
			value(c, L1("cpu", num), &m->cpu[i]);
		}
		break;
	case SC_VM:
		for (uint32_t i = 0; i < m->nr_vms; i++)
			value(c, L1("vm", m->vm[i].name), &m->vm[i]);
		break;
	case SC_VCPU:
		for (uint32_t i = 0; i < m->nr_vms; i++) {
			for (uint32_t k = 0; k < m->vm[i].nr_vcpus; k++) {
				snprintf(num, sizeof(num), "%u", m->vm[i].vcpu[k].index);
				value(c, L2("vm", m->vm[i].name, "vcpu", num), &m->vm[i].vcpu[k]);
			}
		}
		break;
	case SC_BLK:
	case SC_NET:
		for (uint32_t i = 0; i < m->nr_vms; i++) {
			const struct fvd_m_vm *v = &m->vm[i];

			for (uint32_t k = 0; k < v->nr_devs; k++) {
				const struct fvd_m_dev *d = &v->dev[k];
				uint64_t x = d->c[c->f->off];

				if (c->f->scope == SC_BLK && d->kind == FVD_M_DEV_BLK) {
					sample_u(c->b, c->f->name,
					         L2("vm", v->name, "disk", d->name), x);
				} else if (c->f->scope == SC_NET && d->kind == FVD_M_DEV_NET) {
					snprintf(port, sizeof(port), "%u", d->port);
					sample_u(c->b, c->f->name,
					         &(struct lbl){{"vm", "nic", "switch", "port"},
					                       {v->name, d->name,
					                        switch_name(m, d->sw), port},
					                       4},
					         x);
				}
			}
		}
		break;
	case SC_SW:
		for (uint32_t i = 0; i < m->nr_switches; i++)
			value(c, L1("switch", m->sw[i].name), &m->sw[i]);
		break;
	case SC_PORT:
		for (uint32_t i = 0; i < m->nr_ports; i++) {
			const struct fvd_m_port *p = &m->port[i];

			snprintf(port, sizeof(port), "%u", p->port);
			value(c,
			      L3("switch", switch_name(m, p->sw), "port", port, "vm",
			         p->uplink ? "(uplink)" : p->vm),
			      p);
		}
		break;
	}
}

/* --- families with a function of their own */

static void f_up(const struct ctx *c)
{
	sample_u(c->b, c->f->name, NULL, c->self->up ? 1 : 0);
}

static void f_scrapes(const struct ctx *c)
{
	sample_u(c->b, c->f->name, NULL, c->self->scrapes);
}

static void f_control_errors(const struct ctx *c)
{
	sample_u(c->b, c->f->name, NULL, c->self->control_errors);
}

static void f_scrape_seconds(const struct ctx *c)
{
	char num[32];

	snprintf(num, sizeof(num), "%.6f", c->self->scrape_seconds);
	sample(c->b, c->f->name, NULL, num);
}

static void f_cpu_seconds(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_cpus; i++) {
		char cpu[12];

		snprintf(cpu, sizeof(cpu), "%u", c->m->cpu[i].cpu);
		sample_ns(c->b, c->f->name, L2("cpu", cpu, "mode", "idle"), c->m->cpu[i].idle_ns);
		sample_ns(c->b, c->f->name, L2("cpu", cpu, "mode", "busy"), c->m->cpu[i].busy_ns);
	}
}

static void f_host_irqs(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_cpus; i++) {
		char cpu[12];

		snprintf(cpu, sizeof(cpu), "%u", c->m->cpu[i].cpu);
		sample_u(c->b, c->f->name, L2("cpu", cpu, "type", "timer"),
		         c->m->cpu[i].irqs_timer);
		sample_u(c->b, c->f->name, L2("cpu", cpu, "type", "ipi"), c->m->cpu[i].irqs_ipi);
	}
}

static void f_pages(const struct ctx *c)
{
	const uint64_t pg = 4096;

	sample_u(c->b, c->f->name, L1("state", "total"), c->m->pages_total * pg);
	sample_u(c->b, c->f->name, L1("state", "free"), c->m->pages_free * pg);
	sample_u(c->b, c->f->name, L1("state", "used"), c->m->pages_used * pg);
	sample_u(c->b, c->f->name, L1("state", "reserved"), c->m->pages_reserved * pg);
}

static void f_heap(const struct ctx *c)
{
	sample_u(c->b, c->f->name, L1("state", "total"), c->m->heap_total);
	sample_u(c->b, c->f->name, L1("state", "used"), c->m->heap_used);
	sample_u(c->b, c->f->name, L1("state", "free"), c->m->heap_free);
	sample_u(c->b, c->f->name, L1("state", "peak"), c->m->heap_peak);
}

static void f_vm_state(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (unsigned s = 0; s < FVD_VM__COUNT; s++)
			sample_u(c->b, c->f->name,
			         L2("vm", v->name, "state", fvd_state_name((enum fvd_state)s)),
			         v->state == (enum fvd_state)s ? 1 : 0);
	}
}

static void f_vm_restarts(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		/* Every boot after the first: resets, and starts after a stop or crash. */
		sample_u(c->b, c->f->name, L1("vm", v->name), v->boots ? v->boots - 1 : 0);
	}
}

static void f_vm_exits(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (unsigned k = 0; k < FVD_M_EXIT_CAUSES; k++)
			sample_u(
			    c->b, c->f->name,
			    L2("vm", v->name, "cause", fvd_metrics_exit_cause_of(c->m->arch, k)),
			    v->exits[k]);
	}
}

static void f_sbi(const struct ctx *c)
{
	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_calls; k++)
			sample_u(c->b, c->f->name, L2("vm", v->name, "extension", v->call[k].name),
			         v->call[k].calls);
	}
}

/* Every architecture's hypercalls under one family: interface "sbi" (service = the SBI
 * extension, as ferrovisor_sbi_calls_total) or "smccc" (service = "psci", "other"). */
static void f_hypercalls(const struct ctx *c)
{
	const char *iface = words_of(c->m->arch)->interface;

	for (uint32_t i = 0; i < c->m->nr_vms; i++) {
		const struct fvd_m_vm *v = &c->m->vm[i];

		for (uint32_t k = 0; k < v->nr_calls; k++)
			sample_u(c->b, c->f->name,
			         L3("vm", v->name, "interface", iface, "service", v->call[k].name),
			         v->call[k].calls);
	}
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
			sample_u(c->b, c->f->name, L2("vm", v->name, "vcpu", idx), tot);
		}
	}
}

/* ------------------------------------------------------------------ the families */

#define FN(n, t, h, f)                                                                             \
	{                                                                                          \
		n, t, h, SC_FN, 0, 0, f, false                                                     \
	}
#define SELF(n, t, h, f)                                                                           \
	{                                                                                          \
		n, t, h, SC_FN, 0, 0, f, true                                                      \
	}
#define AT(n, t, h, sc, st, field, fl)                                                             \
	{                                                                                          \
		n, t, h, sc, offsetof(struct st, field), fl, NULL, false                           \
	}
#define DEV(n, h, sc, i)                                                                           \
	{                                                                                          \
		n, "counter", h, sc, i, 0, NULL, false                                             \
	}
#define C "counter"
#define G "gauge"

static const struct family families[] = {
    SELF("ferrovisor_up", G, "1 if the hypervisor answered this scrape over the control channel",
         f_up),
    SELF("ferrovisor_scrapes_total", C, "Metrics reads the daemon attempted", f_scrapes),
    SELF("ferrovisor_control_errors_total", C, "Metrics reads that failed on the control channel",
         f_control_errors),
    SELF("ferrovisor_scrape_duration_seconds", G,
         "Time the last metrics read took over the control channel", f_scrape_seconds),
    AT("ferrovisor_host_uptime_seconds", G, "Time since the hypervisor booted", SC_HOST,
       fvd_metrics, uptime_ns, F_NS),
    AT("ferrovisor_host_vms", G, "VMs defined on the host", SC_HOST, fvd_metrics, nr_vms, F_U32),
    FN("ferrovisor_host_cpu_seconds_total", C,
       "Physical CPU time, idle or busy (running vCPUs or the hypervisor)", f_cpu_seconds),
    AT("ferrovisor_host_run_queue_length", G, "vCPUs queued on a CPU plus the running one", SC_CPU,
       fvd_m_cpu, rq_len, F_U32),
    AT("ferrovisor_host_vm_exits_total", C, "Guest exits handled on a CPU", SC_CPU, fvd_m_cpu,
       guest_exits, 0),
    AT("ferrovisor_host_context_switches_total", C, "vCPU switches on a CPU", SC_CPU, fvd_m_cpu,
       switches, 0),
    AT("ferrovisor_host_migrations_total", C, "vCPUs a CPU pulled from another CPU's run queue",
       SC_CPU, fvd_m_cpu, migrations_in, 0),
    FN("ferrovisor_host_interrupts_total", C, "Host interrupts taken, by type", f_host_irqs),
    FN("ferrovisor_host_memory_bytes", G, "Page allocator memory by state", f_pages),
    AT("ferrovisor_host_page_alloc_failures_total", C, "Page allocations that failed", SC_HOST,
       fvd_metrics, page_alloc_failures, 0),
    FN("ferrovisor_host_heap_bytes", G, "Hypervisor heap by state (peak: highest used)", f_heap),
    AT("ferrovisor_host_heap_alloc_failures_total", C, "Heap allocations that failed", SC_HOST,
       fvd_metrics, heap_alloc_failures, 0),
    AT("ferrovisor_control_frames_total", C,
       "Frames the hypervisor received on the control channel", SC_HOST, fvd_metrics, ctl_frames,
       0),
    AT("ferrovisor_control_rejected_frames_total", C,
       "Control frames the hypervisor answered with an error", SC_HOST, fvd_metrics, ctl_errors, 0),
    AT("ferrovisor_control_events_dropped_total", C,
       "Control channel events lost because the daemon did not read", SC_HOST, fvd_metrics,
       ctl_events_dropped, 0),
    FN("ferrovisor_vm_state", G, "1 for the state the VM is in, 0 for the others", f_vm_state),
    AT("ferrovisor_vm_vcpus", G, "vCPUs of the VM", SC_VM, fvd_m_vm, nr_vcpus, F_U32),
    AT("ferrovisor_vm_memory_bytes", G, "Guest RAM assigned to the VM", SC_VM, fvd_m_vm, mem_bytes,
       0),
    AT("ferrovisor_vm_hypervisor_memory_bytes", G,
       "Hypervisor memory spent on the VM beyond its RAM", SC_VM, fvd_m_vm, hyp_mem_bytes, 0),
    AT("ferrovisor_vm_cpu_seconds_total", C, "Time the VM's vCPUs ran on physical CPUs", SC_VM,
       fvd_m_vm, run_ns, F_NS),
    AT("ferrovisor_vm_steal_seconds_total", C,
       "Time the VM's vCPUs were runnable but waited for a CPU", SC_VM, fvd_m_vm, steal_ns, F_NS),
    FN("ferrovisor_vm_exits_total", C, "Guest exits by cause", f_vm_exits),
    {"ferrovisor_sbi_calls_total", C, "SBI calls by extension (other: extension IDs nobody serves)",
     SC_FN, 0, F_RISCV64, f_sbi, false},
    FN("ferrovisor_vm_hypercalls_total", C,
       "Guest hypercalls by interface (sbi, smccc) and service (SBI extension, PSCI; other: "
       "nobody serves it)",
       f_hypercalls),
    AT("ferrovisor_vm_interrupts_injected_total", C, "Virtual interrupts raised", SC_VM, fvd_m_vm,
       irqs_injected, 0),
    AT("ferrovisor_vm_migrations_total", C, "vCPU moves between physical CPUs", SC_VM, fvd_m_vm,
       migrations, 0),
    AT("ferrovisor_vm_boots_total", C, "Starts of the VM, the first included", SC_VM, fvd_m_vm,
       boots, 0),
    FN("ferrovisor_vm_restarts_total", C, "Starts after the first (resets, restarts)",
       f_vm_restarts),
    AT("ferrovisor_vm_crashes_total", C, "Stops after a fatal guest error", SC_VM, fvd_m_vm,
       crashes, 0),
    AT("ferrovisor_vcpu_cpu_seconds_total", C, "Time the vCPU ran", SC_VCPU, fvd_m_vcpu, run_ns,
       F_NS),
    AT("ferrovisor_vcpu_steal_seconds_total", C, "Time the vCPU was runnable but waited for a CPU",
       SC_VCPU, fvd_m_vcpu, steal_ns, F_NS),
    FN("ferrovisor_vcpu_exits_total", C, "Guest exits of the vCPU", f_vcpu_exits),
    AT("ferrovisor_vcpu_interrupts_injected_total", C, "Virtual interrupts raised", SC_VCPU,
       fvd_m_vcpu, irqs_injected, 0),
    DEV("ferrovisor_vm_blk_requests_total", "virtio-blk requests", SC_BLK, 0),
    DEV("ferrovisor_vm_blk_errors_total", "virtio-blk requests completed with an error", SC_BLK, 1),
    DEV("ferrovisor_vm_blk_read_bytes_total", "Bytes read by virtio-blk requests", SC_BLK, 2),
    DEV("ferrovisor_vm_blk_write_bytes_total", "Bytes written by virtio-blk requests", SC_BLK, 3),
    DEV("ferrovisor_vm_net_rx_packets_total", "Frames delivered to the VM's NIC", SC_NET, 0),
    DEV("ferrovisor_vm_net_rx_bytes_total", "Bytes delivered to the VM's NIC", SC_NET, 1),
    DEV("ferrovisor_vm_net_rx_dropped_total", "Frames for the NIC dropped (no buffer)", SC_NET, 2),
    DEV("ferrovisor_vm_net_tx_packets_total", "Frames the VM's NIC sent", SC_NET, 3),
    DEV("ferrovisor_vm_net_tx_bytes_total", "Bytes the VM's NIC sent", SC_NET, 4),
    DEV("ferrovisor_vm_net_tx_dropped_total", "Frames from the NIC dropped", SC_NET, 5),
    AT("ferrovisor_net_switch_dropped_total", C,
       "Frames a virtual switch refused (invalid ports included)", SC_SW, fvd_m_switch, drops, 0),
    AT("ferrovisor_net_switch_flooded_total", C, "Frames a virtual switch flooded to every port",
       SC_SW, fvd_m_switch, floods, 0),
    AT("ferrovisor_net_switch_learned_total", C, "MAC addresses a switch learnt", SC_SW,
       fvd_m_switch, learned, 0),
    AT("ferrovisor_net_port_rx_packets_total", C, "Frames from a switch port the switch accepted",
       SC_PORT, fvd_m_port, rx_frames, 0),
    AT("ferrovisor_net_port_tx_packets_total", C, "Frames the switch sent to a port", SC_PORT,
       fvd_m_port, tx_frames, 0),
    AT("ferrovisor_net_port_dropped_total", C, "Frames from a port the switch refused", SC_PORT,
       fvd_m_port, drops, 0),
    AT("ferrovisor_net_port_inbox_dropped_total", C,
       "Frames for a port lost because its inbox was full", SC_PORT, fvd_m_port, inbox_drops, 0),
};

char *fvd_metrics_prom(const struct fvd_metrics *m, const struct fvd_metrics_self *self)
{
	struct mbuf b = {.p = malloc(16384), .cap = 16384};

	if (!b.p)
		return NULL;
	b.p[0] = '\0';
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		const struct family *f = &families[i];
		struct ctx c = {&b, f, m, self};

		if (!f->self && !self->up)
			continue;
		if ((f->flags & F_RISCV64) && words_of(m->arch) != &arch_words[0])
			continue;
		mb_printf(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, f->type);
		emit(&c);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
