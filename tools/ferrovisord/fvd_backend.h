/* SPDX-License-Identifier: MIT */
/*
 * ferrovisord's view of the hypervisor: a table of operations behind which sits either
 * the simulated host (fvd_sim.c, host tests and `--backend sim`) or, once the control
 * protocol exists, the control channel of the service VM (/dev/hvcN).
 *
 * Every operation returns 0 or a negative enum fvd_err; the REST layer maps the code to
 * an HTTP status and a problem type in one table (fvd_route.c). Operations are called
 * from several threads (libmicrohttpd runs a thread per connection, and a backend may
 * run its own event thread): each backend serialises its operations with its own lock.
 */
#ifndef FVD_BACKEND_H
#define FVD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fvd_hub;

#define FVD_NAME_MAX    31 /* VM name length without the NUL */
#define FVD_VERSION_MAX 47

enum fvd_err {
	FVD_OK = 0,
	FVD_E_INVAL = -1,    /* malformed argument */
	FVD_E_NOTFOUND = -2, /* no VM of that name */
	FVD_E_STATE = -3,    /* operation not possible in the VM's current state */
	FVD_E_EXISTS = -4,   /* a VM of that name exists already */
	FVD_E_LIMIT = -5,    /* the build's VM limit is reached */
	FVD_E_NOMEM = -6,    /* not enough free host memory */
	FVD_E_DENIED = -7,   /* not allowed on this VM (e.g. destroying the service VM) */
	FVD_E_TOOBIG = -8,   /* upload larger than the backend accepts */
	FVD_E_IO = -9,       /* the control channel failed */
	FVD_E_BUSY = -10,    /* the VM is being created, or another upload runs */
	FVD_E_NOTSUP = -11,  /* the hypervisor does not offer the operation (yet) */
	FVD_E__COUNT = 12,
};

enum fvd_state {
	FVD_VM_CREATING,
	FVD_VM_STOPPED,
	FVD_VM_RUNNING,
	FVD_VM_PAUSED,
	FVD_VM_CRASHED,
	FVD_VM_STOPPING,  /* stop requested, not yet complete */
	FVD_VM_SUSPENDED, /* suspended to RAM by its guest (SBI SUSP) */
	FVD_VM__COUNT,
};

enum fvd_action {
	FVD_ACT_START,
	FVD_ACT_STOP,
	FVD_ACT_RESET,
	FVD_ACT_PAUSE,
	FVD_ACT_RESUME,
	FVD_ACT__COUNT,
};

struct fvd_vm_info {
	char name[FVD_NAME_MAX + 1];
	uint32_t id;
	enum fvd_state state;
	uint32_t vcpus;
	uint64_t memory_bytes;
	bool service;
	/* Progress of the upload while state is FVD_VM_CREATING. */
	uint64_t upload_done;
	uint64_t upload_total;
	/* Scheduling of its vCPUs (0: not known, e.g. while creating). */
	uint32_t weight;   /* 1..65535 */
	uint64_t affinity; /* bit n: may run on CPU n */
};

#define FVD_ARCH_MAX 15

struct fvd_host_info {
	char version[FVD_VERSION_MAX + 1];
	/* The hypervisor's architecture as `make ARCH=` spells it: "riscv64", "arm64". */
	char arch[FVD_ARCH_MAX + 1];
	uint32_t cpus;
	uint64_t memory_total;
	uint64_t memory_free;
	uint32_t vm_count;
	uint32_t vm_limit;
	uint64_t uptime_ms;
};

/* Parameters of a VM to create; the image package itself arrives in chunks. */
struct fvd_create_req {
	char name[FVD_NAME_MAX + 1];
	uint32_t vcpus;
	uint64_t memory_bytes;
	uint64_t package_bytes; /* announced size of the package */
	bool has_crc;           /* crc32c given (the control channel requires it) */
	uint32_t crc32c;        /* CRC-32C (Castagnoli) of the whole package */
};

