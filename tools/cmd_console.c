// SPDX-License-Identifier: MIT
/*
 * The remote console and event commands over ferrovisord's REST API:
 *
 *   ferrovisor --api URL console NAME [--tail BYTES] [--timeout S]
 *   ferrovisor --api URL events [--follow] [--since SEQ] [--json]
 *
 * console streams GET /api/v1/vms/NAME/console (server-sent events, output chunks in
 * base64) to stdout while stdin goes to POST /api/v1/vms/NAME/console. One libcurl multi
 * handle carries the stream; the loop waits on it and on stdin together (curl_multi_poll),
 * and sends input with a short blocking request in between. On a terminal stdin is put in
 * raw mode (every key goes to the VM, Ctrl-C too) and Ctrl-] detaches; the terminal is
 * restored on every exit path, signals included. Not on a terminal, input is sent as it
 * comes, and end of input detaches once the output has settled (quiet for
 * CON_SETTLE_MS, at most CON_EOF_MAX_MS) or, with --timeout S, S seconds after it.
 * Input is read only once the stream has started, so the echo of what is typed first is
 * never missed (with --tail 0 the stream's start is "now").
 */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "api_sse.h"
#include "cli.h"

#define CON_DETACH_KEY 0x1d /* Ctrl-] */
#define CON_SETTLE_MS  2000
#define CON_EOF_MAX_MS 10000 /* a VM that never stops printing: detach anyway */
#define CON_INPUT_MAX  4096  /* the API's limit per POST */
#define CON_ERR_MAX    4096  /* bytes of an error answer kept for the message */

const char cmd_console_remote_usage[] =
    "Usage: ferrovisor --api URL console NAME [--tail BYTES] [--timeout S]\n"
    "Attach to a VM's console through the daemon's REST API: its recent output\n"
    "(--tail BYTES of history, default 65536; 0 = live only) then live output on\n"
    "stdout; what you type goes to the VM. On a terminal: raw mode, Ctrl-] detaches.\n"
    "Not on a terminal: input lines are sent as they come; end of input detaches\n"
    "once the output has been quiet for 2 s, or S seconds after it with --timeout.\n";

const char cmd_events_usage[] =
    "Usage: ferrovisor --api URL events [--follow] [--since SEQ] [--json]\n"
    "Print the host's events (VM state changes with their cause, crashes, control\n"
    "errors) that the daemon retained after SEQ (default 0: all); with --follow keep\n"
    "printing new ones until interrupted. --json prints each event's JSON as is.\n";

/* ------------------------------------------------------------------ terminal */

static struct termios con_saved;
static volatile sig_atomic_t con_raw;    /* the terminal is in raw mode */
static volatile sig_atomic_t con_signal; /* a stop signal arrived */

static void con_restore(void)
{
	if (con_raw) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &con_saved);
		con_raw = 0;
	}
}

/* Async-signal-safe: restore the terminal at once (the loop may be inside curl). */
static void con_on_signal(int sig)
{
	con_signal = sig;
	con_restore();
}

static void con_raw_mode(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &con_saved) != 0)
		return;
	t = con_saved;
	cfmakeraw(&t);
	/* Output keeps its newline translation, so a guest's "\n" starts a line. */
	t.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) == 0)
		con_raw = 1;
}

static void con_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = con_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	atexit(con_restore);
}

static int64_t con_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ console */

/* One SSE stream of the API (console or events): its handle, parser and answer. */
struct con_stream {
	CURL *h;
	struct api_sse sse;
	long status; /* of the stream's answer, once known */
	char err[CON_ERR_MAX + 1];
	size_t err_len;
};

/*
 * A piece of a stream's body: an error answer (problem+json) is kept for the message, a
 * 200 answer goes to the SSE parser. Returns what the curl write callback returns.
 */
static size_t con_stream_write(struct con_stream *s, const char *p, size_t n)
{
	if (!s->status)
		curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &s->status);
	if (s->status != 200) {
		size_t k = n < CON_ERR_MAX - s->err_len ? n : CON_ERR_MAX - s->err_len;

		memcpy(s->err + s->err_len, p, k);
		s->err_len += k;
		s->err[s->err_len] = '\0';
		return n;
	}
	return api_sse_feed(&s->sse, p, n) ? n : 0;
}

