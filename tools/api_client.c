// SPDX-License-Identifier: MIT
/* ferrovisord's REST API over libcurl (see api_client.h). */
#include "api_client.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define API_PREFIX "/api/v1"
/* Answers are small JSON documents; anything larger is not the daemon talking. */
#define API_REPLY_MAX (4u << 20)

struct api_buf {
	char *data;
	size_t len;
	bool overflow;
};

struct api_progress {
	const struct api_upload *up;
	int last_pct;  /* last percentage printed, -1 = none yet */
	bool tty;      /* stderr is a terminal */
	uint64_t sent; /* bytes of the body sent so far */
};

/* Set once by main before any request (api_token_set/api_token_load). */
static char api_token[256];

int api_token_set(const char *token, const char *from)
{
	size_t n = strlen(token);

	while (n && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' ' ||
	             token[n - 1] == '\t'))
		n--;
	while (n && (*token == ' ' || *token == '\t' || *token == '\n')) {
		token++;
		n--;
	}
	if (n == 0 || n >= sizeof(api_token)) {
		cli_error("%s: the token is empty or longer than %zu bytes", from,
		          sizeof(api_token) - 1);
		return -1;
	}
	/* A token goes into a header line: printable ASCII without blanks only. */
	for (size_t i = 0; i < n; i++) {
		if (token[i] <= ' ' || token[i] > '~') {
			cli_error("%s: the token holds a blank or non-printable character", from);
			return -1;
		}
	}
	memcpy(api_token, token, n);
	api_token[n] = '\0';
	return 0;
}

int api_token_load(const char *file)
{
	char buf[sizeof(api_token) + 2];
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f) {
		cli_error("--token-file %s: cannot open", file);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return api_token_set(buf, file);
}

int api_client_init(struct api_client *c, const char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		cli_error("--api %s: not an http:// or https:// URL", url);
		return -1;
	}
	while (n > 0 && url[n - 1] == '/')
		n--;
	/* Accept the API root as well as the daemon's address. */
	if (n >= strlen(API_PREFIX) &&
	    memcmp(url + n - strlen(API_PREFIX), API_PREFIX, strlen(API_PREFIX)) == 0)
		n -= strlen(API_PREFIX);
	if (n >= sizeof(c->base)) {
		cli_error("--api URL too long");
		return -1;
	}
	memcpy(c->base, url, n);
	c->base[n] = '\0';
	return 0;
}

static size_t api_write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct api_buf *b = userdata;
	size_t n = size * nmemb;

	if (b->len + n > API_REPLY_MAX) {
		b->overflow = true;
		return 0; /* makes curl fail the transfer */
	}
	char *p = realloc(b->data, b->len + n + 1);
	if (!p)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int api_progress_cb(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
	struct api_progress *p = clientp;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;

	if (!p->up || !p->up->progress || p->up->size == 0)
		return 0;
	p->sent = (uint64_t)ulnow;
	int pct = (int)((uint64_t)ulnow * 100u / p->up->size);
	/*
	 * On a terminal one line redrawn in place when the percentage moves; into
	 * a file or pipe nothing until the summary line api_request() prints.
	 */
	if (!p->tty)
		return 0;
	if (pct != p->last_pct) {
		fprintf(stderr, "\ruploading: %llu / %zu bytes (%d%%)", (unsigned long long)ulnow,
		        p->up->size, pct);
		fflush(stderr);
		p->last_pct = pct;
	}
	return 0;
}

/* Print an error answer: the problem document's fields when there is one. */
static void api_print_problem(const char *method, const char *url, long status,
                              const struct api_buf *b, const char *ctype)
{
	cJSON *j = NULL;

	if (ctype && strncmp(ctype, "application/problem+json", 24) == 0 && b->data)
		j = cJSON_Parse(b->data);
	if (j) {
		cli_error("%s %s: %ld %s: %s", method, url, status, api_str(j, "title"),
		          api_str(j, "detail"));
		cJSON_Delete(j);
	} else {
		cli_error("%s %s: HTTP %ld%s%.200s", method, url, status, b->data ? ": " : "",
		          b->data ? b->data : "");
	}
}

struct curl_slist *api_auth_header(struct curl_slist *hdrs)
{
	char auth[sizeof(api_token) + 32];

	if (!api_token[0])
		return hdrs;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", api_token);
	return curl_slist_append(hdrs, auth);
}

static long api_quiet_s = 60;

void api_set_quiet_limit(long seconds)
{
	api_quiet_s = seconds > 0 ? seconds : 60;
}

