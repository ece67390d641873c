// SPDX-License-Identifier: MIT
/*
 * fvio: guest-side I/O benchmark for Ferrovisor (see fvio.h).
 *
 *   fvio blk DEV SEQ_MIB RAND_OPS MAX_SECONDS   virtio-blk: sequential and random I/O
 *   fvio serve PORT                            TCP peer of the network benchmark
 *   fvio client HOST PORT MIB REPS OPS MAX_S   TCP transfers to/from a `serve` (OPS: w, r, wr)
 */
#include "fvio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t fvio_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void fvio_emit(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	size_t off = 0;
	while (off < (size_t)n) {
		ssize_t w = write(STDOUT_FILENO, line + off, (size_t)n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

uint64_t fvio_arg_u64(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "fvio: %s: not a number: '%s'\n", what, s);
		exit(2);
	}
	return (uint64_t)v;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {"blk", fvio_blk_main},
    {"serve", fvio_serve_main},
    {"client", fvio_client_main},
};

int main(int argc, char **argv)
{
	if (argc >= 2) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "usage: fvio blk DEV SEQ_MIB RAND_OPS MAX_SECONDS\n"
	                "       fvio serve PORT\n"
	                "       fvio client HOST PORT MIB REPS OPS(w|r|wr) MAX_SECONDS\n");
	return 2;
}
