// SPDX-License-Identifier: MIT
/*
 * Control-channel backend (see fvd_hvc.h). Framing, CRC and stream reassembly are the
 * hypervisor's own code (hyp/core/ctl_proto.c, linked unchanged); this file maps backend
 * operations to requests and the protocol's statuses and states to ferrovisord's.
 *
 * A VM being created is known only to the daemon until UPLOAD_COMMIT returns it (the
 * hypervisor stages the package, the VM name is inside it): the upload in progress is kept
 * here and shown in listings as "creating" with its progress.
 */
#include "fvd_hvc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/ctl_proto.h"
#include "fvd_metrics.h"

#define HVC_LIST_MAX ((CTL_MAX_PAYLOAD - 8u) / 88u)
/*
 * UPLOAD_CHUNK requests in flight at once. The hypervisor answers the control channel from
 * its console tick (every 10 ms), so one chunk per round trip caps an upload near 0.8 MB/s;
 * three maximal chunks (3 x 8208 bytes) stay within the 32 KiB of unanswered requests the
 * protocol allows (docs/control-protocol.md, "For the daemon").
 */
#define HVC_CHUNK_WINDOW 3u

struct fvd_hvc {
	int fd;
	int timeout_ms;
	uint32_t seq;
	uint8_t version;
	uint32_t max_vms;
	char hypervisor[CTL_NAME_MAX + 1];
	/* The upload in progress (name given by the REST request). */
	bool uploading;
	uint32_t upload_id;
	struct fvd_vm_info upload;
	struct ctl_rx rx;
	uint8_t tx[CTL_MAX_FRAME];
	uint8_t resp[CTL_MAX_PAYLOAD];
	uint8_t chunk[CTL_MAX_PAYLOAD];
	/* Bytes read from the channel and not yet pushed into rx (hvc_wait). */
	uint8_t pend[4096];
	size_t pend_off, pend_len;
	/*
	 * Upload pipeline: package bytes gather in chunk[16..] (acc of them) until a chunk is
	 * full; up to HVC_CHUNK_WINDOW UPLOAD_CHUNKs are in flight, across calls of
	 * create_chunk (libmicrohttpd hands the body over in pieces of its own size). sent
	 * counts bytes sent, upload.upload_done bytes received from the client. fly_err is
	 * the first error of an answer awaited outside create_chunk (hvc_drain).
	 */
	struct {
		struct ctl_hdr hdr;
		uint64_t end; /* bytes received once this chunk is in */
	} fly[HVC_CHUNK_WINDOW];
	unsigned fly_head, fly_n;
	uint64_t sent;
	size_t acc;
	int fly_err;
};

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

static int hvc_status_err(uint32_t st)
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

/* If (r, rh) is the response to req, stores its outcome in *res (payload to h->resp, its
 * length to *len) and returns true. */
static bool hvc_take(struct fvd_hvc *h, int r, const struct ctl_hdr *rh, const uint8_t *payload,
                     const struct ctl_hdr *req, size_t *len, int *res)
{
	if (r != CTL_OK || !(rh->flags & CTL_F_RESPONSE) || rh->seq != req->seq)
		return false;
	if (rh->status != CTL_OK) {
		*res = hvc_status_err(rh->status);
	} else if (rh->type != req->type || rh->len > sizeof(h->resp)) {
		*res = FVD_E_IO;
	} else {
		memcpy(h->resp, payload, rh->len);
		*len = rh->len;
		*res = FVD_OK;
	}
	return true;
}

static int64_t hvc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Encodes and writes one request; its header (with the seq given to it) to *hdr. */
static int hvc_send(struct fvd_hvc *h, struct ctl_hdr *hdr, uint16_t type, const void *req,
                    size_t req_len)
{
	size_t n;

	*hdr = (struct ctl_hdr){.magic = CTL_MAGIC, .version = h->version, .type = type};
	hdr->seq = ++h->seq;
	n = ctl_encode(h->tx, sizeof(h->tx), hdr, req, req_len);
	if (!n || !hvc_write_all(h->fd, h->tx, n))
		return FVD_E_IO;
	return FVD_OK;
}

/*
 * Waits for the response to the request *hdr: its payload goes to h->resp, its length to
 * *len. Frames that are not this response (events, stale responses, unreadable bytes) are
 * skipped; bytes read past it stay in h->pend for the next wait (with several requests in
 * flight, the next response may already be there). Returns 0, a negative fvd_err for an
 * error status, or FVD_E_IO (channel failed, or no response within timeout_ms, however
 * many other frames arrive meanwhile).
 */
