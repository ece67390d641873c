/* SPDX-License-Identifier: MIT */
/*
 * Serving the web dashboard's static files over libmicrohttpd (the mapping and its checks
 * are in fvd_www.h). Runs on the connection's thread like every handler (no shared state).
 */
#ifndef FVD_WWW_SERVE_H
#define FVD_WWW_SERVE_H

#include <microhttpd.h>

/* Queues the response for a URL that fvd_www_claims(): the file under dir with its
 * Content-Type, ETag and Cache-Control (304 when If-None-Match matches), 404 problem+json
 * for a refused path or a missing file, 405 for methods other than GET/HEAD. Returns the
 * libmicrohttpd result (MHD_YES/MHD_NO) as an int. */
int fvd_www_serve(struct MHD_Connection *c, const char *dir, const char *url, const char *method);

#endif /* FVD_WWW_SERVE_H */