struct fvd_metrics;      /* fvd_metrics.h */
struct fvd_trace_status; /* fvd_trace.h */
struct fvd_trace_rec;    /* fvd_trace.h */
/* PATCH /api/v1/vms/{name}: scheduling parameters, each 0 = leave unchanged. */
struct fvd_sched_req {
	uint32_t weight;   /* 1..65535 */
	uint64_t affinity; /* CPU mask, only CPUs the host has */
};

/*
 * Crash dumps (fvd_dump.h): what a dump of a quiet VM (stopped, crashed, or paused) holds
 * besides its RAM. Registers per vCPU in the order of the control protocol (ctl_proto.h
 * enum ctl_dump_reg): pc, x1..x31, VS CSRs and the last trap into the hypervisor (32..43),
 * f0..f31 (44..75), fcsr (76).
 */
#define FVD_DUMP_NR_REGS    77
#define FVD_DUMP_MAX_VCPUS  8
#define FVD_DUMP_MAX_REGION 4
#define FVD_DUMP_CHUNK      8192 /* bytes one dump_read may ask for */

struct fvd_dump_vcpu {
	uint32_t index;
	uint32_t state; /* 0 stopped, 1 runnable, 2 running, 3 blocked */
	uint64_t reg[FVD_DUMP_NR_REGS];
};

struct fvd_dump_info {
	char name[FVD_NAME_MAX + 1];
	enum fvd_state state;
	uint64_t boots;
	char cause[96]; /* why it crashed; empty if it did not */
	uint32_t nr_regions, nr_vcpus;
	struct {
		uint64_t gpa, size;
	} region[FVD_DUMP_MAX_REGION];
	struct fvd_dump_vcpu vcpu[FVD_DUMP_MAX_VCPUS];
};

/* One profiler sample (PROF_READ, docs/control-protocol.md "Profiler"). */
#define FVD_PROF_DEPTH 8    /* return addresses per sample */
#define FVD_PROF_CHUNK 128  /* samples one prof_read returns at most */
#define FVD_PROF_F_HYP 1    /* a sample of the hypervisor itself */
#define FVD_SNAP_CHUNK 8176 /* stream bytes one restore_data / snap_read takes at most */
struct fvd_prof_sample {
	uint64_t pc;
	uint64_t ra[FVD_PROF_DEPTH]; /* callers, innermost first; depth valid */
	uint32_t vcpu;
	uint8_t flags; /* FVD_PROF_F_* */
	uint8_t depth;
	uint16_t cpu;
};
struct fvd_prof_chunk {
	uint32_t total;   /* samples of the session */
	uint32_t dropped; /* lost to full buffers */
	uint32_t count;   /* in s[] */
	struct fvd_prof_sample s[FVD_PROF_CHUNK];
};

/* One round of a live migration (mig_round). */
struct fvd_mig_round {
	uint32_t round; /* 0 = the first */
	uint64_t pages; /* RAM pages it sends */
	uint64_t bytes; /* stream bytes of its segment */
};

