// SPDX-License-Identifier: MIT
/*
 * fvio serve / fvio client: TCP bulk transfers for the virtio-net benchmark.
 *
 * Protocol (one transfer per connection): the client sends a 16-byte header, magic "FVN1",
 * an op byte, 3 pad bytes, a big-endian 64-bit length.
 *   'W' the client writes `length` bytes; the server reads them all and answers with the
 *       big-endian 64-bit count it received (so the client's clock stops only once every
 *       byte has arrived).
 *   'R' the server writes `length` bytes and closes; the client reads them all.
 * The client times each transfer from sending the header to the last byte (R) or the
 * answer (W) and prints one JSON line. A transfer that takes longer than the client's
 * MAX_SECONDS is cut short (W: the client stops sending and half-closes, the server answers
 * with what it got; R: the client closes) and reports the bytes it moved, "capped":true; the host
 * side (bench/fvbench/net.py) speaks the same protocol to a `serve` behind QEMU's user-mode
 * network.
 */
#include "fvio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK           (128U * 1024U)
#define CONNECT_TRIES   600 /* every 200 ms: the peer may still be booting */
#define CONNECT_WAIT_US 200000

static unsigned char chunk[CHUNK];

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int fvio_send_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fvio_recv_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send up to `len` bytes of the pattern chunk, stopping once fvio_now_ns() passes
 * `deadline` (0: none); returns the count sent or -1 on an error. */
static int64_t send_bulk(int fd, uint64_t len, uint64_t deadline)
{
	uint64_t sent = 0;
	while (sent < len) {
		if (deadline && fvio_now_ns() > deadline)
			break;
		size_t n = len - sent < CHUNK ? (size_t)(len - sent) : CHUNK;
		if (fvio_send_all(fd, chunk, n) != 0)
			return -1;
		sent += n;
	}
	return (int64_t)sent;
}

/* Receive up to `len` bytes (fewer on EOF, error or passing `deadline`, 0: none); returns
 * the count. */
static uint64_t recv_bulk(int fd, uint64_t len, uint64_t deadline)
{
	static unsigned char sink[CHUNK];
	uint64_t got = 0;
	while (got < len) {
		if (deadline && fvio_now_ns() > deadline)
			break;
		size_t want = len - got < CHUNK ? (size_t)(len - got) : CHUNK;
		ssize_t n = recv(fd, sink, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (uint64_t)n;
	}
	return got;
}

static void serve_one(int fd)
{
	unsigned char hdr[FVIO_NET_HDR];
	if (fvio_recv_all(fd, hdr, sizeof(hdr)) != 0 || memcmp(hdr, FVIO_NET_MAGIC, 4) != 0)
		return;
	uint64_t len = get_be64(hdr + 8);
	uint64_t t0 = fvio_now_ns();
	if (hdr[4] == 'W') {
		uint64_t got = recv_bulk(fd, len, 0);
		unsigned char ack[8];
		put_be64(ack, got);
		fvio_send_all(fd, ack, sizeof(ack));
		fvio_emit("{\"bench\":\"fvio_serve\",\"op\":\"W\",\"bytes\":%llu,\"ns\":%llu}",
		          (unsigned long long)got, (unsigned long long)(fvio_now_ns() - t0));
	} else if (hdr[4] == 'R') {
		/* A client that stops early closes: the send then fails, which is fine. */
		int64_t sent = send_bulk(fd, len, 0);
		shutdown(fd, SHUT_WR);
		/* Wait for the client's close so ours never resets data still in flight. */
		recv_bulk(fd, 1, 0);
		fvio_emit("{\"bench\":\"fvio_serve\",\"op\":\"R\",\"bytes\":%llu,\"ok\":%s}",
		          (unsigned long long)len, sent == (int64_t)len ? "true" : "false");
	}
}

int fvio_serve_main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fvio serve PORT\n");
		return 2;
	}
	uint64_t port = fvio_arg_u64(argv[1], "PORT");
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(ls, 4) != 0) {
		fvio_emit("{\"bench\":\"fvio_serve\",\"error\":\"listen on %llu: %s\"}",
		          (unsigned long long)port, strerror(errno));
		return 1;
	}
	memset(chunk, 0x5a, sizeof(chunk));
	fvio_emit("{\"bench\":\"fvio_serve_ready\",\"port\":%llu}", (unsigned long long)port);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return 1;
		}
		serve_one(fd);
		close(fd);
	}
}

