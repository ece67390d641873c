// SPDX-License-Identifier: MIT
/* URL to dashboard file mapping (see fvd_www.h); unit-tested on the host. */
#include "fvd_www.h"

#include <string.h>

static const struct {
	const char *ext;
	const char *ctype;
} www_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static bool www_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

bool fvd_www_claims(const char *url)
{
	return strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 ||
	       strcmp(url, "/ui") == 0 || strncmp(url, "/ui/", 4) == 0;
}

static const char *www_ctype(const char *rel, size_t len)
{
	for (size_t i = 0; i < sizeof(www_types) / sizeof(www_types[0]); i++) {
		size_t el = strlen(www_types[i].ext);

		if (len > el && memcmp(rel + len - el, www_types[i].ext, el) == 0)
			return www_types[i].ctype;
	}
	return NULL;
}

bool fvd_www_map(const char *url, char *rel, const char **ctype)
{
	const char *p;
	size_t len;
	bool seg_start = true;

	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 || strcmp(url, "/ui") == 0 ||
	    strcmp(url, "/ui/") == 0)
		p = "index.html";
	else if (strncmp(url, "/ui/", 4) == 0)
		p = url + 4;
	else
		return false;
	len = strlen(p);
	if (len == 0 || len > FVD_WWW_PATH_MAX)
		return false;
	/* Every segment is non-empty, of safe characters, and does not start with '.': this
	 * rules out "..", ".", "//", a trailing '/', absolute paths, backslashes, NULs
	 * (the string ends there) and any other byte a file system might interpret. */
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '/') {
			if (seg_start)
				return false;
			seg_start = true;
			continue;
		}
		if (!www_char_ok(c) || (seg_start && c == '.'))
			return false;
		seg_start = false;
	}
	if (seg_start)
		return false;
	*ctype = www_ctype(p, len);
	if (!*ctype)
		return false;
	memcpy(rel, p, len + 1);
	return true;
}

const char *fvd_www_cache_control(const char *rel)
{
	/* Images do not change between daemon versions often; a day is harmless. */
	size_t len = strlen(rel);

	if (len > 4 && (strcmp(rel + len - 4, ".png") == 0 || strcmp(rel + len - 4, ".svg") == 0 ||
	                strcmp(rel + len - 4, ".ico") == 0))
		return "public, max-age=86400";
	return "no-cache";
}