struct con_state {
	struct con_stream s;
	int64_t last_output_ms;
	bool bad_data;
	bool started; /* the stream's first bytes arrived */
};

static bool con_on_event(void *ctx, const char *event, const char *data, const char *id)
{
	struct con_state *st = ctx;
	static unsigned char out[API_SSE_LINE_MAX];
	cJSON *j;
	const cJSON *b;
	long n;

	(void)id;
	if (strcmp(event, "output") != 0)
		return true;
	j = cJSON_Parse(data);
	b = cJSON_GetObjectItemCaseSensitive(j, "b64");
	n = cJSON_IsString(b) && strlen(b->valuestring) / 4 * 3 <= sizeof(out)
	        ? api_base64_decode(b->valuestring, out)
	        : -1;
	cJSON_Delete(j);
	if (n < 0) {
		st->bad_data = true;
		return false;
	}
	fwrite(out, 1, (size_t)n, stdout);
	fflush(stdout);
	st->last_output_ms = con_now_ms();
	return true;
}

static size_t con_write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct con_state *st = ctx;
	size_t n = size * nmemb;
	size_t r = con_stream_write(&st->s, p, n);

	if (st->s.status == 200)
		st->started = true;
	return r;
}

/* Sends typed bytes; false (message printed) when the daemon refused them. */
static bool con_send(const struct api_client *c, const char *path, const char *p, size_t n)
{
	while (n) {
		size_t k = n < CON_INPUT_MAX ? n : CON_INPUT_MAX;
		struct api_upload up = {p, k, false, NULL};
		cJSON *j;

		if (api_request(c, "POST", path, &up, &j, NULL) < 0)
			return false;
		cJSON_Delete(j);
		p += k;
		n -= k;
	}
	return true;
}

static void con_report_error(const char *url, const struct con_stream *s)
{
	cJSON *j = cJSON_Parse(s->err);

	if (j && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "detail")))
		cli_error("GET %s: %ld %s: %s", url, s->status, api_str(j, "title"),
		          api_str(j, "detail"));
	else
		cli_error("GET %s: HTTP %ld", url, s->status);
	cJSON_Delete(j);
}

