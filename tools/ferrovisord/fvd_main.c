// SPDX-License-Identifier: MIT
/*
 * ferrovisord: the management daemon of a Ferrovisor service VM. It serves the REST API
 * of docs/api/openapi.yaml and carries its requests to the hypervisor through a backend:
 * "sim" (an in-memory host, for tests) or "hvc" (the control channel, FVCP over the
 * service VM's control console, docs/control-protocol.md).
 *
 *   ferrovisord [--listen ADDR] [--port N] [--backend sim|hvc] [--device PATH]
 *               [--openapi FILE] [--www DIR] [--state-dir DIR] [--tokens FILE]
 *               [--heartbeat SECONDS] [--auto-dump on|off|auto]
 *
 * On its first start (no DIR/tokens.json) it prints "ferrovisord: first admin token: fvt_..."
 * once; then "ferrovisord: listening on http://ADDR:PORT/api/v1 (backend KIND)" once it
 * serves, and runs until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fvd_audit.h"
#include "fvd_auth.h"
#include "fvd_dump.h"
#include "fvd_http.h"
#include "fvd_hub.h"
#include "fvd_sim.h"
#include "fvd_www.h"
#ifdef FVD_HAVE_CTL
#include "fvd_hvc.h"
#endif

/*
 * How long one control request waits for its answer. Generous: the hypervisor answers on its
 * console tick, and a service VM sharing CPUs with busy guests on a loaded host can be slow;
 * a channel that closed is noticed at once by the pump, not by this timeout.
 */
#define MAIN_CTL_TIMEOUT_MS 15000

static void main_usage(FILE *f)
{
	fprintf(f, "usage: ferrovisord [--listen ADDR] [--port N] [--backend sim] "
	           "[--openapi FILE]\n"
	           "  --listen ADDR   IPv4 address to serve on (default 127.0.0.1)\n"
	           "  --port N        TCP port, 0 for any free one (default 8080)\n"
	           "  --backend sim   simulated host (the control channel backend follows the\n"
	           "                  control protocol, docs/control-protocol.md)\n"
	           "  --openapi FILE  serve FILE at /api/v1/openapi.yaml\n"
	           "  --www DIR       serve the web dashboard from DIR at / and /ui/\n"
	           "                  (default " FVD_WWW_DEFAULT_DIR ")\n"
	           "  --state-dir DIR token store and audit log (DIR/tokens.json, DIR/audit.log);\n"
	           "                  without it both last only as long as the daemon\n"
	           "  --tokens FILE   configured tokens ({\"tokens\":[{id, role, sha256}]})\n"
	           "  --heartbeat S   event/console streams: keepalive after S quiet seconds "
	           "(15)\n");
	fprintf(f, "  --auto-dump on|off|auto\n"
	           "                  dump every VM that crashes to DIR/dumps: on always, auto\n"
	           "                  (default) when its dump fits with margin (5 %% of the disk,\n"
	           "                  at least 16 MiB, left free), off never\n");
}

