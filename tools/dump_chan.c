// SPDX-License-Identifier: MIT
/* The dump channel's socket and reader thread (see dump_chan.h). */
#include "dump_chan.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Read the one connection QEMU makes until it closes or the tool stops us. */
static void *chan_thread(void *arg)
{
	struct dump_chan *c = arg;
	int fd = -1;
	uint8_t buf[65536];
	for (;;) {
		struct pollfd p[2] = {{fd >= 0 ? fd : c->listen_fd, POLLIN, 0},
		                      {c->stop_fd[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!p[0].revents)
			continue;
		if (fd < 0) {
			fd = accept(c->listen_fd, NULL, NULL);
			continue;
		}
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		dump_recv_feed(&c->recv, buf, (size_t)n);
	}
	/* QEMU may still have bytes in flight when it ends: take what the socket holds. */
	if (fd >= 0) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			dump_recv_feed(&c->recv, buf, (size_t)n);
		close(fd);
	}
	return NULL;
}

int dump_chan_start(struct dump_chan *c, const char *dir, FILE *log)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = c->stop_fd[0] = c->stop_fd[1] = -1;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(log, "ferrovisor: --dump-dir: cannot create %s: %s\n", dir,
		        strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK) != 0) {
		fprintf(log, "ferrovisor: --dump-dir: %s is not a writable directory\n", dir);
		return -1;
	}
	const char *tmp = getenv("TMPDIR");
	snprintf(c->sock_dir, sizeof(c->sock_dir), "%s/fvdump.XXXXXX",
	         tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(c->sock_dir)) {
		fprintf(log, "ferrovisor: --dump-dir: cannot make a private directory: %s\n",
		        strerror(errno));
		c->sock_dir[0] = '\0';
		return -1;
	}
	snprintf(c->sock_path, sizeof(c->sock_path), "%s/dump.sock", c->sock_dir);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	/* sock_dir is at most 40 + 14 characters (above): the path fits sun_path. */
	_Static_assert(sizeof(c->sock_dir) + sizeof("/dump.sock") <= sizeof(a.sun_path), "fits");
	memcpy(a.sun_path, c->sock_path, strlen(c->sock_path) + 1);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->listen_fd < 0 || bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(c->listen_fd, 1) != 0 || pipe(c->stop_fd) != 0) {
		fprintf(log, "ferrovisor: --dump-dir: cannot listen on %s: %s\n", c->sock_path,
		        strerror(errno));
		dump_chan_stop(c);
		return -1;
	}
	fcntl(c->stop_fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(c->stop_fd[1], F_SETFD, FD_CLOEXEC);
	dump_recv_init(&c->recv, dir, log);
	if (pthread_create(&c->thread, NULL, chan_thread, c) != 0) {
		fprintf(log, "ferrovisor: --dump-dir: cannot start the reader thread\n");
		dump_chan_stop(c);
		return -1;
	}
	c->running = true;
	return 0;
}

void dump_chan_stop(struct dump_chan *c)
{
	if (c->running) {
		ssize_t n = write(c->stop_fd[1], "x", 1);
		(void)n;
		pthread_join(c->thread, NULL);
		c->running = false;
		dump_recv_finish(&c->recv);
	}
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	for (int i = 0; i < 2; i++)
		if (c->stop_fd[i] >= 0)
			close(c->stop_fd[i]);
	c->listen_fd = c->stop_fd[0] = c->stop_fd[1] = -1;
	if (c->sock_path[0])
		unlink(c->sock_path);
	if (c->sock_dir[0])
		rmdir(c->sock_dir);
	c->sock_path[0] = c->sock_dir[0] = '\0';
}
