// SPDX-License-Identifier: MIT
/* API tokens, roles and the endpoint role table of ferrovisord (see fvd_auth.h). */
#define _GNU_SOURCE /* syncfs */
#include "fvd_auth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fvd_chain.h"

#define AUTH_FILE_MAX (256u * 1024u)

static const char *const auth_roles[] = {
    [FVD_ROLE_PUBLIC] = "public",
    [FVD_ROLE_VIEWER] = "viewer",
    [FVD_ROLE_OPERATOR] = "operator",
    [FVD_ROLE_ADMIN] = "admin",
};

/*
 * THE role table: every endpoint and method with the least role that may call it.
 * Reading is viewer, VM lifecycle operator, creating/destroying VMs, tokens and the audit
 * log admin. An endpoint added to fvd_route.h gets one row here; without one it needs admin.
 */
static const struct {
	enum fvd_endpoint ep;
	unsigned methods; /* enum fvd_method bits */
	enum fvd_role min;
} auth_table[] = {
    {FVD_EP_NONE, FVD_M_GET | FVD_M_POST | FVD_M_DELETE | FVD_M_OTHER, FVD_ROLE_VIEWER},
    {FVD_EP_HOST, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_VMS, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_VMS, FVD_M_POST, FVD_ROLE_ADMIN},
    {FVD_EP_VM, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_VM, FVD_M_DELETE, FVD_ROLE_ADMIN},
    {FVD_EP_VM, FVD_M_PATCH, FVD_ROLE_ADMIN},
    {FVD_EP_VM_ACTION, FVD_M_POST, FVD_ROLE_OPERATOR},
    {FVD_EP_OPENAPI, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_WHOAMI, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_TOKENS, FVD_M_GET | FVD_M_POST, FVD_ROLE_ADMIN},
    {FVD_EP_TOKEN, FVD_M_DELETE, FVD_ROLE_ADMIN},
    {FVD_EP_AUDIT, FVD_M_GET, FVD_ROLE_ADMIN},
    {FVD_EP_METRICS, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_STATS, FVD_M_GET, FVD_ROLE_VIEWER},
    {FVD_EP_EVENTS, FVD_M_GET, FVD_ROLE_VIEWER},
    /* Console output and input: operator (issue #12: "operator (lifecycle and console)"). */
    {FVD_EP_VM_CONSOLE, FVD_M_GET | FVD_M_POST, FVD_ROLE_OPERATOR},
    {FVD_EP_TRACE, FVD_M_GET | FVD_M_POST, FVD_ROLE_ADMIN},
    {FVD_EP_VM_DUMP, FVD_M_POST, FVD_ROLE_ADMIN},
    {FVD_EP_DUMPS, FVD_M_GET, FVD_ROLE_ADMIN},
    {FVD_EP_DUMP, FVD_M_GET, FVD_ROLE_ADMIN},
    {FVD_EP_PROFILE, FVD_M_POST, FVD_ROLE_ADMIN}, /* debugging */
    /* A snapshot holds all of a VM's memory; a restore creates a VM. */
    {FVD_EP_SNAPSHOT, FVD_M_POST, FVD_ROLE_ADMIN},
    {FVD_EP_RESTORE, FVD_M_POST, FVD_ROLE_ADMIN},
    /* A migration sends all of a VM's memory to another host; the destination creates it. */
    {FVD_EP_MIGRATE, FVD_M_POST | FVD_M_DELETE, FVD_ROLE_ADMIN},
    {FVD_EP_INCOMING, FVD_M_POST, FVD_ROLE_ADMIN},
};

const char *fvd_role_name(enum fvd_role r)
{
	return (unsigned)r <= FVD_ROLE_ADMIN ? auth_roles[r] : "unknown";
}

bool fvd_role_parse(const char *s, enum fvd_role *out)
{
	for (unsigned r = FVD_ROLE_VIEWER; r <= FVD_ROLE_ADMIN; r++) {
		if (s && strcmp(s, auth_roles[r]) == 0) {
			*out = (enum fvd_role)r;
			return true;
		}
	}
	return false;
}

