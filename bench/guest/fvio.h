// SPDX-License-Identifier: MIT
/*
 * fvio: the guest side of Ferrovisor's I/O benchmarks (bench/fvbench/blk.py, net.py).
 * A static Linux userspace program packed into an extra initramfs layer; every
 * measurement is one JSON line on stdout with a "bench" key.
 */
#ifndef FVIO_H
#define FVIO_H

#include <stddef.h>
#include <stdint.h>

#define FVIO_NET_MAGIC "FVN1"
#define FVIO_NET_HDR   16 /* magic[4] op[1] pad[3] length[8] (big-endian) */

/* Nanoseconds of CLOCK_MONOTONIC. */
uint64_t fvio_now_ns(void);

/* Print one line (printf format, newline added) with a single write(2), so kernel messages
 * on the same console cannot split it. */
void fvio_emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a decimal argument; exits with a message naming `what` if it is not one. */
uint64_t fvio_arg_u64(const char *s, const char *what);

/* Subcommands; argv[0] is the subcommand's name. Return the process exit status. */
int fvio_blk_main(int argc, char **argv);
int fvio_serve_main(int argc, char **argv);
int fvio_client_main(int argc, char **argv);

/* Helpers shared by the network subcommands: full-length send/receive (0 or -1). */
int fvio_send_all(int fd, const void *buf, size_t len);
int fvio_recv_all(int fd, void *buf, size_t len);

#endif
