/* SPDX-License-Identifier: MIT */
/*
 * Crash dumps kept by the daemon (docs/debugging.md "Crash dumps"): a dump is an ELF core
 * file (fvd_core.h) in DIR/dumps/<id>.core with its description beside it in <id>.json,
 * DIR being --state-dir (the service VM's disk), or a private temporary directory when the
 * daemon runs without one. <id> is "<vm>-<seq>", seq counting up over all dumps of DIR.
 * Called from the HTTP polling thread only, like the backend operations.
 */
#ifndef FVD_DUMP_H
#define FVD_DUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "fvd_backend.h"

#define FVD_DUMP_ID_MAX 31 /* an id is a valid path segment name (fvd_route_valid_name) */

struct fvd_dump_meta {
	char id[FVD_DUMP_ID_MAX + 1];
	char vm[FVD_NAME_MAX + 1];
	char state[16]; /* the VM's state when dumped: "crashed", "stopped", "paused" */
	char cause[96];
	uint64_t size;   /* bytes of the core file */
	int64_t created; /* Unix time */
	uint32_t vcpus;
};

/* --auto-dump: what fvd_dump_on_crash does when a VM crashes. */
enum fvd_auto_dump {
	FVD_AUTO_DUMP_OFF = 0, /* nothing */
	FVD_AUTO_DUMP_ON = 1,  /* a dump, whatever the disk has left */
	FVD_AUTO_DUMP_FIT = 2, /* the default: a dump when it fits with margin (fvd_dump_fits) */
};

/* Where dumps go: state_dir/dumps (created), or for NULL a temporary directory made at the
 * first dump; what a crash does (mode). 0 or -1 (said why). */
int fvd_dump_init(const char *state_dir, enum fvd_auto_dump mode);

/*
 * --auto-dump auto's decision (pure): whether the dump of a VM with ram_bytes of RAM fits on
 * a disk with free_bytes free of total_bytes: at most its RAM plus FVD_DUMP_OVERHEAD (the
 * notes and headers; zero RAM is not stored, so most dumps are smaller), leaving 5 % of
 * the disk, and at least FVD_DUMP_MARGIN_MIN, free for the token store, the audit log and
 * the next dump. Overflow-safe for any inputs.
 */
#define FVD_DUMP_OVERHEAD   (1ull << 20)
#define FVD_DUMP_MARGIN_MIN (16ull << 20)
bool fvd_dump_fits(uint64_t ram_bytes, uint64_t free_bytes, uint64_t total_bytes);

/* At exit: removes the temporary directory of a daemon without --state-dir, if one was made. */
void fvd_dump_fini(void);

/*
 * Dumps VM @name now: a running VM is paused for the time of the dump and resumed
 * afterwards; a stopped, crashed or paused one is dumped as it is (a suspended one is not:
 * FVD_E_STATE). 0 and *out, or
 * a FVD_E_* (FVD_E_DENIED for the service VM, FVD_E_STATE while it is being created or stopping,
 * FVD_E_NOTSUP when the backend has no dumps, FVD_E_IO when the file cannot be written).
 */
int fvd_dump_create(struct fvd_backend *be, const char *name, struct fvd_dump_meta *out);

/*
 * The hook the event path calls when the hypervisor reports that VM @name crashed
 * (EV_VM_CRASH / a vm-state event to "crashed"): with --auto-dump on it writes a dump as
 * fvd_dump_create does and returns its result; off, it returns FVD_OK and does nothing;
 * auto, it writes one when fvd_dump_fits() says yes for the VM's RAM and the dump
 * directory's file system, else prints why not and returns FVD_OK.
 */
int fvd_dump_on_crash(struct fvd_backend *be, const char *name);

struct fvd_hub;
/*
 * With --auto-dump on or auto: starts a thread that follows the hub's events and calls
 * fvd_dump_on_crash for every "vm-crash" (it ends when the hub stops). Not from the pump:
 * a dump makes requests of the backend, whose reader thread must stay free to answer them.
 * 0, or -1 when the thread cannot start; nothing (0) with --auto-dump off.
 */
int fvd_dump_follow(struct fvd_backend *be, struct fvd_hub *hub);

/* Up to max dumps, oldest first; *n = how many there are. 0 or FVD_E_IO. */
int fvd_dump_list(struct fvd_dump_meta *out, size_t max, size_t *n);

/* Opens the core file of dump @id for reading: its fd and size, or FVD_E_NOTFOUND. */
int fvd_dump_open(const char *id, int *fd, uint64_t *size, struct fvd_dump_meta *meta);

/* A dump's description as JSON (the Dump schema of docs/api/openapi.yaml); NULL: no memory. */
struct cJSON *fvd_dump_json(const struct fvd_dump_meta *m);

#endif /* FVD_DUMP_H */
