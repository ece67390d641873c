// SPDX-License-Identifier: MIT
/*
 * Live migration driver and its HTTP client (contracts in fvd_migrate.h). The client is
 * plain sockets: one POST with chunked transfer encoding, the answer read after the last
 * chunk (libmicrohttpd on the other side decodes the chunks). Sockets have short timeouts
 * so every wait also watches the cancel flag and a no-progress deadline.
 */
#include "fvd_migrate.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fvd_route.h"

#define MIG_STALL_S       120 /* no byte moved for this long: the destination is gone */
#define MIG_ANSWER_S      300 /* the destination commits after the last byte: its answer */
#define MIG_IO_TIMEOUT_MS 250
/* Stream bytes asked for at once: the hvc backend reads them as a batch of requests in
 * flight together (fvd_hvc_snap.c), the HTTP side sends them as one chunk. */
#define MIG_READ_MAX (32u << 10)

static struct {
	pthread_mutex_t lock;
	bool active;
	bool cancel;
	bool final_sent; /* too late to cancel */
	char name[FVD_NAME_MAX + 1];
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static bool cancelled(void)
{
	bool c;

	pthread_mutex_lock(&reg.lock);
	c = reg.cancel;
	pthread_mutex_unlock(&reg.lock);
	return c;
}

bool fvd_migrate_parse_url(const char *url, char *host, size_t host_len, unsigned *port)
{
	const char *p, *colon;
	char *end;
	unsigned long v;
	size_t n;

	if (!url || strncmp(url, "http://", 7) != 0)
		return false;
	p = url + 7;
	colon = strchr(p, ':');
	if (!colon || colon == p)
		return false;
	n = (size_t)(colon - p);
	if (n >= host_len)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			return false;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return false;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (errno || v == 0 || v > 65535 || (*end && strcmp(end, "/") != 0))
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	*port = (unsigned)v;
	return true;
}

/* A token goes into a header line: printable, no spaces, bounded. */
static bool token_ok(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t[i] <= ' ' || t[i] > '~')
			return false;
	return true;
}

