/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_BUNDLE_H
#define FV_TOOLS_BUNDLE_H

/*
 * The boot bundle: the hypervisor's configuration blob (an FDT in the
 * format documented at the top of hyp/core/config.c) with the guest
 * images embedded, handed to the hypervisor as QEMU's -initrd. Written
 * with libfdt's sequential-write API, then checked with the hypervisor's
 * own config_parse(), so the tool never writes a blob the hypervisor
 * would refuse. Virtio: /host/switches/NAME { uplink-slot } for every
 * switch (declared or made by an interface, in the model's order, so the
 * hypervisor numbers them as the tool does), and per VM virtio-blk-slots,
 * virtio-net-switch, virtio-net-mac (always written) and virtio-console.
 */
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "diag.h"
#include "model.h"

/*
 * Build the blob for the resolved model m, reading the images from their
 * files. Returns 0 with *blob (malloc'd, free() it) and *size, or -1 with
 * the error in d.
 */
int bundle_build(const struct model *m, void **blob, size_t *size, struct diag *d);

/*
 * Check a blob with the hypervisor's parser; cfg receives the parsed form
 * (pointing into blob). Returns 0 or -1 with the parser's message in err.
 */
int bundle_verify(const void *blob, size_t size, struct hyp_config *cfg, char *err, size_t errlen);

/* Write all size bytes to fd. 0, or -1 with errno set. */
int bundle_write_fd(int fd, const void *blob, size_t size);

/*
 * Whether path may receive a bundle: missing, or a regular file (lstat():
 * a symbolic link, device, FIFO, directory or socket is refused, never
 * replaced). 0, or -1 with the reason in err.
 */
int bundle_target_check(const char *path, char *err, size_t errlen);

/*
 * Write size bytes to path: into a new temporary file beside it (O_EXCL,
 * mode 0644 less the umask), then rename() over path, which must pass
 * bundle_target_check(). 0 or -1 with err.
 */
int bundle_write_file(const char *path, const void *blob, size_t size, char *err, size_t errlen);

/* Whether the file at path holds exactly these size bytes (then `run` need not rewrite it). */
bool bundle_same_file(const char *path, const void *blob, size_t size);

#endif
