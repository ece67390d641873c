// SPDX-License-Identifier: MIT
/*
 * REST endpoints over libmicrohttpd (see fvd_http.h and docs/api/openapi.yaml).
 *
 * libmicrohttpd calls the access handler several times per request: once with the
 * headers (we allocate a struct fvd_req), then once per piece of body, then once with no
 * data, when the response is queued. A VM package (POST /api/v1/vms) is streamed to the
 * backend piece by piece, so the VM is listed as "creating" with its progress while its
 * upload runs; other endpoints take no body and get 413 past a few kilobytes, except
 * console input (POST /api/v1/vms/{name}/console), whose body of at most 4 KiB is kept.
 *
 * Threads: libmicrohttpd runs a thread per connection, so an event or console stream
 * (fvd_stream.c) blocks only its own connection; handlers run concurrently and the
 * backend serialises its operations itself (fvd_backend.h).
 */
#include "fvd_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fvd_audit.h"
#include "fvd_auth.h"
#include "fvd_auth_api.h"
#include "fvd_dump.h"
#include "fvd_json.h"
#include "fvd_metrics.h"
#include "fvd_route.h"
#include "fvd_migrate.h"
#include "fvd_stream.h"
#include "fvd_www.h"
#include "fvd_www_serve.h"
#include "fvd_sched.h"
#include "fvd_trace.h"
#include "fvd_prof.h"
#include "fvd_snap.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

#define HTTP_BODY_MAX    4096u /* bodies of endpoints that take none */
#define HTTP_LIST_MAX    64u   /* VMs in one listing (well above any build's limit) */
#define HTTP_OPENAPI_MAX (1u << 20)
#define HTTP_MEM_MAX_MB  (1u << 20) /* memory_mb parameter: 1 TiB */

struct fvd_http {
	struct MHD_Daemon *mhd;
	struct fvd_backend *be;
	const char *openapi;
	const char *www; /* dashboard directory (fvd_www.h) */
	uint16_t port;
	struct fvd_auth *auth;
	struct fvd_audit *audit;
	struct fvd_hub *hub;
	int heartbeat_ms;
};

struct fvd_req {
	struct fvd_route route;
	enum fvd_method method;
	uint64_t body_seen;
	/* POST /api/v1/vms: the backend holds a CREATING VM of this name until create_end. */
	bool creating;
	int upload_err; /* first backend error of the upload, reported at its end */
	char name[FVD_NAME_MAX + 1];
	/* Authentication and audit (fvd_auth.h, fvd_audit.h). */
	bool audit;        /* record this request (mutating, or its token refused) */
	bool unauthorized; /* the response is a 401: add WWW-Authenticate */
	bool has_token;    /* tok_id/tok_role name a valid token */
	char tok_id[FVD_TOKEN_ID_MAX + 1];
	enum fvd_role tok_role;
	char source[48]; /* client address */
	char op[160];    /* "METHOD /path" */
	/* The body of endpoints that read one (POST /tokens, POST console: the bytes typed;
	 * body_seen counts all), NUL-terminated for the JSON parser. */
	size_t body_len;
	char body[HTTP_BODY_MAX + 1];
	/* POST /api/v1/vms/restore: the stream goes to the backend as it arrives (fvd_snap.h). */
	struct fvd_snap_up *snap_up;
};

/* The request being answered on this thread: libmicrohttpd runs each connection on its
 * own thread (MHD_USE_THREAD_PER_CONNECTION), so this is thread-local, set at each call of
 * http_access (and by http_completed) and read by http_send, which writes the audit record
 * before queuing the response. */
static __thread struct fvd_req *http_cur;
static __thread struct fvd_http *http_cur_h;

/* The audit record of the current request, if it needs one, on disk before its answer. */
static void http_audit(unsigned status)
{
	struct fvd_req *rq = http_cur;
	struct fvd_audit_rec r;

	if (!rq || !rq->audit || !http_cur_h || !http_cur_h->audit)
		return;
	rq->audit = false; /* once per request */
	r.token = rq->has_token ? rq->tok_id : NULL;
	r.role = rq->has_token ? fvd_role_name(rq->tok_role) : NULL;
	r.source = rq->source;
	r.op = rq->op;
	r.target = rq->name[0] ? rq->name : rq->route.name;
	r.status = status;
	/* An audit log that cannot be written is reported; the request has happened. */
	fvd_audit_append(http_cur_h->audit, &r);
}

