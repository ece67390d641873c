/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_API_CLIENT_H
#define FV_TOOLS_API_CLIENT_H

/*
 * The REST client of ferrovisord's /api/v1 (docs/api/openapi.yaml) over
 * libcurl: one request at a time, JSON answers parsed with cJSON. Errors
 * (application/problem+json, or no connection) are printed to stderr by
 * api_request() itself, naming the URL, so callers only map them to an
 * exit code.
 */
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct api_client {
	char base[512]; /* "http://host:port" without a trailing '/' */
};

/* A request body for api_request(): size bytes at data, progress shown on stderr. */
struct api_upload {
	const void *data;
	size_t size;
	bool progress;
	const char *content_type; /* NULL: application/octet-stream */
};

/*
 * Set up a client for url (the daemon's base URL, with or without the
 * /api/v1 suffix). Returns 0, or -1 (message printed) when url is not an
 * http(s) URL or too long.
 */
int api_client_init(struct api_client *c, const char *url);

/*
 * method on /api/v1 + path (path starts with '/'). up: the body of a POST
 * or PATCH (NULL: none). On a 2xx answer returns its status and *json (the parsed
 * body, NULL for an empty one; cJSON_Delete() it). Otherwise returns -1
 * after printing the problem (status, title, detail) or the connection
 * error with the URL; *status_out (if not NULL) receives the HTTP status
 * (0 = no answer).
 */
int api_request(const struct api_client *c, const char *method, const char *path,
                const struct api_upload *up, cJSON **json, long *status_out);

/*
 * The bearer token every later api_request() sends (Authorization: Bearer TOKEN).
 * api_token_set() takes the token text ($FERROVISOR_TOKEN), api_token_load() reads it from
 * a file (--token-file; surrounding whitespace ignored). Both return 0, or -1 with a message
 * when the text is empty, too long or holds characters a header cannot carry.
 */
int api_token_set(const char *token, const char *from);
/* Seconds an answer may take without a byte moving before api_request gives up (default 60;
 * a live migration answers when it is over). */
void api_set_quiet_limit(long seconds);
int api_token_load(const char *file);

/* Appends the bearer token's Authorization header to hdrs (unchanged without a token), for
 * requests made outside api_request (the event and console streams). */
struct curl_slist *api_auth_header(struct curl_slist *hdrs);
/*
 * GET /api/v1 + path and write a 2xx answer's body to out (a binary download, any size).
 * Returns the status and *bytes written, or -1 after printing the problem or the connection
 * error, as api_request().
 */
int api_download(const struct api_client *c, const char *path, FILE *out,
                 unsigned long long *bytes);

/* As api_download, with POST (no body): an answer made by the request (a VM snapshot). */
int api_post_download(const struct api_client *c, const char *path, FILE *out,
                      unsigned long long *bytes);
/* The string member key of obj, or "-" when missing or not a string. */
const char *api_str(const cJSON *obj, const char *key);

/* The numeric member key of obj, or -1 when missing or not a number. */
long long api_num(const cJSON *obj, const char *key);

/* CRC-32C (Castagnoli, reflected, as the daemon checks packages) of len bytes. */
unsigned api_crc32c(const void *data, size_t len);

#endif
