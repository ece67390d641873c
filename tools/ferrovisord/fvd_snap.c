// SPDX-License-Identifier: MIT
/* Snapshot streams between HTTP and the backend (contracts in fvd_snap.h). */
#include "fvd_snap.h"
#include "fvd_route.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct snap_stream {
	struct fvd_backend *be;
	uint32_t id;
	uint64_t size;
	bool resume;
};

static ssize_t snap_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct snap_stream *s = cls;
	size_t n = 0;

	if (pos >= s->size)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > FVD_SNAP_CHUNK)
		max = FVD_SNAP_CHUNK;
	/* A failed read or a short stream: the client sees fewer bytes than Content-Length. */
	if (s->be->ops->snap_read(s->be->ctx, s->id, pos, buf, max, &n) || n == 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)n;
}

static void snap_stream_free(void *cls)
{
	struct snap_stream *s = cls;

	s->be->ops->snap_end(s->be->ctx, s->id, s->resume);
	free(s);
}

struct MHD_Response *fvd_snap_response(struct fvd_backend *be, uint32_t id, uint64_t size,
                                       bool resume)
{
	struct snap_stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *r;

	if (!s) {
		be->ops->snap_end(be->ctx, id, resume);
		return NULL;
	}
	s->be = be;
	s->id = id;
	s->size = size;
	s->resume = resume;
	r = MHD_create_response_from_callback(size, FVD_SNAP_CHUNK, snap_stream_read, s,
	                                      snap_stream_free);
	if (!r)
		snap_stream_free(s);
	return r;
}

struct fvd_snap_up {
	struct fvd_backend *be;
	uint32_t id;
	uint64_t sent; /* bytes the backend took */
	size_t acc;    /* bytes waiting in buf */
	int err;
	bool done; /* committed or abandoned */
	uint8_t buf[FVD_SNAP_CHUNK];
};

struct fvd_snap_up *fvd_snap_up_begin(struct fvd_backend *be, const char *name, uint64_t size,
                                      int *err)
{
	struct fvd_snap_up *up;

	if (!be->ops->restore_begin) {
		*err = FVD_E_NOTSUP;
		return NULL;
	}
	up = calloc(1, sizeof(*up));
	if (!up) {
		*err = FVD_E_NOMEM;
		return NULL;
	}
	up->be = be;
	*err = be->ops->restore_begin(be->ctx, name, size, &up->id);
	if (*err) {
		free(up);
		return NULL;
	}
	return up;
}

static void snap_up_flush(struct fvd_snap_up *up)
{
	if (!up->acc || up->err)
		return;
	up->err = up->be->ops->restore_data(up->be->ctx, up->id, up->sent, up->buf, up->acc);
	up->sent += up->acc;
	up->acc = 0;
}

void fvd_snap_up_push(struct fvd_snap_up *up, const void *data, size_t n)
{
	const uint8_t *p = data;

	/* libmicrohttpd hands the body over in pieces of its own size: send full chunks. */
	while (n && !up->err) {
		size_t k = sizeof(up->buf) - up->acc;

		if (k > n)
			k = n;
		memcpy(up->buf + up->acc, p, k);
		up->acc += k;
		p += k;
		n -= k;
		if (up->acc == sizeof(up->buf))
			snap_up_flush(up);
	}
}

int fvd_snap_up_commit(struct fvd_snap_up *up, bool resume, struct fvd_vm_info *out)
{
	int err;

	snap_up_flush(up);
	err = up->err;
	if (!err)
		err = up->be->ops->restore_end(up->be->ctx, up->id, true, resume, out);
	/* A refused data piece or commit already ended the restore; an abort is then answered
	 * with an error nobody needs (and whose detail must not replace the first one's). */
	if (err) {
		char why[FVD_IO_DETAIL_MAX];

		fvd_io_detail_take(why, sizeof(why));
		up->be->ops->restore_end(up->be->ctx, up->id, false, false, NULL);
		fvd_io_detail_set("%s", why);
	}
	up->done = true;
	return err;
}

void fvd_snap_up_free(struct fvd_snap_up *up)
{
	if (!up)
		return;
	if (!up->done)
		up->be->ops->restore_end(up->be->ctx, up->id, false, false, NULL);
	free(up);
}