static MHD_Result_t http_send(struct MHD_Connection *c, unsigned status, const char *ctype,
                              char *body, const char *allow, const char *location)
{
	struct MHD_Response *r;
	MHD_Result_t ret;

	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (http_cur && http_cur->unauthorized)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"ferrovisor\"");
	http_audit(status);
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	if (location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Sends a cJSON tree (consumed); NULL (out of memory) drops the connection. */
static MHD_Result_t http_send_json(struct MHD_Connection *c, unsigned status, cJSON *j,
                                   const char *ctype, const char *allow, const char *location)
{
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;

	cJSON_Delete(j);
	if (!text)
		return MHD_NO;
	return http_send(c, status, ctype, text, allow, location);
}

static MHD_Result_t http_problem_kind(struct MHD_Connection *c, const struct fvd_problem_kind *k,
                                      const char *url, const char *allow, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static MHD_Result_t http_problem_kind(struct MHD_Connection *c, const struct fvd_problem_kind *k,
                                      const char *url, const char *allow, const char *fmt, ...)
{
	char detail[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return http_send_json(c, k->status, fvd_json_problem(k, detail, url),
	                      "application/problem+json", allow, NULL);
}

static const struct fvd_problem_kind http_k_notfound = {404, "not-found", "No such resource"};
static const struct fvd_problem_kind http_k_method = {405, "method-not-allowed",
                                                      "Method not allowed"};
static const struct fvd_problem_kind http_k_badname = {400, "invalid-name", "Invalid VM name"};
static const struct fvd_problem_kind http_k_badtoken = {400, "invalid-name", "Invalid token id"};
static const struct fvd_problem_kind http_k_toobig = {413, "too-large", "Request body too large"};
static const struct fvd_problem_kind http_k_length = {411, "length-required",
                                                      "Content-Length required"};
static const struct fvd_problem_kind http_k_mediatype = {415, "unsupported-media-type",
                                                         "Unsupported media type"};
static const struct fvd_problem_kind http_k_param = {400, "invalid-parameter", "Invalid parameter"};
static const struct fvd_problem_kind http_k_field = {400, "invalid-field", "Invalid field"};

/* A backend error as a problem response naming the VM. */
static MHD_Result_t http_backend_err(struct MHD_Connection *c, int err, const char *url,
                                     const char *what, const char *name)
{
	char why[FVD_IO_DETAIL_MAX];

	/* A channel failure says which request failed and how (fvd_io_detail_take). */
	fvd_io_detail_take(why, sizeof(why));
	if (err == FVD_E_IO && why[0])
		return http_problem_kind(c, fvd_route_problem(err), url, NULL, "%s '%s': %s: %s",
		                         what, name, fvd_route_problem(err)->title, why);
	return http_problem_kind(c, fvd_route_problem(err), url, NULL, "%s '%s': %s", what, name,
	                         fvd_route_problem(err)->title);
}

/* Parses a decimal number (digits only, no sign or blanks); NULL fails. */
static bool http_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* Parses a decimal query parameter into [1, max]; absent gives def. */
static bool http_uint_arg(struct MHD_Connection *c, const char *key, uint64_t def, uint64_t max,
                          uint64_t *out)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);

	if (!s) {
		*out = def;
		return true;
	}
	return http_parse_u64(s, out) && *out != 0 && *out <= max;
}

/* ------------------------------------------------------------------ handlers */

typedef MHD_Result_t (*http_handler)(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url);

static MHD_Result_t http_get_host(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                  const char *url)
{
	struct fvd_host_info hi;
	int err = h->be->ops->host_info(h->be->ctx, &hi);

	(void)rq;
	if (err)
		return http_backend_err(c, err, url, "host", "info");
	return http_send_json(c, 200, fvd_json_host(&hi, h->be->ops->kind), "application/json",
	                      NULL, NULL);
}

static MHD_Result_t http_get_vms(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                 const char *url)
{
	/* Per call: handlers of several connections run at once. */
	struct fvd_vm_info *vms = calloc(HTTP_LIST_MAX, sizeof(*vms));
	size_t n = 0;
	int err;
	cJSON *j;

	(void)rq;
	if (!vms)
		return MHD_NO;
	err = h->be->ops->vm_list(h->be->ctx, vms, HTTP_LIST_MAX, &n);
	if (err) {
		free(vms);
		return http_backend_err(c, err, url, "vm list", "all");
	}
	if (n > HTTP_LIST_MAX)
		n = HTTP_LIST_MAX;
	j = fvd_json_vm_list(vms, n);
	free(vms);
	return http_send_json(c, 200, j, "application/json", NULL, NULL);
}

static MHD_Result_t http_get_vm(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                const char *url)
{
	struct fvd_vm_info vm;
	int err = h->be->ops->vm_get(h->be->ctx, rq->route.name, &vm);

	if (err)
		return http_backend_err(c, err, url, "vm", rq->route.name);
	return http_send_json(c, 200, fvd_json_vm(&vm), "application/json", NULL, NULL);
}

static MHD_Result_t http_delete_vm(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	int err = h->be->ops->vm_destroy(h->be->ctx, rq->route.name);

	if (err)
		return http_backend_err(c, err, url, "destroy", rq->route.name);
	return http_send(c, 204, "text/plain", strdup(""), NULL, NULL);
}

static MHD_Result_t http_post_action(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url)
{
	struct fvd_vm_info vm;
	int err = h->be->ops->vm_action(h->be->ctx, rq->route.name, rq->route.action);

	if (!err)
		err = h->be->ops->vm_get(h->be->ctx, rq->route.name, &vm);
	if (err)
		return http_backend_err(c, err, url, fvd_action_name(rq->route.action),
		                        rq->route.name);
	return http_send_json(c, 200, fvd_json_vm(&vm), "application/json", NULL, NULL);
}

/* The end of POST /api/v1/vms: commit the upload, or report its first error. */
static MHD_Result_t http_post_vms(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                  const char *url)
{
	char location[sizeof(FVD_API_PREFIX) + 8 + FVD_NAME_MAX];
	struct fvd_vm_info vm;
	int err = rq->upload_err;

	rq->creating = false;
	if (err) {
		h->be->ops->create_end(h->be->ctx, rq->name, false);
		return http_backend_err(c, err, url, "create", rq->name);
	}
	err = h->be->ops->create_end(h->be->ctx, rq->name, true);
	if (!err)
		err = h->be->ops->vm_get(h->be->ctx, rq->name, &vm);
	if (err)
		return http_backend_err(c, err, url, "create", rq->name);
	snprintf(location, sizeof(location), FVD_API_PREFIX "/vms/%s", rq->name);
	return http_send_json(c, 201, fvd_json_vm(&vm), "application/json", NULL, location);
}

/* PATCH /api/v1/vms/{name}: weight and/or affinity, in any state (fvd_sched.c parses). */
static MHD_Result_t http_patch_vm(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                  const char *url)
{
	const char *ctype =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct fvd_host_info hi;
	struct fvd_sched_req req;
	struct fvd_sched_err perr;
	struct fvd_vm_info vm;
	int err;

	if (!ctype || strncmp(ctype, "application/json", 16) != 0)
		return http_problem_kind(c, &http_k_mediatype, url, NULL,
		                         "the changes are sent as application/json");
	if (!h->be->ops->vm_set_sched)
		return http_backend_err(c, FVD_E_NOTSUP, url, "set", rq->route.name);
	err = h->be->ops->host_info(h->be->ctx, &hi);
	if (err)
		return http_backend_err(c, err, url, "host", "info");
	if (fvd_sched_parse(rq->body, rq->body_len, hi.cpus, &req, &perr))
		return http_problem_kind(c, &http_k_field, url, NULL, "field '%s': %s", perr.field,
		                         perr.why);
	err = h->be->ops->vm_set_sched(h->be->ctx, rq->route.name, &req);
	if (!err)
		err = h->be->ops->vm_get(h->be->ctx, rq->route.name, &vm);
	if (err)
		return http_backend_err(c, err, url, "set", rq->route.name);
	return http_send_json(c, 200, fvd_json_vm(&vm), "application/json", NULL, NULL);
}

static MHD_Result_t http_get_openapi(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url)
{
	FILE *f = h->openapi ? fopen(h->openapi, "r") : NULL;
	char *buf;
	size_t n;

	(void)rq;
	if (!f)
		return http_problem_kind(c, &http_k_notfound, url, NULL,
		                         "this daemon was started without --openapi");
	buf = malloc(HTTP_OPENAPI_MAX + 1);
	n = buf ? fread(buf, 1, HTTP_OPENAPI_MAX, f) : 0;
	fclose(f);
	if (!buf)
		return MHD_NO;
	buf[n] = '\0';
	return http_send(c, 200, "application/yaml", buf, NULL, NULL);
}

static MHD_Result_t http_get_whoami(struct fvd_http *h, struct MHD_Connection *c,
                                    struct fvd_req *rq, const char *url)
{
	(void)h;
	(void)url;
	return http_send_json(c, 200, fvd_auth_json_whoami(rq->tok_id, rq->tok_role),
	                      "application/json", NULL, NULL);
}

static MHD_Result_t http_get_tokens(struct fvd_http *h, struct MHD_Connection *c,
                                    struct fvd_req *rq, const char *url)
{
	(void)rq;
	(void)url;
	return http_send_json(c, 200, fvd_auth_json_tokens(h->auth), "application/json", NULL,
	                      NULL);
}

static const struct fvd_problem_kind http_k_token_body = {400, "invalid-request",
                                                          "Invalid token request"};

static MHD_Result_t http_post_tokens(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url)
{
	char detail[200];
	char location[sizeof(FVD_API_PREFIX) + 8 + FVD_TOKEN_ID_MAX];
	cJSON *out;
	int err =
	    fvd_auth_api_create(h->auth, rq->body, rq->body_len, &out, detail, sizeof(detail));
	const cJSON *id;

	if (err == FVD_E_INVAL)
		return http_problem_kind(c, &http_k_token_body, url, NULL, "%s", detail);
	if (err) {
		const struct fvd_problem_kind *k = fvd_route_problem(err);
		struct fvd_problem_kind kk = {k->status, k->slug, "Token not created"};

		return http_problem_kind(c, &kk, url, NULL, "%s", detail);
	}
	if (!out)
		return MHD_NO;
	id = cJSON_GetObjectItemCaseSensitive(out, "id");
	snprintf(rq->name, sizeof(rq->name), "%s", cJSON_GetStringValue(id));
	snprintf(location, sizeof(location), FVD_API_PREFIX "/tokens/%s", rq->name);
	return http_send_json(c, 201, out, "application/json", NULL, location);
}

static const struct fvd_problem_kind http_k_token_gone = {404, "token-not-found", "No such token"};
static const struct fvd_problem_kind http_k_token_kept = {
    409, "token-protected", "Token cannot be deleted through the API"};

static MHD_Result_t http_delete_token(struct fvd_http *h, struct MHD_Connection *c,
                                      struct fvd_req *rq, const char *url)
{
	int err = fvd_auth_delete(h->auth, rq->route.name);

	if (err == FVD_E_NOTFOUND)
		return http_problem_kind(c, &http_k_token_gone, url, NULL, "no token '%s'",
		                         rq->route.name);
	if (err == FVD_E_DENIED)
		return http_problem_kind(c, &http_k_token_kept, url, NULL,
		                         "token '%s' is configured in the YAML or the last admin "
		                         "token",
		                         rq->route.name);
	if (err)
		return http_backend_err(c, err, url, "token", rq->route.name);
	return http_send(c, 204, "text/plain", strdup(""), NULL, NULL);
}

static MHD_Result_t http_get_audit(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	const char *after_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
	uint64_t after = 0, limit;
	cJSON *page;

	(void)rq;
	if (after_s && !http_parse_u64(after_s, &after))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'after' must be a record number");
	if (!http_uint_arg(c, "limit", 100, FVD_AUDIT_PAGE_MAX, &limit))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'limit' must be an integer in 1..%u",
		                         FVD_AUDIT_PAGE_MAX);
	page = fvd_audit_page(h->audit, after, (size_t)limit);
	if (!page)
		return http_backend_err(c, FVD_E_IO, url, "audit", "log");
	return http_send_json(c, 200, page, "application/json", NULL, NULL);
}

