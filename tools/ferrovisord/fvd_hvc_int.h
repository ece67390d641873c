/* SPDX-License-Identifier: MIT */
/*
 * Internals of the control-channel backend shared by its two files: fvd_hvc.c (operations,
 * requests and their responses) and fvd_hvc_pump.c (the reader thread: frames, events,
 * console output, attachments). Not for other users; see fvd_hvc.h.
 *
 * Locks (documented at struct fvd_hvc): op_lock, then io_lock, then tx_lock; the hub's
 * lock is taken last.
 */
#ifndef FVD_HVC_INT_H
#define FVD_HVC_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/ctl_proto.h"
#include "fvd_backend.h"

#define HVC_LIST_MAX     ((CTL_MAX_PAYLOAD - 8u) / 88u)
#define HVC_ASYNC_MAX    16u   /* the pump's own requests in flight */
#define HVC_ATTACHED_MAX 64u   /* VMs whose console the daemon follows */
#define HVC_INTENTS      16u   /* recent operator requests, to tell who changed a state */
#define HVC_INTENT_MS    60000 /* an operator request explains state events this long */
#define HVC_STATS_MS     5000  /* CTL_STATS poll period (control errors as events) */
#define HVC_POLL_MS      200   /* pump wake-up, to notice close */
/*
 * UPLOAD_CHUNK requests in flight at once. The hypervisor answers the control channel from
 * its console tick (every 10 ms), so one chunk per round trip caps an upload near 0.8 MB/s;
 * three maximal chunks (3 x 8208 bytes) stay within the 32 KiB of unanswered requests the
 * protocol allows (docs/control-protocol.md, "For the daemon").
 */
#define HVC_CHUNK_WINDOW 3u
/*
 * MIG_READs in flight at once (fvd_hvc_snap.c): the requests are small, their answers up to
 * CTL_SNAP_CHUNK bytes each, 32 KiB in all. One read per round trip was the migration's
 * pace. The hypervisor's outbound queue keeps 48 KiB free of events for answers (ctl.c
 * CTL_EVENT_RESERVE, statically checked against four maximal frames): however many console
 * events wait, the answers to the whole window find room.
 */
#define HVC_READ_WINDOW 4u

/* Who sent a windowed data request (the ring is shared, so the 32 KiB bound holds for all). */
enum hvc_fly_kind { HVC_FLY_UPLOAD, HVC_FLY_RESTORE, HVC_FLY__COUNT };

enum hvc_async_kind { HVC_ASYNC_NONE, HVC_ASYNC_ATTACH, HVC_ASYNC_STATS };

struct hvc_async {
	uint32_t seq;
	enum hvc_async_kind kind;
	char name[CTL_NAME_MAX];
};

struct hvc_intent {
	char name[CTL_NAME_MAX];
	enum fvd_action act; /* FVD_ACT__COUNT: destroy */
	int64_t when_ms;
};

struct fvd_hvc {
	int fd;
	int timeout_ms;
	uint8_t version;
	uint32_t max_vms;
	char hypervisor[CTL_NAME_MAX + 1];
	/* The hypervisor's architecture (HOST_INFO), read once for the metrics; op_lock. */
	char arch[FVD_ARCH_MAX + 1];
	/* op_lock: one operation at a time; protects the upload and h->resp, h->tx, h->chunk. */
	pthread_mutex_t op_lock;
	/* The upload in progress (name given by the REST request). */
	bool uploading;
	uint32_t upload_id;
	struct fvd_vm_info upload;
	uint8_t tx[CTL_MAX_FRAME];
	uint8_t resp[CTL_MAX_PAYLOAD];
	uint8_t chunk[CTL_MAX_PAYLOAD];
	/*
	 * Upload pipeline (op_lock): package bytes gather in upbuf[16..16+acc] until a chunk is
	 * full (libmicrohttpd hands the body over in pieces of its own size); sent counts the
	 * bytes sent in chunks, upload.upload_done the bytes received from the client.
	 */
	uint8_t upbuf[CTL_MAX_PAYLOAD];
	size_t acc;
	uint64_t sent;

	/* io_lock: the handoff of the awaited response and the pump's state. */
	pthread_mutex_t io_lock;
	pthread_cond_t io_cond;
	uint32_t seq;      /* last request id used (operations and the pump's own) */
	uint32_t want_seq; /* the response an operation waits for, 0: none */
	bool got;
	uint16_t got_type;
	uint32_t got_status;
	uint32_t got_len;
	uint8_t got_payload[CTL_MAX_PAYLOAD];
	bool dead;     /* the channel failed: every operation fails fast */
	bool stopping; /* fvd_hvc_close: the pump exits */
	struct fvd_hub *hub;
	struct hvc_async async[HVC_ASYNC_MAX];
	/* UPLOAD_CHUNKs and RESTORE_DATAs in flight, oldest first (the pump retires their
	 * answers, in order); fly_err[kind] is the first error among that kind's answers and
	 * fly_why[kind] what it was (the status, or no answer), for the operator's detail. */
	struct {
		uint32_t seq;
		uint16_t type;
		enum hvc_fly_kind kind;
		uint64_t end; /* bytes the hypervisor has once this chunk is in */
	} fly[HVC_CHUNK_WINDOW];
	unsigned fly_head, fly_n;
	int fly_err[HVC_FLY__COUNT];
	char fly_why[HVC_FLY__COUNT][96];
	/* MIG_READs of one batch (fvd_hvc_snap.c, op_lock held by the reader): the pump fills in
	 * each answer; rd_n is 0 when no batch waits. */
	struct {
		uint32_t seq;
		bool got;
		uint16_t type;
		uint32_t status, len;
		uint8_t payload[CTL_MAX_PAYLOAD];
	} rd[HVC_READ_WINDOW];
	unsigned rd_n;
	char attached[HVC_ATTACHED_MAX][CTL_NAME_MAX];
	struct hvc_intent intents[HVC_INTENTS];
	unsigned next_intent;
	uint32_t ev_seq; /* last event seq seen (gaps: events the hypervisor dropped) */
	bool ev_seen;
	bool stats_known;
	uint64_t stats_errors;
	uint64_t stats_dropped;
	int64_t next_stats_ms;

