/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_GDB_STUB_H
#define FV_CORE_GDB_STUB_H

/*
 * gdb remote stub: the command half of the Remote Serial Protocol for one
 * VM (all-stop mode; every vCPU is a thread, gdb thread id = vCPU index + 1).
 * Framing is gdb_rsp.c; the target (registers, memory, breakpoints, run
 * control) is reached only through struct gdb_stub_ops, so this file is pure
 * and runs unchanged in the host unit test and fuzzer against a fake target.
 *
 * Every packet comes from an untrusted peer: numbers are parsed with
 * overflow checks, lengths are clamped to the packet size, and anything not
 * understood gets the empty reply ("not supported") or an `Enn` error.
 *
 * Concurrency: one context owns a stub (the hypervisor's console tick);
 * nothing here locks.
 */
#include "core/gdb_rsp.h"

/* Register numbers as in the target description (gdb's RISC-V numbering). */
#define GDB_REG_PC     32
#define GDB_REG_F0     33
#define GDB_REG_CSR0   65 /* CSR n is register GDB_REG_CSR0 + n */
#define GDB_REG_FFLAGS (GDB_REG_CSR0 + 1)
#define GDB_REG_FRM    (GDB_REG_CSR0 + 2)
#define GDB_REG_FCSR   (GDB_REG_CSR0 + 3)
#define GDB_G_REGS     33 /* the `g` packet: x0..x31, pc */

/* Z packet types. */
#define GDB_BP_SW     0
#define GDB_BP_HW     1
#define GDB_WP_WRITE  2
#define GDB_WP_READ   3
#define GDB_WP_ACCESS 4

#define GDB_SIGINT  2
#define GDB_SIGTRAP 5

#define GDB_MEM_MAX 2048 /* bytes per m/M/X: a hex reply must fit GDB_RSP_MAX */

/*
 * The target. tid is a vCPU index (0-based). Functions returning int give 0
 * or a negative fv_err; the stub maps errors to `E01` (bad argument) or
 * `E14` (memory fault, EFAULT). Registers and memory are only touched while
 * the target is stopped (the stub guarantees it).
 */
struct gdb_stub_ops {
	unsigned (*nr_threads)(void *ctx);
	/* Register value and its size in bytes (4 or 8); -FV_ENOENT for a number not described. */
	int (*reg_read)(void *ctx, unsigned tid, unsigned regno, uint64_t *val, unsigned *size);
	int (*reg_write)(void *ctx, unsigned tid, unsigned regno, uint64_t val);
	/* Guest virtual (through tid's own page tables) or, with phys, guest physical memory. */
	int (*mem_read)(void *ctx, unsigned tid, uint64_t addr, uint8_t *buf, size_t len,
	                bool phys);
	int (*mem_write)(void *ctx, unsigned tid, uint64_t addr, const uint8_t *buf, size_t len,
	                 bool phys);
	/* Insert/remove a Z-type (GDB_BP_*, GDB_WP_*) point; -FV_ENOTSUP = not offered. */
	int (*point)(void *ctx, unsigned tid, unsigned type, uint64_t addr, uint64_t kind,
	             bool insert);
	/*
	 * Let the target run: tid -1 = every vCPU (step false); otherwise only vCPU tid, one
	 * instruction if step, else until it stops (the others stay halted).
	 */
	void (*resume)(void *ctx, int tid, bool step);
	/* Ask the target to stop; it reports with gdb_stub_stopped() once it has. */
	void (*halt)(void *ctx);
	/* Remove every point and let the target run on without a debugger. */
	void (*detach)(void *ctx);
	/* Bytes to the peer. */
	void (*send)(void *ctx, const uint8_t *buf, size_t len);
	/* One line about vCPU tid for `info threads` (qThreadExtraInfo). */
	void (*thread_info)(void *ctx, unsigned tid, char *buf, size_t len);
	const char *target_xml; /* qXfer:features:read:target.xml */
};

struct gdb_stub {
	const struct gdb_stub_ops *ops;
	void *ctx;
	struct gdb_rsp rsp;
	bool noack;        /* QStartNoAckMode accepted */
	bool stopped;      /* the target is halted and its state may be read */
	bool want_stop;    /* the peer waits for a stop reply (after ?, c, s or Ctrl-C) */
	bool halt_pending; /* ops->halt called, no gdb_stub_stopped yet */
	int sig;           /* signal of the stop reply being awaited */
	unsigned g_tid;    /* thread for g/p/m (0-based) */
	unsigned last_tid; /* thread of the last stop */
	char last_stop[64];
	uint32_t out_len; /* the last frame sent, for `-` */
	uint8_t out[2 * GDB_RSP_MAX + 8];
	char reply[GDB_RSP_MAX + 1];
	uint64_t packets, bad_packets;
};

/* Ready a stub for a new peer; the target is assumed running. */
void gdb_stub_init(struct gdb_stub *s, const struct gdb_stub_ops *ops, void *ctx);

/* Bytes from the peer: decoded, answered through ops->send. */
void gdb_stub_input(struct gdb_stub *s, const uint8_t *buf, size_t len);

/*
 * The target has stopped (all vCPUs off their CPUs): tid is the vCPU that
 * caused it, sig GDB_SIGTRAP (breakpoint, step) or GDB_SIGINT (halt), extra
 * a stop-reply field such as "watch:80001000;" or "". Sends the stop reply
 * if the peer waits for one.
 */
void gdb_stub_stopped(struct gdb_stub *s, unsigned tid, int sig, const char *extra);

#endif
