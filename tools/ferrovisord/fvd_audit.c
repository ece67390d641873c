// SPDX-License-Identifier: MIT
/* The hash-chained audit log of ferrovisord (see fvd_audit.h). */
#define _GNU_SOURCE /* syncfs */
#include "fvd_audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fvd_auth.h"
#include "fvd_backend.h"

#define AUDIT_LINE_MAX 4096u
#define AUDIT_FILE_MAX (256u << 20) /* read back at most this much */

/* The whole log in memory (NUL-terminated), or NULL. */
static char *audit_slurp(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;

	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size > AUDIT_FILE_MAX)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	if (buf)
		buf[got] = '\0';
	*len = got;
	return buf;
}

/* Takes seq and hash from the last line of an existing log, so new records chain to it.
 * A damaged last line is chained to anyway: `ferrovisor audit verify` reports it. */
static int audit_resume(struct fvd_audit *au)
{
	size_t len = 0;
	char *text = audit_slurp(au->fd, &len);
	char *last;
	cJSON *j;
	const cJSON *seq, *hash;

	if (!text)
		return -1;
	while (len && text[len - 1] == '\n')
		text[--len] = '\0';
	if (!len) {
		free(text);
		return 0;
	}
	last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	j = cJSON_Parse(last);
	seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
	hash = cJSON_GetObjectItemCaseSensitive(j, "hash");
	if (cJSON_IsNumber(seq) && seq->valuedouble >= 1 && cJSON_IsString(hash) &&
	    strlen(hash->valuestring) == FVD_HASH_HEX) {
		au->seq = (uint64_t)seq->valuedouble;
		memcpy(au->prev, hash->valuestring, FVD_HASH_HEX + 1);
	} else {
		fprintf(stderr, "ferrovisord: the audit log ends in a damaged record; "
		                "new records chain to its raw hash\n");
		fvd_sha256_hex(last, strlen(last), au->prev);
		au->seq = 0;
		for (size_t i = 0; i < len; i++)
			au->seq += text[i] == '\n';
		au->seq++;
	}
	cJSON_Delete(j);
	free(text);
	return 0;
}

int fvd_audit_open(struct fvd_audit *au, const char *state_dir)
{
	memset(au, 0, sizeof(*au));
	pthread_mutex_init(&au->lock, NULL);
	memcpy(au->prev, FVD_CHAIN_GENESIS, FVD_HASH_HEX + 1);
	if (state_dir) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/audit.log", state_dir);
		/* O_APPEND: every write lands at the end, whatever else has the file open. */
		au->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		/* A new log's directory entry must be on disk before records are trusted to it. */
		if (au->fd < 0 || fvd_fsync_dir(path) != 0 || audit_resume(au) != 0) {
			fprintf(stderr, "ferrovisord: %s: %s\n", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	{
		FILE *f = tmpfile();

		au->fd = f ? dup(fileno(f)) : -1;
		if (f)
			fclose(f);
	}
	if (au->fd < 0) {
		fprintf(stderr, "ferrovisord: temporary audit log: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static bool audit_str(cJSON *o, const char *k, const char *v, bool nullable)
{
	if (!v && nullable)
		return cJSON_AddNullToObject(o, k) != NULL;
	return cJSON_AddStringToObject(o, k, v ? v : "") != NULL;
}

int fvd_audit_append(struct fvd_audit *au, const struct fvd_audit_rec *r)
{
	char now[32], hash[FVD_HASH_HEX + 1];
	char line[AUDIT_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	size_t len;
	int ret = FVD_E_IO;
	bool ok;

	/* Handlers run on one thread per connection: one record at a time, so seq, prev and
	 * the order of lines in the file agree. */
	pthread_mutex_lock(&au->lock);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	len = strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(now + len, sizeof(now) - len, ".%03ldZ", ts.tv_nsec / 1000000);
	ok = o && cJSON_AddNumberToObject(o, "seq", (double)(au->seq + 1));
	ok = ok && audit_str(o, "time", now, false);
	ok = ok && audit_str(o, "token", r->token, true);
	ok = ok && audit_str(o, "role", r->role, true);
	ok = ok && audit_str(o, "source", r->source, false);
	ok = ok && audit_str(o, "op", r->op, false);
	ok = ok && audit_str(o, "target", r->target, false);
	ok = ok && cJSON_AddNumberToObject(o, "status", r->status);
	ok = ok && audit_str(o, "prev", au->prev, false);
	body = ok ? cJSON_PrintUnformatted(o) : NULL;
	if (!body || !fvd_chain_seal(body, line, sizeof(line) - 1, hash))
		goto out;
	len = strlen(line);
	line[len] = '\n';
	/* One write of the whole line (O_APPEND), then fsync and syncfs: on disk, with the
	 * file system's block bitmap (see fvd_fsync_dir), before the answer. */
	if (write(au->fd, line, len + 1) != (ssize_t)(len + 1) || fsync(au->fd) != 0 ||
	    syncfs(au->fd) != 0) {
		fprintf(stderr, "ferrovisord: audit log write: %s\n", strerror(errno));
		goto out;
	}
	line[len] = '\0';
	au->seq++;
	memcpy(au->prev, hash, sizeof(hash));
	if (au->listener)
		au->listener(au->listener_ctx, line);
	ret = 0;
out:
	pthread_mutex_unlock(&au->lock);
	free(body);
	cJSON_Delete(o);
	return ret;
}

cJSON *fvd_audit_page(struct fvd_audit *au, uint64_t after, size_t limit)
{
	size_t len = 0, n = 0;
	char *text, head[FVD_HASH_HEX + 1];
	cJSON *o = cJSON_CreateObject();
	cJSON *list = o ? cJSON_AddArrayToObject(o, "records") : NULL;
	uint64_t last = after;
	bool more = false;

	/* The file and its head hash read together, never between a write and its prev. */
	pthread_mutex_lock(&au->lock);
	text = audit_slurp(au->fd, &len);
	memcpy(head, au->prev, sizeof(head));
	pthread_mutex_unlock(&au->lock);
	if (!text || !list) {
		free(text);
		cJSON_Delete(o);
		return NULL;
	}
	for (char *p = text, *nl; *p; p = nl + 1) {
		cJSON *rec, *seq;

		nl = strchr(p, '\n');
		if (!nl)
			break; /* a record still being written */
		*nl = '\0';
		rec = cJSON_Parse(p);
		seq = cJSON_GetObjectItemCaseSensitive(rec, "seq");
		if (!cJSON_IsNumber(seq) || (uint64_t)seq->valuedouble <= after) {
			cJSON_Delete(rec);
			continue;
		}
		if (n == limit) {
			cJSON_Delete(rec);
			more = true;
			break;
		}
		last = (uint64_t)seq->valuedouble;
		cJSON_AddItemToArray(list, rec);
		n++;
	}
	free(text);
	if (more)
		cJSON_AddNumberToObject(o, "next", (double)last);
	else
		cJSON_AddNullToObject(o, "next");
	cJSON_AddStringToObject(o, "head", head);
	return o;
}