static int hvc_wait(struct fvd_hvc *h, const struct ctl_hdr *hdr, size_t *len)
{
	int64_t deadline = hvc_now_ms() + h->timeout_ms;

	for (;;) {
		struct ctl_hdr rh;
		const uint8_t *payload;
		struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
		int64_t left;
		ssize_t k;
		int r, res = FVD_E_IO;
		bool popped = false;

		while ((r = ctl_rx_pop(&h->rx, &rh, &payload)) != -1) {
			popped = true;
			if (hvc_take(h, r, &rh, payload, hdr, len, &res))
				return res;
		}
		if (h->pend_off < h->pend_len) {
			/* The reassembly buffer holds one frame: push what fits, pop, repeat. */
			size_t n =
			    ctl_rx_push(&h->rx, h->pend + h->pend_off, h->pend_len - h->pend_off);

			if (n == 0 && !popped)
				return FVD_E_IO; /* neither side moves: cannot happen with
				                    ctl_proto.c */
			h->pend_off += n;
			continue;
		}
		left = deadline - hvc_now_ms();
		if (left <= 0)
			return FVD_E_IO;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return FVD_E_IO;
		k = read(h->fd, h->pend, sizeof(h->pend));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return FVD_E_IO;
		h->pend_off = 0;
		h->pend_len = (size_t)k;
	}
}

/* Awaits the answer to the oldest chunk in flight; 0 or the error (the chunk is gone). */
static int hvc_wait_chunk(struct fvd_hvc *h)
{
	size_t rlen;
	unsigned i = h->fly_head;
	int err = hvc_wait(h, &h->fly[i].hdr, &rlen);

	h->fly_head = (i + 1) % HVC_CHUNK_WINDOW;
	h->fly_n--;
	if (!err && (rlen != 16 || ctl_get64(h->resp + 8) != h->fly[i].end))
		err = FVD_E_IO;
	return err;
}

/*
 * Awaits every chunk in flight, before any other request (its wait would skip their
 * answers as stale) and at the end of an upload. Returns the first error of the upload's
 * answers so far (kept in fly_err).
 */
static int hvc_drain(struct fvd_hvc *h)
{
	while (h->fly_n) {
		int err = hvc_wait_chunk(h);

		if (err && !h->fly_err)
			h->fly_err = err;
	}
	return h->fly_err;
}

/* One request and its response (hvc_send, hvc_wait), after the chunks in flight. */
static int hvc_call(struct fvd_hvc *h, uint16_t type, const void *req, size_t req_len, size_t *len)
{
	struct ctl_hdr hdr;
	int err;

	hvc_drain(h);
	err = hvc_send(h, &hdr, type, req, req_len);
	return err ? err : hvc_wait(h, &hdr, len);
}

static void hvc_name_field(uint8_t *field, const char *name)
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

static int hvc_host_info(void *be, struct fvd_host_info *out)
{
	struct fvd_hvc *h = be;
	size_t len;
	int err = hvc_call(h, CTL_T_HOST_INFO, NULL, 0, &len);

	if (err)
		return err;
	if (len < sizeof(struct ctl_host_info))
		return FVD_E_IO;
	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%s", h->hypervisor);
	out->cpus = ctl_get32(h->resp);
	out->vm_count = ctl_get32(h->resp + 4);
	out->vm_limit = ctl_get32(h->resp + 8);
	out->memory_total = ctl_get64(h->resp + 16);
	out->memory_free = ctl_get64(h->resp + 24);
	out->uptime_ms = ctl_get64(h->resp + 32) / 1000000u;
	return FVD_OK;
}

static int hvc_vm_list(void *be, struct fvd_vm_info *out, size_t max, size_t *n)
{
	struct fvd_hvc *h = be;
	size_t len, k = 0;
	uint32_t count;
	int err = hvc_call(h, CTL_T_VM_LIST, NULL, 0, &len);

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

static int hvc_vm_get(void *be, const char *name, struct fvd_vm_info *out)
{
	struct fvd_hvc *h = be;
	static struct fvd_vm_info all[HVC_LIST_MAX + 1]; /* the polling thread only */
	size_t n;
	int err = hvc_vm_list(h, all, HVC_LIST_MAX + 1, &n);

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
	hvc_name_field(ref, name);
	return hvc_call(h, type, ref, sizeof(ref), &len);
}

static int hvc_vm_action(void *be, const char *name, enum fvd_action act)
{
	if ((unsigned)act >= FVD_ACT__COUNT)
		return FVD_E_INVAL;
	return hvc_vm_ref(be, hvc_action_types[act], name);
}

static int hvc_vm_destroy(void *be, const char *name)
{
	return hvc_vm_ref(be, CTL_T_VM_DESTROY, name);
}

static int hvc_create_begin(void *be, const struct fvd_create_req *req)
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
	err = hvc_vm_get(h, req->name, &vm);
	if (err != FVD_E_NOTFOUND)
		return err ? err : FVD_E_EXISTS;
	ctl_put64(p, req->package_bytes);
	ctl_put32(p + 8, req->crc32c);
	err = hvc_call(h, CTL_T_UPLOAD_BEGIN, p, sizeof(p), &len);
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
	h->fly_n = 0;
	h->fly_err = 0;
	return FVD_OK;
}

