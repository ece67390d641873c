// SPDX-License-Identifier: MIT
/* Child process runner for QEMU and qemu-img (contract in proc.h). */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS       20000000L /* 20 ms between checks of the child */
#define KILL_GRACE_MS 3000      /* between SIGTERM and SIGKILL at a timeout */

static volatile sig_atomic_t pending_sig;
/* The first signal the tool received while the child ran (0 = none). */
static volatile sig_atomic_t received_sig;

static void on_signal(int sig)
{
	pending_sig = sig;
	if (!received_sig)
		received_sig = sig;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* In the child: die with the parent, then exec; on failure report errno through fd. */
static void child(char *const argv[], int fd, pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(PROC_EXIT_NOEXEC);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	execvp(argv[0], argv);
	int e = errno;
	ssize_t n = write(fd, &e, sizeof(e));
	(void)n;
	_exit(PROC_EXIT_NOEXEC);
}

static int wait_child(pid_t pid, unsigned timeout_s, bool *timed_out)
{
	uint64_t deadline = timeout_s ? now_ms() + (uint64_t)timeout_s * 1000 : 0, kill_at = 0;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if (pending_sig) {
			kill(pid, pending_sig);
			pending_sig = 0;
		}
		uint64_t t = now_ms();
		if (deadline && t >= deadline && !*timed_out) {
			*timed_out = true;
			kill(pid, SIGTERM);
			kill_at = t + KILL_GRACE_MS;
		}
		if (kill_at && t >= kill_at) {
			kill(pid, SIGKILL);
			kill_at = 0;
		}
		struct timespec ts = {0, POLL_NS};
		nanosleep(&ts, NULL);
	}
}

int proc_run(char *const argv[], unsigned timeout_s)
{
	struct termios tio;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &tio) == 0;
	int pfd[2];
	if (pipe(pfd) != 0 || fcntl(pfd[0], F_SETFD, FD_CLOEXEC) != 0 ||
	    fcntl(pfd[1], F_SETFD, FD_CLOEXEC) != 0) {
		fprintf(stderr, "ferrovisor: pipe: %s\n", strerror(errno));
		return PROC_EXIT_NOEXEC;
	}
	struct sigaction sa, old[3];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	pending_sig = 0;
	received_sig = 0;

	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		child(argv, pfd[1], parent);
	close(pfd[1]);
	int ret;
	if (pid < 0) {
		fprintf(stderr, "ferrovisor: fork: %s\n", strerror(errno));
		ret = PROC_EXIT_NOEXEC;
		goto out;
	}
	int err = 0;
	ssize_t n;
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	bool timed_out = false;
	int status = wait_child(pid, timeout_s, &timed_out);
	if (n == (ssize_t)sizeof(err)) {
		fprintf(stderr, "ferrovisor: cannot run %s: %s\n", argv[0], strerror(err));
		ret = PROC_EXIT_NOEXEC;
	} else if (timed_out) {
		fprintf(stderr, "\nferrovisor: timeout after %u s: stopped %s\n", timeout_s,
		        argv[0]);
		ret = PROC_EXIT_TIMEOUT;
	} else if (status < 0) {
		fprintf(stderr, "ferrovisor: waitpid: %s\n", strerror(errno));
		ret = PROC_EXIT_NOEXEC;
	} else if (received_sig) {
		/*
		 * The tool was told to stop: say so in the exit code, as a shell does,
		 * whatever the child made of the forwarded signal (QEMU exits 0 on SIGTERM).
		 */
		fprintf(stderr, "\nferrovisor: stopped by signal %d (%s)\n", (int)received_sig,
		        strsignal(received_sig));
		ret = 128 + received_sig;
	} else if (WIFEXITED(status)) {
		ret = WEXITSTATUS(status);
	} else {
		ret = 128 + WTERMSIG(status);
	}
out:
	close(pfd[0]);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &tio);
	return ret;
}