static bool main_port(const char *s, uint16_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

int main(int argc, char **argv)
{
	static struct fvd_sim sim;
	static struct fvd_auth auth;
	static struct fvd_audit audit;
	char first_token[FVD_TOKEN_TEXT];
	const char *state_dir = NULL, *tokens = NULL;
	bool first = false;
	enum fvd_auto_dump auto_dump = FVD_AUTO_DUMP_FIT;
	struct fvd_http_opts o = {.listen = "127.0.0.1", .port = 8080, .openapi = NULL};
	struct fvd_backend be = {.ops = &fvd_sim_ops, .ctx = &sim};
	const char *backend = "sim";
	const char *device = "/dev/hvc1";
	struct fvd_http *h;
	struct fvd_hub *hub;
	uint16_t heartbeat = 15;
	sigset_t set;
	int sig;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			main_usage(stdout);
			return 0;
		}
		if (!v) {
			fprintf(stderr, "ferrovisord: unknown argument or missing value: %s\n", a);
			main_usage(stderr);
			return 2;
		}
		if (strcmp(a, "--listen") == 0) {
			o.listen = v;
		} else if (strcmp(a, "--port") == 0) {
			if (!main_port(v, &o.port)) {
				fprintf(stderr, "ferrovisord: --port '%s': 0..65535\n", v);
				return 2;
			}
		} else if (strcmp(a, "--backend") == 0) {
			backend = v;
		} else if (strcmp(a, "--device") == 0) {
			device = v;
		} else if (strcmp(a, "--openapi") == 0) {
			o.openapi = v;
		} else if (strcmp(a, "--www") == 0) {
			o.www = v;
		} else if (strcmp(a, "--state-dir") == 0) {
			state_dir = v;
		} else if (strcmp(a, "--tokens") == 0) {
			tokens = v;
		} else if (strcmp(a, "--heartbeat") == 0) {
			/* Below the server's 60 s idle timeout, or quiet streams would be cut. */
			if (!main_port(v, &heartbeat) || heartbeat == 0 || heartbeat > 50) {
				fprintf(stderr, "ferrovisord: --heartbeat '%s': 1..50\n", v);
				return 2;
			}
		} else if (strcmp(a, "--auto-dump") == 0) {
			if (strcmp(v, "on") == 0) {
				auto_dump = FVD_AUTO_DUMP_ON;
			} else if (strcmp(v, "off") == 0) {
				auto_dump = FVD_AUTO_DUMP_OFF;
			} else if (strcmp(v, "auto") == 0) {
				auto_dump = FVD_AUTO_DUMP_FIT;
			} else {
				fprintf(stderr, "ferrovisord: --auto-dump '%s': on, off or auto\n",
				        v);
				return 2;
			}
		} else {
			fprintf(stderr, "ferrovisord: unknown argument: %s\n", a);
			main_usage(stderr);
			return 2;
		}
		i++;
	}
	/* Block the stop signals before any thread starts (the control channel's pump, the
	 * simulation's heartbeat, the server's), so they inherit the mask and only sigwait
	 * below receives them. A client or the control tty going away is an error return,
	 * not a signal. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (strcmp(backend, "hvc") == 0) {
#ifdef FVD_HAVE_CTL
		int fd = fvd_hvc_open_tty(device);
		struct fvd_hvc *hvc;

		if (fd < 0) {
			fprintf(stderr, "ferrovisord: %s: %s\n", device, strerror(errno));
			return 1;
		}
		hvc = fvd_hvc_open(fd, MAIN_CTL_TIMEOUT_MS);
		if (!hvc)
			return 1;
		be.ops = &fvd_hvc_ops;
		be.ctx = hvc;
#else
		(void)device;
		fprintf(stderr, "ferrovisord: --backend hvc: built without the control protocol "
		                "(hyp/core/ctl_proto.h)\n");
		return 2;
#endif
	} else if (strcmp(backend, "sim") == 0) {
		fvd_sim_init(&sim, fvd_sim_now_ms());
	} else {
		fprintf(stderr, "ferrovisord: --backend '%s': sim or hvc\n", backend);
		return 2;
	}

	if (fvd_auth_init(&auth, state_dir, tokens, first_token, &first) != 0 ||
	    fvd_audit_open(&audit, state_dir) != 0 || fvd_dump_init(state_dir, auto_dump) != 0)
		return 1;
	o.auth = &auth;
	o.audit = &audit;
	/* No default password: the first admin token is random and shown only now. */
	if (first)
		printf("ferrovisord: first admin token: %s\n", first_token);
	if (!state_dir)
		printf("ferrovisord: no --state-dir: tokens and audit log are not kept\n");
	memset(first_token, 0, sizeof(first_token));

	/* The backend feeds the hub from now on, so history exists before a client asks. */
	hub = fvd_hub_new();
	if (!hub || be.ops->events_start(be.ctx, hub)) {
		fprintf(stderr, "ferrovisord: cannot start following events and consoles\n");
		return 1;
	}
	o.hub = hub;
	if (fvd_dump_follow(&be, hub)) {
		fprintf(stderr, "ferrovisord: cannot follow crashes for --auto-dump\n");
		return 1;
	}
	o.heartbeat_ms = heartbeat * 1000;
	/* Every audit record also becomes an "audit" event (shown to admins only). */
	audit.listener = fvd_hub_audit_listener;
	audit.listener_ctx = hub;
	h = fvd_http_start(&o, &be);
	if (!h)
		return 1;
	printf("ferrovisord: listening on http://%s:%u/api/v1 (backend %s)\n", o.listen,
	       fvd_http_port(h), be.ops->kind);
	fflush(stdout);
	sigwait(&set, &sig);
	printf("ferrovisord: signal %d, stopping\n", sig);
	fvd_hub_stop(hub); /* ends the streams, so the connection threads can be joined */
	fvd_http_stop(h);
	fvd_dump_fini();
	return 0;
}
