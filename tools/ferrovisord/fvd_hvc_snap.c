// SPDX-License-Identifier: MIT
/*
 * Snapshots over the control channel (docs/control-protocol.md "Snapshots"): the backend
 * operations of fvd_backend.h translated into SNAP_* and RESTORE_* requests, each under
 * the backend's op_lock like every other operation (HVC_SNAP_LOCKED). The hypervisor keeps
 * the session state; the daemon only passes ids, offsets and bytes through.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fvd_hvc_int.h"
#include "fvd_route.h"

#define HVC_SNAP_LOCKED(call)                                                                      \
	do {                                                                                       \
		struct fvd_hvc *h_ = be;                                                           \
		int r_;                                                                            \
		pthread_mutex_lock(&h_->op_lock);                                                  \
		r_ = call;                                                                         \
		pthread_mutex_unlock(&h_->op_lock);                                                \
		return r_;                                                                         \
	} while (0)

#define HVC_SNAP_BUSY_TRIES 100 /* x 20 ms */

_Static_assert(FVD_SNAP_CHUNK <= CTL_SNAP_CHUNK && FVD_SNAP_CHUNK <= CTL_CHUNK_MAX,
               "one backend chunk is one request");

static int snap_begin_l(struct fvd_hvc *h, const char *name, uint32_t *id, uint64_t *size)
{
	uint8_t p[sizeof(struct ctl_snap_begin)];
	size_t len;
	int err;

	memset(p, 0, sizeof(p));
	fvd_hvc_name_field(p, name);
	err = fvd_hvc_call(h, CTL_T_SNAP_BEGIN, p, sizeof(p), &len);
	if (err)
		return err;
	if (len != sizeof(struct ctl_snap_info))
		return FVD_E_IO;
	*id = ctl_get32(h->resp);
	*size = ctl_get64(h->resp + 8);
	return FVD_OK;
}

static int snap_begin_once(void *be, const char *name, uint32_t *id, uint64_t *size)
{
	HVC_SNAP_LOCKED(snap_begin_l(h_, name, id, size));
}

int fvd_hvc_snap_begin(void *be, const char *name, uint32_t *id, uint64_t *size)
{
	/* E_BUSY: the VM is paused but a vCPU has not left its CPU yet (or another save is
	 * open); ask again for a while, without holding the lock in between. */
	for (int tries = 0;; tries++) {
		int err = snap_begin_once(be, name, id, size);
		if (err != FVD_E_BUSY || tries == HVC_SNAP_BUSY_TRIES)
			return err;
		nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
	}
}

/* SNAP_READ or MIG_READ (the same request and answer). */
static int snap_read_l_type(struct fvd_hvc *h, uint16_t type, uint32_t id, uint64_t off, void *buf,
                            size_t max, size_t *n)
{
	uint8_t p[sizeof(struct ctl_snap_read)];
	size_t len;
	int err;

	if (max == 0)
		return FVD_E_INVAL;
	if (max > FVD_SNAP_CHUNK)
		max = FVD_SNAP_CHUNK;
	ctl_put32(p, id);
	ctl_put32(p + 4, (uint32_t)max);
	ctl_put64(p + 8, off);
	err = fvd_hvc_call(h, type, p, sizeof(p), &len);
	if (err)
		return err;
	if (len > max)
		return FVD_E_IO;
	memcpy(buf, h->resp, len);
	*n = len;
	return FVD_OK;
}

int fvd_hvc_snap_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n)
{
	HVC_SNAP_LOCKED(snap_read_l_type(h_, CTL_T_SNAP_READ, id, off, buf, max, n));
}

static int id_flags_l(struct fvd_hvc *h, uint16_t type, uint32_t id, uint32_t flags)
{
	uint8_t p[sizeof(struct ctl_snap_end)];
	size_t len;

	ctl_put32(p, id);
	ctl_put32(p + 4, flags);
	return fvd_hvc_call(h, type, p, sizeof(p), &len);
}

