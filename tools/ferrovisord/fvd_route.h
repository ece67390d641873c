/* SPDX-License-Identifier: MIT */
/*
 * Pure request routing of the REST API (no HTTP library): URL path and method to an
 * endpoint, VM name validation, names of states and actions, and the one table that maps
 * backend errors to HTTP statuses and problem types (RFC 9457).
 */
#ifndef FVD_ROUTE_H
#define FVD_ROUTE_H

#include "fvd_backend.h"

#define FVD_API_PREFIX "/api/v1"

enum fvd_endpoint {
	FVD_EP_NONE,       /* no such resource: 404 */
	FVD_EP_HOST,       /* /api/v1/host */
	FVD_EP_VMS,        /* /api/v1/vms */
	FVD_EP_VM,         /* /api/v1/vms/{name} */
	FVD_EP_VM_ACTION,  /* /api/v1/vms/{name}/{action} */
	FVD_EP_OPENAPI,    /* /api/v1/openapi.yaml */
	FVD_EP_WHOAMI,     /* /api/v1/whoami */
	FVD_EP_TOKENS,     /* /api/v1/tokens */
	FVD_EP_TOKEN,      /* /api/v1/tokens/{id} (id in name) */
	FVD_EP_AUDIT,      /* /api/v1/audit */
	FVD_EP_METRICS,    /* /metrics (Prometheus, outside the API prefix) */
	FVD_EP_STATS,      /* /api/v1/stats */
	FVD_EP_EVENTS,     /* /api/v1/events (SSE) */
	FVD_EP_VM_CONSOLE, /* /api/v1/vms/{name}/console (SSE; POST: input) */
	FVD_EP_TRACE,      /* /api/v1/trace */
	FVD_EP_VM_DUMP,    /* /api/v1/vms/{name}/dump */
	FVD_EP_DUMPS,      /* /api/v1/dumps */
	FVD_EP_DUMP,       /* /api/v1/dumps/{id} (id in name) */
	FVD_EP_PROFILE,    /* /api/v1/vms/{name}/profile */
	FVD_EP_SNAPSHOT,   /* /api/v1/vms/{name}/snapshot */
	FVD_EP_RESTORE,    /* /api/v1/vms/restore (so no VM named "restore" is reachable) */
	FVD_EP_MIGRATE,    /* /api/v1/vms/{name}/migrate */
	FVD_EP_INCOMING,   /* /api/v1/vms/incoming (a migration's destination) */
	FVD_EP__COUNT,
};

enum fvd_method {
	FVD_M_GET = 1u << 0,
	FVD_M_POST = 1u << 1,
	FVD_M_DELETE = 1u << 2,
	FVD_M_OTHER = 1u << 3,
	FVD_M_PATCH = 1u << 4,
};

struct fvd_route {
	enum fvd_endpoint ep;
	char name[FVD_NAME_MAX + 1]; /* FVD_EP_VM, FVD_EP_VM_ACTION, FVD_EP_TOKEN, _DUMP */
	enum fvd_action action;      /* FVD_EP_VM_ACTION */
	bool bad_name;               /* the path names a VM with an invalid name */
};

/* Parses an URL path (no query string). Never fails: unknown paths give FVD_EP_NONE,
 * an invalid VM name sets bad_name (the endpoint is still recognised, for a 400). */
void fvd_route_parse(const char *path, struct fvd_route *out);

/* The method bit of an HTTP method string (GET, POST, DELETE, anything else). */
enum fvd_method fvd_route_method(const char *method);

/* Methods an endpoint accepts (bit set of enum fvd_method), and the same as an Allow
 * header value ("GET, POST"). */
unsigned fvd_route_allowed(enum fvd_endpoint ep);
const char *fvd_route_allow_header(enum fvd_endpoint ep);

/* A VM name: 1..FVD_NAME_MAX characters of [A-Za-z0-9_-], the first alphanumeric. */
bool fvd_route_valid_name(const char *name, size_t len);

const char *fvd_state_name(enum fvd_state st);
const char *fvd_action_name(enum fvd_action act);

/* HTTP status, problem slug and title for a backend error (FVD_E_*). Unknown codes map
 * to 500 "internal". */
struct fvd_problem_kind {
	unsigned status;
	const char *slug;
	const char *title;
};
const struct fvd_problem_kind *fvd_route_problem(int err);

/*
 * Why the backend's last FVD_E_IO happened in this thread (which request, which status,
 * timeout or closed channel): the backend sets it where it fails, the HTTP layer takes it
 * into the problem's detail, so an operator sees more than "Control channel failure".
 * Per thread: each HTTP request runs its backend calls in its own thread. take() copies
 * the text into out (empty if none) and clears it.
 */
#define FVD_IO_DETAIL_MAX 160 /* bytes of the detail, NUL included */
void fvd_io_detail_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fvd_io_detail_take(char *out, size_t n);

#endif /* FVD_ROUTE_H */