static int dial(const char *host, unsigned port, char *why, size_t wlen)
{
	struct addrinfo hints, *ai = NULL;
	struct timeval tv = {0, MIG_IO_TIMEOUT_MS * 1000};
	char ps[8];
	int fd = -1, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%u", port);
	rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc || !ai) {
		snprintf(why, wlen, "cannot resolve %s: %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(why, wlen, "cannot connect to %s:%u: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* All of p, or -1 (why set): the peer gone, a stall, or a cancel (unless @final). */
static int send_all(int fd, const void *buf, size_t n, bool final, char *why, size_t wlen)
{
	const char *p = buf;
	double last = now_ms();

	while (n) {
		ssize_t k;

		if (!final && cancelled()) {
			snprintf(why, wlen, "cancelled");
			return -1;
		}
		k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			last = now_ms();
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    now_ms() - last < MIG_STALL_S * 1e3)
			continue;
		snprintf(why, wlen, "sending to the destination: %s",
		         k < 0 ? strerror(errno) : "connection closed");
		return -1;
	}
	return 0;
}

static int send_chunk(int fd, const void *data, size_t n, char *why, size_t wlen)
{
	char head[24];
	int hl = snprintf(head, sizeof(head), "%zx\r\n", n);

	if (send_all(fd, head, (size_t)hl, false, why, wlen) ||
	    send_all(fd, data, n, false, why, wlen) || send_all(fd, "\r\n", 2, false, why, wlen))
		return -1;
	return 0;
}

/*
 * Send the open segment: read from the backend at *pos until it ends. @len is the segment's
 * size as the backend announced it: reads ask for no more (a batch past the end would be
 * answered with errors the hypervisor counts), and the last read, of nothing, confirms the
 * end; were the size wrong, the reads go on until the backend says the end.
 */
static int pump(struct fvd_backend *be, uint32_t id, uint64_t *pos, uint64_t len, int fd, char *why,
                size_t wlen)
{
	static __thread uint8_t buf[MIG_READ_MAX];
	uint64_t end = *pos + len;

	for (;;) {
		size_t n = 0, want = MIG_READ_MAX;
		int err;

		if (*pos < end && end - *pos < want)
			want = (size_t)(end - *pos);
		else if (*pos >= end)
			want = FVD_SNAP_CHUNK;

		if (cancelled()) {
			snprintf(why, wlen, "cancelled");
			return FVD_E_STATE;
		}
		err = be->ops->mig_read(be->ctx, id, *pos, buf, want, &n);
		if (err) {
			snprintf(why, wlen, "reading the migration stream at byte %llu: %s",
			         (unsigned long long)*pos, fvd_route_problem(err)->title);
			return err;
		}
		if (n == 0)
			return FVD_OK;
		if (send_chunk(fd, buf, n, why, wlen))
			return cancelled() ? FVD_E_STATE : FVD_E_IO;
		*pos += n;
	}
}

/* The destination's answer: status code, and its body (a problem's detail) into why. */
static unsigned read_answer(int fd, char *why, size_t wlen)
{
	char buf[4096];
	size_t got = 0;
	double start = now_ms();
	unsigned status = 0;

	while (got < sizeof(buf) - 1) {
		ssize_t k = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (k > 0) {
			got += (size_t)k;
			continue;
		}
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) &&
		    now_ms() - start < MIG_ANSWER_S * 1e3)
			continue;
		break; /* closed (Connection: close), or no answer in time */
	}
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*c %u", &status) != 1)
		status = 0;
	const char *body = strstr(buf, "\r\n\r\n");
	/* A problem (RFC 9457): its detail says why; anything else as it came. */
	cJSON *j = body ? cJSON_Parse(body + 4) : NULL;
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(j, "detail");
	snprintf(why, wlen, "the destination: %s",
	         cJSON_IsString(detail) ? detail->valuestring
	         : body                 ? body + 4
	                                : "no answer");
	cJSON_Delete(j);
	return status;
}