int api_request(const struct api_client *c, const char *method, const char *path,
                const struct api_upload *up, cJSON **json, long *status_out)
{
	char url[1024];
	struct api_buf b = {0};
	struct api_progress prog = {up, -1, isatty(STDERR_FILENO) == 1, 0};
	long status = 0;
	int ret = -1;

	*json = NULL;
	if (status_out)
		*status_out = 0;
	if ((size_t)snprintf(url, sizeof(url), "%s%s%s", c->base, API_PREFIX, path) >=
	    sizeof(url)) {
		cli_error("request URL too long");
		return -1;
	}
	CURL *h = curl_easy_init();
	if (!h) {
		cli_error("cannot initialise libcurl");
		return -1;
	}
	struct curl_slist *hdrs =
	    api_auth_header(curl_slist_append(NULL, "Accept: application/json"));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, api_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	/* No overall limit (uploads can be large), but a stalled daemon is an error. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, api_quiet_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "POST") == 0 || up) {
		char ctype[96];

		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, up ? (const char *)up->data : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(up ? up->size : 0));
		snprintf(ctype, sizeof(ctype), "Content-Type: %s",
		         up && up->content_type ? up->content_type : "application/octet-stream");
		hdrs = curl_slist_append(hdrs, ctype);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method); /* PATCH with a body */
		if (up && up->progress) {
			curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
			curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, api_progress_cb);
			curl_easy_setopt(h, CURLOPT_XFERINFODATA, &prog);
		}
	} else if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

	CURLcode rc = curl_easy_perform(h);
	if (prog.last_pct >= 0 && prog.tty)
		fputc('\n', stderr);
	if (up && up->progress && up->size) {
		/* The summary, tty or not: how much went out, how long it took. */
		double secs = 0;
		curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &secs);
		fprintf(stderr, "uploaded: %llu / %zu bytes (%d%%) in %.1f s, %.2f MB/s\n",
		        (unsigned long long)prog.sent, up->size, (int)(prog.sent * 100u / up->size),
		        secs, secs > 0 ? (double)prog.sent / secs / 1e6 : 0.0);
	}
	if (rc != CURLE_OK && !b.overflow) {
		cli_error("cannot reach the API at %s: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status_out)
		*status_out = status;
	if (b.overflow) {
		cli_error("%s %s: answer larger than %u bytes", method, url, API_REPLY_MAX);
		goto out;
	}
	char *ctype = NULL;
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	if (status < 200 || status > 299) {
		api_print_problem(method, url, status, &b, ctype);
		goto out;
	}
	if (b.len > 0) {
		*json = cJSON_Parse(b.data);
		if (!*json) {
			cli_error("%s %s: answer is not JSON", method, url);
			goto out;
		}
	}
	ret = (int)status;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(b.data);
	return ret;
}

/* A download: the body goes to the file on a 2xx answer, to err (the problem) otherwise. */
struct api_dl {
	CURL *h;
	FILE *out;
	int mode; /* 0: not known yet, 1: to the file, 2: to err */
	unsigned long long bytes;
	struct api_buf err;
};

static size_t api_dl_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct api_dl *d = userdata;
	size_t n = size * nmemb;

	if (d->mode == 0) {
		long status = 0;
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &status);
		d->mode = status >= 200 && status <= 299 ? 1 : 2;
	}
	if (d->mode == 2)
		return api_write_cb(ptr, size, nmemb, &d->err);
	if (fwrite(ptr, 1, n, d->out) != n)
		return 0;
	d->bytes += n;
	return n;
}

static int api_fetch(const struct api_client *c, const char *method, const char *path, FILE *out,
                     unsigned long long *bytes);

int api_download(const struct api_client *c, const char *path, FILE *out, unsigned long long *bytes)
{
	return api_fetch(c, "GET", path, out, bytes);
}

int api_post_download(const struct api_client *c, const char *path, FILE *out,
                      unsigned long long *bytes)
{
	return api_fetch(c, "POST", path, out, bytes);
}

/* method (GET, or POST without a body) on path, the 2xx body written to out. */
static int api_fetch(const struct api_client *c, const char *method, const char *path, FILE *out,
                     unsigned long long *bytes)
{
	char url[1024];
	struct api_dl d = {0};
	long status = 0;
	int ret = -1;

	if ((size_t)snprintf(url, sizeof(url), "%s%s%s", c->base, API_PREFIX, path) >=
	    sizeof(url)) {
		cli_error("request URL too long");
		return -1;
	}
	d.h = curl_easy_init();
	d.out = out;
	if (!d.h) {
		cli_error("cannot initialise libcurl");
		return -1;
	}
	struct curl_slist *hdrs = NULL;
	if (api_token[0]) {
		char auth[sizeof(api_token) + 32];

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", api_token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(d.h, CURLOPT_URL, url);
	curl_easy_setopt(d.h, CURLOPT_WRITEFUNCTION, api_dl_cb);
	curl_easy_setopt(d.h, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(d.h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(d.h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(d.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(d.h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(d.h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(d.h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	CURLcode rc = curl_easy_perform(d.h);
	curl_easy_getinfo(d.h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status <= 299 && rc == CURLE_OK) {
		*bytes = d.bytes;
		ret = (int)status;
	} else if (status != 0 && d.mode != 1) {
		char *ctype = NULL;
		curl_easy_getinfo(d.h, CURLINFO_CONTENT_TYPE, &ctype);
		api_print_problem(method, url, status, &d.err, ctype);
	} else {
		cli_error("cannot download %s: %s", url, curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(d.h);
	free(d.err.data);
	return ret;
}

const char *api_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : "-";
}

long long api_num(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(v) ? (long long)v->valuedouble : -1;
}

unsigned api_crc32c(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	/* Bitwise: packages are uploaded once, speed does not matter here. */
	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc ^ 0xffffffffu;
}