/* The metrics snapshot and the daemon's own scrape counters: handlers run concurrently
 * (a thread per connection), so one scrape at a time reads and renders them. */
static pthread_mutex_t http_metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fvd_metrics http_metrics;
static struct fvd_metrics_self http_metrics_self;

/* GET /metrics: Prometheus text format 0.0.4. A failed read still answers 200 with
 * ferrovisor_up 0 and the error counter, as exporters do, so Prometheus records the outage. */
static MHD_Result_t http_get_metrics(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url)
{
	int err;
	char *text;

	(void)rq;
	pthread_mutex_lock(&http_metrics_lock);
	err = fvd_metrics_read(h->be, &http_metrics, &http_metrics_self);
	text = err == FVD_E_NOTSUP ? NULL : fvd_metrics_prom(&http_metrics, &http_metrics_self);
	pthread_mutex_unlock(&http_metrics_lock);
	if (err == FVD_E_NOTSUP)
		return http_backend_err(c, err, url, "metrics", "host");
	if (!text)
		return MHD_NO;
	return http_send(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, NULL, NULL);
}

/* GET /api/v1/stats: the same counters as JSON for the dashboard's charts. */
static MHD_Result_t http_get_stats(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	cJSON *j = NULL;
	int err;

	(void)rq;
	pthread_mutex_lock(&http_metrics_lock);
	err = fvd_metrics_read(h->be, &http_metrics, &http_metrics_self);
	if (!err)
		j = fvd_metrics_json(&http_metrics);
	pthread_mutex_unlock(&http_metrics_lock);
	if (err)
		return http_backend_err(c, err, url, "stats", "host");
	return http_send_json(c, 200, j, "application/json", NULL, NULL);
}

