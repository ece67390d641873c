// SPDX-License-Identifier: MIT
/* REST routing without an HTTP library (see fvd_route.h); unit-tested on the host. */
#include "fvd_route.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const route_states[FVD_VM__COUNT] = {
    [FVD_VM_CREATING] = "creating",   [FVD_VM_STOPPED] = "stopped", [FVD_VM_RUNNING] = "running",
    [FVD_VM_PAUSED] = "paused",       [FVD_VM_CRASHED] = "crashed", [FVD_VM_STOPPING] = "stopping",
    [FVD_VM_SUSPENDED] = "suspended",
};

static const char *const route_actions[FVD_ACT__COUNT] = {
    [FVD_ACT_START] = "start", [FVD_ACT_STOP] = "stop",     [FVD_ACT_RESET] = "reset",
    [FVD_ACT_PAUSE] = "pause", [FVD_ACT_RESUME] = "resume",
};

static const struct {
	unsigned methods;
	const char *allow;
} route_methods[FVD_EP__COUNT] = {
    [FVD_EP_NONE] = {0, ""},
    [FVD_EP_HOST] = {FVD_M_GET, "GET"},
    [FVD_EP_VMS] = {FVD_M_GET | FVD_M_POST, "GET, POST"},
    [FVD_EP_VM] = {FVD_M_GET | FVD_M_DELETE | FVD_M_PATCH, "GET, DELETE, PATCH"},
    [FVD_EP_VM_ACTION] = {FVD_M_POST, "POST"},
    [FVD_EP_OPENAPI] = {FVD_M_GET, "GET"},
    [FVD_EP_WHOAMI] = {FVD_M_GET, "GET"},
    [FVD_EP_TOKENS] = {FVD_M_GET | FVD_M_POST, "GET, POST"},
    [FVD_EP_TOKEN] = {FVD_M_DELETE, "DELETE"},
    [FVD_EP_AUDIT] = {FVD_M_GET, "GET"},
    [FVD_EP_METRICS] = {FVD_M_GET, "GET"},
    [FVD_EP_STATS] = {FVD_M_GET, "GET"},
    [FVD_EP_EVENTS] = {FVD_M_GET, "GET"},
    [FVD_EP_VM_CONSOLE] = {FVD_M_GET | FVD_M_POST, "GET, POST"},
    [FVD_EP_TRACE] = {FVD_M_GET | FVD_M_POST, "GET, POST"},
    [FVD_EP_VM_DUMP] = {FVD_M_POST, "POST"},
    [FVD_EP_DUMPS] = {FVD_M_GET, "GET"},
    [FVD_EP_DUMP] = {FVD_M_GET, "GET"},
    [FVD_EP_PROFILE] = {FVD_M_POST, "POST"},
    [FVD_EP_SNAPSHOT] = {FVD_M_POST, "POST"},
    [FVD_EP_RESTORE] = {FVD_M_POST, "POST"},
    [FVD_EP_MIGRATE] = {FVD_M_POST | FVD_M_DELETE, "POST, DELETE"},
    [FVD_EP_INCOMING] = {FVD_M_POST, "POST"},
};

/* Indexed by -err. */
static const struct fvd_problem_kind route_problems[FVD_E__COUNT] = {
    [0] = {200, "ok", "OK"},
    [-FVD_E_INVAL] = {400, "invalid-request", "Invalid request"},
    [-FVD_E_NOTFOUND] = {404, "vm-not-found", "No such VM"},
    [-FVD_E_STATE] = {409, "vm-state", "Operation not possible in the VM's state"},
    [-FVD_E_EXISTS] = {409, "vm-exists", "A VM of that name exists"},
    [-FVD_E_LIMIT] = {409, "vm-limit", "VM limit reached"},
    [-FVD_E_NOMEM] = {507, "no-memory", "Not enough free host memory"},
    [-FVD_E_DENIED] = {403, "denied", "Not allowed on this VM"},
    [-FVD_E_TOOBIG] = {413, "too-large", "Upload too large"},
    [-FVD_E_IO] = {502, "control-channel", "Control channel failure"},
    [-FVD_E_BUSY] = {409, "busy", "VM or upload channel busy"},
    [-FVD_E_NOTSUP] = {501, "not-supported", "Not supported by this hypervisor"},
};

static const struct fvd_problem_kind route_internal = {500, "internal", "Internal error"};

const struct fvd_problem_kind *fvd_route_problem(int err)
{
	if (err > 0 || err <= -FVD_E__COUNT)
		return &route_internal;
	return &route_problems[-err];
}

const char *fvd_state_name(enum fvd_state st)
{
	return (unsigned)st < FVD_VM__COUNT ? route_states[st] : "unknown";
}

const char *fvd_action_name(enum fvd_action act)
{
	return (unsigned)act < FVD_ACT__COUNT ? route_actions[act] : "unknown";
}

bool fvd_route_valid_name(const char *name, size_t len)
{
	if (len == 0 || len > FVD_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return false;
	}
	return true;
}

enum fvd_method fvd_route_method(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return FVD_M_GET;
	if (strcmp(method, "POST") == 0)
		return FVD_M_POST;
	if (strcmp(method, "DELETE") == 0)
		return FVD_M_DELETE;
	if (strcmp(method, "PATCH") == 0)
		return FVD_M_PATCH;
	return FVD_M_OTHER;
}

unsigned fvd_route_allowed(enum fvd_endpoint ep)
{
	return (unsigned)ep < FVD_EP__COUNT ? route_methods[ep].methods : 0;
}

