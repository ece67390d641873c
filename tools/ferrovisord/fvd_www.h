/* SPDX-License-Identifier: MIT */
/*
 * The web dashboard's static files: "/" is index.html, "/ui/<path>" a file under the
 * dashboard directory (--www DIR). The path mapping is pure (no HTTP library) and
 * unit-tested: it is the only thing between a URL and open(2).
 */
#ifndef FVD_WWW_H
#define FVD_WWW_H

#include <stdbool.h>
#include <stddef.h>

#define FVD_WWW_DEFAULT_DIR "/usr/share/ferrovisord/www"
#define FVD_WWW_PATH_MAX    128 /* longest relative path served */

/* True when the URL path belongs to the dashboard ("/", "/index.html", "/ui", "/ui/..."),
 * whether or not a file exists for it: such URLs never reach the API router. */
bool fvd_www_claims(const char *url);

/* Maps a dashboard URL (already percent-decoded by the HTTP library) to a path relative to
 * the dashboard directory and its Content-Type. Refuses (false) anything that is not
 * segments of [A-Za-z0-9_.-] separated by single '/', a segment starting with '.' (so no
 * "..", no hidden files), a path longer than FVD_WWW_PATH_MAX, and file types outside the
 * served list. rel must hold FVD_WWW_PATH_MAX + 1 bytes. */
bool fvd_www_map(const char *url, char *rel, const char **ctype);

/* Cache-Control for a relative path: the entry page and the modules are revalidated on
 * every load (they change with the daemon, and a stale module graph breaks the page);
 * revalidation is cheap thanks to the ETag. */
const char *fvd_www_cache_control(const char *rel);

#endif /* FVD_WWW_H */
