// SPDX-License-Identifier: MIT
/*
 * fv-tcp: one long-lived TCP connection for tests that must show a connection survives
 * something (a VM snapshot and restore: tests/integration/test_snapshot_linux_dev.py).
 *
 *   fv-tcp serve PORT        accept one connection, echo every byte back until it closes
 *   fv-tcp client ADDR PORT  connect once, send "seq N\n" every second (N = 0, 1, ...) and
 *                            print "fv-tcp: echo N" for each line echoed back
 *
 * Both print "fv-tcp: connected local L remote R" once (the ports of the one socket), and
 * "fv-tcp: error ..." with exit status 1 when the connection fails or closes: the client
 * never reconnects, so an echo after the event came over the same socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("fv-tcp: error %s: %s\n", what, strerror(errno));
	fflush(stdout);
	return 1;
}

static void connected(int fd)
{
	struct sockaddr_in l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	getsockname(fd, (struct sockaddr *)&l, &ll);
	getpeername(fd, (struct sockaddr *)&r, &rl);
	printf("fv-tcp: connected local %u remote %u\n", ntohs(l.sin_port), ntohs(r.sin_port));
	fflush(stdout);
}

static int serve(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0)
		return fail("socket");
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		return fail("bind");
	printf("fv-tcp: listening on %d\n", port);
	fflush(stdout);
	int c = accept(s, NULL, NULL);
	if (c < 0)
		return fail("accept");
	connected(c);
	char buf[512];
	for (;;) {
		ssize_t n = read(c, buf, sizeof(buf));
		if (n == 0) {
			errno = ECONNRESET;
			return fail("peer closed");
		}
		if (n < 0)
			return fail("read");
		if (write(c, buf, (size_t)n) != n)
			return fail("write");
	}
}

static int client(const char *addr, int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (s < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return fail("address");
	if (connect(s, (struct sockaddr *)&a, sizeof(a)))
		return fail("connect");
	connected(s);
	char in[256];
	size_t have = 0;
	unsigned long seq = 0;
	time_t next = 0;
	for (;;) {
		time_t now = time(NULL);
		if (now >= next) {
			char line[48];
			int n = snprintf(line, sizeof(line), "seq %lu\n", seq++);
			if (write(s, line, (size_t)n) != n)
				return fail("write");
			next = now + 1;
		}
		struct pollfd p = {.fd = s, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0)
			continue;
		ssize_t n = read(s, in + have, sizeof(in) - 1 - have);
		if (n == 0) {
			errno = ECONNRESET;
			return fail("peer closed");
		}
		if (n < 0)
			return fail("read");
		have += (size_t)n;
		in[have] = '\0';
		char *nl;
		while ((nl = strchr(in, '\n')) != NULL) {
			*nl = '\0';
			if (strncmp(in, "seq ", 4) == 0)
				printf("fv-tcp: echo %s\n", in + 4);
			fflush(stdout);
			have -= (size_t)(nl + 1 - in);
			memmove(in, nl + 1, have + 1);
		}
		if (have == sizeof(in) - 1)
			have = 0; /* a line longer than any we send: not ours, dropped */
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "client") == 0)
		return client(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: fv-tcp serve PORT | fv-tcp client ADDR PORT\n");
	return 2;
}
