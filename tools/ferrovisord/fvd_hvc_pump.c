// SPDX-License-Identifier: MIT
/*
 * The control channel's reader (see fvd_hvc_int.h): the pump thread owns the read side of
 * the channel from HELLO on. It reads continuously, whether or not an HTTP request is
 * active, so the tty's buffer never fills and the hypervisor never drops events for want of
 * a reader; it hands the one awaited response to the operation waiting for it (by seq),
 * appends console output to the hub, turns state and crash events into the hub's events
 * with their cause, attaches to VMs that appear, and polls CTL_STATS for control errors.
 * Every byte from the hypervisor is checked like any input (names, lengths).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fvd_hub.h"
#include "fvd_hvc_int.h"
#include "fvd_route.h"

static const char *const hvc_state_names[] = {
    [CTL_VM_STOPPED] = "stopped",     [CTL_VM_RUNNING] = "running",
    [CTL_VM_STOPPING] = "stopping",   [CTL_VM_CRASHED] = "crashed",
    [CTL_VM_SUSPENDED] = "suspended", [CTL_VM_PAUSED] = "paused",
    [CTL_VM_DESTROYED] = "destroyed",
};

/* The state an operator request ends in (FVD_ACT__COUNT: destroy). */
static const uint32_t hvc_intent_target[FVD_ACT__COUNT + 1] = {
    [FVD_ACT_START] = CTL_VM_RUNNING,  [FVD_ACT_STOP] = CTL_VM_STOPPED,
    [FVD_ACT_RESET] = CTL_VM_RUNNING,  [FVD_ACT_PAUSE] = CTL_VM_PAUSED,
    [FVD_ACT_RESUME] = CTL_VM_RUNNING, [FVD_ACT__COUNT] = CTL_VM_DESTROYED,
};

static const char *hvc_state_name(uint32_t st)
{
	return st < sizeof(hvc_state_names) / sizeof(hvc_state_names[0]) ? hvc_state_names[st]
	                                                                 : "unknown";
}

/* A wire name field (32 bytes) as a C string; false when it holds no NUL-terminated,
 * printable name (the hypervisor's bytes are checked like any input). */
static bool hvc_wire_name(const uint8_t *field, char *out)
{
	size_t n = strnlen((const char *)field, CTL_NAME_MAX);

	if (n == 0 || n >= CTL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (field[i] < 0x21 || field[i] > 0x7e)
			return false;
	}
	memcpy(out, field, n + 1);
	return true;
}

static void hvc_emit(struct fvd_hvc *h, const char *type, const char *vm, const char *cause,
                     const char *severity, int64_t count)
{
	struct fvd_event ev = {
	    .type = type, .vm = vm, .cause = cause, .severity = severity, .count = count};

	fvd_hub_event(h->hub, &ev);
}

/* io_lock held: the slot of name in the attached set, or -1. */
static int hvc_attached_find(struct fvd_hvc *h, const char *name)
{
	for (unsigned i = 0; i < HVC_ATTACHED_MAX; i++) {
		if (h->attached[i][0] && strcmp(h->attached[i], name) == 0)
			return (int)i;
	}
	return -1;
}

/* io_lock held: records name as attached; false when it was already. */
static bool hvc_attached_add(struct fvd_hvc *h, const char *name)
{
	if (hvc_attached_find(h, name) >= 0)
		return false;
	for (unsigned i = 0; i < HVC_ATTACHED_MAX; i++) {
		if (!h->attached[i][0]) {
			snprintf(h->attached[i], CTL_NAME_MAX, "%s", name);
			return true;
		}
	}
	return false;
}

/* io_lock held: sends a request of the pump's own; its response is handled by the pump. */
static void hvc_async_send(struct fvd_hvc *h, enum hvc_async_kind kind, uint16_t type,
                           const char *name)
{
	uint8_t ref[CTL_NAME_MAX];
	struct ctl_hdr hdr = {.magic = CTL_MAGIC, .version = h->version, .type = type};
	struct hvc_async *a = NULL;
	size_t n;

	for (unsigned i = 0; i < HVC_ASYNC_MAX && !a; i++) {
		if (h->async[i].kind == HVC_ASYNC_NONE)
			a = &h->async[i];
	}
	if (!a)
		return; /* retried on the VM's next event or the next stats period */
	hdr.seq = ++h->seq;
	if (name)
		fvd_hvc_name_field(ref, name);
	n = ctl_encode(h->ptx, sizeof(h->ptx), &hdr, name ? ref : NULL, name ? sizeof(ref) : 0);
	if (!n || !fvd_hvc_send(h, h->ptx, n))
		return;
	a->seq = hdr.seq;
	a->kind = kind;
	snprintf(a->name, sizeof(a->name), "%s", name ? name : "");
}