/* Queues a stream response (NULL: out of memory, the connection is dropped). */
static MHD_Result_t http_send_stream(struct MHD_Connection *c, struct MHD_Response *r)
{
	MHD_Result_t ret;

	if (!r)
		return MHD_NO;
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* A boolean query parameter: absent gives def; true/false/1/0. */
static bool http_bool_arg(struct MHD_Connection *c, const char *key, bool def, bool *out)
{
	const char *s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);

	*out = def;
	if (!s)
		return true;
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = true;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = false;
	else
		return false;
	return true;
}

static MHD_Result_t http_get_events(struct fvd_http *h, struct MHD_Connection *c,
                                    struct fvd_req *rq, const char *url)
{
	const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
	uint64_t after = 0;
	bool follow, audit;

	/* A reconnecting EventSource says where it was with Last-Event-ID. */
	if (!since)
		since = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
	if (since && !http_parse_u64(since, &after))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "'since' must be an event sequence number (0 = all "
		                         "retained)");
	if (!http_bool_arg(c, "follow", true, &follow))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "'follow' must be true or false");
	/* Audit records only to admins (without authentication there are no roles). */
	audit = !h->auth || (rq->has_token && rq->tok_role >= FVD_ROLE_ADMIN);
	return http_send_stream(
	    c, fvd_stream_events(h->hub, c, after, follow, audit, h->heartbeat_ms));
}

static MHD_Result_t http_get_console(struct fvd_http *h, struct MHD_Connection *c,
                                     struct fvd_req *rq, const char *url)
{
	const char *tail = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "tail");
	uint64_t n = FVD_HUB_CON_BYTES;
	struct fvd_vm_info vm;
	int err;

	if (tail && !http_parse_u64(tail, &n))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "'tail' must be a number of bytes (0 = live output only)");
	err = h->be->ops->vm_get(h->be->ctx, rq->route.name, &vm);
	if (err)
		return http_backend_err(c, err, url, "console", rq->route.name);
	return http_send_stream(c,
	                        fvd_stream_console(h->hub, c, rq->route.name, n, h->heartbeat_ms));
}

static MHD_Result_t http_post_console(struct fvd_http *h, struct MHD_Connection *c,
                                      struct fvd_req *rq, const char *url)
{
	size_t taken = 0;
	cJSON *j;
	int err;

	if (rq->body_len == 0)
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "console input is the request body: 1..%u bytes",
		                         HTTP_BODY_MAX);
	err = h->be->ops->console_input(h->be->ctx, rq->route.name, rq->body, rq->body_len, &taken);
	if (err)
		return http_backend_err(c, err, url, "console input", rq->route.name);
	j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "vm", rq->route.name);
		cJSON_AddNumberToObject(j, "bytes", (double)rq->body_len);
		cJSON_AddNumberToObject(j, "accepted", (double)taken);
	}
	return http_send_json(c, 200, j, "application/json", NULL, NULL);
}

/* POST /api/v1/trace: start (rings cleared) or stop the event tracer (fvd_trace.h). */
static MHD_Result_t http_post_trace(struct fvd_http *h, struct MHD_Connection *c,
                                    struct fvd_req *rq, const char *url)
{
	const char *ctype =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct fvd_trace_status st;
	char why[160];
	uint32_t mask;
	bool on;
	int err;

	if (!ctype || strncmp(ctype, "application/json", 16) != 0)
		return http_problem_kind(c, &http_k_mediatype, url, NULL,
		                         "the request is sent as application/json");
	if (fvd_trace_parse_post(rq->body, rq->body_len, &mask, &on, why, sizeof(why)))
		return http_problem_kind(c, &http_k_field, url, NULL, "%s", why);
	err = fvd_trace_apply(h->be, on, mask, &st);
	if (err)
		return http_backend_err(c, err, url, "trace", "host");
	return http_send_json(c, 200, fvd_trace_status_json(&st), "application/json", NULL, NULL);
}

/* GET /api/v1/trace: every CPU's ring drained, as trace-event JSON. */
static MHD_Result_t http_get_trace(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	char *json;
	int err = fvd_trace_export(h->be, &json);

	(void)rq;
	if (err)
		return http_backend_err(c, err, url, "trace", "host");
	return http_send(c, 200, "application/json", json, NULL, NULL);
}

/* ------------------------------------------------------------------ crash dumps */

static const struct fvd_problem_kind http_k_nodump = {404, "dump-not-found", "No such dump"};

/* POST /api/v1/vms/{name}/dump: write a core file now (fvd_dump.h). */
static MHD_Result_t http_post_dump(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	struct fvd_dump_meta m;
	char location[64];
	int err = fvd_dump_create(h->be, rq->route.name, &m);

	if (err)
		return http_backend_err(c, err, url, "dump", rq->route.name);
	snprintf(location, sizeof(location), "%s/dumps/%s", FVD_API_PREFIX, m.id);
	return http_send_json(c, 201, fvd_dump_json(&m), "application/json", NULL, location);
}

static MHD_Result_t http_get_dumps(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                   const char *url)
{
	static struct fvd_dump_meta all[256]; /* the polling thread only */
	size_t n;
	int err = fvd_dump_list(all, 256, &n);
	cJSON *j, *arr;

	(void)h;
	(void)rq;
	if (err)
		return http_backend_err(c, err, url, "dumps", "all");
	j = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(j, "dumps");
	for (size_t i = 0; arr && i < n && i < 256; i++)
		cJSON_AddItemToArray(arr, fvd_dump_json(&all[i]));
	return http_send_json(c, 200, j, "application/json", NULL, NULL);
}

