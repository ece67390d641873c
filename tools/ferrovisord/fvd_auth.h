/* SPDX-License-Identifier: MIT */
/*
 * API tokens and roles of ferrovisord (docs/ferrovisord.md, "Tokens, roles, audit").
 *
 * A token is "fvt_<id>.<64 hex digits>": 256 random bits (getrandom) behind the id of its
 * record, so a presented token names the one record it is checked against. Records keep
 * only the SHA-256 of the whole token text, compared in constant time. Records come from
 * the token store (<state-dir>/tokens.json, written atomically, changed through the API)
 * and from a read-only file of configured tokens (the YAML's `tokens:`, `--tokens FILE`).
 *
 * The minimum role of every endpoint and method is one table, fvd_auth_min_role().
 * The HTTP server runs one thread per connection: the functions taking a struct fvd_auth
 * lock it (a->lock) and hand out copies of records, never pointers into the store.
 */
#ifndef FVD_AUTH_H
#define FVD_AUTH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fvd_route.h"

#define FVD_TOKEN_PREFIX  "fvt_"
#define FVD_TOKEN_ID_MAX  31 /* id length without the NUL: [A-Za-z0-9_-], first alnum */
#define FVD_TOKEN_HEX     64 /* secret part: 32 random bytes as hex */
#define FVD_TOKEN_TEXT    (4 + FVD_TOKEN_ID_MAX + 1 + FVD_TOKEN_HEX + 1)
#define FVD_TOKENS_MAX    64
#define FVD_AUTH_PATH_MAX 512

enum fvd_role {
	FVD_ROLE_PUBLIC = 0, /* as a minimum role: no token needed */
	FVD_ROLE_VIEWER = 1,
	FVD_ROLE_OPERATOR = 2,
	FVD_ROLE_ADMIN = 3,
};

struct fvd_token {
	char id[FVD_TOKEN_ID_MAX + 1];
	enum fvd_role role;
	char sha256[65]; /* hex of SHA-256 over the whole token text */
	char created[32];
	bool configured; /* from the configuration file: not deletable through the API */
};

struct fvd_auth {
	struct fvd_token tok[FVD_TOKENS_MAX];
	size_t n;
	char store[FVD_AUTH_PATH_MAX]; /* <state-dir>/tokens.json, "" when not persisted */
	pthread_mutex_t lock;          /* tok, n and the store file */
};

/* "viewer", "operator", "admin" ("public" for FVD_ROLE_PUBLIC); parse returns false on
 * anything else (public is not a role a token can have). */
const char *fvd_role_name(enum fvd_role r);
bool fvd_role_parse(const char *s, enum fvd_role *out);

/* Minimum role of a method on an endpoint: the one table every request is checked
 * against. An endpoint without a row needs admin (fail closed). */
enum fvd_role fvd_auth_min_role(enum fvd_endpoint ep, enum fvd_method m);

/* A token id: 1..FVD_TOKEN_ID_MAX of [A-Za-z0-9_-], the first alphanumeric. */
bool fvd_auth_valid_id(const char *id);

/* Loads the configured tokens (config_file, may be NULL) and the store in state_dir (NULL:
 * nothing persisted). When the store does not exist yet (first start), creates it with a
 * new admin token "admin" whose text is written to first_token (FVD_TOKEN_TEXT bytes) and
 * *first is set; the caller prints it once. Returns 0, or -1 with a message on stderr
 * (unreadable or invalid file, store not writable, no randomness). */
int fvd_auth_init(struct fvd_auth *a, const char *state_dir, const char *config_file,
                  char *first_token, bool *first);

/* Checks an Authorization header value ("Bearer fvt_..."). Returns true with a copy of the
 * token's record in *out, or false with why set to a short reason fit for a 401 detail. */
bool fvd_auth_check(struct fvd_auth *a, const char *authz, struct fvd_token *out, const char **why);

/* A copy of token id's record; false when there is none. */
bool fvd_auth_get(struct fvd_auth *a, const char *id, struct fvd_token *out);

/* Copies every record to out; returns how many. */
size_t fvd_auth_list(struct fvd_auth *a, struct fvd_token out[FVD_TOKENS_MAX]);

/* Creates a token id with role; writes its text (shown once) to secret and saves the store.
 * Returns 0, FVD_E_INVAL (bad id), FVD_E_EXISTS, FVD_E_LIMIT or FVD_E_IO. */
int fvd_auth_create(struct fvd_auth *a, const char *id, enum fvd_role role,
                    char secret[FVD_TOKEN_TEXT]);

/* Deletes a token created through the API. Returns 0, FVD_E_NOTFOUND, FVD_E_DENIED (a
 * configured token, or the last admin token) or FVD_E_IO. */
int fvd_auth_delete(struct fvd_auth *a, const char *id);

/* fsync()s the directory holding path and syncfs()es its file system, so a file created or
 * renamed there is on disk with the allocation bitmaps that describe it: the state disk is
 * ext2 (busybox mke2fs) without a journal, where a file's fsync leaves the block bitmap
 * behind and a host killed then has blocks of the file handed out twice after the reboot.
 * Returns 0 or -1 (errno). */
int fvd_fsync_dir(const char *path);

#endif /* FVD_AUTH_H */
