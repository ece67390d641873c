/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of VM snapshots (docs/snapshots.md): POST /api/v1/vms/{name}/snapshot
 * answers the stream as application/octet-stream, read from the backend piece by piece
 * while libmicrohttpd sends it (the daemon never holds the file); POST
 * /api/v1/vms/restore?name=NEW takes a stream as its body and passes it to the backend in
 * FVD_SNAP_CHUNK pieces as it arrives. Backend operations: fvd_backend.h.
 */
#ifndef FVD_SNAP_H
#define FVD_SNAP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "fvd_backend.h"

/*
 * The response for a save the backend began (id, size bytes): its body is read with
 * snap_read as it is sent; when the response is freed (sent, or the client gone) the save
 * is ended with snap_end(resume). NULL if no response could be made (the save is ended).
 */
struct MHD_Response *fvd_snap_response(struct fvd_backend *be, uint32_t id, uint64_t size,
                                       bool resume);

/* A restore being uploaded. */
struct fvd_snap_up;

/* restore_begin for a stream of size bytes into a new VM name; NULL with *err set. */
struct fvd_snap_up *fvd_snap_up_begin(struct fvd_backend *be, const char *name, uint64_t size,
                                      int *err);
/* More body bytes, in order; the first backend error is kept and reported by commit. */
void fvd_snap_up_push(struct fvd_snap_up *up, const void *data, size_t n);
/* The body is complete: send what is buffered and commit (resume: run the VM). 0 and *out,
 * or the first error (the restore is then abandoned: nothing is left). */
int fvd_snap_up_commit(struct fvd_snap_up *up, bool resume, struct fvd_vm_info *out);
/* Free; a restore not committed is abandoned. */
void fvd_snap_up_free(struct fvd_snap_up *up);

#endif /* FVD_SNAP_H */