int fvd_hvc_snap_end(void *be, uint32_t id, bool resume)
{
	HVC_SNAP_LOCKED(id_flags_l(h_, CTL_T_SNAP_END, id, resume ? CTL_SNAP_RESUME : 0));
}

static int restore_begin_l(struct fvd_hvc *h, const char *name, uint64_t size, uint32_t *id)
{
	uint8_t p[sizeof(struct ctl_restore_begin)];
	size_t len;
	int err;

	memset(p, 0, sizeof(p));
	fvd_hvc_name_field(p, name);
	ctl_put64(p + 32, size); /* 0: a migration stream, complete at its END */
	/* Data of an earlier restore still in flight is answered before this one starts. */
	err = fvd_hvc_fly_wait(h, 0);
	pthread_mutex_lock(&h->io_lock);
	h->fly_err[HVC_FLY_RESTORE] = 0;
	pthread_mutex_unlock(&h->io_lock);
	if (err)
		return err;
	err = fvd_hvc_call(h, CTL_T_RESTORE_BEGIN, p, sizeof(p), &len);
	/* A VM of that name exists: the hypervisor says "bad state" for the name. */
	if (err == FVD_E_STATE)
		return FVD_E_EXISTS;
	if (err)
		return err;
	if (len != sizeof(struct ctl_upload_id))
		return FVD_E_IO;
	*id = ctl_get32(h->resp);
	return FVD_OK;
}

int fvd_hvc_restore_begin(void *be, const char *name, uint64_t size, uint32_t *id)
{
	HVC_SNAP_LOCKED(restore_begin_l(h_, name, size, id));
}

/* The first error among the restore's answers so far. */
/*
 * Pipelined like an upload (HVC_CHUNK_WINDOW in flight): the hypervisor takes RESTORE_DATA
 * in order and refuses everything after a bad piece, so the first error among the answers is
 * the one that counts; it is returned by a later call, at the latest by the commit.
 */
static int restore_data_l(struct fvd_hvc *h, uint32_t id, uint64_t off, const void *data, size_t n)
{
	int err;

	if (n == 0 || n > FVD_SNAP_CHUNK)
		return FVD_E_INVAL;
	err = fvd_hvc_fly_error(h, HVC_FLY_RESTORE);
	if (err)
		return err;
	ctl_put32(h->chunk, id);
	ctl_put32(h->chunk + 4, 0);
	ctl_put64(h->chunk + 8, off);
	memcpy(h->chunk + 16, data, n);
	return fvd_hvc_send_windowed(h, CTL_T_RESTORE_DATA, HVC_FLY_RESTORE, h->chunk, 16 + n,
	                             off + n);
}

int fvd_hvc_restore_data(void *be, uint32_t id, uint64_t off, const void *data, size_t len)
{
	HVC_SNAP_LOCKED(restore_data_l(h_, id, off, data, len));
}

static int restore_end_l(struct fvd_hvc *h, uint32_t id, bool commit, bool resume,
                         struct fvd_vm_info *out)
{
	size_t len;
	int err, werr;

	/* Every piece answered first: a refused one fails the commit with its own error. */
	werr = fvd_hvc_fly_wait(h, 0);
	if (!commit)
		return id_flags_l(h, CTL_T_RESTORE_ABORT, id, 0);
	err = fvd_hvc_fly_error(h, HVC_FLY_RESTORE);
	if (err || werr)
		return err ? err : werr;
	ctl_put32(h->chunk, id);
	ctl_put32(h->chunk + 4, resume ? CTL_SNAP_RESUME : 0);
	err = fvd_hvc_call(h, CTL_T_RESTORE_COMMIT, h->chunk, sizeof(struct ctl_snap_end), &len);
	if (err)
		return err;
	if (len != sizeof(struct ctl_vm_entry))
		return FVD_E_IO;
	fvd_hvc_vm_entry(h->resp, out);
	fvd_hvc_created(h, h->resp + 56);
	return FVD_OK;
}

int fvd_hvc_restore_end(void *be, uint32_t id, bool commit, bool resume, struct fvd_vm_info *out)
{
	HVC_SNAP_LOCKED(restore_end_l(h_, id, commit, resume, out));
}

