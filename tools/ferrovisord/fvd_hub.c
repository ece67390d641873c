// SPDX-License-Identifier: MIT
/*
 * Event log and console history (see fvd_hub.h). Events are kept as their JSON text, built
 * once with cJSON (a crash cause comes from the hypervisor and is escaped like any string);
 * consoles are byte rings indexed by a running sequence number, so a reader only needs its
 * position to know what it missed.
 */
#include "fvd_hub.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fvd_backend.h"

struct hub_event {
	uint64_t seq;
	char type[FVD_HUB_TYPE_MAX];
	char *text;
};

struct hub_console {
	char name[FVD_NAME_MAX + 1];
	uint64_t total;      /* bytes ever written: the sequence number of the next byte */
	uint64_t last_write; /* hub clock of the last write, for eviction */
	uint8_t *ring;       /* FVD_HUB_CON_BYTES, allocated on first use */
};

struct fvd_hub {
	pthread_mutex_t lock; /* protects everything below */
	pthread_cond_t changed;
	bool stopped;
	uint64_t next_seq;
	uint64_t clock;
	struct hub_event ev[FVD_HUB_EVENTS];
	struct hub_console con[FVD_HUB_CONSOLES];
};

struct fvd_hub *fvd_hub_new(void)
{
	struct fvd_hub *hub = calloc(1, sizeof(*hub));
	pthread_condattr_t ca;

	if (!hub)
		return NULL;
	pthread_mutex_init(&hub->lock, NULL);
	/* Waits are measured on the monotonic clock: a wall-clock step must not stall them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hub->changed, &ca);
	pthread_condattr_destroy(&ca);
	hub->next_seq = 1;
	return hub;
}

void fvd_hub_stop(struct fvd_hub *hub)
{
	pthread_mutex_lock(&hub->lock);
	hub->stopped = true;
	pthread_cond_broadcast(&hub->changed);
	pthread_mutex_unlock(&hub->lock);
}

void fvd_hub_free(struct fvd_hub *hub)
{
	if (!hub)
		return;
	for (size_t i = 0; i < FVD_HUB_EVENTS; i++)
		free(hub->ev[i].text);
	for (size_t i = 0; i < FVD_HUB_CONSOLES; i++)
		free(hub->con[i].ring);
	pthread_cond_destroy(&hub->changed);
	pthread_mutex_destroy(&hub->lock);
	free(hub);
}

static void hub_add_str(cJSON *j, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(j, key, v);
}

uint64_t fvd_hub_event(struct fvd_hub *hub, const struct fvd_event *ev)
{
	char when[64];
	struct timespec ts;
	struct tm tm;
	cJSON *j;
	char *text;
	uint64_t seq;

	if (!hub || !ev->type)
		return 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	pthread_mutex_lock(&hub->lock);
	seq = hub->next_seq++;
	j = cJSON_CreateObject();
	if (j) {
		cJSON_AddNumberToObject(j, "seq", (double)seq);
		cJSON_AddStringToObject(j, "time", when);
		cJSON_AddStringToObject(j, "type", ev->type);
		hub_add_str(j, "vm", ev->vm);
		hub_add_str(j, "state", ev->state);
		hub_add_str(j, "old_state", ev->old_state);
		hub_add_str(j, "cause", ev->cause);
		cJSON_AddStringToObject(j, "severity", ev->severity ? ev->severity : "info");
		if (ev->count >= 0 && strcmp(ev->type, "control-error") == 0)
			cJSON_AddNumberToObject(j, "count", (double)ev->count);
		/* A record that does not parse is left out rather than passed on as text. */
		if (ev->record) {
			cJSON *r = cJSON_Parse(ev->record);

			if (r && cJSON_IsObject(r))
				cJSON_AddItemToObject(j, "record", r);
			else
				cJSON_Delete(r);
		}
	}
	text = j ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	/* An event that does not fit (a cause is at most 96 bytes: cannot happen) is cut to
	 * a valid minimal one rather than sent broken. */
	if (text && strlen(text) >= FVD_HUB_EVENT_MAX) {
		snprintf(text, FVD_HUB_EVENT_MAX, "{\"seq\":%llu,\"time\":\"%s\",\"type\":\"%s\"}",
		         (unsigned long long)seq, when, "truncated");
	}
	struct hub_event *e = &hub->ev[seq % FVD_HUB_EVENTS];
	free(e->text);
	e->text = text;
	e->seq = text ? seq : 0;
	snprintf(e->type, sizeof(e->type), "%s", ev->type);
	pthread_cond_broadcast(&hub->changed);
	pthread_mutex_unlock(&hub->lock);
	return seq;
}

void fvd_hub_audit_listener(void *ctx, const char *line)
{
	struct fvd_event ev = {.type = "audit", .count = -1, .record = line};

	fvd_hub_event(ctx, &ev);
}

uint64_t fvd_hub_last_seq(struct fvd_hub *hub)
{
	uint64_t s;

	pthread_mutex_lock(&hub->lock);
	s = hub->next_seq - 1;
	pthread_mutex_unlock(&hub->lock);
	return s;
}

