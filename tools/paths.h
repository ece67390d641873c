/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_PATHS_H
#define FV_TOOLS_PATHS_H

/*
 * File names in the configuration: "~" and "${NAME}" / "${NAME:-default}"
 * expansion, then relative names taken from the configuration file's
 * directory. ${FERROVISOR_CACHE} defaults to $HOME/.cache/ferrovisor (where
 * scripts/fetch-guest-images.sh puts the Debian kernel and initramfs).
 */
#include <stddef.h>

/*
 * Expand in and make it absolute against base_dir. Returns a malloc'd
 * string, or NULL with a message (without the key) in err.
 */
char *path_expand(const char *in, const char *base_dir, char *err, size_t errlen);

/* Absolute directory of file (the current directory for a bare name); malloc'd or NULL. */
char *path_dir_of(const char *file);

/* $HOME, or the password database entry; never NULL ("/" as a last resort). */
const char *path_home(void);

/* The cache directory: $FERROVISOR_CACHE or $HOME/.cache/ferrovisor (malloc'd or NULL). */
char *path_cache_dir(void);

#endif
