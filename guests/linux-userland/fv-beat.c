// SPDX-License-Identifier: MIT
/*
 * fv-beat: a 1 ms heartbeat on the guest's own clock (issue #14, live-migration downtime).
 *
 *   fv-beat [-o FILE] [SECONDS]
 *
 * Sleeps until a millisecond after the previous beat on CLOCK_MONOTONIC (clock_nanosleep,
 * absolute), reads the clock, and keeps the largest gap between two consecutive readings and
 * when it ended.
 * A summary line goes to stdout (and, with -o, replaces FILE: written to FILE.new, then
 * renamed, so a reader never sees half a line) on SIGUSR1, which also starts a new window,
 * and after SECONDS (then it exits 0; without SECONDS it runs until killed):
 *
 *   fv-beat: window <n> beats=<count> span_ms=<ms> max_gap_us=<us> at_ms=<ms> over_10ms=<count>
 *            gaps=<at_ms>:<us>,...
 *
 * at_ms is when the largest gap ended, from the window's start; over_10ms counts the gaps
 * longer than 10 ms; gaps lists the BEAT_KEEP largest of those in the order they ended
 * ("-" when none), so a reader can pick the one at a moment it knows (a switch-over). The heartbeat
 * sees what the guest's clock sees: a pause its clock does not count (a migration's switch-over
 * continues the clock from the pause) is not a gap. Errors: an "fv-beat: error ..." line and exit
 * status 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BEAT_NS   1000000LL
#define BEAT_KEEP 8

struct gap {
	int64_t at, len;
};

struct window {
	unsigned n;
	int64_t start, last, max_gap, max_at;
	uint64_t beats, over_10ms;
	unsigned ngaps;
	struct gap gaps[BEAT_KEEP]; /* the largest gaps over 10 ms, in no order */
};

/* Keeps a gap over 10 ms if it is among the BEAT_KEEP largest so far. */
static void keep_gap(struct window *w, int64_t at, int64_t len)
{
	unsigned min = 0;

	if (w->ngaps < BEAT_KEEP) {
		w->gaps[w->ngaps++] = (struct gap){at, len};
		return;
	}
	for (unsigned i = 1; i < BEAT_KEEP; i++)
		if (w->gaps[i].len < w->gaps[min].len)
			min = i;
	if (len > w->gaps[min].len)
		w->gaps[min] = (struct gap){at, len};
}

static int by_time(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

static volatile sig_atomic_t report;

static void on_usr1(int sig)
{
	(void)sig;
	report = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void window_start(struct window *w, int64_t t)
{
	w->n++;
	w->start = w->last = t;
	w->max_gap = w->max_at = 0;
	w->beats = w->over_10ms = 0;
	w->ngaps = 0;
}

static int summary(struct window *w, int64_t t, const char *out)
{
	char line[200 + BEAT_KEEP * 48];
	size_t n;

	n = (size_t)snprintf(
	    line, sizeof(line),
	    "fv-beat: window %u beats=%llu span_ms=%lld max_gap_us=%lld at_ms=%lld "
	    "over_10ms=%llu gaps=",
	    w->n, (unsigned long long)w->beats, (long long)((t - w->start) / 1000000),
	    (long long)(w->max_gap / 1000), (long long)((w->max_at - w->start) / 1000000),
	    (unsigned long long)w->over_10ms);
	qsort(w->gaps, w->ngaps, sizeof(w->gaps[0]), by_time);
	for (unsigned i = 0; i < w->ngaps; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%lld:%lld", i ? "," : "",
		                      (long long)((w->gaps[i].at - w->start) / 1000000),
		                      (long long)(w->gaps[i].len / 1000));
	snprintf(line + n, sizeof(line) - n, "%s\n", w->ngaps ? "" : "-");
	fputs(line, stdout);
	fflush(stdout);
	if (!out)
		return 0;
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s.new", out);
	FILE *f = fopen(tmp, "w");
	if (!f || fputs(line, f) < 0 || fclose(f) != 0 || rename(tmp, out) != 0) {
		printf("fv-beat: error writing %s: %s\n", out, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	long long seconds = 0;
	struct window w = {0};
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0 && i + 1 < argc && strlen(argv[i + 1]) < 500) {
			out = argv[++i];
			continue;
		}
		char *end;
		errno = 0;
		seconds = strtoll(argv[i], &end, 10);
		if (errno || end == argv[i] || *end || seconds <= 0 || seconds > 86400) {
			printf("fv-beat: error usage: fv-beat [-o FILE] [SECONDS]\n");
			return 1;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0) {
		printf("fv-beat: error sigaction: %s\n", strerror(errno));
		return 1;
	}
	int64_t t0 = now_ns(), next = t0;
	window_start(&w, t0);
	for (;;) {
		next += BEAT_NS;
		struct timespec ts = {.tv_sec = next / 1000000000LL,
		                      .tv_nsec = next % 1000000000LL};
		/* EINTR (SIGUSR1): report now, the beat goes on from the clock below. */
		(void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		int64_t t = now_ns(), gap = t - w.last;
		/* Late beats are not made up: the next one is a millisecond after this one. */
		if (next < t)
			next = t;
		w.beats++;
		if (gap > w.max_gap) {
			w.max_gap = gap;
			w.max_at = t;
		}
		if (gap > 10 * BEAT_NS) {
			w.over_10ms++;
			keep_gap(&w, t, gap);
		}
		w.last = t;
		int done = seconds && t - t0 >= seconds * 1000000000LL;
		if (report || done) {
			report = 0;
			if (summary(&w, t, out))
				return 1;
			if (done)
				return 0;
			window_start(&w, t);
		}
	}
}
