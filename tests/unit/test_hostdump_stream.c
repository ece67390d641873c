/* SPDX-License-Identifier: MIT */
/*
 * Host unit test of the host dump stream (docs/debugging.md "Dumps to the host"): the
 * hypervisor's frame encoder (hyp/core/dump_frame.c) against the host tool's decoder and
 * dump receiver (tools/dump_recv.c), which writes ELF cores with the daemon's writer.
 *  - frames round-trip; FLAG and ESC bytes in the payload are escaped;
 *  - guest RAM that holds a complete, validly encoded fake frame (an END, a BEGIN) arrives
 *    as the bytes of one RAM frame: the guest cannot end a frame or make one;
 *  - a flipped bit fails the CRC, garbage before and between frames is skipped;
 *  - a whole dump becomes NAME-1.core, a second NAME-2.core, with the RAM bytes and
 *    registers in it; a lost frame, a short count, an aborted dump, a RAM frame outside
 *    RAM and a hostile VM name never produce a file named by them.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/ctl_proto.h"
#include "core/dump_frame.h"
#include "../../tools/dump_recv.h"

struct got {
	unsigned n;
	struct {
		uint8_t type;
		uint32_t seq;
		size_t len;
		uint8_t payload[DUMP_FRAME_MAX_PAYLOAD];
	} f[8];
};

static void on_frame(void *ctx, const struct dump_frame *f)
{
	struct got *g = ctx;
	assert_true(g->n < 8);
	g->f[g->n].type = f->type;
	g->f[g->n].seq = f->seq;
	g->f[g->n].len = f->len;
	memcpy(g->f[g->n].payload, f->payload, f->len);
	g->n++;
}

static uint8_t wire[DUMP_FRAME_WIRE_MAX(DUMP_FRAME_MAX_PAYLOAD) * 3];

static void test_roundtrip_and_stuffing(void **state)
{
	(void)state;
	uint8_t head[8] = {0x7e, 0x7d, 1, 2, 3, 4, 5, 6};
	uint8_t data[300];
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 3 == 0 ? 0x7e : i % 3 == 1 ? 0x7d : i);
	size_t n =
	    dump_frame_encode(wire, sizeof(wire), DUMP_FRAME_RAM, 7, head, 8, data, sizeof(data));
	assert_true(n > 2 + 8 + 8 + sizeof(data) + 4);
	assert_true(n <= DUMP_FRAME_WIRE_MAX(8 + sizeof(data)));
	/* FLAG only at both ends. */
	assert_int_equal(wire[0], DUMP_FRAME_FLAG);
	assert_int_equal(wire[n - 1], DUMP_FRAME_FLAG);
	for (size_t i = 1; i < n - 1; i++)
		assert_int_not_equal(wire[i], DUMP_FRAME_FLAG);
	struct dump_frame_rx rx;
	struct got g = {0};
	dump_frame_rx_init(&rx);
	/* Byte by byte, after garbage that is not a frame. */
	uint8_t junk[] = {1, 2, 3, 0x7d};
	dump_frame_rx_feed(&rx, junk, sizeof(junk), on_frame, &g);
	for (size_t i = 0; i < n; i++)
		dump_frame_rx_feed(&rx, wire + i, 1, on_frame, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.f[0].type, DUMP_FRAME_RAM);
	assert_int_equal(g.f[0].seq, 7);
	assert_int_equal(g.f[0].len, 8 + sizeof(data));
	assert_memory_equal(g.f[0].payload, head, 8);
	assert_memory_equal(g.f[0].payload + 8, data, sizeof(data));
	assert_int_equal(rx.bad, 0);
	/* Too large or no room: nothing encoded. */
	assert_int_equal(
	    dump_frame_encode(wire, sizeof(wire), 1, 0, NULL, 0, data, DUMP_FRAME_MAX_PAYLOAD + 1),
	    0);
	assert_int_equal(dump_frame_encode(wire, 20, 1, 0, NULL, 0, data, 100), 0);
}

static void test_guest_cannot_forge_frames(void **state)
{
	(void)state;
	/* "RAM" holding a complete encoded END frame and a BEGIN, as a guest could write it. */
	uint8_t ram[DUMP_FRAME_RAM_CHUNK];
	memset(ram, 0x7e, sizeof(ram));
	uint8_t end[8] = {0};
	size_t fe = dump_frame_encode(ram + 100, 200, DUMP_FRAME_END, 1, end, 8, NULL, 0);
	size_t fb = dump_frame_encode(ram + 400, 200, DUMP_FRAME_BEGIN, 0, end, 8, NULL, 0);
	assert_true(fe > 0 && fb > 0);
	uint8_t gpa[8];
	ctl_put64(gpa, 0x80000000);
	size_t n =
	    dump_frame_encode(wire, sizeof(wire), DUMP_FRAME_RAM, 1, gpa, 8, ram, sizeof(ram));
	assert_true(n > 0);
	struct dump_frame_rx rx;
	struct got g = {0};
	dump_frame_rx_init(&rx);
	dump_frame_rx_feed(&rx, wire, n, on_frame, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.f[0].type, DUMP_FRAME_RAM);
	assert_memory_equal(g.f[0].payload + 8, ram, sizeof(ram));
	assert_int_equal(rx.bad, 0);
}