const char *fvd_route_allow_header(enum fvd_endpoint ep)
{
	return (unsigned)ep < FVD_EP__COUNT ? route_methods[ep].allow : "";
}

/* Length of the path segment at s (up to '/' or the end). */
static size_t route_seg(const char *s)
{
	const char *e = strchr(s, '/');

	return e ? (size_t)(e - s) : strlen(s);
}

static bool route_seg_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* "/tokens" and "/tokens/{id}" (p is what follows "tokens"); a bad id is bad_name. */
static void route_parse_tokens(const char *p, struct fvd_route *out)
{
	size_t n;

	if (*p == '\0') {
		out->ep = FVD_EP_TOKENS;
		return;
	}
	p++;
	n = route_seg(p);
	if (n == 0 || p[n] != '\0')
		return;
	out->ep = FVD_EP_TOKEN;
	if (!fvd_route_valid_name(p, n))
		out->bad_name = true;
	else
		memcpy(out->name, p, n);
}

/* "/dumps" and "/dumps/{id}" (p is what follows "dumps"), as tokens. */
static void route_parse_dumps(const char *p, struct fvd_route *out)
{
	size_t n;

	if (*p == '\0') {
		out->ep = FVD_EP_DUMPS;
		return;
	}
	p++;
	n = route_seg(p);
	if (n == 0 || p[n] != '\0')
		return;
	out->ep = FVD_EP_DUMP;
	if (!fvd_route_valid_name(p, n))
		out->bad_name = true;
	else
		memcpy(out->name, p, n);
}

void fvd_route_parse(const char *path, struct fvd_route *out)
{
	size_t plen = strlen(FVD_API_PREFIX);
	const char *p = path;
	size_t n;

	memset(out, 0, sizeof(*out));
	out->ep = FVD_EP_NONE;
	if (strcmp(p, "/metrics") == 0) {
		out->ep = FVD_EP_METRICS;
		return;
	}
	if (strncmp(p, FVD_API_PREFIX "/", plen + 1) != 0)
		return;
	p += plen + 1;
	n = route_seg(p);
	if (route_seg_is(p, n, "host") && p[n] == '\0') {
		out->ep = FVD_EP_HOST;
		return;
	}
	if (route_seg_is(p, n, "openapi.yaml") && p[n] == '\0') {
		out->ep = FVD_EP_OPENAPI;
		return;
	}
	if (route_seg_is(p, n, "whoami") && p[n] == '\0') {
		out->ep = FVD_EP_WHOAMI;
		return;
	}
	if (route_seg_is(p, n, "audit") && p[n] == '\0') {
		out->ep = FVD_EP_AUDIT;
		return;
	}
	if (route_seg_is(p, n, "tokens")) {
		route_parse_tokens(p + n, out);
		return;
	}
	if (route_seg_is(p, n, "dumps")) {
		route_parse_dumps(p + n, out);
		return;
	}
	if (route_seg_is(p, n, "stats") && p[n] == '\0') {
		out->ep = FVD_EP_STATS;
		return;
	}
	if (route_seg_is(p, n, "events") && p[n] == '\0') {
		out->ep = FVD_EP_EVENTS;
		return;
	}
	if (route_seg_is(p, n, "trace") && p[n] == '\0') {
		out->ep = FVD_EP_TRACE;
		return;
	}
	if (!route_seg_is(p, n, "vms"))
		return;
	if (p[n] == '\0') {
		out->ep = FVD_EP_VMS;
		return;
	}
	p += n + 1;
	n = route_seg(p);
	/* "/vms/" and "/vms//x" name no VM: not a resource. */
	if (n == 0)
		return;
	if (route_seg_is(p, n, "restore") && p[n] == '\0') {
		out->ep = FVD_EP_RESTORE;
		return;
	}
	if (route_seg_is(p, n, "incoming") && p[n] == '\0') {
		out->ep = FVD_EP_INCOMING;
		return;
	}
	if (!fvd_route_valid_name(p, n))
		out->bad_name = true;
	else
		memcpy(out->name, p, n);
	if (p[n] == '\0') {
		out->ep = FVD_EP_VM;
		return;
	}
	p += n + 1;
	n = route_seg(p);
	if (p[n] != '\0')
		return;
	if (route_seg_is(p, n, "console")) {
		out->ep = FVD_EP_VM_CONSOLE;
		return;
	}
	if (route_seg_is(p, n, "profile")) {
		out->ep = FVD_EP_PROFILE;
		return;
	}
	if (route_seg_is(p, n, "snapshot")) {
		out->ep = FVD_EP_SNAPSHOT;
		return;
	}
	if (route_seg_is(p, n, "migrate")) {
		out->ep = FVD_EP_MIGRATE;
		return;
	}
	for (size_t a = 0; a < FVD_ACT__COUNT; a++) {
		if (route_seg_is(p, n, route_actions[a])) {
			out->ep = FVD_EP_VM_ACTION;
			out->action = (enum fvd_action)a;
			return;
		}
	}
	if (route_seg_is(p, n, "dump")) {
		out->ep = FVD_EP_VM_DUMP;
		return;
	}
	out->bad_name = false;
}

static _Thread_local char route_io_detail[FVD_IO_DETAIL_MAX];

void fvd_io_detail_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(route_io_detail, sizeof(route_io_detail), fmt, ap);
	va_end(ap);
}

void fvd_io_detail_take(char *out, size_t n)
{
	if (n) {
		snprintf(out, n, "%s", route_io_detail);
		route_io_detail[0] = '\0';
	}
}
