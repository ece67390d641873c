// SPDX-License-Identifier: MIT
/*
 * fv-netcheck: many frames in flight over TCP, every byte checked (guests/linux-userland/).
 *
 *   fv-netcheck serve PORT            accept connections (one child each), forever
 *   fv-netcheck send HOST PORT BYTES N   N connections at once, each sending BYTES
 *   fv-netcheck fetch HOST PORT BYTES N  N connections at once, each receiving BYTES
 *
 * Protocol, one transfer per connection: the client sends a 16-byte header "FVNC", an op
 * byte ('W' client writes, 'R' server writes), 3 pad bytes, the stream's seed (big-endian
 * 32 bits) and its length (big-endian 32 bits). Stream bytes: byte i of seed s is
 * block(s)[i % 65521], block(s)[k] = ((k * 131 + s * 7919) ^ (k >> 7)) & 0xff. 'W': the server
 * checks every byte and answers "OK\n" or "BAD <offset>\n" (it stops at the first mismatch);
 * 'R': the client checks. A test on the host speaks the same protocol (the uplink tests).
 *
 * send/fetch print "fv-netcheck: ok conns=N bytes=TOTAL" when every connection moved and
 * matched all its bytes, else "fv-netcheck: error ..." lines and exit status 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCK 65521u
#define CHUNK 16384u

static uint8_t block[BLOCK];

static void make_block(uint32_t seed)
{
	for (uint32_t k = 0; k < BLOCK; k++)
		block[k] = (uint8_t)(((k * 131u + seed * 7919u) ^ (k >> 7)) & 0xffu);
}

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send @len stream bytes (block already made). 0 or -1. */
static int send_stream(int fd, uint32_t len)
{
	uint8_t buf[CHUNK];
	uint32_t off = 0;
	while (off < len) {
		uint32_t n = len - off < CHUNK ? len - off : CHUNK;
		for (uint32_t i = 0; i < n; i++)
			buf[i] = block[(off + i) % BLOCK];
		if (write_full(fd, buf, n))
			return -1;
		off += n;
	}
	return 0;
}

/* Receive and check @len stream bytes: -1 on a short stream, else the first bad offset or len. */
static long check_stream(int fd, uint32_t len)
{
	uint8_t buf[CHUNK];
	uint32_t off = 0;
	while (off < len) {
		ssize_t n = read(fd, buf, len - off < CHUNK ? len - off : CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != block[(off + (uint32_t)i) % BLOCK])
				return (long)off + i;
		off += (uint32_t)n;
	}
	return (long)len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void serve_one(int fd)
{
	uint8_t h[16];
	char ans[48];
	if (read_full(fd, h, sizeof(h)) || memcmp(h, "FVNC", 4) != 0)
		return;
	uint32_t seed = be32(h + 8), len = be32(h + 12);
	make_block(seed);
	if (h[4] == 'R') {
		send_stream(fd, len);
		return;
	}
	long r = check_stream(fd, len);
	if (r == (long)len)
		snprintf(ans, sizeof(ans), "OK\n");
	else
		snprintf(ans, sizeof(ans), "BAD %ld\n", r);
	write_full(fd, ans, strlen(ans));
}

static int serve(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		printf("fv-netcheck: error listen on %d: errno %d\n", port, errno);
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);
	printf("fv-netcheck: serving on %d\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(s);
			serve_one(c);
			close(c);
			_exit(0);
		}
		close(c);
	}
}

/* One client connection; returns 0 when every byte matched. Runs in a child. */
static int client(const char *host, int port, char op, uint32_t seed, uint32_t len)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	uint8_t h[16] = {'F', 'V', 'N', 'C', (uint8_t)op, 0, 0, 0};
	char ans[48] = {0};
	if (s < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(s, (struct sockaddr *)&a, sizeof(a))) {
		printf("fv-netcheck: error connect %s:%d: errno %d\n", host, port, errno);
		return 1;
	}
	put32(h + 8, seed);
	put32(h + 12, len);
	make_block(seed);
	if (write_full(s, h, sizeof(h))) {
		printf("fv-netcheck: error header: errno %d\n", errno);
		return 1;
	}
	if (op == 'R') {
		long r = check_stream(s, len);
		if (r != (long)len) {
			printf("fv-netcheck: error seed %u: %s at %ld\n", seed,
			       r < 0 ? "short stream" : "mismatch", r);
			return 1;
		}
		return 0;
	}
	if (send_stream(s, len)) {
		printf("fv-netcheck: error send seed %u: errno %d\n", seed, errno);
		return 1;
	}
	shutdown(s, SHUT_WR);
	ssize_t n = read(s, ans, sizeof(ans) - 1);
	if (n < 3 || strncmp(ans, "OK\n", 3) != 0) {
		printf("fv-netcheck: error seed %u: server says '%s'\n", seed, n > 0 ? ans : "");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc != 6 || (strcmp(argv[1], "send") != 0 && strcmp(argv[1], "fetch") != 0)) {
		printf("fv-netcheck: error usage: serve PORT | send|fetch HOST PORT BYTES CONNS\n");
		return 1;
	}
	char op = argv[1][0] == 's' ? 'W' : 'R';
	int port = atoi(argv[3]), conns = atoi(argv[5]);
	uint32_t len = (uint32_t)strtoul(argv[4], NULL, 0);
	if (conns < 1 || conns > 32 || len == 0) {
		printf("fv-netcheck: error bad BYTES or CONNS\n");
		return 1;
	}
	fflush(stdout);
	for (int i = 0; i < conns; i++)
		if (fork() == 0)
			_exit(client(argv[2], port, op, (uint32_t)(1000 + i), len));
	int bad = 0, st;
	for (int i = 0; i < conns; i++)
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	if (bad) {
		printf("fv-netcheck: error %d of %d connections failed\n", bad, conns);
		return 1;
	}
	printf("fv-netcheck: ok conns=%d bytes=%llu\n", conns, (unsigned long long)len * conns);
	return 0;
}
