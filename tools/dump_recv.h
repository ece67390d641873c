/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_DUMP_RECV_H
#define FV_TOOLS_DUMP_RECV_H

/*
 * The host end of the hypervisor's dump channel (`ferrovisor run --dump-dir DIR`,
 * docs/debugging.md "Dumps to the host"): decodes the frames of hyp/core/dump_frame.h,
 * assembles one dump at a time (BEGIN with the DUMP_INFO payload, RAM frames, END) and
 * writes it as DIR/NAME-<n>.core with the daemon's ELF core writer
 * (tools/ferrovisord/fvd_core.c), n the first number whose file does not exist yet.
 *
 * A dump is written only when every frame arrived whole and in sequence, every RAM frame
 * lies inside a region BEGIN announced, and END is OK and counts the RAM frames seen; any
 * other dump is dropped with one line on the log saying why. The file name comes from the
 * VM's name in BEGIN, which the hypervisor takes from its configuration (never from the
 * guest), and is checked again here: only [A-Za-z0-9._-], not starting with a dot.
 *
 * Not thread-safe: one thread feeds one receiver.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/dump_frame.h"
#include "ferrovisord/fvd_backend.h"

/* RAM the receiver holds for one dump at most (a larger VM's dump is refused). */
#define DUMP_RECV_MAX_RAM (64ull << 30)

struct dump_recv {
	const char *dir;
	FILE *log;
	struct dump_frame_rx rx;
	/* The dump being assembled. */
	bool active;
	uint32_t next_seq, ram_frames, number;
	struct fvd_dump_info info;
	uint8_t *ram[FVD_DUMP_MAX_REGION]; /* calloc'ed: RAM frames are the non-zero chunks */
	/* Totals since init. */
	unsigned written, dropped;
	char last_path[4096]; /* the last core written */
};

/* Receive into directory dir (must exist), reporting on log. */
void dump_recv_init(struct dump_recv *r, const char *dir, FILE *log);

/* Bytes from the channel. */
void dump_recv_feed(struct dump_recv *r, const uint8_t *data, size_t n);

/* The channel closed: drop an unfinished dump (with a line on the log), free everything. */
void dump_recv_finish(struct dump_recv *r);

#endif
