/* SPDX-License-Identifier: MIT */
/*
 * The control-channel backend: ferrovisord's operations as requests of the Ferrovisor
 * control protocol (FVCP, docs/control-protocol.md, hyp/core/ctl_proto.h) over a file
 * descriptor, in the service VM the control virtio-console (/dev/hvc1, put in raw mode by
 * fvd_hvc_open_tty). Operations run one at a time, each waiting for its response, while a
 * reader thread (fvd_hvc_pump.c) consumes the channel continuously and feeds events and
 * console output to the hub given to events_start; built only when the protocol header is
 * in the tree.
 */
#ifndef FVD_HVC_H
#define FVD_HVC_H

#include "fvd_backend.h"

struct fvd_hvc;

/* Opens a tty device in raw mode (Linux resets a hvc tty's termios on last close, so the
 * daemon keeps it open). Returns the fd or -1 with errno set. */
int fvd_hvc_open_tty(const char *path);

/* Takes over fd (closed by fvd_hvc_close), starts the reader thread and negotiates the
 * protocol (HELLO). Returns NULL with a message on stderr when the hypervisor does not answer
 * within timeout_ms (also the timeout of every later request) or refuses. Call from a thread
 * that blocks the signals the process waits for: the reader inherits its mask. */
struct fvd_hvc *fvd_hvc_open(int fd, int timeout_ms);
/* Stops and joins the reader thread, closes the fd. */
void fvd_hvc_close(struct fvd_hvc *h);

/* The operations table; pass the struct fvd_hvc as the backend context. */
extern const struct fvd_backend_ops fvd_hvc_ops;

#endif /* FVD_HVC_H */