enum fvd_role fvd_auth_min_role(enum fvd_endpoint ep, enum fvd_method m)
{
	for (size_t i = 0; i < sizeof(auth_table) / sizeof(auth_table[0]); i++) {
		if (auth_table[i].ep == ep && (auth_table[i].methods & (unsigned)m))
			return auth_table[i].min;
	}
	/* A method the endpoint does not offer: any valid token learns that (405). */
	for (size_t i = 0; i < sizeof(auth_table) / sizeof(auth_table[0]); i++) {
		if (auth_table[i].ep == ep && !(fvd_route_allowed(ep) & (unsigned)m))
			return FVD_ROLE_VIEWER;
	}
	return FVD_ROLE_ADMIN;
}

bool fvd_auth_valid_id(const char *id)
{
	return id && fvd_route_valid_name(id, strlen(id));
}

static struct fvd_token *auth_find(const struct fvd_auth *a, const char *id, size_t len)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strlen(a->tok[i].id) == len && memcmp(a->tok[i].id, id, len) == 0)
			return (struct fvd_token *)&a->tok[i];
	}
	return NULL;
}

static void auth_now(char *out, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------------ files */

static char *auth_read_file(const char *path, bool *missing)
{
	FILE *f = fopen(path, "r");
	char *buf;
	size_t n;

	*missing = !f && errno == ENOENT;
	if (!f)
		return NULL;
	buf = malloc(AUTH_FILE_MAX + 1);
	n = buf ? fread(buf, 1, AUTH_FILE_MAX + 1, f) : 0;
	fclose(f);
	if (!buf || n > AUTH_FILE_MAX) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Adds the records of a token file ({"tokens":[{id, role, sha256[, created]}]}). */
static int auth_load(struct fvd_auth *a, const char *path, bool configured, bool *missing)
{
	char *text = auth_read_file(path, missing);
	cJSON *j, *list, *e;
	int ret = -1;

	if (!text) {
		if (!*missing)
			fprintf(stderr, "ferrovisord: %s: %s\n", path, strerror(errno));
		return *missing ? 0 : -1;
	}
	j = cJSON_Parse(text);
	free(text);
	list = cJSON_GetObjectItemCaseSensitive(j, "tokens");
	if (!cJSON_IsArray(list)) {
		fprintf(stderr, "ferrovisord: %s: not a token file ({\"tokens\": [...]})\n", path);
		goto out;
	}
	cJSON_ArrayForEach(e, list)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "id"));
		const char *role =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "role"));
		const char *sum =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "sha256"));
		const char *cr =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "created"));
		struct fvd_token *t;
		enum fvd_role r;
		bool hex_ok = sum && strlen(sum) == FVD_HASH_HEX;

		for (size_t i = 0; hex_ok && i < FVD_HASH_HEX; i++)
			hex_ok =
			    (sum[i] >= '0' && sum[i] <= '9') || (sum[i] >= 'a' && sum[i] <= 'f');
		if (!fvd_auth_valid_id(id) || !fvd_role_parse(role, &r) || !hex_ok) {
			fprintf(stderr,
			        "ferrovisord: %s: token entry needs id ([A-Za-z0-9_-], 1-%d), role "
			        "(viewer|operator|admin) and sha256 (64 lowercase hex)\n",
			        path, FVD_TOKEN_ID_MAX);
			goto out;
		}
		if (auth_find(a, id, strlen(id))) {
			fprintf(stderr, "ferrovisord: %s: token id '%s' given twice\n", path, id);
			goto out;
		}
		if (a->n == FVD_TOKENS_MAX) {
			fprintf(stderr, "ferrovisord: %s: more than %d tokens\n", path,
			        FVD_TOKENS_MAX);
			goto out;
		}
		t = &a->tok[a->n++];
		memset(t, 0, sizeof(*t));
		memcpy(t->id, id, strlen(id));
		t->role = r;
		memcpy(t->sha256, sum, FVD_HASH_HEX);
		snprintf(t->created, sizeof(t->created), "%s", cr ? cr : "");
		t->configured = configured;
	}
	ret = 0;
out:
	cJSON_Delete(j);
	return ret;
}

