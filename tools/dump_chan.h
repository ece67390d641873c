/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_DUMP_CHAN_H
#define FV_TOOLS_DUMP_CHAN_H

/*
 * `ferrovisor run --dump-dir DIR`: the Unix socket QEMU's dump-channel chardev connects to
 * (in a private 0700 directory, never a TCP port) and the thread that reads it into a
 * dump receiver (dump_recv.h) while QEMU runs.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "dump_recv.h"

struct dump_chan {
	char sock_dir[64];
	char sock_path[80];
	int listen_fd, stop_fd[2];
	pthread_t thread;
	bool running;
	struct dump_recv recv;
};

/*
 * Make DIR if it does not exist, create the socket and start the thread (before QEMU starts:
 * QEMU connects when it starts). 0, or -1 with a message on log.
 */
int dump_chan_start(struct dump_chan *c, const char *dir, FILE *log);

/* After QEMU ended: stop the thread, drop an unfinished dump, remove the socket. */
void dump_chan_stop(struct dump_chan *c);

#endif