/* GET /api/v1/dumps/{id}: the core file itself, streamed from disk. */
static MHD_Result_t http_get_dump(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                                  const char *url)
{
	struct fvd_dump_meta m;
	struct MHD_Response *r;
	uint64_t size;
	MHD_Result_t ret;
	char disp[96];
	int fd;

	(void)h;
	if (fvd_dump_open(rq->route.name, &fd, &size, &m))
		return http_problem_kind(c, &http_k_nodump, url, NULL, "no dump '%s'",
		                         rq->route.name);
	r = MHD_create_response_from_fd((size_t)size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.core\"", m.id);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, "Content-Disposition", disp);
	http_audit(200);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* POST /api/v1/vms/{name}/profile: one profiler session, blocking for its seconds. */
static MHD_Result_t http_post_profile(struct fvd_http *h, struct MHD_Connection *c,
                                      struct fvd_req *rq, const char *url)
{
	const char *ctype =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct fvd_prof_req req;
	struct fvd_prof_err perr = {{0}, {0}};
	cJSON *j;
	int err;

	if (rq->body_len && (!ctype || strncmp(ctype, "application/json", 16) != 0))
		return http_problem_kind(c, &http_k_mediatype, url, NULL,
		                         "the parameters are sent as application/json");
	if (fvd_prof_parse(rq->body, rq->body_len, &req, &perr))
		return http_problem_kind(c, &http_k_field, url, NULL, "field '%s': %s", perr.field,
		                         perr.why);
	err = fvd_prof_run(h->be, rq->route.name, &req, &j);
	if (err)
		return http_backend_err(c, err, url, "profile", rq->route.name);
	return http_send_json(c, 200, j, "application/json", NULL, NULL);
}

/* ------------------------------------------------------------------ snapshots */

static const struct fvd_problem_kind http_k_snap_notsup = {501, "not-implemented",
                                                           "Not offered by this backend"};

/* POST /api/v1/vms/{name}/snapshot?resume=true|false: the stream, sent as it is read. */
static MHD_Result_t http_post_snapshot(struct fvd_http *h, struct MHD_Connection *c,
                                       struct fvd_req *rq, const char *url)
{
	struct MHD_Response *r;
	MHD_Result_t ret;
	bool resume;
	uint64_t size;
	uint32_t id;
	char disp[96];
	int err;

	if (!h->be->ops->snap_begin)
		return http_problem_kind(c, &http_k_snap_notsup, url, NULL,
		                         "the %s backend has no snapshots", h->be->ops->kind);
	if (!http_bool_arg(c, "resume", true, &resume))
		return http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'resume' must be true or false");
	err = h->be->ops->snap_begin(h->be->ctx, rq->route.name, &id, &size);
	if (err)
		return http_backend_err(c, err, url, "snapshot", rq->route.name);
	r = fvd_snap_response(h->be, id, size, resume);
	if (!r)
		return MHD_NO;
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.fvsnap\"", rq->route.name);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	MHD_add_response_header(r, "Content-Disposition", disp);
	http_audit(200);
	ret = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* First call of POST /api/v1/vms/restore?name=NEW: checks the headers and begins the
 * restore. Returns 0, or queues an error response and returns its MHD result + 1. */
static int http_restore_begin(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                              const char *url, MHD_Result_t *ret)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	const char *ctype =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	uint64_t len;
	int err;

	if (!name || !fvd_route_valid_name(name, strlen(name))) {
		*ret = http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'name' missing or invalid "
		                         "(1-%d of A-Z a-z 0-9 _ -, first alphanumeric)",
		                         FVD_NAME_MAX);
		return 1;
	}
	if (!ctype || strncmp(ctype, "application/octet-stream", 24) != 0) {
		*ret = http_problem_kind(c, &http_k_mediatype, url, NULL,
		                         "the snapshot is sent as application/octet-stream");
		return 1;
	}
	/* A migration's stream (POST /vms/incoming) has no length known in advance: chunked,
	 * complete at its END (size 0 to the backend). */
	if (rq->route.ep == FVD_EP_INCOMING) {
		len = 0;
	} else if (!http_parse_u64(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	                                                       MHD_HTTP_HEADER_CONTENT_LENGTH),
	                           &len) ||
	           len == 0) {
		*ret = http_problem_kind(c, &http_k_length, url, NULL,
		                         "a non-empty snapshot with Content-Length is required");
		return 1;
	}
	memcpy(rq->name, name, strlen(name) + 1);
	rq->snap_up = fvd_snap_up_begin(h->be, name, len, &err);
	if (!rq->snap_up) {
		*ret = err == FVD_E_NOTSUP
		           ? http_problem_kind(c, &http_k_snap_notsup, url, NULL,
		                               "the %s backend has no snapshots", h->be->ops->kind)
		           : http_backend_err(c, err, url, "restore", name);
		return 1;
	}
	return 0;
}

/* Last call of POST /api/v1/vms/restore: commit; 201 with the new VM. */
static MHD_Result_t http_post_restore(struct fvd_http *h, struct MHD_Connection *c,
                                      struct fvd_req *rq, const char *url)
{
	struct fvd_vm_info vm;
	char location[96];
	bool resume;
	int err;

	(void)h;
	if (!http_bool_arg(c, "resume", false, &resume))
		resume = false;
	err = fvd_snap_up_commit(rq->snap_up, resume, &vm);
	if (err == FVD_E_INVAL)
		return http_problem_kind(c, &http_k_field, url, NULL,
		                         "snapshot refused (damaged, truncated, or not restorable "
		                         "on this host); the hypervisor log says why");
	if (err)
		return http_backend_err(c, err, url, "restore", rq->name);
	snprintf(location, sizeof(location), "%s/vms/%s", FVD_API_PREFIX, vm.name);
	return http_send_json(c, 201, fvd_json_vm(&vm), "application/json", NULL, location);
}