int fvd_fsync_dir(const char *path)
{
	char dir[FVD_AUTH_PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, ret;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path) + (slash == path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	if (!ret)
		ret = syncfs(fd);
	close(fd);
	return ret;
}

/* Writes the API-created tokens to the store: a temporary file, fsync, rename, so a
 * crash leaves the old or the new store, never half of one. */
static int auth_save(const struct fvd_auth *a)
{
	char tmp[FVD_AUTH_PATH_MAX + 8];
	cJSON *j = cJSON_CreateObject();
	cJSON *list = cJSON_AddArrayToObject(j, "tokens");
	char *text = NULL;
	int fd = -1, ret = FVD_E_IO;
	size_t len;

	if (!a->store[0]) {
		cJSON_Delete(j);
		return 0;
	}
	for (size_t i = 0; list && i < a->n; i++) {
		cJSON *e;

		if (a->tok[i].configured)
			continue;
		e = cJSON_CreateObject();
		if (!e || !cJSON_AddItemToArray(list, e) ||
		    !cJSON_AddStringToObject(e, "id", a->tok[i].id) ||
		    !cJSON_AddStringToObject(e, "role", fvd_role_name(a->tok[i].role)) ||
		    !cJSON_AddStringToObject(e, "sha256", a->tok[i].sha256) ||
		    !cJSON_AddStringToObject(e, "created", a->tok[i].created))
			goto out;
	}
	text = list ? cJSON_Print(j) : NULL;
	if (!text)
		goto out;
	len = strlen(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", a->store);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0 || close(fd) != 0) {
		fprintf(stderr, "ferrovisord: %s: %s\n", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (rename(tmp, a->store) != 0 || fvd_fsync_dir(a->store) != 0) {
		fprintf(stderr, "ferrovisord: %s: %s\n", a->store, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(text);
	cJSON_Delete(j);
	return ret;
}

/* ------------------------------------------------------------------ tokens */

static int auth_new_secret(const char *id, char secret[FVD_TOKEN_TEXT], char sum[65])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[FVD_TOKEN_HEX / 2];
	char part[FVD_TOKEN_HEX + 1];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		fprintf(stderr, "ferrovisord: getrandom: %s\n", strerror(errno));
		return FVD_E_IO;
	}
	for (size_t i = 0; i < sizeof(rnd); i++) {
		part[2 * i] = hex[rnd[i] >> 4];
		part[2 * i + 1] = hex[rnd[i] & 15];
	}
	part[FVD_TOKEN_HEX] = '\0';
	snprintf(secret, FVD_TOKEN_TEXT, FVD_TOKEN_PREFIX "%s.%s", id, part);
	fvd_sha256_hex(secret, strlen(secret), sum);
	return 0;
}

/* a->lock held. */
static int auth_create(struct fvd_auth *a, const char *id, enum fvd_role role,
                       char secret[FVD_TOKEN_TEXT])
{
	struct fvd_token *t;
	int err;

	if (!fvd_auth_valid_id(id) || role < FVD_ROLE_VIEWER || role > FVD_ROLE_ADMIN)
		return FVD_E_INVAL;
	if (auth_find(a, id, strlen(id)))
		return FVD_E_EXISTS;
	if (a->n == FVD_TOKENS_MAX)
		return FVD_E_LIMIT;
	t = &a->tok[a->n];
	memset(t, 0, sizeof(*t));
	err = auth_new_secret(id, secret, t->sha256);
	if (err)
		return err;
	memcpy(t->id, id, strlen(id));
	t->role = role;
	auth_now(t->created, sizeof(t->created));
	a->n++;
	err = auth_save(a);
	if (err) {
		a->n--;
		memset(secret, 0, FVD_TOKEN_TEXT);
	}
	return err;
}

int fvd_auth_create(struct fvd_auth *a, const char *id, enum fvd_role role,
                    char secret[FVD_TOKEN_TEXT])
{
	int err;

	pthread_mutex_lock(&a->lock);
	err = auth_create(a, id, role, secret);
	pthread_mutex_unlock(&a->lock);
	return err;
}

/* a->lock held. */
static int auth_delete(struct fvd_auth *a, const char *id)
{
	struct fvd_token *t = auth_find(a, id, strlen(id));
	struct fvd_token saved;
	size_t admins = 0;
	int err;

	if (!t)
		return FVD_E_NOTFOUND;
	for (size_t i = 0; i < a->n; i++)
		admins += a->tok[i].role == FVD_ROLE_ADMIN;
	/* Configured tokens belong to the YAML; the last admin would lock everyone out. */
	if (t->configured || (t->role == FVD_ROLE_ADMIN && admins == 1))
		return FVD_E_DENIED;
	saved = *t;
	size_t idx = (size_t)(t - a->tok);
	memmove(t, t + 1, (a->n - idx - 1) * sizeof(*t));
	a->n--;
	err = auth_save(a);
	if (err) {
		memmove(&a->tok[idx + 1], &a->tok[idx], (a->n - idx) * sizeof(*t));
		a->tok[idx] = saved;
		a->n++;
	}
	return err;
}

int fvd_auth_delete(struct fvd_auth *a, const char *id)
{
	int err;

	pthread_mutex_lock(&a->lock);
	err = auth_delete(a, id);
	pthread_mutex_unlock(&a->lock);
	return err;
}

bool fvd_auth_get(struct fvd_auth *a, const char *id, struct fvd_token *out)
{
	const struct fvd_token *t;

	pthread_mutex_lock(&a->lock);
	t = auth_find(a, id, strlen(id));
	if (t)
		*out = *t;
	pthread_mutex_unlock(&a->lock);
	return t != NULL;
}

size_t fvd_auth_list(struct fvd_auth *a, struct fvd_token out[FVD_TOKENS_MAX])
{
	size_t n;

	pthread_mutex_lock(&a->lock);
	n = a->n;
	memcpy(out, a->tok, n * sizeof(*out));
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* a->lock held. */
static const struct fvd_token *auth_check(const struct fvd_auth *a, const char *authz,
                                          const char **why)
{
	const char *tok, *dot;
	const struct fvd_token *t;
	char sum[FVD_HASH_HEX + 1];
	size_t idlen;

	if (!authz) {
		*why = "no Authorization header (send 'Authorization: Bearer <token>')";
		return NULL;
	}
	if (strncasecmp(authz, "Bearer ", 7) != 0) {
		*why = "the Authorization header is not 'Bearer <token>'";
		return NULL;
	}
	tok = authz + 7;
	while (*tok == ' ')
		tok++;
	dot = strrchr(tok, '.');
	if (strncmp(tok, FVD_TOKEN_PREFIX, strlen(FVD_TOKEN_PREFIX)) != 0 || !dot ||
	    strlen(dot + 1) != FVD_TOKEN_HEX) {
		*why = "malformed token (expected fvt_<id>.<64 hex digits>)";
		return NULL;
	}
	idlen = (size_t)(dot - tok) - strlen(FVD_TOKEN_PREFIX);
	t = auth_find(a, tok + strlen(FVD_TOKEN_PREFIX), idlen);
	fvd_sha256_hex(tok, strlen(tok), sum);
	/* The hash is computed either way, so an unknown id costs the same time. */
	if (!t || !fvd_chain_equal(sum, t->sha256, FVD_HASH_HEX)) {
		*why = "invalid or revoked token";
		return NULL;
	}
	return t;
}

bool fvd_auth_check(struct fvd_auth *a, const char *authz, struct fvd_token *out, const char **why)
{
	const struct fvd_token *t;

	/* A copy taken under the lock: a concurrent delete moves the records. */
	pthread_mutex_lock(&a->lock);
	t = auth_check(a, authz, why);
	if (t)
		*out = *t;
	pthread_mutex_unlock(&a->lock);
	return t != NULL;
}

int fvd_auth_init(struct fvd_auth *a, const char *state_dir, const char *config_file,
                  char *first_token, bool *first)
{
	bool missing = false;

	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	*first = false;
	if (config_file) {
		if (auth_load(a, config_file, true, &missing))
			return -1;
		if (missing) {
			fprintf(stderr, "ferrovisord: --tokens %s: no such file\n", config_file);
			return -1;
		}
	}
	if (state_dir) {
		int w = snprintf(a->store, sizeof(a->store), "%s/tokens.json", state_dir);

		if (w < 0 || (size_t)w >= sizeof(a->store)) {
			fprintf(stderr, "ferrovisord: --state-dir too long\n");
			return -1;
		}
		if (auth_load(a, a->store, false, &missing))
			return -1;
	} else {
		missing = true; /* nothing persisted: every start is a first start */
	}
	if (!missing)
		return 0;
	/* First start: the one admin token nobody could have guessed, shown once. */
	if (fvd_auth_create(a, auth_find(a, "admin", 5) ? "first-admin" : "admin", FVD_ROLE_ADMIN,
	                    first_token) != 0) {
		fprintf(stderr, "ferrovisord: cannot create the first admin token%s%s\n",
		        a->store[0] ? " in " : "", a->store);
		return -1;
	}
	*first = true;
	return 0;
}
