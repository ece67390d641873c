// SPDX-License-Identifier: MIT
/*
 * Control-channel backend (see fvd_hvc.h). Framing, CRC and stream reassembly are the
 * hypervisor's own code (hyp/core/ctl_proto.c, linked unchanged); this file maps backend
 * operations to requests and the protocol's statuses and states to ferrovisord's.
 *
 * A VM being created is known only to the daemon until UPLOAD_COMMIT returns it (the
 * hypervisor stages the package, the VM name is inside it): the upload in progress is kept
 * here and shown in listings as "creating" with its progress.
 *
 * Threads. A pump thread (fvd_hvc_pump.c) owns the read side of the channel from HELLO on:
 * it reads
 * continuously (so the tty's buffer never fills and the hypervisor never drops events for
 * want of a reader, even when no HTTP request is active), reassembles frames, feeds events
 * to the hub (fvd_hub.h) and hands the one awaited response to the operation waiting for it.
 * Operations run one at a time under op_lock (any HTTP thread); io_lock protects the
 * handoff and the pump's bookkeeping (attached consoles, operator intents, counters);
 * tx_lock serialises writes, since the pump sends requests of its own (CONSOLE_ATTACH for a
 * VM that appears, CTL_STATS every few seconds) whose responses it consumes itself.
 * Lock order: op_lock, then io_lock, then tx_lock; the hub's lock is taken last.
 */
#include "fvd_hvc.h"
#include "fvd_dump_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/ctl_proto.h"
#include "fvd_hub.h"
#include "fvd_hvc_int.h"
#include "fvd_metrics.h"
#include "fvd_route.h"
#include "fvd_trace.h"

static const struct {
	uint32_t status;
	int err;
} hvc_errs[] = {
    {CTL_E_NO_VM, FVD_E_NOTFOUND},       {CTL_E_BAD_STATE, FVD_E_STATE},
    {CTL_E_LIMIT, FVD_E_LIMIT},          {CTL_E_NO_MEMORY, FVD_E_NOMEM},
    {CTL_E_PERMISSION, FVD_E_DENIED},    {CTL_E_BUSY, FVD_E_BUSY},
    {CTL_E_NOT_SUPPORTED, FVD_E_NOTSUP}, {CTL_E_UPLOAD_SIZE, FVD_E_INVAL},
    {CTL_E_UPLOAD_CRC, FVD_E_INVAL},     {CTL_E_BAD_CONFIG, FVD_E_INVAL},
    {CTL_E_BAD_FIELD, FVD_E_INVAL},
};

static const enum fvd_state hvc_states[] = {
    [CTL_VM_STOPPED] = FVD_VM_STOPPED,     [CTL_VM_RUNNING] = FVD_VM_RUNNING,
    [CTL_VM_STOPPING] = FVD_VM_STOPPING,   [CTL_VM_CRASHED] = FVD_VM_CRASHED,
    [CTL_VM_SUSPENDED] = FVD_VM_SUSPENDED, [CTL_VM_PAUSED] = FVD_VM_PAUSED,
};

static const uint16_t hvc_action_types[FVD_ACT__COUNT] = {
    [FVD_ACT_START] = CTL_T_VM_START,   [FVD_ACT_STOP] = CTL_T_VM_STOP,
    [FVD_ACT_RESET] = CTL_T_VM_RESET,   [FVD_ACT_PAUSE] = CTL_T_VM_PAUSE,
    [FVD_ACT_RESUME] = CTL_T_VM_RESUME,
};

int fvd_hvc_status_err(uint32_t st)
{
	for (size_t i = 0; i < sizeof(hvc_errs) / sizeof(hvc_errs[0]); i++) {
		if (hvc_errs[i].status == st)
			return hvc_errs[i].err;
	}
	/* Anything else is a protocol failure between daemon and hypervisor. */
	return FVD_E_IO;
}

static bool hvc_write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

int64_t fvd_hvc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes one frame (any thread). */
bool fvd_hvc_send(struct fvd_hvc *h, const uint8_t *frame, size_t n)
{
	bool ok;

	pthread_mutex_lock(&h->tx_lock);
	ok = hvc_write_all(h->fd, frame, n);
	pthread_mutex_unlock(&h->tx_lock);
	return ok;
}

/* A request that failed on the channel: logged, and kept for the operator's error. */
static void hvc_io_fail(uint16_t type, uint32_t seq, const char *what)
{
	fprintf(stderr, "ferrovisord: control op 0x%02x seq %u: %s\n", type, seq, what);
	fvd_io_detail_set("control request 0x%02x (seq %u): %s", type, seq, what);
}

/*
 * op_lock held: one request and its response: the payload goes to h->resp, its length to
 * *len. The pump hands over the response with our seq; everything else it handles or skips.
 * Returns 0, a negative fvd_err for an error status, or FVD_E_IO (channel failed, or no
 * response within timeout_ms, however many other frames arrive meanwhile).
 */
