/* SPDX-License-Identifier: MIT */
/*
 * Metrics of ferrovisord (issue 12): a plain snapshot of the hypervisor's counters that a
 * backend fills (fvd_hvc.c from HOST_METRICS / VM_METRICS / NET_METRICS of the control
 * protocol, fvd_sim.c with simulated counters), and its two renderings:
 *  - GET /metrics: the Prometheus text exposition format 0.0.4 (fvd_metrics_prom);
 *  - GET /api/v1/stats: JSON counters for the dashboard's charts (fvd_metrics_json, fvd_stats.c).
 * Counters (names ending in _total) count since the hypervisor booted, or since the VM was
 * created, and never decrease; the rest are gauges. The types are plain data: the backends
 * need only this header, not fvd_metrics.c.
 */
#ifndef FVD_METRICS_H
#define FVD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fvd_backend.h"

#define FVD_M_CPUS        16
#define FVD_M_VMS         16
#define FVD_M_VCPUS       8
#define FVD_M_CALLS       32
#define FVD_M_DEVS        8
#define FVD_M_SWITCHES    4
#define FVD_M_PORTS       64
#define FVD_M_EXIT_CAUSES 7 /* sbi, mmio, wfi, irq, virtual-instruction, guest-fault, other */
#define FVD_M_LABEL_MAX   32

enum fvd_m_dev_kind {
	FVD_M_DEV_BLK = 1,
	FVD_M_DEV_NET = 2,
	FVD_M_DEV_CONSOLE = 3,
	FVD_M_DEV_CONTROL = 4,
};

struct fvd_m_cpu {
	uint32_t cpu;
	uint32_t rq_len; /* vCPUs queued plus the running one */
	uint64_t idle_ns, busy_ns;
	uint64_t guest_exits, switches, irqs_timer, irqs_ipi, migrations_in;
};

struct fvd_m_vcpu {
	uint32_t index;
	uint64_t run_ns, steal_ns, irqs_injected, migrations;
	uint64_t exits[FVD_M_EXIT_CAUSES];
};

struct fvd_m_call {
	char name[FVD_M_LABEL_MAX];
	uint64_t calls;
};

struct fvd_m_dev {
	enum fvd_m_dev_kind kind;
	char name[FVD_M_LABEL_MAX];
	int sw; /* net: switch index into fvd_metrics.sw, -1 none */
	uint32_t port;
	/* blk: requests, errors, bytes read, bytes written;
	 * net: rx packets, rx bytes, rx drops, tx packets, tx bytes, tx drops;
	 * console/control: bytes out, bytes in, errors, dropped */
	uint64_t c[8];
};

struct fvd_m_vm {
	char name[FVD_NAME_MAX + 1];
	uint32_t id;
	enum fvd_state state;
	bool service;
	uint64_t mem_bytes, hyp_mem_bytes;
	uint64_t boots, crashes;
	uint64_t run_ns, steal_ns, irqs_injected, migrations;
	uint64_t exits[FVD_M_EXIT_CAUSES];
	uint32_t nr_vcpus, nr_calls, nr_devs;
	struct fvd_m_vcpu vcpu[FVD_M_VCPUS];
	struct fvd_m_call call[FVD_M_CALLS];
	struct fvd_m_dev dev[FVD_M_DEVS];
};

struct fvd_m_switch {
	char name[FVD_M_LABEL_MAX];
	bool uplink;
	uint64_t drops, floods, learned;
};

struct fvd_m_port {
	uint32_t sw; /* index into fvd_metrics.sw */
	uint32_t port;
	bool uplink, enabled;
	char vm[FVD_NAME_MAX + 1]; /* the VM whose NIC is on the port; "" for the uplink */
	uint64_t rx_frames, tx_frames, drops, inbox_drops;
};

struct fvd_metrics {
	char arch[FVD_ARCH_MAX + 1]; /* the hypervisor's ("" = riscv64): names exit causes */
	uint64_t uptime_ns;
	uint32_t nr_cpus, nr_vms, nr_switches, nr_ports;
	uint64_t pages_total, pages_free, pages_used, pages_reserved, page_alloc_failures;
	uint64_t heap_total, heap_used, heap_free, heap_peak, heap_alloc_failures;
	uint64_t ctl_frames, ctl_errors, ctl_events_dropped;
	struct fvd_m_cpu cpu[FVD_M_CPUS];
	struct fvd_m_vm vm[FVD_M_VMS];
	struct fvd_m_switch sw[FVD_M_SWITCHES];
	struct fvd_m_port port[FVD_M_PORTS];
};

/* What the daemon itself counts about reading the hypervisor. */
struct fvd_metrics_self {
	bool up;                 /* the last read of the metrics succeeded */
	uint64_t scrapes;        /* reads attempted */
	uint64_t control_errors; /* reads that failed on the control channel */
	double scrape_seconds;   /* duration of the last read */
};

/*
 * Renders @m (ignored when !self->up: only the daemon's own families are written) in the
 * Prometheus text format 0.0.4, every family once with HELP and TYPE. Returns a
 * NUL-terminated malloc'ed string, or NULL when out of memory.
 */
char *fvd_metrics_prom(const struct fvd_metrics *m, const struct fvd_metrics_self *self);

/*
 * The JSON of GET /api/v1/stats: {"host":{...},"vms":{NAME:{"cpu_seconds", "blk_read_bytes",
 * "blk_write_bytes", "net_rx_bytes", "net_tx_bytes", ...}}} (docs/api/openapi.yaml, Stats).
 * A new cJSON tree, or NULL when out of memory.
 */
struct cJSON *fvd_metrics_json(const struct fvd_metrics *m);

/*
 * One read of the backend's counters into @m, timed and counted in @self (up, scrapes,
 * control_errors, scrape_seconds). Returns 0 or the backend's fvd_err (FVD_E_NOTSUP when it
 * has no metrics). Callers serialise (fvd_http.c: one scrape at a time).
 */
int fvd_metrics_read(const struct fvd_backend *be, struct fvd_metrics *m,
                     struct fvd_metrics_self *self);

/* Escapes a label value (backslash, double quote, newline) into @out (room @cap, NUL
 * terminated, cut at a character boundary). Returns the length written. */
size_t fvd_metrics_escape(const char *in, char *out, size_t cap);

/* Prometheus' name of an exit cause index on riscv64 ("sbi", ...), "unknown" past the end. */
const char *fvd_metrics_exit_cause(unsigned i);
/* The same on architecture @arch ("riscv64", "arm64": "hvc", ...; unknown or NULL: riscv64). */
const char *fvd_metrics_exit_cause_of(const char *arch, unsigned i);

#endif /* FVD_METRICS_H */