/* io_lock held: the response to one of the pump's requests (true if it was one). */
static bool hvc_async_done(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p)
{
	char cause[128];

	for (unsigned i = 0; i < HVC_ASYNC_MAX; i++) {
		struct hvc_async *a = &h->async[i];

		if (a->kind == HVC_ASYNC_NONE || a->seq != rh->seq)
			continue;
		if (a->kind == HVC_ASYNC_ATTACH && rh->status != CTL_OK) {
			int k = hvc_attached_find(h, a->name);

			/* Not attached after all: the next event of that VM tries again. */
			if (k >= 0)
				h->attached[k][0] = '\0';
		} else if (a->kind == HVC_ASYNC_STATS && rh->status == CTL_OK &&
		           rh->type == CTL_T_CTL_STATS && rh->len >= 40) {
			uint64_t errors = ctl_get64(p + 8), dropped = ctl_get64(p + 32);

			if (h->stats_known && errors > h->stats_errors) {
				snprintf(cause, sizeof(cause),
				         "the hypervisor counted %llu control-channel errors "
				         "(total %llu)",
				         (unsigned long long)(errors - h->stats_errors),
				         (unsigned long long)errors);
				hvc_emit(h, "control-error", NULL, cause, "warning",
				         (int64_t)(errors - h->stats_errors));
			}
			if (h->stats_known && dropped > h->stats_dropped) {
				snprintf(cause, sizeof(cause),
				         "the hypervisor dropped %llu events (total %llu)",
				         (unsigned long long)(dropped - h->stats_dropped),
				         (unsigned long long)dropped);
				hvc_emit(h, "control-error", NULL, cause, "warning",
				         (int64_t)(dropped - h->stats_dropped));
			}
			h->stats_known = true;
			h->stats_errors = errors;
			h->stats_dropped = dropped;
		}
		a->kind = HVC_ASYNC_NONE;
		return true;
	}
	return false;
}

/* io_lock held: the cause of a state change of name to new_state: the operator's recent
 * request (consumed when the VM reached its target) or the guest/hypervisor. */
static bool hvc_intent_cause(struct fvd_hvc *h, const char *name, uint32_t new_state, char *cause,
                             size_t cap)
{
	int64_t now = fvd_hvc_now_ms();

	for (unsigned k = 0; k < HVC_INTENTS; k++) {
		unsigned i = (h->next_intent - 1 - k) % HVC_INTENTS;
		struct hvc_intent *in = &h->intents[i];

		if (!in->when_ms || now - in->when_ms > HVC_INTENT_MS ||
		    strncmp(in->name, name, CTL_NAME_MAX) != 0)
			continue;
		snprintf(cause, cap, "operator:%s",
		         in->act == FVD_ACT__COUNT ? "destroy" : fvd_action_name(in->act));
		if (hvc_intent_target[in->act] == new_state)
			in->when_ms = 0;
		return true;
	}
	snprintf(cause, cap, "guest");
	return false;
}

/* io_lock held: one event frame from the hypervisor. */
static void hvc_event(struct fvd_hvc *h, const struct ctl_hdr *rh, const uint8_t *p)
{
	char name[CTL_NAME_MAX], cause[128];

	/* Event seq counts events: a gap means the hypervisor's queue dropped some. */
	if (h->ev_seen && rh->seq != h->ev_seq + 1) {
		snprintf(cause, sizeof(cause), "%u hypervisor events lost before event %u",
		         rh->seq - h->ev_seq - 1, rh->seq);
		hvc_emit(h, "control-error", NULL, cause, "warning",
		         (int64_t)(rh->seq - h->ev_seq - 1));
	}
	h->ev_seen = true;
	h->ev_seq = rh->seq;
	if (rh->type == CTL_T_EV_CONSOLE && rh->len >= 40) {
		uint32_t len = ctl_get32(p + 4);

		if (len == rh->len - 40 && hvc_wire_name(p + 8, name))
			fvd_hub_console_put(h->hub, name, p + 40, len);
	} else if (rh->type == CTL_T_EV_VM_STATE && rh->len == 48 && hvc_wire_name(p + 16, name)) {
		uint32_t old = ctl_get32(p + 4), st = ctl_get32(p + 8);
		bool op = hvc_intent_cause(h, name, st, cause, sizeof(cause));
		/* A VM that stopped or crashed without an operator request is what an operator
		 * must see at once. */
		bool bad = !op && (st == CTL_VM_STOPPED || st == CTL_VM_CRASHED);
		struct fvd_event ev = {.type = "vm-state",
		                       .vm = name,
		                       .state = hvc_state_name(st),
		                       .old_state = hvc_state_name(old),
		                       .cause = cause,
		                       .severity = bad ? "critical" : "info",
		                       .count = -1};

		fvd_hub_event(h->hub, &ev);
		if (st == CTL_VM_DESTROYED) {
			int k = hvc_attached_find(h, name);

			/* The slot is free; a VM created in it later starts unattached. */
			if (k >= 0)
				h->attached[k][0] = '\0';
		} else if (h->hub && hvc_attached_add(h, name)) {
			hvc_async_send(h, HVC_ASYNC_ATTACH, CTL_T_CONSOLE_ATTACH, name);
		}
	} else if (rh->type == CTL_T_EV_VM_CRASH && rh->len == 136 && hvc_wire_name(p + 8, name)) {
		char why[97];

		memcpy(why, p + 40, 96);
		why[96] = '\0';
		for (char *c = why; *c; c++) {
			if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
				*c = '?';
		}
		hvc_emit(h, "vm-crash", name, why, "critical", -1);
	}
}

