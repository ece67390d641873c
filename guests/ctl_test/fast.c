// SPDX-License-Identifier: MIT
/*
 * The control channel answered on notification (issue 15, hyp/core/bootwork.c): CTL_STATS
 * carries where frames were answered (a round the notification asked for, or the 10 ms
 * tick); a run of round trips is answered on the notify path; a flood of garbage larger
 * than the inbound queue and the per-round budget is survived and the channel answers
 * again. Round-trip times are printed for information, never checked.
 */
#include "ct.h"

#include "plat.h"
#include "printf.h"
#include "test.h"

#define RTT_N        64
#define FLOOD        (192u << 10) /* three times the inbound queue */
#define STATS_TAIL   (40u + 8u * CTL_STATUS_COUNT)
#define UPLOAD_BYTES (2u << 20)

static uint64_t bad_magic; /* CTL_STATS' E_BAD_MAGIC count at the last notify_stats */

/* CTL_STATS' appended counters: notify frames, notify rounds, requeues, tick frames. */
static bool notify_stats(uint64_t out[4])
{
	uint32_t len;
	if (fvcp_call(CTL_T_CTL_STATS, NULL, 0) != CTL_OK)
		return false;
	const uint8_t *p = ct_resp(&len);
	if (len != sizeof(struct ctl_stats))
		return false;
	for (unsigned i = 0; i < 4; i++)
		out[i] = ctl_get64(p + STATS_TAIL + 8 * i);
	bad_magic = ctl_get64(p + 40 + 8 * CTL_E_BAD_MAGIC);
	return true;
}

static void sort(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

void suite_fast(void)
{
	uint64_t a[4], b[4];
	test_check(notify_stats(a), "ctl.ctl_stats.notify_fields");
	/* Everything before (session, uploads, hostile input) ran through the channel. */
	test_check(a[0] > 0 && a[1] > 0, "ctl.notify.frames_answered");

	static uint64_t rtt[RTT_N];
	unsigned ok = 0;
	for (unsigned i = 0; i < RTT_N; i++) {
		uint64_t t0 = plat_now();
		if (fvcp_call(CTL_T_HOST_INFO, NULL, 0) == CTL_OK)
			ok++;
		rtt[i] = plat_now() - t0;
	}
	test_check_eq("ctl.notify.round_trips", ok, RTT_N);
	test_check(notify_stats(b), "ctl.ctl_stats.again");
	/*
	 * Each request is answered by the round its notification asked for; the tick would
	 * take a few at most (it fires every 10 ms, a round trip takes far less). Without the
	 * notify path every one of them would be the tick's.
	 */
	uint64_t fast = b[0] - a[0], tick = b[3] - a[3];
	test_check(fast > tick && fast >= RTT_N / 2, "ctl.notify.most_on_notify");
	sort(rtt, RTT_N);
	uint64_t per_ms = plat_ms_to_ticks(1);
	printf("ctl_test: %u round trips: median %lu us, max %lu us; frames on notify %lu, by "
	       "the tick %lu\n",
	       RTT_N, (unsigned long)(rtt[RTT_N / 2] * 1000 / per_ms),
	       (unsigned long)(rtt[RTT_N - 1] * 1000 / per_ms), (unsigned long)fast,
	       (unsigned long)tick);

	/*
	 * Channel throughput: 2 MiB of upload chunks of CTL_CHUNK_MAX bytes, one at a time
	 * (each answered before the next goes), then aborted. For information.
	 */
	static uint8_t ch[16 + CTL_CHUNK_MAX];
	uint8_t req[16];
	ctl_put64(req, UPLOAD_BYTES);
	ctl_put32(req + 8, 0);
	ctl_put32(req + 12, 0);
	long st = fvcp_call(CTL_T_UPLOAD_BEGIN, req, 16);
	uint32_t len;
	uint32_t id = st == CTL_OK ? ctl_get32(ct_resp(&len)) : 0;
	uint64_t t0 = plat_now();
	for (uint32_t off = 0; st == CTL_OK && off < UPLOAD_BYTES; off += CTL_CHUNK_MAX) {
		uint32_t k =
		    UPLOAD_BYTES - off < CTL_CHUNK_MAX ? UPLOAD_BYTES - off : CTL_CHUNK_MAX;
		ctl_put32(ch, id);
		ctl_put32(ch + 4, 0);
		ctl_put64(ch + 8, off);
		st = fvcp_call(CTL_T_UPLOAD_CHUNK, ch, 16 + k);
	}
	uint64_t dt = plat_now() - t0;
	test_check_eq("ctl.notify.upload_chunks", st, CTL_OK);
	ctl_put32(req, id);
	ctl_put32(req + 4, 0);
	ctl_put64(req + 8, 0);
	test_check_eq("ctl.notify.upload_abort", fvcp_call(CTL_T_UPLOAD_ABORT, req, 16), CTL_OK);
	uint64_t us = dt * 1000 / per_ms;
	printf("ctl_test: upload of %u KiB in %u-byte chunks, one at a time: %lu us, %lu KB/s\n",
	       UPLOAD_BYTES >> 10, CTL_CHUNK_MAX, (unsigned long)us,
	       (unsigned long)(us ? (uint64_t)UPLOAD_BYTES * 1000 / us : 0));

	/* A hostile flood: more garbage than the inbound queue holds, as fast as it goes. */
	test_check(notify_stats(b), "ctl.ctl_stats.before_flood");
	uint64_t magic0 = bad_magic;
	static uint8_t junk[4096];
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = 0x55;
	for (unsigned n = 0; n < FLOOD; n += sizeof(junk))
		vcon_write(junk, sizeof(junk));
	/* The error replies to the garbage are strays to ct_call; a later request is answered. */
	long s = -1;
	for (unsigned tries = 0; tries < 3 && s != CTL_OK; tries++)
		s = fvcp_call(CTL_T_HOST_INFO, NULL, 0);
	test_check_eq("ctl.hostile.flood_recovers", s, CTL_OK);
	uint64_t c[4];
	test_check(notify_stats(c), "ctl.ctl_stats.after_flood");
	/* The garbage was answered with errors (one per run of it), not ignored. */
	test_check(bad_magic > magic0, "ctl.hostile.flood_errors");
	printf("ctl_test: flood of %u KiB: %lu notify rounds, %lu requeued\n", FLOOD >> 10,
	       (unsigned long)(c[1] - b[1]), (unsigned long)(c[2] - b[2]));
}