static void test_damage_detected(void **state)
{
	(void)state;
	uint8_t data[64];
	memset(data, 0x55, sizeof(data));
	size_t n1 = dump_frame_encode(wire, sizeof(wire), DUMP_FRAME_RAM, 1, NULL, 0, data, 64);
	size_t n2 =
	    dump_frame_encode(wire + n1, sizeof(wire) - n1, DUMP_FRAME_RAM, 2, NULL, 0, data, 64);
	wire[10] ^= 0x01; /* damage the first frame's payload */
	struct dump_frame_rx rx;
	struct got g = {0};
	dump_frame_rx_init(&rx);
	dump_frame_rx_feed(&rx, wire, n1 + n2, on_frame, &g);
	assert_int_equal(g.n, 1); /* the second, intact one */
	assert_int_equal(g.f[0].seq, 2);
	assert_int_equal(rx.bad, 1);
}

/* --- the receiver ------------------------------------------------------------------------ */

#define RAM_GPA  0x80000000ull
#define RAM_SIZE (4 * DUMP_FRAME_RAM_CHUNK)

static char dir[64];
static char logbuf[8192];

static size_t info_payload(uint8_t *p, const char *name, uint32_t state)
{
	size_t n = 8 + sizeof(struct ctl_dump_info) + sizeof(struct ctl_dump_region) +
	           sizeof(struct ctl_dump_vcpu);
	memset(p, 0, n);
	ctl_put32(p, 1);
	ctl_put32(p + 4, DUMP_REASON_CRASH);
	uint8_t *i = p + 8;
	ctl_put32(i + 4, state);
	ctl_put32(i + 8, 1);  /* vCPUs */
	ctl_put32(i + 12, 1); /* regions */
	ctl_put64(i + 16, 1);
	memcpy(i + 24, name, strlen(name));
	strcpy((char *)i + 56, "guest shutdown (reason: system failure)");
	uint8_t *r = i + sizeof(struct ctl_dump_info);
	ctl_put64(r, RAM_GPA);
	ctl_put64(r + 8, RAM_SIZE);
	uint8_t *v = r + sizeof(struct ctl_dump_region);
	ctl_put64(v + 8, 0x80001234);  /* pc */
	ctl_put64(v + 16, 0x80005678); /* ra */
	return n;
}

/* A dump as the hypervisor sends it; skip_seq drops that frame, end_frames lies. */
static size_t make_dump(const char *name, int skip_seq, int end_frames, uint32_t status,
                        uint64_t ram_gpa)
{
	static uint8_t p[DUMP_FRAME_MAX_PAYLOAD];
	static uint8_t ram[DUMP_FRAME_RAM_CHUNK];
	size_t off = 0, n = info_payload(p, name, CTL_VM_CRASHED);
	uint32_t seq = 0;
	off += dump_frame_encode(wire + off, sizeof(wire) - off, DUMP_FRAME_BEGIN, seq++, p, n,
	                         NULL, 0);
	/* Chunk 1 and 3 are non-zero; 0 and 2 are not sent. */
	for (unsigned c = 1; c < 4; c += 2) {
		memset(ram, (int)(0x10 + c), sizeof(ram));
		ctl_put64(ram, 0xfeedf00d00000000ull | c);
		uint8_t head[8];
		ctl_put64(head, ram_gpa + c * DUMP_FRAME_RAM_CHUNK);
		size_t k = dump_frame_encode(wire + off, sizeof(wire) - off, DUMP_FRAME_RAM, seq,
		                             head, 8, ram, sizeof(ram));
		if ((int)seq++ != skip_seq)
			off += k;
	}
	uint8_t e[8];
	ctl_put32(e, status);
	ctl_put32(e + 4, end_frames < 0 ? 2u : (uint32_t)end_frames);
	off +=
	    dump_frame_encode(wire + off, sizeof(wire) - off, DUMP_FRAME_END, seq, e, 8, NULL, 0);
	return off;
}