/* --- live migration, source side (MIG_*, docs/control-protocol.md "Live migration") ----------- */

static int mig_begin_l(struct fvd_hvc *h, const char *name, uint32_t *id, uint64_t *bytes)
{
	uint8_t p[sizeof(struct ctl_snap_begin)];
	size_t len;
	int err;

	memset(p, 0, sizeof(p));
	fvd_hvc_name_field(p, name);
	err = fvd_hvc_call(h, CTL_T_MIG_BEGIN, p, sizeof(p), &len);
	if (err)
		return err;
	if (len != sizeof(struct ctl_snap_info))
		return FVD_E_IO;
	*id = ctl_get32(h->resp);
	*bytes = ctl_get64(h->resp + 8);
	return FVD_OK;
}

int fvd_hvc_mig_begin(void *be, const char *name, uint32_t *id, uint64_t *bytes)
{
	HVC_SNAP_LOCKED(mig_begin_l(h_, name, id, bytes));
}

static int mig_round_l(struct fvd_hvc *h, uint32_t id, bool final, struct fvd_mig_round *out)
{
	uint8_t p[sizeof(struct ctl_snap_end)];
	size_t len;
	int err;

	ctl_put32(p, id);
	ctl_put32(p + 4, final ? CTL_MIG_FINAL : 0);
	err = fvd_hvc_call(h, CTL_T_MIG_ROUND, p, sizeof(p), &len);
	if (err)
		return err;
	if (len != sizeof(struct ctl_mig_round))
		return FVD_E_IO;
	out->round = ctl_get32(h->resp);
	out->pages = ctl_get64(h->resp + 8);
	out->bytes = ctl_get64(h->resp + 16);
	return FVD_OK;
}

static int mig_round_once(void *be, uint32_t id, bool final, struct fvd_mig_round *out)
{
	HVC_SNAP_LOCKED(mig_round_l(h_, id, final, out));
}

bool fvd_hvc_read_done(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p)
{
	for (unsigned i = 0; i < h->rd_n; i++) {
		if (h->rd[i].seq != rh->seq || h->rd[i].got)
			continue;
		h->rd[i].got = true;
		h->rd[i].type = rh->type;
		h->rd[i].status = rh->status;
		h->rd[i].len = rh->len <= sizeof(h->rd[i].payload) ? rh->len : UINT32_MAX;
		if (h->rd[i].len != UINT32_MAX)
			memcpy(h->rd[i].payload, p, h->rd[i].len);
		pthread_cond_broadcast(&h->io_cond);
		return true;
	}
	return false;
}

/*
 * MIG_READ of up to @max bytes as a batch of up to HVC_READ_WINDOW requests sent at once, at
 * off, off + CTL_SNAP_CHUNK, ...: the hypervisor fills every answer up to its max until the
 * segment ends (snap_gen_read), so the offsets are known in advance. The answers count in
 * order up to the first short one (the segment's end) or error; requests past it are
 * answered E_SEQUENCE and ignored. Bytes before an error are returned; an error with no
 * bytes before it is returned (E_BUSY: the caller asks again).
 */
