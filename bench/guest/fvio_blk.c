// SPDX-License-Identifier: MIT
/*
 * fvio blk: virtio-blk throughput from inside a Linux guest, on the raw block device with
 * O_DIRECT (so the guest's page cache measures nothing): one request in flight, and for the
 * _qd32 tests 32 at once (32 threads, each with one O_DIRECT request in flight on the same
 * file descriptor: no io_uring or libaio needed).
 *
 * Every 4 KiB block of the tested region is written with its own index (little-endian) in
 * its first 8 bytes; the reads check it, so a broken data path shows as "errors" instead of
 * a number. The harness writes the same stamps into the image beforehand (bench/fvbench/
 * blk.py), so the reads can check every block even when seq_write was cut short.
 * Tests, in order, each one JSON line:
 *   seq_write, seq_read   SEQ_MIB MiB in 1 MiB requests from offset 0
 *   rand_write, rand_read RAND_OPS 4 KiB requests at pseudo-random 4 KiB-aligned offsets of
 *                         the same region (a fixed xorshift sequence: the same offsets on
 *                         every run and side)
 *   rand_write_qd32, rand_read_qd32
 *                         the same RAND_OPS requests (same offsets), taken in order by 32
 *                         threads, so up to 32 are in flight
 * A test stops early after MAX_SECONDS (the line then shows how many requests it made).
 */
#include "fvio.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEQ_BLOCK  (1024U * 1024U)
#define RAND_BLOCK 4096U
#define RAND_SEED  0x9e3779b97f4a7c15ULL
#define QD_MAX     32U

struct blk_test {
	const char *name;
	size_t block;
	bool write;
	bool random;
	unsigned qd; /* requests in flight (threads); 1 = this thread alone */
};

static const struct blk_test tests[] = {
    {"seq_write", SEQ_BLOCK, true, false, 1},
    {"seq_read", SEQ_BLOCK, false, false, 1},
    {"rand_write", RAND_BLOCK, true, true, 1},
    {"rand_read", RAND_BLOCK, false, true, 1},
    {"rand_write_qd32", RAND_BLOCK, true, true, QD_MAX},
    {"rand_read_qd32", RAND_BLOCK, false, true, QD_MAX},
};

/* A test with several threads: they take request numbers in order from next. */
struct qd_run {
	int fd;
	const struct blk_test *t;
	const uint64_t *offs; /* offset of request i */
	uint64_t ops;
	uint64_t t0, max_ns;
	uint64_t next;   /* atomic: next request number */
	uint64_t done;   /* atomic: requests made */
	uint64_t errors; /* atomic: blocks read back wrong */
	int failed;      /* atomic: an I/O error (errno in err) */
	int err;
	uint64_t err_off;
};

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Stamp each 4 KiB block of buf (len bytes, for disk offset off) with its block index. */
static void stamp(unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i += RAND_BLOCK) {
		uint64_t idx = (off + i) / RAND_BLOCK;
		memcpy(buf + i, &idx, sizeof(idx));
	}
}

/* Number of 4 KiB blocks of buf whose stamp is not their index. */
static uint64_t check(const unsigned char *buf, size_t len, uint64_t off)
{
	uint64_t bad = 0;
	for (size_t i = 0; i < len; i += RAND_BLOCK) {
		uint64_t idx;
		memcpy(&idx, buf + i, sizeof(idx));
		bad += idx != (off + i) / RAND_BLOCK;
	}
	return bad;
}