/* One frame from the channel (pump thread). */
static void hvc_frame(struct fvd_hvc *h, int r, const struct ctl_hdr *rh, const uint8_t *p)
{
	if (r != CTL_OK)
		return; /* unreadable bytes: the decoder resynchronises */
	pthread_mutex_lock(&h->io_lock);
	if (rh->flags & CTL_F_EVENT) {
		hvc_event(h, rh, p);
	} else if (rh->flags & CTL_F_RESPONSE) {
		if (h->want_seq && rh->seq == h->want_seq && !h->got) {
			h->got = true;
			h->got_type = rh->type;
			h->got_status = rh->status;
			h->got_len = rh->len <= sizeof(h->got_payload) ? rh->len : 0;
			memcpy(h->got_payload, p, h->got_len);
			pthread_cond_broadcast(&h->io_cond);
		} else if (!fvd_hvc_read_done(h, rh, p) && !fvd_hvc_chunk_done(h, rh, p)) {
			hvc_async_done(h, rh, p); /* or a stale response: skipped */
		}
	}
	pthread_mutex_unlock(&h->io_lock);
}

void *fvd_hvc_pump(void *arg)
{
	struct fvd_hvc *h = arg;
	uint8_t buf[4096];

	for (;;) {
		struct pollfd pfd = {.fd = h->fd, .events = POLLIN};
		struct ctl_hdr rh;
		const uint8_t *payload;
		ssize_t k;
		size_t off = 0;
		int r;

		pthread_mutex_lock(&h->io_lock);
		if (h->stopping) {
			pthread_mutex_unlock(&h->io_lock);
			break;
		}
		if (h->hub && fvd_hvc_now_ms() >= h->next_stats_ms) {
			h->next_stats_ms = fvd_hvc_now_ms() + HVC_STATS_MS;
			hvc_async_send(h, HVC_ASYNC_STATS, CTL_T_CTL_STATS, NULL);
		}
		pthread_mutex_unlock(&h->io_lock);
		r = poll(&pfd, 1, HVC_POLL_MS);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		k = read(h->fd, buf, sizeof(buf));
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			break;
		/* The reassembly buffer holds one frame: pop between pushes when it is full. */
		while (off < (size_t)k) {
			off += ctl_rx_push(&h->rx, buf + off, (size_t)k - off);
			while ((r = ctl_rx_pop(&h->rx, &rh, &payload)) != -1)
				hvc_frame(h, r, &rh, payload);
		}
	}
	/* The channel is gone (or we close it): waiting operations fail now. */
	pthread_mutex_lock(&h->io_lock);
	if (!h->stopping && !h->dead)
		hvc_emit(h, "control-error", NULL, "the control channel closed", "critical", 1);
	h->dead = true;
	pthread_cond_broadcast(&h->io_cond);
	pthread_mutex_unlock(&h->io_lock);
	return NULL;
}

/* op_lock held: attaches to name's console unless already attached. */
void fvd_hvc_attach(struct fvd_hvc *h, const char *name)
{
	uint8_t ref[CTL_NAME_MAX];
	bool fresh;
	size_t len;

	pthread_mutex_lock(&h->io_lock);
	fresh = h->hub && hvc_attached_add(h, name);
	pthread_mutex_unlock(&h->io_lock);
	if (!fresh)
		return;
	fvd_hvc_name_field(ref, name);
	if (fvd_hvc_call(h, CTL_T_CONSOLE_ATTACH, ref, sizeof(ref), &len)) {
		int k;

		pthread_mutex_lock(&h->io_lock);
		k = hvc_attached_find(h, name);
		if (k >= 0)
			h->attached[k][0] = '\0';
		pthread_mutex_unlock(&h->io_lock);
	}
}

/* op_lock held: a VM the daemon created (wire name field at p): follow its console from
 * its first byte, and log it. */
void fvd_hvc_created(struct fvd_hvc *h, const uint8_t *p)
{
	char name[CTL_NAME_MAX];
	struct fvd_event ev = {.type = "vm-state",
	                       .state = "stopped",
	                       .old_state = "creating",
	                       .cause = "operator:create",
	                       .count = -1};

	if (!hvc_wire_name(p, name))
		return;
	fvd_hvc_attach(h, name);
	ev.vm = name;
	fvd_hub_event(h->hub, &ev);
}