static bool con_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static int con_loop(const struct api_client *c, const char *name, uint64_t tail, int64_t timeout_ms)
{
	char url[1024], path[96];
	struct con_state st;
	bool tty = isatty(STDIN_FILENO) == 1, eof = false, ok = true;
	int64_t eof_ms = 0;
	CURLM *m = curl_multi_init();
	struct curl_slist *auth;
	int running = 1, ret = CLI_OK;

	memset(&st, 0, sizeof(st));
	api_sse_init(&st.s.sse, con_on_event, &st);
	snprintf(path, sizeof(path), "/vms/%s/console", name);
	snprintf(url, sizeof(url), "%s/api/v1%s?tail=%" PRIu64, c->base, path, tail);
	st.s.h = curl_easy_init();
	if (!m || !st.s.h) {
		cli_error("cannot initialise libcurl");
		return CLI_RUNTIME;
	}
	auth = api_auth_header(NULL);
	curl_easy_setopt(st.s.h, CURLOPT_HTTPHEADER, auth);
	curl_easy_setopt(st.s.h, CURLOPT_URL, url);
	curl_easy_setopt(st.s.h, CURLOPT_WRITEFUNCTION, con_write_cb);
	curl_easy_setopt(st.s.h, CURLOPT_WRITEDATA, &st);
	curl_easy_setopt(st.s.h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(st.s.h, CURLOPT_NOSIGNAL, 1L);
	curl_multi_add_handle(m, st.s.h);
	con_signals();
	if (tty) {
		con_raw_mode();
		fprintf(stderr, "Connected to %s's console (Ctrl-] detaches)\r\n", name);
	}
	st.last_output_ms = con_now_ms();
	while (running && !con_signal) {
		struct curl_waitfd wfd = {.fd = STDIN_FILENO, .events = CURL_WAIT_POLLIN};
		bool want_input = !eof && st.started;
		int nfds = 0;

		curl_multi_poll(m, want_input ? &wfd : NULL, want_input ? 1 : 0, 100, &nfds);
		curl_multi_perform(m, &running);
		if (st.s.status && st.s.status != 200)
			continue; /* an error answer: read it to its end */
		if (want_input && (wfd.revents & CURL_WAIT_POLLIN)) {
			char buf[CON_INPUT_MAX];
			ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				eof = true;
				eof_ms = con_now_ms();
				continue;
			}
			if (tty) {
				char *d = memchr(buf, CON_DETACH_KEY, (size_t)n);

				if (d) {
					ok = con_send(c, path, buf, (size_t)(d - buf));
					break;
				}
			}
			if (!con_send(c, path, buf, (size_t)n)) {
				ok = false;
				break;
			}
		}
		if (eof) {
			int64_t now = con_now_ms();

			int64_t quiet_since =
			    st.last_output_ms > eof_ms ? st.last_output_ms : eof_ms;

			if (timeout_ms >= 0 ? now - eof_ms >= timeout_ms
			                    : now - quiet_since >= CON_SETTLE_MS ||
			                          now - eof_ms >= CON_EOF_MAX_MS)
				break;
		}
	}
	con_restore();
	if (tty)
		fprintf(stderr, "\nDetached from %s\n", name);
	if (st.s.status && st.s.status != 200) {
		con_report_error(url, &st.s);
		ret = CLI_RUNTIME;
	} else if (!running && !con_signal && !st.bad_data) {
		CURLMsg *msg;
		int left;

		/* The stream ended by itself: the daemon stopped, or the connection broke. */
		while ((msg = curl_multi_info_read(m, &left)))
			if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK)
				cli_error("console %s: %s: %s", name, url,
				          curl_easy_strerror(msg->data.result));
		if (!st.s.status)
			cli_error("cannot reach the API at %s", url);
		else
			cli_error("console %s: the daemon ended the stream", name);
		ret = CLI_RUNTIME;
	} else if (st.bad_data) {
		cli_error("console %s: malformed output event from the daemon", name);
		ret = CLI_RUNTIME;
	} else if (!ok) {
		ret = CLI_RUNTIME;
	}
	curl_multi_remove_handle(m, st.s.h);
	curl_easy_cleanup(st.s.h);
	curl_multi_cleanup(m);
	curl_slist_free_all(auth);
	return con_signal ? 128 + (int)con_signal : ret;
}

int cmd_remote_console(const char *api, int argc, char **argv)
{
	struct api_client c;
	const char *name = NULL;
	uint64_t tail = 65536, timeout = 0;
	bool has_timeout = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cmd_console_remote_usage, stdout);
			return CLI_OK;
		} else if (strcmp(a, "--tail") == 0 && i + 1 < argc) {
			if (!con_parse_u64(argv[++i], 65536, &tail))
				return cli_usage_error("console", "--tail: 0..65536 bytes");
		} else if (strcmp(a, "--timeout") == 0 && i + 1 < argc) {
			if (!con_parse_u64(argv[++i], 86400, &timeout))
				return cli_usage_error("console", "--timeout: 0..86400 seconds");
			has_timeout = true;
		} else if (a[0] != '-' && !name) {
			name = a;
		} else {
			return cli_usage_error("console", "unexpected argument \"%s\"", a);
		}
	}
	if (!name)
		return cli_usage_error("console", "which VM? console NAME");
	if (!cmd_remote_valid_name(name))
		return cli_usage_error("console",
		                       "\"%s\" is no VM name (letters, digits, '-', '_')", name);
	if (!api)
		return cli_usage_error("console", "no API: give --api URL or set $FERROVISOR_API");
	if (api_client_init(&c, api))
		return CLI_USAGE;
	return con_loop(&c, name, tail, has_timeout ? (int64_t)timeout * 1000 : -1);
}

/* ------------------------------------------------------------------ events */