static int connect_to(const struct sockaddr_in *sa)
{
	for (int i = 0; i < CONNECT_TRIES; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return fd;
		close(fd);
		usleep(CONNECT_WAIT_US);
	}
	return -1;
}

/* One transfer of at most `len` bytes and `max_ns`; prints its JSON line. 0 or -1. */
static int transfer(const struct sockaddr_in *sa, char op, uint64_t len, uint64_t max_ns,
                    unsigned rep)
{
	int fd = connect_to(sa);
	if (fd < 0) {
		fvio_emit("{\"bench\":\"fvio_net\",\"error\":\"connect: %s\"}", strerror(errno));
		return -1;
	}
	unsigned char hdr[FVIO_NET_HDR] = {0};
	memcpy(hdr, FVIO_NET_MAGIC, 4);
	hdr[4] = (unsigned char)op;
	put_be64(hdr + 8, len);
	uint64_t t0 = fvio_now_ns(), got = 0, want = 0;
	int ret = fvio_send_all(fd, hdr, sizeof(hdr));
	if (ret == 0 && op == 'W') {
		unsigned char ack[8];
		int64_t sent = send_bulk(fd, len, t0 + max_ns);
		ret = sent < 0 ? -1 : 0;
		want = sent < 0 ? len : (uint64_t)sent;
		/* Half-close: a server still reading towards `len` stops at our EOF. */
		if (ret == 0 && want < len)
			shutdown(fd, SHUT_WR);
		if (ret == 0)
			ret = fvio_recv_all(fd, ack, sizeof(ack));
		if (ret == 0)
			got = get_be64(ack);
	} else if (ret == 0) {
		got = recv_bulk(fd, len, t0 + max_ns);
		want = got == len || fvio_now_ns() > t0 + max_ns ? got : len;
	}
	uint64_t ns = fvio_now_ns() - t0;
	close(fd);
	if (ret != 0 || got != want || got == 0) {
		fvio_emit("{\"bench\":\"fvio_net\",\"op\":\"%c\",\"rep\":%u,\"error\":\"transfer "
		          "broke off after %llu of %llu bytes\"}",
		          op, rep, (unsigned long long)got, (unsigned long long)want);
		return -1;
	}
	fvio_emit("{\"bench\":\"fvio_net\",\"op\":\"%c\",\"rep\":%u,\"bytes\":%llu,\"ns\":%llu,"
	          "\"capped\":%s}",
	          op, rep, (unsigned long long)got, (unsigned long long)ns,
	          got < len ? "true" : "false");
	return 0;
}

int fvio_client_main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: fvio client HOST PORT MIB REPS OPS(w|r|wr) MAX_SECONDS\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_port = htons((uint16_t)fvio_arg_u64(argv[2], "PORT"));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "fvio: HOST must be an IPv4 address: '%s'\n", argv[1]);
		return 2;
	}
	uint64_t len = fvio_arg_u64(argv[3], "MIB") * 1024 * 1024;
	uint64_t reps = fvio_arg_u64(argv[4], "REPS");
	uint64_t max_ns = fvio_arg_u64(argv[6], "MAX_SECONDS") * 1000000000ULL;
	memset(chunk, 0xa5, sizeof(chunk));
	for (unsigned rep = 0; rep < reps; rep++) {
		for (const char *op = argv[5]; *op; op++) {
			if (*op != 'w' && *op != 'r')
				continue;
			if (transfer(&sa, *op == 'w' ? 'W' : 'R', len, max_ns, rep) != 0)
				return 1;
		}
	}
	return 0;
}