/* ------------------------------------------------------------------ live migration */

static const struct fvd_problem_kind http_k_mig_failed = {502, "migration-failed",
                                                          "Migration failed"};
static const struct fvd_problem_kind http_k_mig_cancelled = {409, "migration-cancelled",
                                                             "Migration cancelled"};

/* POST /api/v1/vms/{name}/migrate {"to": URL, "token": T}: the whole migration, then its
 * figures (fvd_migrate.h); the audit record carries them too. */
static MHD_Result_t http_post_migrate(struct fvd_http *h, struct MHD_Connection *c,
                                      struct fvd_req *rq, const char *url)
{
	struct fvd_mig_result *res;
	const cJSON *to, *tok;
	cJSON *body;
	MHD_Result_t ret;
	char to_url[FVD_MIG_URL_MAX + 1];
	size_t oplen;
	int err;

	if (!h->be->ops->mig_begin)
		return http_problem_kind(c, &http_k_snap_notsup, url, NULL,
		                         "the %s backend has no live migration", h->be->ops->kind);
	rq->body[rq->body_len] = '\0';
	body = cJSON_Parse(rq->body);
	to = body ? cJSON_GetObjectItemCaseSensitive(body, "to") : NULL;
	tok = body ? cJSON_GetObjectItemCaseSensitive(body, "token") : NULL;
	if (!cJSON_IsString(to) || !cJSON_IsString(tok) ||
	    strlen(to->valuestring) > FVD_MIG_URL_MAX) {
		cJSON_Delete(body);
		return http_problem_kind(c, &http_k_field, url, NULL,
		                         "the body is {\"to\": \"http://HOST:PORT\", \"token\": "
		                         "\"the destination's admin token\"}");
	}
	snprintf(to_url, sizeof(to_url), "%s", to->valuestring);
	res = calloc(1, sizeof(*res));
	if (!res) {
		cJSON_Delete(body);
		return MHD_NO;
	}
	err = fvd_migrate_run(h->be, rq->route.name, to_url, tok->valuestring, res);
	cJSON_Delete(body);
	/* The audit record's op says where it went and what it cost. */
	oplen = strlen(rq->op);
	fvd_migrate_summary(to_url, res, rq->op + oplen, sizeof(rq->op) - oplen);
	if (!err)
		ret = http_send_json(c, 200, fvd_migrate_json(rq->route.name, to_url, res),
		                     "application/json", NULL, NULL);
	else if (err == FVD_E_STATE && res->cancelled)
		ret = http_problem_kind(c, &http_k_mig_cancelled, url, NULL,
		                        "migration of '%s' cancelled; it runs on here",
		                        rq->route.name);
	else if (err == FVD_E_IO)
		ret = http_problem_kind(
		    c, &http_k_mig_failed, url, NULL, "%s (destination answered %u)%s", res->error,
		    res->dest_status, res->source_paused ? "" : "; the VM runs on here");
	else if (err == FVD_E_INVAL || err == FVD_E_BUSY || err == FVD_E_NOTSUP)
		ret = http_problem_kind(c, fvd_route_problem(err), url, NULL, "%s", res->error);
	else
		ret = http_backend_err(c, err, url, "migrate", rq->route.name);
	free(res);
	return ret;
}

/* DELETE /api/v1/vms/{name}/migrate: cancel it; the POST answers 409 once it has stopped. */
static MHD_Result_t http_delete_migrate(struct fvd_http *h, struct MHD_Connection *c,
                                        struct fvd_req *rq, const char *url)
{
	cJSON *j;
	int err = fvd_migrate_cancel(rq->route.name);

	(void)h;
	if (err == FVD_E_NOTFOUND)
		return http_problem_kind(c, &http_k_notfound, url, NULL,
		                         "no migration of '%s' in progress", rq->route.name);
	if (err)
		return http_problem_kind(c, fvd_route_problem(err), url, NULL,
		                         "the final round of '%s' is sent: too late to cancel",
		                         rq->route.name);
	j = cJSON_CreateObject();
	if (j) {
		cJSON_AddStringToObject(j, "vm", rq->route.name);
		cJSON_AddStringToObject(j, "cancel", "requested");
	}
	return http_send_json(c, 202, j, "application/json", NULL, NULL);
}

static const struct {
	enum fvd_endpoint ep;
	enum fvd_method m;
	http_handler fn;
} http_handlers[] = {
    {FVD_EP_HOST, FVD_M_GET, http_get_host},
    {FVD_EP_VMS, FVD_M_GET, http_get_vms},
    {FVD_EP_VMS, FVD_M_POST, http_post_vms},
    {FVD_EP_VM, FVD_M_GET, http_get_vm},
    {FVD_EP_VM, FVD_M_DELETE, http_delete_vm},
    {FVD_EP_VM_ACTION, FVD_M_POST, http_post_action},
    {FVD_EP_OPENAPI, FVD_M_GET, http_get_openapi},
    {FVD_EP_WHOAMI, FVD_M_GET, http_get_whoami},
    {FVD_EP_TOKENS, FVD_M_GET, http_get_tokens},
    {FVD_EP_TOKENS, FVD_M_POST, http_post_tokens},
    {FVD_EP_TOKEN, FVD_M_DELETE, http_delete_token},
    {FVD_EP_AUDIT, FVD_M_GET, http_get_audit},
    {FVD_EP_METRICS, FVD_M_GET, http_get_metrics},
    {FVD_EP_STATS, FVD_M_GET, http_get_stats},
    {FVD_EP_EVENTS, FVD_M_GET, http_get_events},
    {FVD_EP_VM_CONSOLE, FVD_M_GET, http_get_console},
    {FVD_EP_VM_CONSOLE, FVD_M_POST, http_post_console},
    {FVD_EP_VM, FVD_M_PATCH, http_patch_vm},
    {FVD_EP_TRACE, FVD_M_POST, http_post_trace},
    {FVD_EP_TRACE, FVD_M_GET, http_get_trace},
    {FVD_EP_VM_DUMP, FVD_M_POST, http_post_dump},
    {FVD_EP_DUMPS, FVD_M_GET, http_get_dumps},
    {FVD_EP_DUMP, FVD_M_GET, http_get_dump},
    {FVD_EP_PROFILE, FVD_M_POST, http_post_profile},
    {FVD_EP_SNAPSHOT, FVD_M_POST, http_post_snapshot},
    {FVD_EP_RESTORE, FVD_M_POST, http_post_restore},
    {FVD_EP_MIGRATE, FVD_M_POST, http_post_migrate},
    {FVD_EP_MIGRATE, FVD_M_DELETE, http_delete_migrate},
    {FVD_EP_INCOMING, FVD_M_POST, http_post_restore},
};

