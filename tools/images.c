// SPDX-License-Identifier: MIT
/* Guest and disk image probing (contract in images.h). */
#include "images.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEAD_BYTES 512

/* RISC-V Linux Image header: little-endian fields at fixed offsets. */
#define LINUX_TEXT_OFFSET 8
#define LINUX_IMAGE_SIZE  16
#define LINUX_MAGIC       48 /* "RISCV\0\0\0" (deprecated) */
#define LINUX_MAGIC2      56 /* "RSC\x05" */
#define LINUX_HDR_BYTES   64

/* qcow2 header: big-endian virtual disk size in bytes (QEMU docs/interop/qcow2.txt). */
#define QCOW2_SIZE 24

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void image_classify(const uint8_t *head, size_t len, uint64_t size, struct image_info *out)
{
	memset(out, 0, sizeof(*out));
	out->size = size;
	if (len >= 4 && memcmp(head, "\177ELF", 4) == 0) {
		out->is_elf = true;
		return;
	}
	if (len >= LINUX_HDR_BYTES && (memcmp(head + LINUX_MAGIC2, "RSC\x05", 4) == 0 ||
	                               memcmp(head + LINUX_MAGIC, "RISCV\0\0\0", 8) == 0)) {
		out->is_linux = true;
		out->text_offset = le64(head + LINUX_TEXT_OFFSET);
		out->image_size = le64(head + LINUX_IMAGE_SIZE);
	}
}

/* What a file that is not a regular one is, for the refusal message. */
static const char *file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

int image_open(const char *path, bool allow_blk, struct stat *st, char *err, size_t errlen)
{
	/*
	 * O_NONBLOCK: open() of a FIFO without a writer blocks forever (and of some
	 * character devices waits for a carrier); the type is checked on the open
	 * descriptor, so a path swapped after a stat() cannot slip through.
	 */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st->st_mode) && !(allow_blk && S_ISBLK(st->st_mode))) {
		snprintf(err, errlen, "%s, not a regular file", file_kind(st->st_mode));
		goto fail;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

static int read_head(const char *path, uint8_t *head, size_t *len, uint64_t *size, bool disk,
                     char *err, size_t errlen)
{
	struct stat st;
	int fd = image_open(path, disk, &st, err, errlen);
	if (fd < 0)
		return -1;
	int ret = -1;
	if (S_ISREG(st.st_mode) && st.st_size == 0) {
		snprintf(err, errlen, "empty file");
		goto out;
	}
	ssize_t n = read(fd, head, HEAD_BYTES);
	if (n < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	*len = (size_t)n;
	*size = (uint64_t)st.st_size;
	ret = 0;
out:
	close(fd);
	return ret;
}

int image_probe(const char *path, struct image_info *out, char *err, size_t errlen)
{
	uint8_t head[HEAD_BYTES];
	size_t len;
	uint64_t size;
	if (read_head(path, head, &len, &size, false, err, errlen))
		return -1;
	image_classify(head, len, size, out);
	return 0;
}

const char *image_disk_format(const uint8_t *head, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
		const char *magic;
		size_t mlen;
	} magics[] = {
	    {"qcow2", 0, "QFI\xfb", 4},
	    {"qed", 0, "QED\0", 4},
	    {"vmdk", 0, "KDMV", 4},
	    {"vmdk", 0, "# Disk DescriptorFile", 21},
	    {"vhdx", 0, "vhdxfile", 8},
	    {"vpc", 0, "conectix", 8},
	    {"vdi", 0x40, "\x7f\x10\xda\xbe", 4},
	};
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (len >= magics[i].off + magics[i].mlen &&
		    memcmp(head + magics[i].off, magics[i].magic, magics[i].mlen) == 0)
			return magics[i].name;
	return "raw";
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

uint64_t image_disk_bytes(const uint8_t *head, size_t len, const char *format, uint64_t size)
{
	if (strcmp(format, "raw") == 0)
		return size - size % 512; /* QEMU's capacity: whole sectors */
	if (strcmp(format, "qcow2") == 0 && len >= QCOW2_SIZE + 8)
		return be64(head + QCOW2_SIZE);
	return 0;
}

int image_probe_disk(const char *path, const char **format, uint64_t *bytes, char *err,
                     size_t errlen)
{
	uint8_t head[HEAD_BYTES];
	size_t len;
	uint64_t size;
	if (read_head(path, head, &len, &size, true, err, errlen))
		return -1;
	*format = image_disk_format(head, len);
	/* st_size of a block device is 0: unknown, as for formats without a known header. */
	*bytes = image_disk_bytes(head, len, *format, size);
	return 0;
}