/* timeout_ms from now on CLOCK_MONOTONIC (io_cond's clock). */
static void hvc_deadline(const struct fvd_hvc *h, struct timespec *dl)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += h->timeout_ms / 1000;
	dl->tv_nsec += (long)(h->timeout_ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

int fvd_hvc_call(struct fvd_hvc *h, uint16_t type, const void *req, size_t req_len, size_t *len)
{
	struct ctl_hdr hdr = {.magic = CTL_MAGIC, .version = h->version, .type = type};
	struct timespec dl;
	size_t n;
	int res = FVD_E_IO;

	hvc_deadline(h, &dl);
	pthread_mutex_lock(&h->io_lock);
	if (h->dead) {
		pthread_mutex_unlock(&h->io_lock);
		hvc_io_fail(type, 0, "the channel closed");
		return FVD_E_IO;
	}
	hdr.seq = ++h->seq;
	h->want_seq = hdr.seq;
	h->got = false;
	pthread_mutex_unlock(&h->io_lock);
	n = ctl_encode(h->tx, sizeof(h->tx), &hdr, req, req_len);
	if (!n || !fvd_hvc_send(h, h->tx, n)) {
		pthread_mutex_lock(&h->io_lock);
		h->want_seq = 0;
		pthread_mutex_unlock(&h->io_lock);
		/* A write that fails leaves the channel unusable: closed, as far as we can tell. */
		hvc_io_fail(type, hdr.seq, "the channel closed (a write failed)");
		return FVD_E_IO;
	}
	pthread_mutex_lock(&h->io_lock);
	while (!h->got && !h->dead) {
		if (pthread_cond_timedwait(&h->io_cond, &h->io_lock, &dl) == ETIMEDOUT)
			break;
	}
	if (!h->got) {
		/* The log and the operator's problem detail (fvd_io_detail) say which one. */
		hvc_io_fail(type, hdr.seq, h->dead ? "the channel closed" : "no answer in time");
	} else {
		if (h->got_status != CTL_OK) {
			res = fvd_hvc_status_err(h->got_status);
			if (res == FVD_E_IO)
				hvc_io_fail(type, hdr.seq, ctl_status_name(h->got_status));
		} else if (h->got_type != type || h->got_len > sizeof(h->resp)) {
			char what[64];

			snprintf(what, sizeof(what), "answer of type 0x%02x, %u bytes", h->got_type,
			         (unsigned)h->got_len);
			hvc_io_fail(type, hdr.seq, what);
			res = FVD_E_IO;
		} else {
			memcpy(h->resp, h->got_payload, h->got_len);
			*len = h->got_len;
			res = FVD_OK;
		}
	}
	h->want_seq = 0;
	h->got = false;
	pthread_mutex_unlock(&h->io_lock);
	return res;
}

void fvd_hvc_name_field(uint8_t *field, const char *name)
{
	memset(field, 0, CTL_NAME_MAX);
	memcpy(field, name, strnlen(name, CTL_NAME_MAX - 1));
}

/* Reads a wire ctl_vm_entry (88 bytes at p). */
static void hvc_vm_entry(const uint8_t *p, struct fvd_vm_info *vm)
{
	uint32_t st = ctl_get32(p + 4);

	memset(vm, 0, sizeof(*vm));
	vm->id = ctl_get32(p);
	vm->state =
	    st < sizeof(hvc_states) / sizeof(hvc_states[0]) ? hvc_states[st] : FVD_VM_CRASHED;
	vm->vcpus = ctl_get32(p + 8);
	vm->weight = ctl_get32(p + 12);
	vm->affinity = ctl_get64(p + 16);
	vm->memory_bytes = ctl_get64(p + 24);
	vm->service = (ctl_get32(p + 48) & CTL_VMF_SERVICE) != 0;
	memcpy(vm->name, p + 56, FVD_NAME_MAX);
	vm->name[FVD_NAME_MAX] = '\0';
}

void fvd_hvc_vm_entry(const uint8_t *p, struct fvd_vm_info *vm)
{
	hvc_vm_entry(p, vm);
}

/* The architecture of a HOST_INFO answer (@len bytes): its appended arch[] field, checked
 * like any input (lower-case letters, digits, '_' only), else "riscv64": a 56-byte answer
 * comes from a hypervisor built before the arm64 port. */
static void hvc_arch_from(const uint8_t *p, size_t len, char out[FVD_ARCH_MAX + 1])
{
	size_t n = 0;

	snprintf(out, FVD_ARCH_MAX + 1, "riscv64");
	if (len < sizeof(struct ctl_host_info))
		return;
	p += offsetof(struct ctl_host_info, arch);
	while (n < CTL_ARCH_MAX && n < FVD_ARCH_MAX && p[n] &&
	       ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') || p[n] == '_'))
		n++;
	if (n == 0 || (n < CTL_ARCH_MAX && p[n] != 0))
		return;
	memcpy(out, p, n);
	out[n] = '\0';
}

static int hvc_host_info_l(void *be, struct fvd_host_info *out)
{
	struct fvd_hvc *h = be;
	size_t len;
	int err = fvd_hvc_call(h, CTL_T_HOST_INFO, NULL, 0, &len);

	if (err)
		return err;
	if (len < offsetof(struct ctl_host_info, arch))
		return FVD_E_IO;
	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%s", h->hypervisor);
	out->cpus = ctl_get32(h->resp);
	out->vm_count = ctl_get32(h->resp + 4);
	out->vm_limit = ctl_get32(h->resp + 8);
	out->memory_total = ctl_get64(h->resp + 16);
	out->memory_free = ctl_get64(h->resp + 24);
	out->uptime_ms = ctl_get64(h->resp + 32) / 1000000u;
	hvc_arch_from(h->resp, len, out->arch);
	return FVD_OK;
}

static int hvc_vm_list_l(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
{
	struct fvd_hvc *h = be;
	size_t len, k = 0;
	uint32_t count;
	int err = fvd_hvc_call(h, CTL_T_VM_LIST, NULL, 0, &len);

	if (err)
		return err;
	count = len >= 8 ? ctl_get32(h->resp) : 0;
	if (len < 8 || count > HVC_LIST_MAX || len != 8u + (size_t)count * 88u)
		return FVD_E_IO;
	for (uint32_t i = 0; i < count; i++, k++) {
		if (k < max)
			hvc_vm_entry(h->resp + 8 + (size_t)i * 88u, &out[k]);
	}
	if (h->uploading) {
		if (k < max)
			out[k] = h->upload;
		k++;
	}
	*n = k;
	return FVD_OK;
}

static int hvc_vm_get_l(void *be, const char *name, struct fvd_vm_info *out)
{
	struct fvd_hvc *h = be;
	static struct fvd_vm_info all[HVC_LIST_MAX + 1]; /* op_lock held */
	size_t n;
	int err = hvc_vm_list_l(h, all, HVC_LIST_MAX + 1, &n);

	if (err)
		return err;
	for (size_t i = 0; i < n && i <= HVC_LIST_MAX; i++) {
		if (strcmp(all[i].name, name) == 0) {
			*out = all[i];
			return FVD_OK;
		}
	}
	return FVD_E_NOTFOUND;
}

static int hvc_vm_ref(struct fvd_hvc *h, uint16_t type, const char *name)
{
	uint8_t ref[CTL_NAME_MAX];
	size_t len;

	if (h->uploading && strcmp(name, h->upload.name) == 0)
		return FVD_E_BUSY;
	fvd_hvc_name_field(ref, name);
	return fvd_hvc_call(h, type, ref, sizeof(ref), &len);
}

/* An operator request about to be sent: state events for name in the next minute carry
 * cause "operator:ACTION" (until one reaches the request's target state). */
static unsigned hvc_intent_add(struct fvd_hvc *h, const char *name, enum fvd_action act)
{
	unsigned i;

	pthread_mutex_lock(&h->io_lock);
	i = h->next_intent++ % HVC_INTENTS;
	fvd_hvc_name_field((uint8_t *)h->intents[i].name, name);
	h->intents[i].act = act;
	h->intents[i].when_ms = fvd_hvc_now_ms();
	pthread_mutex_unlock(&h->io_lock);
	return i;
}

static void hvc_intent_drop(struct fvd_hvc *h, unsigned i)
{
	pthread_mutex_lock(&h->io_lock);
	h->intents[i].when_ms = 0;
	pthread_mutex_unlock(&h->io_lock);
}

static int hvc_vm_action_l(void *be, const char *name, enum fvd_action act)
{
	struct fvd_hvc *h = be;
	unsigned i;
	int err;

	if ((unsigned)act >= FVD_ACT__COUNT)
		return FVD_E_INVAL;
	i = hvc_intent_add(h, name, act);
	err = hvc_vm_ref(h, hvc_action_types[act], name);
	if (err)
		hvc_intent_drop(h, i);
	return err;
}

static int hvc_vm_destroy_l(void *be, const char *name)
{
	struct fvd_hvc *h = be;
	unsigned i = hvc_intent_add(h, name, FVD_ACT__COUNT);
	int err = hvc_vm_ref(h, CTL_T_VM_DESTROY, name);

	if (err)
		hvc_intent_drop(h, i);
	return err;
}

static int hvc_create_begin_l(void *be, const struct fvd_create_req *req)
{
	struct fvd_hvc *h = be;
	struct fvd_vm_info vm;
	uint8_t p[16] = {0};
	size_t len;
	int err;

	/* The hypervisor checks the whole package against a CRC announced up front. */
	if (!req->has_crc || req->package_bytes == 0)
		return FVD_E_INVAL;
	if (req->package_bytes > CTL_UPLOAD_MAX)
		return FVD_E_TOOBIG;
	if (h->uploading)
		return FVD_E_BUSY;
	err = hvc_vm_get_l(h, req->name, &vm);
	if (err != FVD_E_NOTFOUND)
		return err ? err : FVD_E_EXISTS;
	ctl_put64(p, req->package_bytes);
	ctl_put32(p + 8, req->crc32c);
	err = fvd_hvc_call(h, CTL_T_UPLOAD_BEGIN, p, sizeof(p), &len);
	if (err)
		return err;
	if (len != 16)
		return FVD_E_IO;
	h->upload_id = ctl_get32(h->resp);
	h->uploading = true;
	memset(&h->upload, 0, sizeof(h->upload));
	memcpy(h->upload.name, req->name, sizeof(h->upload.name));
	h->upload.state = FVD_VM_CREATING;
	h->upload.vcpus = req->vcpus;
	h->upload.memory_bytes = req->memory_bytes;
	h->upload.upload_total = req->package_bytes;
	h->sent = 0;
	h->acc = 0;
	/* A restore may have data in flight in the same ring: only the upload's error resets. */
	pthread_mutex_lock(&h->io_lock);
	h->fly_err[HVC_FLY_UPLOAD] = 0;
	pthread_mutex_unlock(&h->io_lock);
	return FVD_OK;
}

bool fvd_hvc_chunk_done(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p)
{
	unsigned i = h->fly_head;
	int err = FVD_OK;

	if (!h->fly_n || rh->seq != h->fly[i].seq)
		return false;
	if (rh->status != CTL_OK)
		err = fvd_hvc_status_err(rh->status);
	else if (rh->type != h->fly[i].type || rh->len != 16 || ctl_get64(p + 8) != h->fly[i].end)
		err = FVD_E_IO;
	if (err && !h->fly_err[h->fly[i].kind]) {
		char *why = h->fly_why[h->fly[i].kind];

		h->fly_err[h->fly[i].kind] = err;
		/* The pump's thread: logged here; the sender makes it its detail (fly_error). */
		snprintf(why, sizeof(h->fly_why[0]), "control request 0x%02x (seq %u): %s",
		         h->fly[i].type, rh->seq,
		         rh->status != CTL_OK ? ctl_status_name(rh->status) : "unexpected answer");
		fprintf(stderr, "ferrovisord: %s\n", why);
	}
	h->fly_head = (i + 1) % HVC_CHUNK_WINDOW;
	h->fly_n--;
	pthread_cond_broadcast(&h->io_cond);
	return true;
}

int fvd_hvc_fly_wait(struct fvd_hvc *h, unsigned max)
{
	struct timespec dl;
	int err = FVD_OK;

	hvc_deadline(h, &dl);
	pthread_mutex_lock(&h->io_lock);
	while (h->fly_n > max && !h->dead) {
		if (pthread_cond_timedwait(&h->io_cond, &h->io_lock, &dl) == ETIMEDOUT)
			break;
	}
	if (h->fly_n > max) {
		const char *what = h->dead ? "the channel closed" : "no answer in time";

		hvc_io_fail(h->fly[h->fly_head].type, h->fly[h->fly_head].seq, what);
		/* Their late answers are skipped as stale; whoever had one in flight failed. */
		for (unsigned k = 0; k < h->fly_n; k++) {
			unsigned i = (h->fly_head + k) % HVC_CHUNK_WINDOW;
			if (!h->fly_err[h->fly[i].kind]) {
				h->fly_err[h->fly[i].kind] = FVD_E_IO;
				snprintf(h->fly_why[h->fly[i].kind], sizeof(h->fly_why[0]),
				         "control request 0x%02x (seq %u): %s", h->fly[i].type,
				         h->fly[i].seq, what);
			}
		}
		h->fly_n = 0;
		err = FVD_E_IO;
	}
	pthread_mutex_unlock(&h->io_lock);
	return err;
}

int fvd_hvc_fly_error(struct fvd_hvc *h, enum hvc_fly_kind kind)
{
	char why[sizeof(h->fly_why[0])];
	int err;

	pthread_mutex_lock(&h->io_lock);
	err = h->fly_err[kind];
	memcpy(why, h->fly_why[kind], sizeof(why));
	pthread_mutex_unlock(&h->io_lock);
	if (err == FVD_E_IO)
		fvd_io_detail_set("%s", why);
	return err;
}

int fvd_hvc_send_windowed(struct fvd_hvc *h, uint16_t type, enum hvc_fly_kind kind,
                          const uint8_t *payload, size_t len, uint64_t end)
{
	struct ctl_hdr hdr = {.magic = CTL_MAGIC, .version = h->version, .type = type};
	int err = fvd_hvc_fly_wait(h, HVC_CHUNK_WINDOW - 1);
	unsigned slot;
	size_t n;

	if (err)
		return err;
	pthread_mutex_lock(&h->io_lock);
	if (h->dead) {
		pthread_mutex_unlock(&h->io_lock);
		return FVD_E_IO;
	}
	/* In the ring before it is written: its answer may come before send returns. */
	hdr.seq = ++h->seq;
	slot = (h->fly_head + h->fly_n) % HVC_CHUNK_WINDOW;
	h->fly[slot].seq = hdr.seq;
	h->fly[slot].type = type;
	h->fly[slot].kind = kind;
	h->fly[slot].end = end;
	h->fly_n++;
	pthread_mutex_unlock(&h->io_lock);
	n = ctl_encode(h->tx, sizeof(h->tx), &hdr, payload, len);
	if (!n || !fvd_hvc_send(h, h->tx, n))
		return FVD_E_IO; /* its slot times out in fvd_hvc_fly_wait */
	return FVD_OK;
}

/* op_lock held: sends the gathered chunk (upbuf[16..16+acc]) once the window has room. */
static int hvc_send_chunk(struct fvd_hvc *h)
{
	int err;

	memset(h->upbuf, 0, 16);
	ctl_put32(h->upbuf, h->upload_id);
	ctl_put64(h->upbuf + 8, h->sent);
	err = fvd_hvc_send_windowed(h, CTL_T_UPLOAD_CHUNK, HVC_FLY_UPLOAD, h->upbuf, 16 + h->acc,
	                            h->sent + h->acc);
	if (err)
		return err;
	h->sent += h->acc;
	h->acc = 0;
	return FVD_OK;
}

/*
 * Pipelined: bytes go out in maximal chunks as they fill, up to HVC_CHUNK_WINDOW in flight;
 * the hypervisor answers in order. A failed chunk makes the hypervisor refuse the later ones
 * (E_SEQUENCE): the first error is returned, and create_end aborts the upload.
 */
static int hvc_create_chunk_l(void *be, const char *name, const void *data, size_t len)
{
	struct fvd_hvc *h = be;
	const uint8_t *d = data;
	int err;

	if (!h->uploading || strcmp(name, h->upload.name) != 0)
		return FVD_E_NOTFOUND;
	if (len > h->upload.upload_total - h->upload.upload_done)
		return FVD_E_TOOBIG;
	while (len) {
		size_t n = CTL_CHUNK_MAX - h->acc;

		n = len < n ? len : n;
		memcpy(h->upbuf + 16 + h->acc, d, n);
		h->acc += n;
		h->upload.upload_done += n; /* progress: bytes the daemon received */
		d += n;
		len -= n;
		if (h->acc == CTL_CHUNK_MAX) {
			err = hvc_send_chunk(h);
			if (err)
				return err;
		}
	}
	return fvd_hvc_fly_error(h, HVC_FLY_UPLOAD);
}

static int hvc_create_end_l(void *be, const char *name, bool commit)
{
	struct fvd_hvc *h = be;
	uint8_t p[16] = {0};
	size_t len;
	int err, werr;

	if (!h->uploading || strcmp(name, h->upload.name) != 0)
		return FVD_E_NOTFOUND;
	/* The last, partial chunk, then every answer: a failed chunk fails the commit. */
	err = commit && h->acc ? hvc_send_chunk(h) : FVD_OK;
	werr = fvd_hvc_fly_wait(h, 0);
	if (!err) {
		err = fvd_hvc_fly_error(h, HVC_FLY_UPLOAD);
		err = err ? err : werr;
	}
	pthread_mutex_lock(&h->io_lock);
	h->fly_err[HVC_FLY_UPLOAD] = 0;
	pthread_mutex_unlock(&h->io_lock);
	commit = commit && !err;
	h->acc = 0;
	h->uploading = false;
	ctl_put32(p, h->upload_id);
	if (!commit) {
		int aerr = fvd_hvc_call(h, CTL_T_UPLOAD_ABORT, p, sizeof(p), &len);

		return err ? err : aerr;
	}
	err = fvd_hvc_call(h, CTL_T_UPLOAD_COMMIT, p, sizeof(p), &len);
	if (!err && len != 88)
		err = FVD_E_IO;
	if (err) {
		/* The hypervisor keeps a failed upload open for a retry: free it. */
		fvd_hvc_call(h, CTL_T_UPLOAD_ABORT, p, sizeof(p), &len);
		return err;
	}
	fvd_hvc_created(h, h->resp + 56);
	return FVD_OK;
}

/* HOST_METRICS into the host part of @m. */
static int hvc_host_metrics(struct fvd_hvc *h, struct fvd_metrics *m)
{
	size_t len;
	int err = fvd_hvc_call(h, CTL_T_HOST_METRICS, NULL, 0, &len);
	const uint8_t *p = h->resp;
	uint32_t n;

	if (err)
		return err;
	n = len >= sizeof(struct ctl_host_metrics) ? ctl_get32(p) : 0;
	if (len < sizeof(struct ctl_host_metrics) || n > FVD_M_CPUS ||
	    len != sizeof(struct ctl_host_metrics) + n * sizeof(struct ctl_cpu_metrics))
		return FVD_E_IO;
	m->nr_cpus = n;
	m->uptime_ns = ctl_get64(p + 8);
	m->pages_total = ctl_get64(p + 16);
	m->pages_free = ctl_get64(p + 24);
	m->pages_used = ctl_get64(p + 32);
	m->pages_reserved = ctl_get64(p + 40);
	m->page_alloc_failures = ctl_get64(p + 48);
	m->heap_total = ctl_get64(p + 56);
	m->heap_used = ctl_get64(p + 64);
	m->heap_free = ctl_get64(p + 72);
	m->heap_peak = ctl_get64(p + 80);
	m->heap_alloc_failures = ctl_get64(p + 88);
	m->ctl_frames = ctl_get64(p + 96);
	m->ctl_errors = ctl_get64(p + 104);
	m->ctl_events_dropped = ctl_get64(p + 112);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e =
		    p + sizeof(struct ctl_host_metrics) + i * sizeof(struct ctl_cpu_metrics);
		struct fvd_m_cpu *c = &m->cpu[i];

		c->cpu = ctl_get32(e);
		c->rq_len = ctl_get32(e + 4);
		c->idle_ns = ctl_get64(e + 16);
		c->busy_ns = ctl_get64(e + 24);
		c->guest_exits = ctl_get64(e + 32);
		c->switches = ctl_get64(e + 40);
		c->irqs_timer = ctl_get64(e + 48);
		c->irqs_ipi = ctl_get64(e + 56);
		c->migrations_in = ctl_get64(e + 64);
	}
	return FVD_OK;
}

/* A NUL-padded wire name of @n bytes into @out (room @cap): cut and terminated. */
static void hvc_label(char *out, size_t cap, const uint8_t *p, size_t n)
{
	size_t k = strnlen((const char *)p, n < cap - 1 ? n : cap - 1);

	memcpy(out, p, k);
	out[k] = '\0';
}

/* VM_METRICS of VM name into @v. Every count in the response is checked against its
 * size. */
static int hvc_vm_metrics(struct fvd_hvc *h, const char *name, struct fvd_m_vm *v)
{
	size_t len, want;
	const uint8_t *p = h->resp, *e;
	uint32_t nv, nc, nd, st;
	uint8_t ref[CTL_NAME_MAX];
	int err;

	fvd_hvc_name_field(ref, name);
	err = fvd_hvc_call(h, CTL_T_VM_METRICS, ref, sizeof(ref), &len);

	if (err)
		return err;
	if (len < sizeof(struct ctl_vm_metrics))
		return FVD_E_IO;
	nv = ctl_get32(p + 8);
	nc = ctl_get32(p + 12);
	nd = ctl_get32(p + 16);
	if (nv > FVD_M_VCPUS || nc > FVD_M_CALLS || nd > FVD_M_DEVS)
		return FVD_E_IO;
	want = sizeof(struct ctl_vm_metrics) + nv * sizeof(struct ctl_vcpu_metrics) +
	       nc * sizeof(struct ctl_call_metrics) + nd * sizeof(struct ctl_dev_metrics);
	if (len != want)
		return FVD_E_IO;
	memset(v, 0, sizeof(*v));
	v->id = ctl_get32(p);
	st = ctl_get32(p + 4);
	v->state =
	    st < sizeof(hvc_states) / sizeof(hvc_states[0]) ? hvc_states[st] : FVD_VM_CRASHED;
	v->service = (ctl_get32(p + 20) & CTL_VMF_SERVICE) != 0;
	v->mem_bytes = ctl_get64(p + 24);
	v->hyp_mem_bytes = ctl_get64(p + 32);
	v->boots = ctl_get64(p + 40);
	v->crashes = ctl_get64(p + 48);
	v->run_ns = ctl_get64(p + 56);
	v->steal_ns = ctl_get64(p + 64);
	v->irqs_injected = ctl_get64(p + 72);
	v->migrations = ctl_get64(p + 80);
	for (unsigned k = 0; k < FVD_M_EXIT_CAUSES; k++)
		v->exits[k] = ctl_get64(p + 88 + 8 * k);
	hvc_label(v->name, sizeof(v->name), p + 152, CTL_NAME_MAX);
	v->nr_vcpus = nv;
	v->nr_calls = nc;
	v->nr_devs = nd;
	e = p + sizeof(struct ctl_vm_metrics);
	for (uint32_t i = 0; i < nv; i++, e += sizeof(struct ctl_vcpu_metrics)) {
		struct fvd_m_vcpu *c = &v->vcpu[i];

		c->index = ctl_get32(e);
		c->run_ns = ctl_get64(e + 16);
		c->steal_ns = ctl_get64(e + 24);
		c->irqs_injected = ctl_get64(e + 32);
		c->migrations = ctl_get64(e + 40);
		for (unsigned k = 0; k < FVD_M_EXIT_CAUSES; k++)
			c->exits[k] = ctl_get64(e + 48 + 8 * k);
	}
	for (uint32_t i = 0; i < nc; i++, e += sizeof(struct ctl_call_metrics)) {
		hvc_label(v->call[i].name, sizeof(v->call[i].name), e, 16);
		v->call[i].calls = ctl_get64(e + 16);
	}
	for (uint32_t i = 0; i < nd; i++, e += sizeof(struct ctl_dev_metrics)) {
		struct fvd_m_dev *d = &v->dev[i];

		d->kind = (enum fvd_m_dev_kind)ctl_get32(e + 4);
		d->sw = (int32_t)ctl_get32(e + 12);
		d->port = ctl_get32(e + 16);
		for (unsigned k = 0; k < 8; k++)
			d->c[k] = ctl_get64(e + 24 + 8 * k);
		hvc_label(d->name, sizeof(d->name), e + 88, 16);
	}
	return FVD_OK;
}

/* NET_METRICS into @m; port VM ids become names through the VMs already in @m. */
static int hvc_net_metrics(struct fvd_hvc *h, struct fvd_metrics *m)
{
	size_t len;
	int err = fvd_hvc_call(h, CTL_T_NET_METRICS, NULL, 0, &len);
	const uint8_t *p = h->resp, *e;
	uint32_t ns, np;

	if (err)
		return err;
	if (len < sizeof(struct ctl_net_metrics))
		return FVD_E_IO;
	ns = ctl_get32(p);
	np = ctl_get32(p + 4);
	if (ns > FVD_M_SWITCHES || np > FVD_M_PORTS ||
	    len != sizeof(struct ctl_net_metrics) + ns * sizeof(struct ctl_switch_metrics) +
	               np * sizeof(struct ctl_port_metrics))
		return FVD_E_IO;
	m->nr_switches = ns;
	m->nr_ports = np;
	e = p + sizeof(struct ctl_net_metrics);
	for (uint32_t i = 0; i < ns; i++, e += sizeof(struct ctl_switch_metrics)) {
		hvc_label(m->sw[i].name, sizeof(m->sw[i].name), e, 16);
		m->sw[i].uplink = (ctl_get32(e + 20) & CTL_NETF_UPLINK) != 0;
		m->sw[i].drops = ctl_get64(e + 24);
		m->sw[i].floods = ctl_get64(e + 32);
		m->sw[i].learned = ctl_get64(e + 40);
	}
	for (uint32_t i = 0; i < np; i++, e += sizeof(struct ctl_port_metrics)) {
		struct fvd_m_port *q = &m->port[i];
		uint32_t fl = ctl_get32(e + 8), id = ctl_get32(e + 12);

		q->sw = ctl_get32(e);
		q->port = ctl_get32(e + 4);
		q->uplink = (fl & CTL_NETF_UPLINK) != 0;
		q->enabled = (fl & CTL_NETF_ENABLED) != 0;
		q->rx_frames = ctl_get64(e + 16);
		q->tx_frames = ctl_get64(e + 24);
		q->drops = ctl_get64(e + 32);
		q->inbox_drops = ctl_get64(e + 40);
		q->vm[0] = '\0';
		for (uint32_t k = 0; k < m->nr_vms && !q->uplink; k++) {
			if (m->vm[k].id == id)
				memcpy(q->vm, m->vm[k].name, sizeof(q->vm));
		}
	}
	return FVD_OK;
}

/*
 * op_lock held: every counter: host, then each VM of the list, then the switches, one
 * request after the other through the pump (fvd_hvc_call: the response is handed over by
 * its seq, events arriving meanwhile go to the hub). A VM destroyed between the list and
 * its VM_METRICS is left out.
 */
static int hvc_metrics_l(void *be, struct fvd_metrics *out)
{
	static struct fvd_vm_info all[HVC_LIST_MAX + 1]; /* op_lock held */
	struct fvd_hvc *h = be;
	size_t n;
	int err, first = FVD_OK;

	memset(out, 0, sizeof(*out));
	if (!h->arch[0]) {
		/* Once per session: the architecture names the exit causes (fvd_metrics.c). */
		struct fvd_host_info hi;

		err = hvc_host_info_l(h, &hi);
		if (err)
			return err;
		memcpy(h->arch, hi.arch, sizeof(h->arch));
	}
	memcpy(out->arch, h->arch, sizeof(out->arch));
	err = hvc_host_metrics(h, out);
	if (!err)
		err = hvc_vm_list_l(h, all, HVC_LIST_MAX + 1, &n);
	if (err)
		return err;
	/* After an error status the other VMs are still read; after a channel failure or a
	 * malformed response they are not. */
	for (size_t i = 0; i < n && i <= HVC_LIST_MAX && out->nr_vms < FVD_M_VMS; i++) {
		if (all[i].state == FVD_VM_CREATING)
			continue;
		err = hvc_vm_metrics(h, all[i].name, &out->vm[out->nr_vms]);
		if (err == FVD_E_IO)
			return err;
		if (!err)
			out->nr_vms++;
		else if (err != FVD_E_NOTFOUND && !first)
			first = err;
	}
	err = hvc_net_metrics(h, out);
	return first ? first : err;
}

static int hvc_console_input_l(void *be, const char *name, const void *data, size_t len,
                               size_t *taken)
{
	struct fvd_hvc *h = be;
	size_t rlen;
	int err;

	struct fvd_vm_info vm;

	*taken = 0;
	if (len == 0 || len > CTL_MAX_PAYLOAD - 40u)
		return FVD_E_INVAL;
	if (h->uploading && strcmp(name, h->upload.name) == 0)
		return FVD_E_BUSY;
	/* The hypervisor queues input for a VM in any state; the API types only into a VM that
	 * runs (or is paused: the bytes wait in its queue), like the sim. */
	err = hvc_vm_get_l(h, name, &vm);
	if (err)
		return err;
	if (vm.state != FVD_VM_RUNNING && vm.state != FVD_VM_PAUSED && !vm.service)
		return FVD_E_STATE;
	memset(h->chunk, 0, 40);
	fvd_hvc_name_field(h->chunk, name);
	ctl_put32(h->chunk + 32, (uint32_t)len);
	memcpy(h->chunk + 40, data, len);
	err = fvd_hvc_call(h, CTL_T_CONSOLE_INPUT, h->chunk, 40 + len, &rlen);
	if (err)
		return err;
	if (rlen != 8 || ctl_get32(h->resp) > len)
		return FVD_E_IO;
	*taken = ctl_get32(h->resp);
	return FVD_OK;
}

/* Follows every VM's console from now on (the service VM's own is refused by the
 * hypervisor and not needed) and starts the CTL_STATS poll. */
static int hvc_events_start_l(void *be, struct fvd_hub *hub)
{
	static struct fvd_vm_info all[HVC_LIST_MAX + 1]; /* op_lock held */
	struct fvd_hvc *h = be;
	size_t n;
	int err;

	pthread_mutex_lock(&h->io_lock);
	h->hub = hub;
	h->next_stats_ms = 0;
	pthread_mutex_unlock(&h->io_lock);
	err = hvc_vm_list_l(h, all, HVC_LIST_MAX + 1, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && i <= HVC_LIST_MAX; i++) {
		if (!all[i].service && all[i].state != FVD_VM_CREATING)
			fvd_hvc_attach(h, all[i].name);
	}
	return FVD_OK;
}

/* SET_WEIGHT then SET_AFFINITY (ctl_set_weight / ctl_set_affinity, 40 bytes each). */
static int hvc_vm_set_sched_l(void *be, const char *name, const struct fvd_sched_req *req)
{
	struct fvd_hvc *h = be;
	uint8_t p[40];
	size_t len;
	int err = FVD_OK;

	if (h->uploading && strcmp(name, h->upload.name) == 0)
		return FVD_E_BUSY;
	if (req->weight) {
		memset(p, 0, sizeof(p));
		fvd_hvc_name_field(p, name);
		ctl_put32(p + 32, req->weight);
		err = fvd_hvc_call(h, CTL_T_SET_WEIGHT, p, sizeof(p), &len);
	}
	if (!err && req->affinity) {
		memset(p, 0, sizeof(p));
		fvd_hvc_name_field(p, name);
		ctl_put64(p + 32, req->affinity);
		err = fvd_hvc_call(h, CTL_T_SET_AFFINITY, p, sizeof(p), &len);
	}
	return err;
}

/* Each operation under op_lock. */
#define HVC_LOCKED(call)                                                                           \
	do {                                                                                       \
		struct fvd_hvc *h_ = be;                                                           \
		int r_;                                                                            \
		pthread_mutex_lock(&h_->op_lock);                                                  \
		r_ = call;                                                                         \
		pthread_mutex_unlock(&h_->op_lock);                                                \
		return r_;                                                                         \
	} while (0)

static int hvc_host_info(void *be, struct fvd_host_info *out)
{
	HVC_LOCKED(hvc_host_info_l(be, out));
}

static int hvc_vm_list(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
{
	HVC_LOCKED(hvc_vm_list_l(be, out, max, n));
}

static int hvc_vm_get(void *be, const char *name, struct fvd_vm_info *out)
{
	HVC_LOCKED(hvc_vm_get_l(be, name, out));
}

static int hvc_vm_action(void *be, const char *name, enum fvd_action act)
{
	HVC_LOCKED(hvc_vm_action_l(be, name, act));
}

static int hvc_vm_destroy(void *be, const char *name)
{
	HVC_LOCKED(hvc_vm_destroy_l(be, name));
}

static int hvc_create_begin(void *be, const struct fvd_create_req *req)
{
	HVC_LOCKED(hvc_create_begin_l(be, req));
}

static int hvc_create_chunk(void *be, const char *name, const void *data, size_t len)
{
	HVC_LOCKED(hvc_create_chunk_l(be, name, data, len));
}

static int hvc_create_end(void *be, const char *name, bool commit)
{
	HVC_LOCKED(hvc_create_end_l(be, name, commit));
}

static int hvc_events_start(void *be, struct fvd_hub *hub)
{
	HVC_LOCKED(hvc_events_start_l(be, hub));
}

static int hvc_console_input(void *be, const char *name, const void *data, size_t len,
                             size_t *taken)
{
	HVC_LOCKED(hvc_console_input_l(be, name, data, len, taken));
}

static int hvc_metrics(void *be, struct fvd_metrics *out)
{
	HVC_LOCKED(hvc_metrics_l(be, out));
}

static int hvc_vm_set_sched(void *be, const char *name, const struct fvd_sched_req *req)
{
	HVC_LOCKED(hvc_vm_set_sched_l(be, name, req));
}

/* TRACE_CTL (0x4c): op and mask, then the status with one entry per CPU. */
static int hvc_trace_ctl_l(void *be, int op, uint32_t mask, struct fvd_trace_status *out)
{
	struct fvd_hvc *h = be;
	uint8_t p[sizeof(struct ctl_trace_ctl)];
	size_t len;
	int err;

	ctl_put32(p, (uint32_t)op);
	ctl_put32(p + 4, mask);
	err = fvd_hvc_call(h, CTL_T_TRACE_CTL, p, sizeof(p), &len);
	if (err)
		return err;
	if (len < sizeof(struct ctl_trace_status))
		return FVD_E_IO;
	memset(out, 0, sizeof(*out));
	out->mask = ctl_get32(h->resp);
	out->nr_classes = ctl_get32(h->resp + 4);
	out->nr_cpus = ctl_get32(h->resp + 8);
	out->ring_records = ctl_get32(h->resp + 12);
	if (out->nr_cpus > FVD_TRACE_CPUS_MAX ||
	    len != sizeof(struct ctl_trace_status) + out->nr_cpus * sizeof(struct ctl_trace_cpu))
		return FVD_E_IO;
	for (uint32_t i = 0; i < out->nr_cpus; i++) {
		const uint8_t *c = h->resp + sizeof(struct ctl_trace_status) + i * 16u;

		out->records[i] = ctl_get64(c);
		out->dropped[i] = ctl_get64(c + 8);
	}
	return FVD_OK;
}

/* TRACE_READ (0x4d): up to max records of one CPU's ring, consumed. */
static int hvc_trace_read_l(void *be, uint32_t cpu, struct fvd_trace_rec *out, size_t max,
                            size_t *n)
{
	struct fvd_hvc *h = be;
	uint8_t p[sizeof(struct ctl_trace_read)];
	size_t len;
	uint32_t got;
	int err;

	*n = 0;
	if (max == 0)
		return FVD_OK;
	ctl_put32(p, cpu);
	ctl_put32(p + 4, (uint32_t)(max < CTL_TRACE_CHUNK_MAX ? max : CTL_TRACE_CHUNK_MAX));
	err = fvd_hvc_call(h, CTL_T_TRACE_READ, p, sizeof(p), &len);
	if (err)
		return err;
	if (len < sizeof(struct ctl_trace_chunk))
		return FVD_E_IO;
	got = ctl_get32(h->resp + 4);
	if (got > max || len != sizeof(struct ctl_trace_chunk) + got * sizeof(struct ctl_trace_rec))
		return FVD_E_IO;
	for (uint32_t i = 0; i < got; i++) {
		const uint8_t *r = h->resp + sizeof(struct ctl_trace_chunk) + i * 32u;

		out[i].ts_ns = ctl_get64(r);
		out[i].event = r[8];
		out[i].cpu = r[9];
		out[i].vm = r[10];
		out[i].vcpu = r[11];
		out[i].a2 = ctl_get32(r + 12);
		out[i].a0 = ctl_get64(r + 16);
		out[i].a1 = ctl_get64(r + 24);
	}
	*n = got;
	return FVD_OK;
}

static int hvc_trace_ctl(void *be, int op, uint32_t mask, struct fvd_trace_status *out)
{
	HVC_LOCKED(hvc_trace_ctl_l(be, op, mask, out));
}

static int hvc_trace_read(void *be, uint32_t cpu, struct fvd_trace_rec *out, size_t max, size_t *n)
{
	HVC_LOCKED(hvc_trace_read_l(be, cpu, out, max, n));
}

/* DUMP_INFO: the registers and RAM regions of a quiet VM (docs/control-protocol.md). */
static int hvc_dump_info_l(void *be, const char *name, struct fvd_dump_info *out)
{
	struct fvd_hvc *h = be;
	uint8_t ref[CTL_NAME_MAX];
	size_t len;
	int err;

	fvd_hvc_name_field(ref, name);
	err = fvd_hvc_call(h, CTL_T_DUMP_INFO, ref, sizeof(ref), &len);
	if (err)
		return err;
	return fvd_dump_info_decode(h->resp, len, out);
}

/* DUMP_READ: len bytes of guest RAM at gpa, exactly. */
static int hvc_dump_read_l(void *be, const char *name, uint64_t gpa, void *buf, size_t len)
{
	struct fvd_hvc *h = be;
	uint8_t req[sizeof(struct ctl_dump_read)];
	size_t got;
	int err;

	if (len == 0 || len > CTL_DUMP_CHUNK)
		return FVD_E_INVAL;
	memset(req, 0, sizeof(req));
	fvd_hvc_name_field(req, name);
	ctl_put64(req + 32, gpa);
	ctl_put32(req + 40, (uint32_t)len);
	err = fvd_hvc_call(h, CTL_T_DUMP_READ, req, sizeof(req), &got);
	if (err)
		return err;
	if (got != len)
		return FVD_E_IO;
	memcpy(buf, h->resp, len);
	return FVD_OK;
}

static int hvc_dump_info(void *be, const char *name, struct fvd_dump_info *out)
{
	HVC_LOCKED(hvc_dump_info_l(be, name, out));
}

static int hvc_dump_read(void *be, const char *name, uint64_t gpa, void *buf, size_t len)
{
	HVC_LOCKED(hvc_dump_read_l(be, name, gpa, buf, len));
}

/* PROF_START (ctl_prof_start: name, period_us, reserved). */
static int hvc_prof_start_l(void *be, const char *name, uint32_t period_us)
{
	struct fvd_hvc *h = be;
	uint8_t p[40];
	size_t len;

	memset(p, 0, sizeof(p));
	fvd_hvc_name_field(p, name);
	ctl_put32(p + 32, period_us);
	return fvd_hvc_call(h, CTL_T_PROF_START, p, sizeof(p), &len);
}

static int hvc_prof_stop_l(void *be)
{
	size_t len;

	return fvd_hvc_call(be, CTL_T_PROF_STOP, NULL, 0, &len);
}

/* PROF_READ: header {total, offset, count, dropped}, then 80-byte samples. */
static int hvc_prof_read_l(void *be, uint32_t offset, struct fvd_prof_chunk *out)
{
	struct fvd_hvc *h = be;
	uint8_t p[8] = {0};
	size_t len;
	int err;

	ctl_put32(p, offset);
	err = fvd_hvc_call(h, CTL_T_PROF_READ, p, sizeof(p), &len);
	if (err)
		return err;
	if (len < 16)
		return FVD_E_IO;
	memset(out, 0, sizeof(*out));
	out->total = ctl_get32(h->resp);
	out->count = ctl_get32(h->resp + 8);
	out->dropped = ctl_get32(h->resp + 12);
	if (out->count > FVD_PROF_CHUNK || len != 16 + (size_t)out->count * 80)
		return FVD_E_IO;
	for (uint32_t i = 0; i < out->count; i++) {
		const uint8_t *q = h->resp + 16 + i * 80;
		struct fvd_prof_sample *s = &out->s[i];

		s->pc = ctl_get64(q);
		s->vcpu = ctl_get32(q + 8);
		s->flags = q[12];
		s->depth = q[13] > FVD_PROF_DEPTH ? FVD_PROF_DEPTH : q[13];
		s->cpu = ctl_get16(q + 14);
		for (unsigned k = 0; k < FVD_PROF_DEPTH; k++)
			s->ra[k] = ctl_get64(q + 16 + 8 * k);
	}
	return FVD_OK;
}

static int hvc_prof_start(void *be, const char *name, uint32_t period_us)
{
	HVC_LOCKED(hvc_prof_start_l(be, name, period_us));
}

static int hvc_prof_stop(void *be)
{
	HVC_LOCKED(hvc_prof_stop_l(be));
}

static int hvc_prof_read(void *be, uint32_t offset, struct fvd_prof_chunk *out)
{
	HVC_LOCKED(hvc_prof_read_l(be, offset, out));
}

const struct fvd_backend_ops fvd_hvc_ops = {
    .kind = "hvc",
    .host_info = hvc_host_info,
    .vm_list = hvc_vm_list,
    .vm_get = hvc_vm_get,
    .vm_action = hvc_vm_action,
    .vm_destroy = hvc_vm_destroy,
    .create_begin = hvc_create_begin,
    .create_chunk = hvc_create_chunk,
    .create_end = hvc_create_end,
    .metrics = hvc_metrics,
    .events_start = hvc_events_start,
    .console_input = hvc_console_input,
    .vm_set_sched = hvc_vm_set_sched,
    .trace_ctl = hvc_trace_ctl,
    .trace_read = hvc_trace_read,
    .dump_info = hvc_dump_info,
    .dump_read = hvc_dump_read,
    .prof_start = hvc_prof_start,
    .prof_stop = hvc_prof_stop,
    .prof_read = hvc_prof_read,
    .snap_begin = fvd_hvc_snap_begin,
    .snap_read = fvd_hvc_snap_read,
    .snap_end = fvd_hvc_snap_end,
    .restore_begin = fvd_hvc_restore_begin,
    .restore_data = fvd_hvc_restore_data,
    .restore_end = fvd_hvc_restore_end,
    .mig_begin = fvd_hvc_mig_begin,
    .mig_round = fvd_hvc_mig_round,
    .mig_read = fvd_hvc_mig_read,
    .mig_end = fvd_hvc_mig_end,
};

int fvd_hvc_open_tty(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

struct fvd_hvc *fvd_hvc_open(int fd, int timeout_ms)
{
	struct fvd_hvc *h = calloc(1, sizeof(*h));
	uint8_t hello[40] = {0};
	size_t len;
	int err;

	if (!h) {
		close(fd);
		return NULL;
	}
	h->fd = fd;
	h->timeout_ms = timeout_ms;
	h->version = CTL_VERSION;
	ctl_rx_init(&h->rx);
	pthread_mutex_init(&h->op_lock, NULL);
	pthread_mutex_init(&h->io_lock, NULL);
	pthread_mutex_init(&h->tx_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->io_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	/* From HELLO on, the pump is the channel's only reader. */
	if (pthread_create(&h->pump, NULL, fvd_hvc_pump, h) != 0) {
		fvd_hvc_close(h);
		return NULL;
	}
	h->pump_running = true;
	ctl_put16(hello, CTL_VERSION);
	ctl_put16(hello + 2, CTL_VERSION);
	ctl_put32(hello + 4, CTL_MAX_FRAME);
	memcpy(hello + 8, "ferrovisord", 11);
	pthread_mutex_lock(&h->op_lock);
	err = fvd_hvc_call(h, CTL_T_HELLO, hello, sizeof(hello), &len);
	pthread_mutex_unlock(&h->op_lock);
	if (err || len != 48) {
		fprintf(stderr, "ferrovisord: control channel: HELLO failed (%s)\n",
		        err == FVD_E_IO ? "no valid answer" : "refused");
		fvd_hvc_close(h);
		return NULL;
	}
	h->version = (uint8_t)ctl_get16(h->resp);
	h->max_vms = ctl_get32(h->resp + 8);
	memcpy(h->hypervisor, h->resp + 16, CTL_NAME_MAX);
	h->hypervisor[CTL_NAME_MAX] = '\0';
	return h;
}

void fvd_hvc_close(struct fvd_hvc *h)
{
	if (h->pump_running) {
		pthread_mutex_lock(&h->io_lock);
		h->stopping = true;
		pthread_mutex_unlock(&h->io_lock);
		pthread_join(h->pump, NULL);
	}
	close(h->fd);
	pthread_cond_destroy(&h->io_cond);
	pthread_mutex_destroy(&h->tx_lock);
	pthread_mutex_destroy(&h->io_lock);
	pthread_mutex_destroy(&h->op_lock);
	free(h);
}