struct fvd_backend_ops {
	const char *kind; /* "sim", "hvc" */
	int (*host_info)(void *be, struct fvd_host_info *out);
	/* Fills up to max entries, sets *n to the number of VMs (may exceed max). */
	int (*vm_list)(void *be, struct fvd_vm_info *out, size_t max, size_t *n);
	int (*vm_get)(void *be, const char *name, struct fvd_vm_info *out);
	int (*vm_action)(void *be, const char *name, enum fvd_action act);
	int (*vm_destroy)(void *be, const char *name);
	/* Create: begin reserves the name (the VM is listed as CREATING with progress),
	 * chunk streams package bytes in order, end commits (the VM becomes STOPPED) or
	 * aborts (everything is released). */
	int (*create_begin)(void *be, const struct fvd_create_req *req);
	int (*create_chunk)(void *be, const char *name, const void *data, size_t len);
	int (*create_end)(void *be, const char *name, bool commit);
	/* A snapshot of every counter (fvd_metrics.h); NULL: the backend has none (501). */
	int (*metrics)(void *be, struct fvd_metrics *out);
	/* Live state (console and events, fvd_hub.h). events_start is called once, before
	 * the HTTP server starts: from then on the backend logs VM state changes, crashes
	 * and control errors to hub and appends every VM's console output to its history,
	 * from its own thread if it has one (so backends that do lock). */
	int (*events_start)(void *be, struct fvd_hub *hub);
	/* len bytes typed into VM name's console; *taken = how many the VM accepted. */
	int (*console_input)(void *be, const char *name, const void *data, size_t len,
	                     size_t *taken);
	/* Weight and/or affinity of every vCPU of a VM, in any state (running included). */
	int (*vm_set_sched)(void *be, const char *name, const struct fvd_sched_req *req);
	/* Event tracer (fvd_trace.h): op enum fvd_trace_op (mask for SET), then the status;
	 * read consumes up to max records of one CPU's ring (*n of them). NULL: 501. */
	int (*trace_ctl)(void *be, int op, uint32_t mask, struct fvd_trace_status *out);
	int (*trace_read)(void *be, uint32_t cpu, struct fvd_trace_rec *out, size_t max, size_t *n);
	/* Crash dumps of a quiet VM (FVD_E_STATE otherwise, FVD_E_BUSY while a pause is not
	 * complete); dump_read copies 1..FVD_DUMP_CHUNK bytes of guest RAM at gpa. NULL:
	 * none. */
	int (*dump_info)(void *be, const char *name, struct fvd_dump_info *out);
	int (*dump_read)(void *be, const char *name, uint64_t gpa, void *buf, size_t len);
	/* Profiler (fvd_prof.c; NULL: 501): start sampling a VM every period_us, stop, read
	 * the stopped session's samples from index offset on. */
	int (*prof_start)(void *be, const char *name, uint32_t period_us);
	int (*prof_stop)(void *be);
	int (*prof_read)(void *be, uint32_t offset, struct fvd_prof_chunk *out);
	/*
	 * VM snapshots (fvd_snap.h; NULL: 501). snap_begin pauses a running VM and fixes the
	 * stream (*id names it, *size its bytes); snap_read copies the next 1..max bytes from
	 * off (the bytes read so far; *n = 0 at the end); snap_end closes it and resumes the VM
	 * if resume and the save paused it. restore_begin reserves name for a stream of size
	 * bytes; restore_data takes its bytes in order; restore_end commits (the new VM in
	 * *out, paused, or running if resume) or abandons it (commit false: nothing is left).
	 * A refused stream is FVD_E_INVAL (its restore is over).
	 */
	int (*snap_begin)(void *be, const char *name, uint32_t *id, uint64_t *size);
	int (*snap_read)(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
	int (*snap_end)(void *be, uint32_t id, bool resume);
	int (*restore_begin)(void *be, const char *name, uint64_t size, uint32_t *id);
	int (*restore_data)(void *be, uint32_t id, uint64_t off, const void *data, size_t len);
	int (*restore_end)(void *be, uint32_t id, bool commit, bool resume,
	                   struct fvd_vm_info *out);
	/*
	 * Live migration, source side (fvd_migrate.h; NULL: 501). mig_begin starts the
	 * running VM's dirty log and opens the stream's first segment (*id, *bytes);
	 * mig_round opens the next segment (final: the VM paused first, the state sections
	 * and END last); mig_read copies the next 1..max bytes (max of any size) of the open
	 * segment from off (stream bytes read so far; *n = 0 at its end); mig_end stops the
	 * log and resumes the VM if resume and the final round paused it (else it stays
	 * paused). The destination side is restore_begin with size 0 (a stream complete at
	 * its END).
	 */
	int (*mig_begin)(void *be, const char *name, uint32_t *id, uint64_t *bytes);
	int (*mig_round)(void *be, uint32_t id, bool final, struct fvd_mig_round *out);
	int (*mig_read)(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
	int (*mig_end)(void *be, uint32_t id, bool resume);
};

struct fvd_backend {
	const struct fvd_backend_ops *ops;
	void *ctx;
};

#endif /* FVD_BACKEND_H */