static unsigned files_in_dir(void)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	unsigned n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void feed_dump(struct dump_recv *r, size_t n)
{
	/* In uneven pieces, as a socket delivers them. */
	for (size_t off = 0; off < n;) {
		size_t k = n - off < 777 ? n - off : 777;
		dump_recv_feed(r, wire + off, k);
		off += k;
	}
}

static void test_receiver_writes_cores(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fvhdXXXXXX");
	assert_non_null(mkdtemp(dir));
	FILE *log = fmemopen(logbuf, sizeof(logbuf), "w");
	struct dump_recv r;
	dump_recv_init(&r, dir, log);
	feed_dump(&r, make_dump("crashy", -1, -1, DUMP_END_OK, RAM_GPA));
	feed_dump(&r, make_dump("crashy", -1, -1, DUMP_END_OK, RAM_GPA));
	assert_int_equal(r.written, 2);
	char path[128];
	snprintf(path, sizeof(path), "%s/crashy-2.core", dir);
	assert_string_equal(r.last_path, path);
	/* The core: RAM at its offset (the one PT_LOAD), zero chunks as zeros. */
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t core[1 << 20];
	size_t len = fread(core, 1, sizeof(core), f);
	fclose(f);
	assert_true(len > RAM_SIZE);
	assert_memory_equal(core, "\177ELF", 4);
	uint64_t phoff = ctl_get64(core + 32);
	uint8_t *load = core + phoff + 56; /* after PT_NOTE */
	assert_int_equal(ctl_get32(load), 1);
	assert_int_equal(ctl_get64(load + 16), RAM_GPA);
	uint64_t off = ctl_get64(load + 8);
	assert_int_equal(ctl_get64(core + off + DUMP_FRAME_RAM_CHUNK), 0xfeedf00d00000001ull);
	assert_int_equal(core[off + 2 * DUMP_FRAME_RAM_CHUNK + 9], 0);
	assert_int_equal(ctl_get64(core + off + 3 * DUMP_FRAME_RAM_CHUNK), 0xfeedf00d00000003ull);
	assert_int_equal(core[off + 3 * DUMP_FRAME_RAM_CHUNK + 9], 0x13);
	/* The pc of the vCPU in its NT_PRSTATUS (pr_reg at 112 of the descriptor). */
	uint8_t *note = core + ctl_get64(core + phoff + 8);
	note += 12 + 8 + 136; /* NT_PRPSINFO: header, "CORE\0" padded, descriptor */
	assert_int_equal(ctl_get32(note + 8), 1);
	assert_int_equal(ctl_get64(note + 20 + 112), 0x80001234);
	fflush(log);
	assert_non_null(strstr(logbuf, "written to"));
	assert_non_null(strstr(logbuf, "system failure"));

	/* Broken dumps: nothing written, each said why. */
	feed_dump(&r, make_dump("crashy", 1, -1, DUMP_END_OK, RAM_GPA)); /* a frame lost */
	feed_dump(&r, make_dump("crashy", -1, 3, DUMP_END_OK, RAM_GPA)); /* count mismatch */
	feed_dump(&r, make_dump("crashy", -1, -1, DUMP_END_ABORTED, RAM_GPA));
	feed_dump(&r, make_dump("crashy", -1, -1, DUMP_END_OK, 0x10000000)); /* outside RAM */
	size_t n = make_dump("crashy", -1, -1, DUMP_END_OK, RAM_GPA);
	dump_recv_feed(&r, wire, n - 30); /* the channel closes during the dump */
	dump_recv_finish(&r);
	assert_int_equal(r.written, 2);
	assert_int_equal(r.dropped, 5);
	assert_int_equal(files_in_dir(), 2);
	fflush(log);
	assert_non_null(strstr(logbuf, "frames lost in transit"));
	assert_non_null(strstr(logbuf, "RAM frames missing"));
	assert_non_null(strstr(logbuf, "abandoned"));
	assert_non_null(strstr(logbuf, "outside the VM's RAM"));
	assert_non_null(strstr(logbuf, "channel closed"));

	/* A name that would leave the directory is not used as a file name. */
	dump_recv_init(&r, dir, log);
	feed_dump(&r, make_dump("../evil", -1, -1, DUMP_END_OK, RAM_GPA));
	assert_int_equal(r.written, 1);
	snprintf(path, sizeof(path), "%s/vm-1.core", dir);
	assert_string_equal(r.last_path, path);
	dump_recv_finish(&r);
	fclose(log);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_and_stuffing),
	    cmocka_unit_test(test_guest_cannot_forge_frames),
	    cmocka_unit_test(test_damage_detected),
	    cmocka_unit_test(test_receiver_writes_cores),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