/* Sends the gathered chunk (chunk[16..16+acc]), first making room in the window. */
static int hvc_send_chunk(struct fvd_hvc *h)
{
	unsigned slot;
	int err = 0;

	if (h->fly_n == HVC_CHUNK_WINDOW)
		err = hvc_wait_chunk(h);
	if (err)
		return err;
	slot = (h->fly_head + h->fly_n) % HVC_CHUNK_WINDOW;
	memset(h->chunk, 0, 16);
	ctl_put32(h->chunk, h->upload_id);
	ctl_put64(h->chunk + 8, h->sent);
	err = hvc_send(h, &h->fly[slot].hdr, CTL_T_UPLOAD_CHUNK, h->chunk, 16 + h->acc);
	if (err)
		return err;
	h->sent += h->acc;
	h->fly[slot].end = h->sent;
	h->fly_n++;
	h->acc = 0;
	return FVD_OK;
}

/*
 * Pipelined: bytes are sent in maximal chunks as they fill, up to HVC_CHUNK_WINDOW in
 * flight, answers awaited only when the window is full (they come in order). A chunk
 * failing makes the hypervisor refuse the later ones (E_SEQUENCE); the first error is
 * returned and the upload is aborted by create_end.
 */
static int hvc_create_chunk(void *be, const char *name, const void *data, size_t len)
{
	struct fvd_hvc *h = be;
	const uint8_t *d = data;

	if (!h->uploading || strcmp(name, h->upload.name) != 0)
		return FVD_E_NOTFOUND;
	if (h->fly_err)
		return h->fly_err;
	if (len > h->upload.upload_total - h->sent - h->acc)
		return FVD_E_TOOBIG;
	while (len) {
		size_t n = CTL_CHUNK_MAX - h->acc;
		int err;

		n = len < n ? len : n;
		memcpy(h->chunk + 16 + h->acc, d, n);
		h->acc += n;
		h->upload.upload_done += n; /* progress: bytes the daemon received */
		d += n;
		len -= n;
		err = h->acc == CTL_CHUNK_MAX ? hvc_send_chunk(h) : FVD_OK;
		if (err) {
			h->fly_err = err;
			return err;
		}
	}
	return FVD_OK;
}

static int hvc_create_end(void *be, const char *name, bool commit)
{
	struct fvd_hvc *h = be;
	uint8_t p[16] = {0};
	size_t len;
	int err;

	if (!h->uploading || strcmp(name, h->upload.name) != 0)
		return FVD_E_NOTFOUND;
	/* The last, partial chunk, then every answer: a failed chunk fails the commit. */
	err = commit && h->acc && !h->fly_err ? hvc_send_chunk(h) : FVD_OK;
	if (err && !h->fly_err)
		h->fly_err = err;
	hvc_drain(h);
	commit = commit && !h->fly_err;
	err = h->fly_err;
	h->fly_err = 0;
	h->acc = 0;
	h->uploading = false;
	ctl_put32(p, h->upload_id);
	if (!commit) {
		int aerr = hvc_call(h, CTL_T_UPLOAD_ABORT, p, sizeof(p), &len);

		return err ? err : aerr;
	}
	err = hvc_call(h, CTL_T_UPLOAD_COMMIT, p, sizeof(p), &len);
	if (!err && len != 88)
		err = FVD_E_IO;
	if (err) {
		/* The hypervisor keeps a failed upload open for a retry: free it. */
		hvc_call(h, CTL_T_UPLOAD_ABORT, p, sizeof(p), &len);
		return err;
	}
	return FVD_OK;
}