/* ------------------------------------------------------------------ request flow */

/* First call of POST /api/v1/vms: checks the parameters and reserves the VM in the
 * backend. Returns 0, or queues an error response and returns its MHD result + 1. */
static int http_create_begin(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                             const char *url, MHD_Result_t *ret)
{
	const char *name = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	const char *ctype =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	const char *clen =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *crc;
	struct fvd_create_req cr;
	uint64_t vcpus, mem_mb, len;
	int err;

	memset(&cr, 0, sizeof(cr));
	if (!name || !fvd_route_valid_name(name, strlen(name))) {
		*ret = http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'name' missing or invalid "
		                         "(1-%d of A-Z a-z 0-9 _ -, first alphanumeric)",
		                         FVD_NAME_MAX);
		return 1;
	}
	if (!http_uint_arg(c, "vcpus", 1, 64, &vcpus)) {
		*ret = http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'vcpus' must be an integer in 1..64");
		return 1;
	}
	if (!http_uint_arg(c, "memory_mb", 64, HTTP_MEM_MAX_MB, &mem_mb)) {
		*ret = http_problem_kind(c, &http_k_param, url, NULL,
		                         "query parameter 'memory_mb' must be an integer in 1..%u",
		                         HTTP_MEM_MAX_MB);
		return 1;
	}
	if (!ctype || strncmp(ctype, "application/octet-stream", 24) != 0) {
		*ret = http_problem_kind(c, &http_k_mediatype, url, NULL,
		                         "the VM package is sent as application/octet-stream");
		return 1;
	}
	if (!http_parse_u64(clen, &len) || len == 0) {
		*ret = http_problem_kind(c, &http_k_length, url, NULL,
		                         "a non-empty package with Content-Length is required "
		                         "(progress is reported against it)");
		return 1;
	}
	crc = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "crc32c");
	if (crc) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(crc, &end, 16);
		if (errno || *end || strlen(crc) != 8 || v > 0xffffffffu) {
			*ret = http_problem_kind(c, &http_k_param, url, NULL,
			                         "query parameter 'crc32c' must be 8 hex digits");
			return 1;
		}
		cr.has_crc = true;
		cr.crc32c = (uint32_t)v;
	}
	memcpy(cr.name, name, strlen(name));
	cr.vcpus = (uint32_t)vcpus;
	cr.memory_bytes = mem_mb << 20;
	cr.package_bytes = len;
	err = h->be->ops->create_begin(h->be->ctx, &cr);
	if (err) {
		*ret = http_backend_err(c, err, url, "create", name);
		return 1;
	}
	memcpy(rq->name, cr.name, sizeof(rq->name));
	rq->creating = true;
	return 0;
}

static const struct fvd_problem_kind http_k_unauth = {401, "unauthorized",
                                                      "Authentication required"};
static const struct fvd_problem_kind http_k_forbidden = {403, "forbidden", "Role not sufficient"};

/* First call of a request: who is asking, what will be recorded, and whether the token
 * may call this method on this endpoint (fvd_auth_min_role, the one role table). Returns
 * 0 to go on, or queues 401/403 and returns its MHD result + 1. */
static int http_authorize(struct fvd_http *h, struct MHD_Connection *c, struct fvd_req *rq,
                          const char *url, const char *method, MHD_Result_t *ret)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr_in *sa = ci ? (const struct sockaddr_in *)ci->client_addr : NULL;
	enum fvd_role min = fvd_auth_min_role(rq->route.ep, rq->method);
	struct fvd_token tok;
	const struct fvd_token *t = &tok;
	const char *why = "";
	const char *qname;

	if (sa && sa->sin_family == AF_INET)
		inet_ntop(AF_INET, &sa->sin_addr, rq->source, sizeof(rq->source));
	snprintf(rq->op, sizeof(rq->op), "%.15s %.140s", method, url);
	qname = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
	if (rq->route.ep == FVD_EP_VMS && qname && fvd_route_valid_name(qname, strlen(qname)))
		memcpy(rq->name, qname, strlen(qname) + 1);
	/* Every request that can change something is recorded, allowed or not. */
	rq->audit = rq->method != FVD_M_GET;
	if (min == FVD_ROLE_PUBLIC || !h->auth)
		return 0;
	if (!fvd_auth_check(
	        h->auth,
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	        &tok, &why)) {
		rq->audit = true;
		rq->unauthorized = true;
		*ret = http_problem_kind(c, &http_k_unauth, url, NULL, "%s", why);
		return 1;
	}
	rq->has_token = true;
	memcpy(rq->tok_id, t->id, sizeof(rq->tok_id));
	rq->tok_role = t->role;
	/* Unknown paths and methods are answered (404, 405) before the role check. */
	if (rq->route.ep == FVD_EP_NONE || !(fvd_route_allowed(rq->route.ep) & rq->method))
		return 0;
	if (t->role < min) {
		*ret = http_problem_kind(c, &http_k_forbidden, url, NULL,
		                         "%s %s needs role %s; token '%s' has role %s", method, url,
		                         fvd_role_name(min), t->id, fvd_role_name(t->role));
		return 1;
	}
	return 0;
}