/* lock held: deadline for a wait of timeout_ms. */
static struct timespec hub_deadline(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

int fvd_hub_next_event(struct fvd_hub *hub, uint64_t after, char *buf, uint64_t *seq, char *type,
                       int timeout_ms)
{
	struct timespec dl = hub_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&hub->lock);
	for (;;) {
		uint64_t last = hub->next_seq - 1;

		if (hub->stopped) {
			ret = -1;
			break;
		}
		if (last > after) {
			/* The oldest retained event is last - (ring - 1); dropped ones are gaps. */
			uint64_t want = after + 1;
			uint64_t oldest = last >= FVD_HUB_EVENTS ? last - FVD_HUB_EVENTS + 1 : 1;

			if (want < oldest)
				want = oldest;
			for (; want <= last; want++) {
				struct hub_event *e = &hub->ev[want % FVD_HUB_EVENTS];

				if (e->seq == want && e->text) {
					snprintf(buf, FVD_HUB_EVENT_MAX, "%s", e->text);
					snprintf(type, FVD_HUB_TYPE_MAX, "%s", e->type);
					*seq = want;
					ret = 1;
					break;
				}
			}
			if (ret)
				break;
			/* Only events lost to out-of-memory: skip them. */
			after = last;
		}
		if (pthread_cond_timedwait(&hub->changed, &hub->lock, &dl) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&hub->lock);
	return ret;
}

/* lock held: the console of name, or NULL; with create, a slot for it (evicting the least
 * recently written one when all are used). */
static struct hub_console *hub_con(struct fvd_hub *hub, const char *name, bool create)
{
	struct hub_console *free_slot = NULL, *oldest = NULL;

	for (size_t i = 0; i < FVD_HUB_CONSOLES; i++) {
		struct hub_console *c = &hub->con[i];

		if (c->name[0] && strcmp(c->name, name) == 0)
			return c;
		if (!c->name[0] && !free_slot)
			free_slot = c;
		if (c->name[0] && (!oldest || c->last_write < oldest->last_write))
			oldest = c;
	}
	if (!create)
		return NULL;
	if (!free_slot) {
		free_slot = oldest;
		free_slot->total = 0;
	}
	if (!free_slot->ring) {
		free_slot->ring = malloc(FVD_HUB_CON_BYTES);
		if (!free_slot->ring)
			return NULL;
	}
	snprintf(free_slot->name, sizeof(free_slot->name), "%s", name);
	free_slot->total = 0;
	return free_slot;
}

void fvd_hub_console_put(struct fvd_hub *hub, const char *name, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct hub_console *c;

	if (!hub || !len)
		return;
	pthread_mutex_lock(&hub->lock);
	c = hub_con(hub, name, true);
	if (c) {
		/* Only the last ring's worth of a long write can be kept. */
		if (len > FVD_HUB_CON_BYTES) {
			c->total += len - FVD_HUB_CON_BYTES;
			p += len - FVD_HUB_CON_BYTES;
			len = FVD_HUB_CON_BYTES;
		}
		for (size_t i = 0; i < len; i++)
			c->ring[(c->total + i) % FVD_HUB_CON_BYTES] = p[i];
		c->total += len;
		c->last_write = ++hub->clock;
		pthread_cond_broadcast(&hub->changed);
	}
	pthread_mutex_unlock(&hub->lock);
}

uint64_t fvd_hub_console_start(struct fvd_hub *hub, const char *name, uint64_t tail)
{
	struct hub_console *c;
	uint64_t pos = 0;

	pthread_mutex_lock(&hub->lock);
	c = hub_con(hub, name, false);
	if (c) {
		if (tail > FVD_HUB_CON_BYTES)
			tail = FVD_HUB_CON_BYTES;
		pos = c->total > tail ? c->total - tail : 0;
	}
	pthread_mutex_unlock(&hub->lock);
	return pos;
}

int fvd_hub_console_read(struct fvd_hub *hub, const char *name, uint64_t *pos, uint64_t *first,
                         void *out, size_t cap, int timeout_ms)
{
	struct timespec dl = hub_deadline(timeout_ms);
	int ret = 0;

	pthread_mutex_lock(&hub->lock);
	for (;;) {
		struct hub_console *c = hub_con(hub, name, false);

		if (hub->stopped) {
			ret = -1;
			break;
		}
		if (c) {
			uint64_t oldest =
			    c->total > FVD_HUB_CON_BYTES ? c->total - FVD_HUB_CON_BYTES : 0;

			/* A history that restarted (slot evicted and reused) starts over. */
			if (*pos > c->total)
				*pos = 0;
			if (*pos < oldest)
				*pos = oldest;
			if (*pos < c->total) {
				size_t n = (size_t)(c->total - *pos);
				uint8_t *o = out;

				if (n > cap)
					n = cap;
				for (size_t i = 0; i < n; i++)
					o[i] = c->ring[(*pos + i) % FVD_HUB_CON_BYTES];
				*first = *pos;
				*pos += n;
				ret = (int)n;
				break;
			}
		}
		if (pthread_cond_timedwait(&hub->changed, &hub->lock, &dl) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&hub->lock);
	return ret;
}

size_t fvd_hub_base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}