/* HOST_METRICS into the host part of @m. */
static int hvc_host_metrics(struct fvd_hvc *h, struct fvd_metrics *m)
{
	size_t len;
	int err = hvc_call(h, CTL_T_HOST_METRICS, NULL, 0, &len);
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

/* The response to a VM_METRICS request sent as *req into @v. Every count in the response is
 * checked against its size. */
static int hvc_vm_metrics(struct fvd_hvc *h, const struct ctl_hdr *req, struct fvd_m_vm *v)
{
	size_t len, want;
	const uint8_t *p = h->resp, *e;
	uint32_t nv, nc, nd, st;
	int err = hvc_wait(h, req, &len);

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

/* The response to a NET_METRICS request sent as *req into @m; port VM ids become names
 * through the VMs already in @m. */
static int hvc_net_metrics(struct fvd_hvc *h, const struct ctl_hdr *req, struct fvd_metrics *m)
{
	size_t len;
	int err = hvc_wait(h, req, &len);
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
 * Every counter: host, then each VM of the list, then the switches. The VM_METRICS and
 * NET_METRICS requests go out together (a few hundred bytes, far below the 32 KiB a client
 * may leave unanswered) and their responses are collected in order: the hypervisor answers
 * them all on one console tick instead of one tick per request. A VM destroyed between the
 * list and its VM_METRICS is left out.
 */
static int hvc_metrics(void *be, struct fvd_metrics *out)
{
	struct fvd_hvc *h = be;
	static struct fvd_vm_info all[HVC_LIST_MAX + 1]; /* the polling thread only */
	struct ctl_hdr reqs[FVD_M_VMS], net;
	size_t n, nreq = 0;
	int err, first = FVD_OK;

	memset(out, 0, sizeof(*out));
	err = hvc_host_metrics(h, out);
	if (!err)
		err = hvc_vm_list(h, all, HVC_LIST_MAX + 1, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && i <= HVC_LIST_MAX && nreq < FVD_M_VMS; i++) {
		uint8_t ref[CTL_NAME_MAX];

		if (all[i].state == FVD_VM_CREATING)
			continue;
		hvc_name_field(ref, all[i].name);
		err = hvc_send(h, &reqs[nreq], CTL_T_VM_METRICS, ref, sizeof(ref));
		if (err)
			return err;
		nreq++;
	}
	err = hvc_send(h, &net, CTL_T_NET_METRICS, NULL, 0);
	if (err)
		return err;
	/* After an error status the remaining responses are still collected; after a channel
	 * failure or a malformed response they are not (later calls skip them as stale). */
	for (size_t i = 0; i < nreq; i++) {
		err = hvc_vm_metrics(h, &reqs[i], &out->vm[out->nr_vms]);
		if (err == FVD_E_IO)
			return err;
		if (!err)
			out->nr_vms++;
		else if (err != FVD_E_NOTFOUND && !first)
			first = err;
	}
	err = hvc_net_metrics(h, &net, out);
	return first ? first : err;
}

/* SET_WEIGHT then SET_AFFINITY (ctl_set_weight / ctl_set_affinity, 40 bytes each). */
static int hvc_vm_set_sched(void *be, const char *name, const struct fvd_sched_req *req)
{
	struct fvd_hvc *h = be;
	uint8_t p[40];
	size_t len;
	int err = FVD_OK;

	if (h->uploading && strcmp(name, h->upload.name) == 0)
		return FVD_E_BUSY;
	if (req->weight) {
		memset(p, 0, sizeof(p));
		hvc_name_field(p, name);
		ctl_put32(p + 32, req->weight);
		err = hvc_call(h, CTL_T_SET_WEIGHT, p, sizeof(p), &len);
	}
	if (!err && req->affinity) {
		memset(p, 0, sizeof(p));
		hvc_name_field(p, name);
		ctl_put64(p + 32, req->affinity);
		err = hvc_call(h, CTL_T_SET_AFFINITY, p, sizeof(p), &len);
	}
	return err;
}

/* PROF_START (ctl_prof_start: name, period_us, reserved). */
static int hvc_prof_start(void *be, const char *name, uint32_t period_us)
{
	struct fvd_hvc *h = be;
	uint8_t p[40];
	size_t len;

	memset(p, 0, sizeof(p));
	hvc_name_field(p, name);
	ctl_put32(p + 32, period_us);
	return hvc_call(h, CTL_T_PROF_START, p, sizeof(p), &len);
}

static int hvc_prof_stop(void *be)
{
	size_t len;

	return hvc_call(be, CTL_T_PROF_STOP, NULL, 0, &len);
}

/* PROF_READ: header {total, offset, count, dropped}, then 80-byte samples. */
static int hvc_prof_read(void *be, uint32_t offset, struct fvd_prof_chunk *out)
{
	struct fvd_hvc *h = be;
	uint8_t p[8] = {0};
	size_t len;
	int err;

	ctl_put32(p, offset);
	err = hvc_call(h, CTL_T_PROF_READ, p, sizeof(p), &len);
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
    .vm_set_sched = hvc_vm_set_sched,
    .prof_start = hvc_prof_start,
    .prof_stop = hvc_prof_stop,
    .prof_read = hvc_prof_read,
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
	ctl_put16(hello, CTL_VERSION);
	ctl_put16(hello + 2, CTL_VERSION);
	ctl_put32(hello + 4, CTL_MAX_FRAME);
	memcpy(hello + 8, "ferrovisord", 11);
	err = hvc_call(h, CTL_T_HELLO, hello, sizeof(hello), &len);
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
	close(h->fd);
	free(h);
}
