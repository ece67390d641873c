/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_IMAGES_H
#define FV_TOOLS_IMAGES_H

/*
 * Probing of guest images and disk images by their first bytes: what kind
 * of kernel a file is (flat binary, RISC-V Linux Image, or an ELF file that
 * must be converted first) and which format a disk image has.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct image_info {
	uint64_t size;
	bool is_elf;
	bool is_linux; /* RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst)
	                */
	uint64_t text_offset; /* Linux: load offset from the start of RAM */
	uint64_t
	    image_size; /* Linux: memory the kernel needs from its load address (0 = unknown) */
};

/*
 * Open path for reading without ever blocking in open() (a FIFO, a tty),
 * and require a regular file (or, with allow_blk, a block device): the
 * only files the tool reads are images and configurations. Returns the
 * descriptor (blocking mode, close-on-exec) with *st filled, or -1 with a
 * message in err ("a FIFO, not a regular file", or strerror()).
 */
int image_open(const char *path, bool allow_blk, struct stat *st, char *err, size_t errlen);

/* Classify the first len bytes of an image of total size size. Pure. */
void image_classify(const uint8_t *head, size_t len, uint64_t size, struct image_info *out);

/*
 * Open path, require a readable, non-empty regular file and classify it.
 * Returns 0, or -1 with a message in err (e.g. "No such file or directory").
 */
int image_probe(const char *path, struct image_info *out, char *err, size_t errlen);

/*
 * Disk image format from its first bytes: "qcow2", "vmdk", "vdi", "vhdx",
 * "vpc", "qed", or "raw" when none matches. Pure.
 */
const char *image_disk_format(const uint8_t *head, size_t len);

/*
 * The size in bytes a guest sees of a disk image of total file size size
 * whose first len bytes are head, in format: a raw file's length in whole
 * 512-byte sectors, a qcow2 image's virtual size (header field at byte
 * 24); 0 when unknown (other formats, a short qcow2 header). Pure.
 */
uint64_t image_disk_bytes(const uint8_t *head, size_t len, const char *format, uint64_t size);

/*
 * Probe a disk image file (regular file or block device): its format and,
 * when known, its size as image_disk_bytes() (0 for block devices).
 * 0 or -1 with err.
 */
int image_probe_disk(const char *path, const char **format, uint64_t *bytes, char *err,
                     size_t errlen);

#endif