struct ev_state {
	struct con_stream s;
	bool json;
	bool bad;
};

static bool ev_on_event(void *ctx, const char *event, const char *data, const char *id)
{
	struct ev_state *st = ctx;
	cJSON *j;

	(void)event;
	(void)id;
	if (st->json) {
		printf("%s\n", data);
		fflush(stdout);
		return true;
	}
	j = cJSON_Parse(data);
	if (!j) {
		st->bad = true;
		return false;
	}
	printf("#%lld %s %s", api_num(j, "seq"), api_str(j, "time"), api_str(j, "type"));
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "vm")))
		printf(" %s:", api_str(j, "vm"));
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "state")))
		printf(" %s -> %s", api_str(j, "old_state"), api_str(j, "state"));
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "cause")))
		printf(" (%s)", api_str(j, "cause"));
	if (api_num(j, "count") >= 0)
		printf(" count=%lld", api_num(j, "count"));
	/* An audit record (admins only): who did what to which, and the answer. */
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(j, "record"))) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "record");

		printf(" %s (%s): %s %s -> %lld", api_str(r, "token"), api_str(r, "role"),
		       api_str(r, "op"), api_str(r, "target"), api_num(r, "status"));
	}
	if (strcmp(api_str(j, "severity"), "info") != 0 && strcmp(api_str(j, "severity"), "-"))
		printf(" [%s]", api_str(j, "severity"));
	putchar('\n');
	fflush(stdout);
	cJSON_Delete(j);
	return true;
}

static size_t ev_write_cb(char *p, size_t size, size_t nmemb, void *ctx)
{
	struct ev_state *st = ctx;

	return con_stream_write(&st->s, p, size * nmemb);
}

int cmd_remote_events(const char *api, int argc, char **argv)
{
	struct api_client c;
	static struct ev_state st;
	uint64_t since = 0;
	bool follow = false;
	char url[1024];
	struct curl_slist *auth;
	CURLcode rc;

	memset(&st, 0, sizeof(st));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(cmd_events_usage, stdout);
			return CLI_OK;
		} else if (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0) {
			follow = true;
		} else if (strcmp(a, "--json") == 0) {
			st.json = true;
		} else if (strcmp(a, "--since") == 0 && i + 1 < argc) {
			if (!con_parse_u64(argv[++i], UINT64_MAX / 2, &since))
				return cli_usage_error("events",
				                       "--since: an event sequence number");
		} else {
			return cli_usage_error("events", "unexpected argument \"%s\"", a);
		}
	}
	if (!api)
		return cli_usage_error("events", "no API: give --api URL or set $FERROVISOR_API");
	if (api_client_init(&c, api))
		return CLI_USAGE;
	snprintf(url, sizeof(url), "%s/api/v1/events?since=%" PRIu64 "&follow=%s", c.base, since,
	         follow ? "true" : "false");
	api_sse_init(&st.s.sse, ev_on_event, &st);
	st.s.h = curl_easy_init();
	if (!st.s.h) {
		cli_error("cannot initialise libcurl");
		return CLI_RUNTIME;
	}
	auth = api_auth_header(NULL);
	curl_easy_setopt(st.s.h, CURLOPT_HTTPHEADER, auth);
	curl_easy_setopt(st.s.h, CURLOPT_URL, url);
	curl_easy_setopt(st.s.h, CURLOPT_WRITEFUNCTION, ev_write_cb);
	curl_easy_setopt(st.s.h, CURLOPT_WRITEDATA, &st);
	curl_easy_setopt(st.s.h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(st.s.h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(st.s.h);
	curl_easy_cleanup(st.s.h);
	curl_slist_free_all(auth);
	if (st.s.status && st.s.status != 200) {
		con_report_error(url, &st.s);
		return CLI_RUNTIME;
	}
	if (st.bad) {
		cli_error("events: malformed event from the daemon");
		return CLI_RUNTIME;
	}
	if (rc != CURLE_OK) {
		cli_error("cannot reach the API at %s: %s", url, curl_easy_strerror(rc));
		return CLI_RUNTIME;
	}
	return CLI_OK;
}
