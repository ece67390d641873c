/* SPDX-License-Identifier: MIT */
/*
 * The simulated host: an in-memory model of a Ferrovisor host (a service VM and two
 * guests at start) with the hypervisor's rules for VM states, memory and the VM limit.
 * It backs the host unit and integration tests and `ferrovisord --backend sim` in a
 * service VM whose control device is not there yet.
 */
#ifndef FVD_SIM_H
#define FVD_SIM_H

#include <pthread.h>

#include "fvd_backend.h"
#include "fvd_trace.h"

#define FVD_SIM_VM_LIMIT    8
#define FVD_SIM_MEMORY      (2048ull << 20)
#define FVD_SIM_PACKAGE_MAX (256ull << 20)
#define FVD_SIM_TRACE_RECS  256u /* the simulated tracer's ring (one, CPU 0) */

struct fvd_sim_vm {
	struct fvd_vm_info info;
	bool used;
	/* Upload in progress: the announced CRC-32C (if any) and the running one. */
	bool has_crc;
	uint32_t crc_expect;
	uint32_t crc_run;
	/* Simulated counters (sim_metrics): they advance while the VM runs. */
	struct {
		uint64_t run_ns, steal_ns, boots, exits[7], sbi[3];
		uint64_t blk_req, blk_read, blk_write, net_rx, net_rx_bytes, net_tx, net_tx_bytes;
	} ctr;
	/* The simulated guest: a heartbeat counter and the line being typed on its console. */
	uint32_t beats;
	size_t line_len;
	char line[128];
};

struct fvd_sim {
	struct fvd_sim_vm vms[FVD_SIM_VM_LIMIT];
	uint32_t next_id;
	uint64_t start_ms;
	uint64_t metrics_ms; /* when the simulated counters were last advanced */
	uint64_t busy_ns;    /* simulated CPU busy time: the VMs' run time, never decreasing */
	/* Live state: the lock serialises operations and the heartbeat thread; hub is set by
	 * events_start (NULL: nothing is logged). */
	pthread_mutex_t lock;
	struct fvd_hub *hub;
	bool ticking;
	pthread_t ticker;
	/* Simulated tracer: the "vm" class records each action as the hypervisor would (a
	 * request, then the state changes), on CPU 0; full ring: the new record is dropped. */
	struct {
		uint32_t mask;
		uint64_t head, tail, dropped;
		struct fvd_trace_rec recs[FVD_SIM_TRACE_RECS];
	} trace;
};

/* Resets *sim to the initial host (not while its heartbeat thread runs): "service" (running, role
 * service), "alpha" (running) and "beta" (stopped). start_ms is the clock reading uptime is
 * measured from. */
void fvd_sim_init(struct fvd_sim *sim, uint64_t start_ms);

/* The operations table; pass a struct fvd_sim as the backend context. */
extern const struct fvd_backend_ops fvd_sim_ops;

/*
 * The simulated guests' consoles (after events_start): every running guest prints
 * "heartbeat N" each FVD_SIM_TICK_MS and "sim NAME: boot" when started or reset; input is
 * echoed as a terminal would, and a complete line is a command: "echo TEXT" prints TEXT,
 * "halt" stops the VM from inside (state event with cause "guest", critical), "crash"
 * crashes it (vm-crash event). State changes by the API are logged with cause
 * "operator:ACTION".
 */
#define FVD_SIM_TICK_MS 1000

/* Milliseconds of CLOCK_MONOTONIC (host uptime of the simulation). */
uint64_t fvd_sim_now_ms(void);

/* Snapshots of simulated VMs (fvd_sim_snap.c; contracts in fvd_backend.h). */
int fvd_sim_snap_begin(void *be, const char *name, uint32_t *id, uint64_t *size);
int fvd_sim_snap_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
int fvd_sim_snap_end(void *be, uint32_t id, bool resume);
int fvd_sim_restore_begin(void *be, const char *name, uint64_t size, uint32_t *id);
int fvd_sim_restore_data(void *be, uint32_t id, uint64_t off, const void *data, size_t len);
int fvd_sim_restore_end(void *be, uint32_t id, bool commit, bool resume, struct fvd_vm_info *out);
/* Live migration of simulated VMs (fvd_sim_snap.c): the final round sends the VM's snapshot
 * stream, the earlier ones nothing. */
int fvd_sim_mig_begin(void *be, const char *name, uint32_t *id, uint64_t *bytes);
int fvd_sim_mig_round(void *be, uint32_t id, bool final, struct fvd_mig_round *out);
int fvd_sim_mig_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
int fvd_sim_mig_end(void *be, uint32_t id, bool resume);

#endif /* FVD_SIM_H */