static MHD_Result_t http_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_size, void **con_cls)
{
	struct fvd_http *h = cls;
	struct fvd_req *rq = *con_cls;
	MHD_Result_t ret;

	(void)version;
	http_cur_h = h;
	http_cur = rq;
	if (!rq) {
		unsigned allowed;

		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		/* The dashboard's pages and assets live outside the API prefix. */
		if (fvd_www_claims(url))
			return (MHD_Result_t)fvd_www_serve(c, h->www, url, method);
		http_cur = rq;
		fvd_route_parse(url, &rq->route);
		rq->method = fvd_route_method(method);
		if (http_authorize(h, c, rq, url, method, &ret))
			return ret;
		allowed = fvd_route_allowed(rq->route.ep);
		/* Errors known from the headers are answered before any body is read. */
		if (rq->route.ep == FVD_EP_NONE)
			return http_problem_kind(c, &http_k_notfound, url, NULL,
			                         "no resource at %s (the API is under %s)", url,
			                         FVD_API_PREFIX);
		if (!(allowed & rq->method))
			return http_problem_kind(c, &http_k_method, url,
			                         fvd_route_allow_header(rq->route.ep),
			                         "%s does not accept %s", url, method);
		if (rq->route.bad_name && rq->route.ep == FVD_EP_TOKEN)
			return http_problem_kind(c, &http_k_badtoken, url, NULL,
			                         "token ids are 1-%d of A-Z a-z 0-9 _ -, the first "
			                         "alphanumeric",
			                         FVD_TOKEN_ID_MAX);
		if (rq->route.bad_name)
			return http_problem_kind(c, &http_k_badname, url, NULL,
			                         "VM names are 1-%d of A-Z a-z 0-9 _ -, the first "
			                         "alphanumeric",
			                         FVD_NAME_MAX);
		if (rq->route.ep == FVD_EP_VMS && rq->method == FVD_M_POST) {
			if (http_create_begin(h, c, rq, url, &ret))
				return ret;
			return MHD_YES;
		}
		if (rq->route.ep == FVD_EP_RESTORE || rq->route.ep == FVD_EP_INCOMING) {
			if (http_restore_begin(h, c, rq, url, &ret))
				return ret;
			return MHD_YES;
		}
		if (http_parse_u64(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		                                               MHD_HTTP_HEADER_CONTENT_LENGTH),
		                   &rq->body_seen) &&
		    rq->body_seen > HTTP_BODY_MAX)
			return http_problem_kind(
			    c, &http_k_toobig, url, NULL,
			    "%s takes at most %u bytes of body (Content-Length "
			    "%" PRIu64 ")",
			    url, HTTP_BODY_MAX, rq->body_seen);
		rq->body_seen = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		rq->body_seen += n;
		if (rq->snap_up) {
			fvd_snap_up_push(rq->snap_up, upload_data, n);
			return MHD_YES;
		}
		if (rq->creating) {
			if (!rq->upload_err)
				rq->upload_err =
				    h->be->ops->create_chunk(h->be->ctx, rq->name, upload_data, n);
			return MHD_YES;
		}
		/* Other endpoints: keep what fits (POST /tokens and console input read it),
		 * refuse a large body at its end. */
		if (rq->body_len + n <= HTTP_BODY_MAX) {
			memcpy(rq->body + rq->body_len, upload_data, n);
			rq->body_len += n;
		}
		return MHD_YES;
	}
	if (!rq->creating && !rq->snap_up && rq->body_seen > HTTP_BODY_MAX)
		return http_problem_kind(c, &http_k_toobig, url, NULL,
		                         "%s takes at most %u bytes of body (got %" PRIu64
		                         " bytes)",
		                         url, HTTP_BODY_MAX, rq->body_seen);
	for (size_t i = 0; i < sizeof(http_handlers) / sizeof(http_handlers[0]); i++) {
		if (http_handlers[i].ep == rq->route.ep && http_handlers[i].m == rq->method)
			return http_handlers[i].fn(h, c, rq, url);
	}
	/* Unreachable: the first call checked the method against the same endpoints. */
	return MHD_NO;
}

/* Connection done (response sent, or client gone): an upload cut off mid-way is aborted
 * so the backend frees the reserved VM. */
static void http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
	struct fvd_http *h = cls;
	struct fvd_req *rq = *con_cls;

	(void)c;
	(void)toe;
	if (!rq)
		return;
	/* A recorded request that got no answer (client gone mid-upload): status 0. */
	http_cur_h = h;
	http_cur = rq;
	http_audit(0);
	http_cur = NULL;
	if (rq->creating)
		h->be->ops->create_end(h->be->ctx, rq->name, false);
	fvd_snap_up_free(rq->snap_up);
	free(rq);
	*con_cls = NULL;
}

struct fvd_http *fvd_http_start(const struct fvd_http_opts *o, struct fvd_backend *be)
{
	struct fvd_http *h = calloc(1, sizeof(*h));
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;

	if (!h)
		return NULL;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(o->port);
	if (inet_pton(AF_INET, o->listen, &sin.sin_addr) != 1) {
		fprintf(stderr, "ferrovisord: --listen '%s' is not an IPv4 address\n", o->listen);
		free(h);
		return NULL;
	}
	h->be = be;
	h->openapi = o->openapi;
	h->www = o->www ? o->www : FVD_WWW_DEFAULT_DIR;
	h->auth = o->auth;
	h->audit = o->audit;
	h->hub = o->hub;
	h->heartbeat_ms = o->heartbeat_ms > 0 ? o->heartbeat_ms : 15000;
	h->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
	    o->port, NULL, NULL, http_access, h, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, http_completed, h, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
	if (!h->mhd) {
		fprintf(stderr, "ferrovisord: cannot listen on %s:%u\n", o->listen, o->port);
		free(h);
		return NULL;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di ? di->port : o->port;
	return h;
}

uint16_t fvd_http_port(const struct fvd_http *h)
{
	return h->port;
}

void fvd_http_stop(struct fvd_http *h)
{
	MHD_stop_daemon(h->mhd);
	free(h);
}