static int run(struct fvd_backend *be, const char *name, const char *host, unsigned port,
               const char *token, struct fvd_mig_result *res)
{
	char req[512], *why = res->error;
	size_t wlen = sizeof(res->error);
	uint64_t pos = 0;
	uint32_t id = 0;
	double t0 = now_ms(), t_pause, t;
	int fd, err, hl;

	fd = dial(host, port, why, wlen);
	if (fd < 0)
		return FVD_E_IO;
	hl = snprintf(req, sizeof(req),
	              "POST %s/vms/incoming?name=%s&resume=true HTTP/1.1\r\nHost: %s:%u\r\n"
	              "Authorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"
	              "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
	              FVD_API_PREFIX, name, host, port, token);
	if (hl <= 0 || (size_t)hl >= sizeof(req) ||
	    send_all(fd, req, (size_t)hl, false, why, wlen)) {
		close(fd);
		return cancelled() ? FVD_E_STATE : FVD_E_IO;
	}
	err = be->ops->mig_begin(be->ctx, name, &id, &res->first_bytes);
	if (err) {
		snprintf(why, wlen, "cannot start: %s", fvd_route_problem(err)->title);
		close(fd); /* the destination sees the request cut off: nothing made there */
		return err;
	}
	t = now_ms();
	err = pump(be, id, &pos, res->first_bytes, fd, why, wlen);
	res->first_ms = now_ms() - t;
	/*
	 * Pre-copy while the VM runs, until the last round is small enough for the final one:
	 * few pages dirty, or a round that the link moved within FVD_MIG_TARGET_MS (the next,
	 * written during this shorter one, is no larger if the guest writes at a steady rate);
	 * or until it does not converge (the dirty count stops shrinking) or rounds run out.
	 */
	for (uint32_t r = 0; !err && r < FVD_MIG_MAX_ROUNDS; r++) {
		struct fvd_mig_round *rd = &res->round[res->nrounds];
		double sent;

		t = now_ms();
		err = be->ops->mig_round(be->ctx, id, false, rd);
		if (err) {
			snprintf(why, wlen, "round %u: %s", r, fvd_route_problem(err)->title);
			break;
		}
		res->nrounds++;
		sent = now_ms();
		err = pump(be, id, &pos, rd->bytes, fd, why, wlen);
		sent = now_ms() - sent;
		res->round_ms[res->nrounds - 1] = now_ms() - t;
		if (r >= 1 && (rd->pages <= FVD_MIG_CONVERGED || sent <= FVD_MIG_TARGET_MS ||
		               (r >= 2 && rd->pages >= res->round[res->nrounds - 2].pages)))
			break;
	}
	if (err) {
		be->ops->mig_end(be->ctx, id, true);
		close(fd);
		res->cancelled = err == FVD_E_STATE && cancelled();
		return err;
	}
	/* The final round: the VM paused here until the destination runs it. */
	t_pause = now_ms();
	err = be->ops->mig_round(be->ctx, id, true, &res->round[res->nrounds]);
	res->final_round_ms = now_ms() - t_pause;
	if (!err) {
		res->nrounds++;
		t = now_ms();
		err = pump(be, id, &pos, res->round[res->nrounds - 1].bytes, fd, why, wlen);
		res->final_send_ms = now_ms() - t;
		res->round_ms[res->nrounds - 1] = res->final_round_ms + res->final_send_ms;
	}
	if (err) {
		if (!why[0])
			snprintf(why, wlen, "final round: %s", fvd_route_problem(err)->title);
		be->ops->mig_end(be->ctx, id, true);
		close(fd);
		res->cancelled = err == FVD_E_STATE && cancelled();
		return err;
	}
	/* From the last chunk on, the destination may run the VM: no cancel, no resume here. */
	pthread_mutex_lock(&reg.lock);
	if (reg.cancel) {
		pthread_mutex_unlock(&reg.lock);
		snprintf(why, wlen, "cancelled");
		be->ops->mig_end(be->ctx, id, true);
		close(fd);
		res->cancelled = true;
		return FVD_E_STATE;
	}
	reg.final_sent = true;
	pthread_mutex_unlock(&reg.lock);
	if (send_all(fd, "0\r\n\r\n", 5, true, why, wlen)) {
		be->ops->mig_end(be->ctx, id, true); /* the stream is incomplete there: refused */
		close(fd);
		return FVD_E_IO;
	}
	t = now_ms();
	res->dest_status = read_answer(fd, why, wlen);
	close(fd);
	res->answer_ms = now_ms() - t;
	res->total_bytes = pos;
	res->total_ms = now_ms() - t0;
	res->downtime_ms = now_ms() - t_pause;
	if (res->dest_status == 201) {
		why[0] = '\0';
		be->ops->mig_end(be->ctx, id, false);
		be->ops->vm_destroy(be->ctx, name);
		return FVD_OK;
	}
	if (res->dest_status == 0) {
		/* No answer: the destination may or may not run it. Two copies must never run:
		 * this one stays paused for the operator (docs/snapshots.md). */
		be->ops->mig_end(be->ctx, id, false);
		res->source_paused = true;
		snprintf(why, wlen,
		         "the destination did not answer after the final round; the VM "
		         "is left paused here");
		return FVD_E_IO;
	}
	be->ops->mig_end(be->ctx, id, true); /* refused there: it runs on here */
	return FVD_E_IO;
}

int fvd_migrate_run(struct fvd_backend *be, const char *name, const char *url, const char *token,
                    struct fvd_mig_result *res)
{
	char host[FVD_MIG_URL_MAX];
	unsigned port;
	int err;

