// SPDX-License-Identifier: MIT
/*
 * fv-perf: count CPU cycles and retired instructions with perf_event_open around a loop of
 * a known length (2 instructions per iteration) and print them on one line:
 *   fv-perf: ok cycles=<n> instructions=<n> loop_insns=<n> ns=<CLOCK_MONOTONIC ns of the loop>
 * Usage: fv-perf [iterations] (default 10000000). Errors print "fv-perf: error ..." and
 * exit 1. Counts include the few kernel instructions around enabling/disabling (the
 * events exclude nothing: without Sscofpmf the kernel refuses exclude_* filters).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int open_counter(uint64_t config, const char *name)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_HARDWARE;
	a.size = sizeof(a);
	a.config = config;
	a.disabled = 1;
	long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
	if (fd < 0) {
		printf("fv-perf: error perf_event_open(%s): %s\n", name, strerror(errno));
		exit(1);
	}
	return (int)fd;
}

static uint64_t read_counter(int fd, const char *name)
{
	uint64_t v;
	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
		printf("fv-perf: error read(%s): %s\n", name, strerror(errno));
		exit(1);
	}
	return v;
}

static void spin(unsigned long n)
{
	/* Exactly two instructions per iteration. */
	__asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
}

int main(int argc, char **argv)
{
	unsigned long iters = 10000000UL;
	if (argc > 1) {
		char *end;
		iters = strtoul(argv[1], &end, 0);
		if (*end || iters == 0) {
			printf("fv-perf: error argument '%s' is not a positive integer\n", argv[1]);
			return 1;
		}
	}
	int cyc = open_counter(PERF_COUNT_HW_CPU_CYCLES, "cycles");
	int ins = open_counter(PERF_COUNT_HW_INSTRUCTIONS, "instructions");
	ioctl(cyc, PERF_EVENT_IOC_RESET, 0);
	ioctl(ins, PERF_EVENT_IOC_RESET, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ioctl(cyc, PERF_EVENT_IOC_ENABLE, 0);
	ioctl(ins, PERF_EVENT_IOC_ENABLE, 0);
	spin(iters);
	ioctl(ins, PERF_EVENT_IOC_DISABLE, 0);
	ioctl(cyc, PERF_EVENT_IOC_DISABLE, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
	uint64_t c = read_counter(cyc, "cycles"), i = read_counter(ins, "instructions");
	printf("fv-perf: ok cycles=%llu instructions=%llu loop_insns=%llu ns=%lld\n",
	       (unsigned long long)c, (unsigned long long)i, 2ULL * iters, ns);
	return 0;
}