	/* tx_lock: writes to fd. */
	pthread_mutex_t tx_lock;
	uint8_t ptx[CTL_MAX_FRAME]; /* the pump's own frames */

	/* Pump thread only. */
	pthread_t pump;
	bool pump_running;
	struct ctl_rx rx;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t fvd_hvc_now_ms(void);

/* The fvd_err of a hypervisor status (FVD_E_IO for one without its own). */
int fvd_hvc_status_err(uint32_t st);

/* The NUL-padded wire name field (CTL_NAME_MAX bytes) of name. */
void fvd_hvc_name_field(uint8_t *field, const char *name);

/* Writes one frame under tx_lock (any thread); false when the channel failed. */
bool fvd_hvc_send(struct fvd_hvc *h, const uint8_t *frame, size_t n);

/* op_lock held: one request and its response (payload to h->resp, length to *len).
 * Returns 0, a negative fvd_err for an error status, FVD_E_IO on failure or timeout. */
int fvd_hvc_call(struct fvd_hvc *h, uint16_t type, const void *req, size_t req_len, size_t *len);

/* io_lock held (pump): if rh answers the oldest UPLOAD_CHUNK or RESTORE_DATA in flight,
 * retires it (an error goes to fly_err[its kind]), wakes the sender and returns true. */
bool fvd_hvc_chunk_done(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p);

/*
 * op_lock held: sends one windowed data request (@type UPLOAD_CHUNK or RESTORE_DATA, whose
 * answer is ctl_upload_id with @end as the byte count) once fewer than HVC_CHUNK_WINDOW are
 * in flight; the pump retires its answer. FVD_E_IO when the channel failed or the window did
 * not drain within timeout_ms. Errors of the answers collect in fly_err[@kind].
 */
int fvd_hvc_send_windowed(struct fvd_hvc *h, uint16_t type, enum hvc_fly_kind kind,
                          const uint8_t *payload, size_t len, uint64_t end);

/* op_lock held, io_lock not: fly_err[@kind]; a channel failure (FVD_E_IO) also becomes the
 * operator's detail (fvd_io_detail_set) with what fly_why[@kind] recorded. */
int fvd_hvc_fly_error(struct fvd_hvc *h, enum hvc_fly_kind kind);

/* op_lock held: waits until at most @max windowed requests are in flight (FVD_E_IO: the
 * channel died or timeout_ms passed; the ring is then forgotten, every kind in it failed). */
int fvd_hvc_fly_wait(struct fvd_hvc *h, unsigned max);

/* io_lock held (pump): if rh answers a MIG_READ of the waiting batch, keeps it and returns
 * true (fvd_hvc_snap.c). */
bool fvd_hvc_read_done(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p);

/* The pump thread (started by fvd_hvc_open, joined by fvd_hvc_close). */
void *fvd_hvc_pump(void *arg);

/* op_lock held: attach to name's console unless already attached (only once a hub is set). */
void fvd_hvc_attach(struct fvd_hvc *h, const char *name);

/* op_lock held: a VM the daemon created (wire name field at p): attach and log it. */
void fvd_hvc_created(struct fvd_hvc *h, const uint8_t *p);

/* Reads a wire ctl_vm_entry (88 bytes at p). */
void fvd_hvc_vm_entry(const uint8_t *p, struct fvd_vm_info *vm);

/* Snapshot operations (fvd_hvc_snap.c; fvd_backend.h has their contracts). */
int fvd_hvc_snap_begin(void *be, const char *name, uint32_t *id, uint64_t *size);
int fvd_hvc_snap_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
int fvd_hvc_snap_end(void *be, uint32_t id, bool resume);
int fvd_hvc_restore_begin(void *be, const char *name, uint64_t size, uint32_t *id);
int fvd_hvc_restore_data(void *be, uint32_t id, uint64_t off, const void *data, size_t len);
int fvd_hvc_restore_end(void *be, uint32_t id, bool commit, bool resume, struct fvd_vm_info *out);
int fvd_hvc_mig_begin(void *be, const char *name, uint32_t *id, uint64_t *bytes);
int fvd_hvc_mig_round(void *be, uint32_t id, bool final, struct fvd_mig_round *out);
int fvd_hvc_mig_read(void *be, uint32_t id, uint64_t off, void *buf, size_t max, size_t *n);
int fvd_hvc_mig_end(void *be, uint32_t id, bool resume);

#endif /* FVD_HVC_INT_H */