static int io_at(int fd, bool write, unsigned char *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, buf + done, len - done, (off_t)(off + done))
		                  : pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void *qd_worker(void *arg)
{
	struct qd_run *r = arg;
	unsigned char *buf = aligned_alloc(RAND_BLOCK, RAND_BLOCK);
	if (!buf) {
		__atomic_store_n(&r->failed, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (size_t i = 0; i < RAND_BLOCK; i++)
		buf[i] = (unsigned char)(i * 131U + 7U);
	for (;;) {
		uint64_t i = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED);
		if (i >= r->ops || __atomic_load_n(&r->failed, __ATOMIC_RELAXED) ||
		    fvio_now_ns() - r->t0 > r->max_ns)
			break;
		uint64_t off = r->offs[i];
		if (r->t->write)
			stamp(buf, RAND_BLOCK, off);
		if (io_at(r->fd, r->t->write, buf, RAND_BLOCK, off) != 0) {
			r->err = errno;
			r->err_off = off;
			__atomic_store_n(&r->failed, 1, __ATOMIC_RELAXED);
			break;
		}
		if (!r->t->write)
			__atomic_fetch_add(&r->errors, check(buf, RAND_BLOCK, off),
			                   __ATOMIC_RELAXED);
		__atomic_fetch_add(&r->done, 1, __ATOMIC_RELAXED);
	}
	free(buf);
	return NULL;
}

/* A test with t->qd threads; as run_test(). */
static int64_t run_qd_test(int fd, const struct blk_test *t, uint64_t region, uint64_t rand_ops,
                           uint64_t max_ns)
{
	uint64_t nblocks = region / RAND_BLOCK, seed = RAND_SEED;
	uint64_t *offs = malloc(rand_ops * sizeof(*offs) + 1);
	pthread_t th[QD_MAX];
	unsigned n = 0;
	if (!offs)
		return -1;
	for (uint64_t i = 0; i < rand_ops; i++)
		offs[i] = (xorshift64(&seed) % nblocks) * RAND_BLOCK;
	struct qd_run r = {.fd = fd, .t = t, .offs = offs, .ops = rand_ops, .max_ns = max_ns};
	r.t0 = fvio_now_ns();
	for (; n < t->qd && n < QD_MAX; n++)
		if (pthread_create(&th[n], NULL, qd_worker, &r) != 0)
			break;
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	uint64_t t1 = fvio_now_ns();
	free(offs);
	if (r.failed || n == 0) {
		fvio_emit("{\"bench\":\"fvio_blk\",\"test\":\"%s\",\"error\":\"%s at offset "
		          "%llu: %s\"}",
		          t->name, t->write ? "write" : "read", (unsigned long long)r.err_off,
		          n ? strerror(r.err) : "no threads");
		return -1;
	}
	fvio_emit("{\"bench\":\"fvio_blk\",\"test\":\"%s\",\"block\":%zu,\"qd\":%u,"
	          "\"ops\":%llu,\"bytes\":%llu,\"ns\":%llu,\"errors\":%llu}",
	          t->name, t->block, n, (unsigned long long)r.done,
	          (unsigned long long)(r.done * t->block), (unsigned long long)(t1 - r.t0),
	          (unsigned long long)r.errors);
	return (int64_t)r.done;
}

/* One test; returns the number of requests made, or -1 on an I/O error (reported). */
static int64_t run_test(int fd, const struct blk_test *t, unsigned char *buf, uint64_t region,
                        uint64_t rand_ops, uint64_t max_ns)
{
	uint64_t ops = t->random ? rand_ops : region / t->block;
	uint64_t nblocks = region / RAND_BLOCK;
	uint64_t seed = RAND_SEED, errors = 0, done = 0;
	uint64_t t0 = fvio_now_ns(), t1 = t0;
	for (; done < ops; done++) {
		uint64_t off = t->random ? (xorshift64(&seed) % nblocks) * RAND_BLOCK
		                         : done * (uint64_t)t->block;
		if (t->write)
			stamp(buf, t->block, off);
		if (io_at(fd, t->write, buf, t->block, off) != 0) {
			fvio_emit(
			    "{\"bench\":\"fvio_blk\",\"test\":\"%s\",\"error\":\"%s at offset "
			    "%llu: %s\"}",
			    t->name, t->write ? "write" : "read", (unsigned long long)off,
			    strerror(errno));
			return -1;
		}
		if (!t->write)
			errors += check(buf, t->block, off);
		t1 = fvio_now_ns();
		if (t1 - t0 > max_ns) {
			done++;
			break;
		}
	}
	fvio_emit("{\"bench\":\"fvio_blk\",\"test\":\"%s\",\"block\":%zu,\"ops\":%llu,"
	          "\"bytes\":%llu,\"ns\":%llu,\"errors\":%llu}",
	          t->name, t->block, (unsigned long long)done,
	          (unsigned long long)(done * t->block), (unsigned long long)(t1 - t0),
	          (unsigned long long)errors);
	return (int64_t)done;
}

int fvio_blk_main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fvio blk DEV SEQ_MIB RAND_OPS MAX_SECONDS\n");
		return 2;
	}
	uint64_t seq_mib = fvio_arg_u64(argv[2], "SEQ_MIB");
	uint64_t rand_ops = fvio_arg_u64(argv[3], "RAND_OPS");
	uint64_t max_ns = fvio_arg_u64(argv[4], "MAX_SECONDS") * 1000000000ULL;
	int fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0) {
		fvio_emit("{\"bench\":\"fvio_blk\",\"error\":\"open %s: %s\"}", argv[1],
		          strerror(errno));
		return 1;
	}
	uint64_t size = 0;
	struct stat st;
	/* A regular file (a quick test on the build host) has no BLKGETSIZE64. */
	if (ioctl(fd, BLKGETSIZE64, &size) != 0)
		size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	uint64_t region = seq_mib * SEQ_BLOCK;
	if (region > size)
		region = size / SEQ_BLOCK * SEQ_BLOCK;
	if (region == 0) {
		fvio_emit("{\"bench\":\"fvio_blk\",\"error\":\"%s: %llu bytes, need 1 MiB\"}",
		          argv[1], (unsigned long long)size);
		close(fd);
		return 1;
	}
	unsigned char *buf = aligned_alloc(RAND_BLOCK, SEQ_BLOCK);
	if (!buf) {
		close(fd);
		return 1;
	}
	/* A non-zero pattern around the stamps: nothing on the way may treat it as zeroes. */
	for (size_t i = 0; i < SEQ_BLOCK; i++)
		buf[i] = (unsigned char)(i * 131U + 7U);
	int ret = 0;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]) && ret == 0; i++)
		ret =
		    (tests[i].qd > 1 ? run_qd_test(fd, &tests[i], region, rand_ops, max_ns)
		                     : run_test(fd, &tests[i], buf, region, rand_ops, max_ns)) < 0;
	free(buf);
	close(fd);
	return ret;
}