static int mig_read_batch_l(struct fvd_hvc *h, uint32_t id, uint64_t off, uint8_t *buf, size_t max,
                            size_t *n)
{
	struct ctl_hdr hdr = {.magic = CTL_MAGIC, .version = h->version, .type = CTL_T_MIG_READ};
	unsigned k = (unsigned)((max + CTL_SNAP_CHUNK - 1) / CTL_SNAP_CHUNK), sent = 0;
	struct timespec dl;
	int err = FVD_OK;
	size_t done = 0;

	if (max == 0)
		return FVD_E_INVAL;
	if (k > HVC_READ_WINDOW)
		k = HVC_READ_WINDOW;
	pthread_mutex_lock(&h->io_lock);
	if (h->dead) {
		pthread_mutex_unlock(&h->io_lock);
		return FVD_E_IO;
	}
	/* Registered before they are written: an answer may come before the next send. */
	for (unsigned i = 0; i < k; i++) {
		h->rd[i].seq = ++h->seq;
		h->rd[i].got = false;
	}
	h->rd_n = k;
	pthread_mutex_unlock(&h->io_lock);
	for (; sent < k; sent++) {
		uint8_t p[sizeof(struct ctl_snap_read)];
		size_t piece = max - sent * CTL_SNAP_CHUNK, fl;

		if (piece > CTL_SNAP_CHUNK)
			piece = CTL_SNAP_CHUNK;
		ctl_put32(p, id);
		ctl_put32(p + 4, (uint32_t)piece);
		ctl_put64(p + 8, off + sent * CTL_SNAP_CHUNK);
		hdr.seq = h->rd[sent].seq;
		fl = ctl_encode(h->tx, sizeof(h->tx), &hdr, p, sizeof(p));
		if (!fl || !fvd_hvc_send(h, h->tx, fl))
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += h->timeout_ms / 1000;
	dl.tv_nsec += (long)(h->timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->io_lock);
	for (unsigned i = 0; i < sent; i++) {
		while (!h->rd[i].got && !h->dead) {
			if (pthread_cond_timedwait(&h->io_cond, &h->io_lock, &dl) == ETIMEDOUT)
				break;
		}
	}
	for (unsigned i = 0; i < k; i++) {
		size_t piece = max - i * CTL_SNAP_CHUNK;

		if (piece > CTL_SNAP_CHUNK)
			piece = CTL_SNAP_CHUNK;
		if (i >= sent || !h->rd[i].got) {
			const char *what =
			    h->dead ? "the channel closed" : "not sent or no answer in time";

			fprintf(stderr, "ferrovisord: MIG_READ at %llu: %s\n",
			        (unsigned long long)(off + i * CTL_SNAP_CHUNK), what);
			fvd_io_detail_set("control request MIG_READ at byte %llu: %s",
			                  (unsigned long long)(off + i * CTL_SNAP_CHUNK), what);
			err = FVD_E_IO;
			break;
		}
		if (h->rd[i].status != CTL_OK) {
			err = fvd_hvc_status_err(h->rd[i].status);
			break;
		}
		if (h->rd[i].type != CTL_T_MIG_READ || h->rd[i].len > piece) {
			err = FVD_E_IO;
			break;
		}
		memcpy(buf + done, h->rd[i].payload, h->rd[i].len);
		done += h->rd[i].len;
		if (h->rd[i].len < piece)
			break; /* the segment's end */
	}
	/* Late answers of this batch are skipped as stale. */
	h->rd_n = 0;
	pthread_mutex_unlock(&h->io_lock);
	*n = done;
	return done ? FVD_OK : err;
}

static int mig_read_once(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n)
{
	HVC_SNAP_LOCKED(mig_read_batch_l(h_, id, off, buf, max, n));
}

/* E_BUSY from MIG_ROUND / MIG_READ: a write protection not yet effective on every CPU, or a
 * vCPU still leaving its CPU after the final pause: microseconds to milliseconds. */
#define HVC_MIG_BUSY_TRIES 2000 /* x 1 ms */

int fvd_hvc_mig_round(void *be, uint32_t id, bool final, struct fvd_mig_round *out)
{
	for (int tries = 0;; tries++) {
		int err = mig_round_once(be, id, final, out);
		if (err != FVD_E_BUSY || tries == HVC_MIG_BUSY_TRIES)
			return err;
		nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
	}
}

int fvd_hvc_mig_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n)
{
	for (int tries = 0;; tries++) {
		int err = mig_read_once(be, id, off, buf, max, n);
		if (err != FVD_E_BUSY || tries == HVC_MIG_BUSY_TRIES)
			return err;
		nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
	}
}

int fvd_hvc_mig_end(void *be, uint32_t id, bool resume)
{
	HVC_SNAP_LOCKED(id_flags_l(h_, CTL_T_MIG_END, id, resume ? CTL_SNAP_RESUME : 0));
}
