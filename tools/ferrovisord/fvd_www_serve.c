// SPDX-License-Identifier: MIT
/* The dashboard's static files over libmicrohttpd (see fvd_www_serve.h). */
#include "fvd_www_serve.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fvd_json.h"
#include "fvd_www.h"

#define WWW_FILE_MAX (8u << 20) /* no dashboard file comes near this */

/* The page loads only its own modules and styles and talks only to this daemon: a script
 * injected through a VM name or console bytes would still not run (the UI also inserts
 * such text as text, never as markup). */
#define WWW_CSP                                                                                    \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "          \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

static const struct fvd_problem_kind www_k_notfound = {404, "not-found", "No such resource"};
static const struct fvd_problem_kind www_k_method = {405, "method-not-allowed",
                                                     "Method not allowed"};

static int www_problem(struct MHD_Connection *c, const struct fvd_problem_kind *k, const char *url,
                       const char *detail)
{
	cJSON *j = fvd_json_problem(k, detail, url);
	char *text = j ? cJSON_PrintUnformatted(j) : NULL;
	struct MHD_Response *r;
	int ret;

	cJSON_Delete(j);
	if (!text)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/problem+json");
	if (k->status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, k->status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Opens rel (checked by fvd_www_map) under dir one segment at a time with O_NOFOLLOW, so
 * a symlink anywhere in the path, file or directory, does not lead out of dir; the file
 * itself with O_NONBLOCK, so a FIFO cannot stall the server thread (the caller then
 * refuses anything but a regular file). Returns the file's fd or -1. */
static int www_open(const char *dir, const char *rel)
{
	char seg[FVD_WWW_PATH_MAX + 1];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	while (fd >= 0) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
		int next;

		memcpy(seg, rel, n);
		seg[n] = '\0';
		next =
		    openat(fd, seg,
		           O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : O_NONBLOCK));
		close(fd);
		fd = next;
		if (!slash)
			break;
		rel = slash + 1;
	}
	return fd;
}

static void www_common_headers(struct MHD_Response *r, const char *rel, const char *etag)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, fvd_www_cache_control(rel));
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", WWW_CSP);
}

int fvd_www_serve(struct MHD_Connection *c, const char *dir, const char *url, const char *method)
{
	char rel[FVD_WWW_PATH_MAX + 1];
	char etag[64];
	const char *ctype;
	const char *inm;
	struct MHD_Response *r;
	struct stat st;
	int fd, ret;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return www_problem(c, &www_k_method, url, "the dashboard is read with GET");
	if (!fvd_www_map(url, rel, &ctype))
		return www_problem(c, &www_k_notfound, url, "no such dashboard file");
	fd = www_open(dir, rel);
	if (fd < 0)
		return www_problem(c, &www_k_notfound, url, "no such dashboard file");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)WWW_FILE_MAX) {
		close(fd);
		return www_problem(c, &www_k_notfound, url, "no such dashboard file");
	}
	snprintf(etag, sizeof(etag), "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)st.st_mtime,
	         (uint64_t)st.st_size);
	inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (inm && strcmp(inm, etag) == 0) {
		close(fd);
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		www_common_headers(r, rel, etag);
		ret = MHD_queue_response(c, MHD_HTTP_NOT_MODIFIED, r);
		MHD_destroy_response(r);
		return ret;
	}
	/* The response owns fd from here and closes it when sent. */
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	www_common_headers(r, rel, etag);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