	memset(res, 0, sizeof(*res));
	if (!be->ops->mig_begin) {
		snprintf(res->error, sizeof(res->error), "the %s backend has no live migration",
		         be->ops->kind);
		return FVD_E_NOTSUP;
	}
	if (!fvd_migrate_parse_url(url, host, sizeof(host), &port)) {
		snprintf(res->error, sizeof(res->error), "'to' must be http://HOST:PORT");
		return FVD_E_INVAL;
	}
	if (!token_ok(token)) {
		snprintf(res->error, sizeof(res->error),
		         "'token' must be the destination's admin token");
		return FVD_E_INVAL;
	}
	pthread_mutex_lock(&reg.lock);
	if (reg.active) {
		pthread_mutex_unlock(&reg.lock);
		snprintf(res->error, sizeof(res->error), "migration of '%s' in progress", reg.name);
		return FVD_E_BUSY;
	}
	reg.active = true;
	reg.cancel = false;
	reg.final_sent = false;
	snprintf(reg.name, sizeof(reg.name), "%s", name);
	pthread_mutex_unlock(&reg.lock);
	err = run(be, name, host, port, token, res);
	pthread_mutex_lock(&reg.lock);
	reg.active = false;
	pthread_mutex_unlock(&reg.lock);
	return err;
}

int fvd_migrate_cancel(const char *name)
{
	int err = FVD_OK;

	pthread_mutex_lock(&reg.lock);
	if (!reg.active || strcmp(reg.name, name) != 0)
		err = FVD_E_NOTFOUND;
	else if (reg.final_sent)
		err = FVD_E_STATE;
	else
		reg.cancel = true;
	pthread_mutex_unlock(&reg.lock);
	return err;
}

cJSON *fvd_migrate_json(const char *name, const char *url, const struct fvd_mig_result *r)
{
	cJSON *j = cJSON_CreateObject(), *rounds = cJSON_CreateArray();

	if (!j || !rounds) {
		cJSON_Delete(j);
		cJSON_Delete(rounds);
		return NULL;
	}
	cJSON_AddStringToObject(j, "vm", name);
	cJSON_AddStringToObject(j, "to", url);
	cJSON_AddStringToObject(j, "state", "migrated");
	for (uint32_t i = 0; i < r->nrounds; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o)
			break;
		cJSON_AddNumberToObject(o, "round", r->round[i].round);
		cJSON_AddNumberToObject(o, "pages", (double)r->round[i].pages);
		cJSON_AddNumberToObject(o, "bytes", (double)r->round[i].bytes);
		cJSON_AddNumberToObject(o, "ms", r->round_ms[i]);
		cJSON_AddBoolToObject(o, "final", i + 1 == r->nrounds);
		cJSON_AddItemToArray(rounds, o);
	}
	cJSON_AddItemToObject(j, "rounds", rounds);
	cJSON_AddNumberToObject(j, "first_bytes", (double)r->first_bytes);
	cJSON_AddNumberToObject(j, "total_bytes", (double)r->total_bytes);
	cJSON_AddNumberToObject(j, "total_ms", r->total_ms);
	cJSON_AddNumberToObject(j, "downtime_ms", r->downtime_ms);
	cJSON_AddNumberToObject(j, "first_ms", r->first_ms);
	cJSON *d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "final_round_ms", r->final_round_ms);
		cJSON_AddNumberToObject(d, "final_send_ms", r->final_send_ms);
		cJSON_AddNumberToObject(d, "answer_ms", r->answer_ms);
		cJSON_AddItemToObject(j, "downtime", d);
	}
	return j;
}

void fvd_migrate_summary(const char *url, const struct fvd_mig_result *r, char *out, size_t len)
{
	snprintf(out, len,
	         " to %.48s: %u rounds, %llu bytes, downtime %.1f ms (final round %.1f, send %.1f, "
	         "destination %.1f), total %.1f ms",
	         url, r->nrounds, (unsigned long long)r->total_bytes, r->downtime_ms,
	         r->final_round_ms, r->final_send_ms, r->answer_ms, r->total_ms);
}
