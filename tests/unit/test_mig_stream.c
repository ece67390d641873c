/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for live migration's pure parts: the dirty-page bitmap
 * (hyp/core/dirty_bm.c: windows taken and cleared, bounds refused, runs) and
 * the migration stream of hyp/core/snap_fmt.c (a first segment, pre-copy
 * rounds that send pages again, zero pages included, and a final segment with
 * the state sections and the guest time in END): parsed back in any piece
 * size it rebuilds the source's last RAM; a truncated stream, flipped bytes,
 * a migration header claiming a size and a round opened before the previous
 * one was read are refused. Device bindings: BIND sections end the first
 * segment and reach the consumer before any RAM; a DEVICE section without its
 * BIND, a BIND without its DEVICE and a BIND after RAM are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/ctl_proto.h"
#include "core/dirty_bm.h"
#include "core/snap_fmt.h"

/* --- dirty bitmap ---------------------------------------------------------------------------- */

static void test_bm_take_window(void **state)
{
	(void)state;
	uint64_t live[4] = {0}, out[4];
	const uint64_t total = 200;
	uint64_t pages[] = {0, 1, 63, 64, 100, 127, 128, 199};
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		dirty_bm_set(live, pages[i]);
	assert_int_equal(dirty_bm_count(live, total), 8);
	/* An unaligned window: pages 63..128 -> bits 0, 1, 37, 64, 65 of out. */
	assert_int_equal(dirty_bm_take(live, out, 63, 66, total), 5);
	assert_true(dirty_bm_test(out, 0) && dirty_bm_test(out, 1) && dirty_bm_test(out, 37));
	assert_true(dirty_bm_test(out, 64) && dirty_bm_test(out, 65));
	assert_int_equal(dirty_bm_count(out, 66), 5);
	/* Taken means cleared; the rest is untouched. */
	assert_int_equal(dirty_bm_count(live, total), 3);
	assert_true(dirty_bm_test(live, 0) && dirty_bm_test(live, 1) && dirty_bm_test(live, 199));
	assert_int_equal(dirty_bm_take(live, out, 63, 66, total), 0);
	/* The whole map, aligned words included. */
	assert_int_equal(dirty_bm_take(live, out, 0, total, total), 3);
	assert_int_equal(dirty_bm_count(live, total), 0);
}

static void test_bm_take_bounds(void **state)
{
	(void)state;
	uint64_t live[2] = {~0ull, ~0ull}, out[2] = {7, 7};
	assert_int_equal(dirty_bm_take(live, out, 0, 0, 100), UINT64_MAX);
	assert_int_equal(dirty_bm_take(live, out, 100, 1, 100), UINT64_MAX);
	assert_int_equal(dirty_bm_take(live, out, 99, 2, 100), UINT64_MAX);
	assert_int_equal(dirty_bm_take(live, out, 1, UINT64_MAX, 100), UINT64_MAX);
	assert_int_equal(dirty_bm_take(live, out, UINT64_MAX, 2, 100), UINT64_MAX);
	/* Nothing changed by a refused window. */
	assert_true(live[0] == ~0ull && live[1] == ~0ull && out[0] == 7);
	assert_int_equal(dirty_bm_take(live, out, 99, 1, 100), 1);
	assert_false(dirty_bm_test(live, 99));
	assert_true(dirty_bm_test(live, 98) && dirty_bm_test(live, 100));
}

static void test_bm_runs(void **state)
{
	(void)state;
	uint64_t bm[3] = {0}, len;
	for (uint64_t p = 60; p < 70; p++)
		dirty_bm_set(bm, p);
	dirty_bm_set(bm, 150);
	assert_int_equal(dirty_bm_next_run(bm, 0, 192, &len), 60);
	assert_int_equal(len, 10);
	assert_int_equal(dirty_bm_next_run(bm, 65, 192, &len), 65);
	assert_int_equal(len, 5);
	assert_int_equal(dirty_bm_next_run(bm, 70, 192, &len), 150);
	assert_int_equal(len, 1);
	assert_int_equal(dirty_bm_next_run(bm, 151, 192, &len), 192);
	assert_int_equal(len, 0);
	/* The end bounds a run. */
	assert_int_equal(dirty_bm_next_run(bm, 0, 64, &len), 60);
	assert_int_equal(len, 4);
}

static void test_bm_set_range(void **state)
{
	(void)state;
	uint64_t bm[4] = {0};
	dirty_bm_set_range(bm, 5, 5);
	assert_int_equal(dirty_bm_count(bm, 256), 1);
	/* Across word boundaries, a whole word in the middle. */
	dirty_bm_set_range(bm, 60, 200);
	assert_int_equal(dirty_bm_count(bm, 256), 1 + 141);
	assert_true(bm[1] == ~0ull && dirty_bm_test(bm, 60) && dirty_bm_test(bm, 200));
	assert_false(dirty_bm_test(bm, 59) || dirty_bm_test(bm, 201));
	/* The last page of the map. */
	dirty_bm_set_range(bm, 255, 255);
	assert_true(dirty_bm_test(bm, 255));
	assert_int_equal(dirty_bm_count(bm, 256), 143);
}

/* --- migration stream ------------------------------------------------------------------------ */

#define RAM_GPA  0x80000000ull
#define RAM_SIZE (6ull << 20) /* two chunks, the last one short */
#define NPAGES   (RAM_SIZE / SNAP_PAGE)

static uint8_t *ram;
static uint8_t kernel[9000];
static uint8_t nz[NPAGES / 8];
static uint8_t post[4096];
static uint32_t post_len;
static uint8_t bind[4096];
static uint32_t bind_len;
/* Shape of the next migrate(): BIND sections 0..nbind-1 at the start, DEVICE j in the final
 * state for each bit j of dev_mask, a stray BIND 7 in the final state. */
static struct {
	unsigned nbind;
	uint32_t dev_mask;
	bool late_bind;
} shape;
static struct snap_gen gen;
static uint8_t *stream;
static size_t stream_len, stream_cap;

static const uint8_t *gen_page(void *ctx, uint64_t gpa)
{
	(void)ctx;
	assert_true(gpa >= RAM_GPA && gpa < RAM_GPA + RAM_SIZE && gpa % SNAP_PAGE == 0);
	return ram + (gpa - RAM_GPA);
}

static const uint8_t *gen_image(void *ctx, unsigned inst, uint64_t off, uint64_t *n)
{
	(void)ctx;
	assert_int_equal(inst, 0);
	*n = sizeof(kernel) - off;
	return kernel + off;
}

static const struct snap_gen_ops gops = {gen_page, gen_image};

static void add_state(uint16_t type, uint16_t inst, uint32_t len)
{
	uint8_t pl[512];
	memset(pl, 0x5a, sizeof(pl));
	post_len +=
	    (uint32_t)snap_sect_put(post + post_len, sizeof(post) - post_len, type, inst, pl, len);
}

static void add_bind(uint16_t inst)
{
	uint8_t pl[512];
	memset(pl, 0, sizeof(pl));
	pl[0] = 1;
	pl[8] = (uint8_t)(0x40 + inst);
	bind_len += (uint32_t)snap_sect_put(bind + bind_len, sizeof(bind) - bind_len, SNAP_S_BIND,
	                                    inst, pl, sizeof(pl));
}

/* Read the open segment to its end into the stream buffer; returns its bytes. */
static size_t read_segment(size_t piece)
{
	size_t got = 0, n;
	for (;;) {
		if (stream_len + piece > stream_cap) {
			stream_cap = (stream_cap + piece) * 2;
			stream = realloc(stream, stream_cap);
		}
		n = snap_gen_read(&gen, stream + stream_len, piece);
		if (!n)
			break;
		stream_len += n;
		got += n;
	}
	return got;
}

static void set_round(const uint64_t *pages, size_t n)
{
	memset(nz, 0, sizeof(nz));
	for (size_t i = 0; i < n; i++)
		nz[pages[i] / 8] |= (uint8_t)(1u << (pages[i] % 8));
}

/* A migration: RAM changes between rounds, a page becomes zero again; *final_ram is the
 * source's RAM at the final pause. */
static void migrate(size_t piece, uint8_t **final_ram)
{
	free(ram);
	ram = calloc(1, RAM_SIZE);
	for (uint64_t p = 0; p < NPAGES; p += 7)
		ram[p * SNAP_PAGE + p % SNAP_PAGE] = (uint8_t)(p | 1);
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 3 + 1);
	post_len = 0;
	bind_len = 0;
	for (unsigned j = 0; j < shape.nbind; j++)
		add_bind((uint16_t)j);
	for (unsigned j = 0; j < 8; j++)
		if (shape.dev_mask & (1u << j))
			add_state(SNAP_S_DEVICE, (uint16_t)j, 512);
	if (shape.late_bind)
		add_state(SNAP_S_BIND, 7, 512);
	add_state(SNAP_S_VM, 0, 24);
	add_state(SNAP_S_VM_ARCH, 0, 8);
	add_state(SNAP_S_VCPU, 0, 32);
	add_state(SNAP_S_VCPU_ARCH, 0, 40);
	struct snap_hdr h = {.guest_time = 5,
	                     .timebase_hz = 10000000,
	                     .ram_gpa = RAM_GPA,
	                     .ram_size = RAM_SIZE,
	                     .nr_vcpus = 1};
	strcpy(h.arch, "riscv64");
	strcpy(h.name, "mover");
	uint64_t il[2] = {sizeof(kernel), 0};
	stream_len = 0;
	assert_int_equal(snap_gen_mig_init(&gen, &gops, NULL, &h, "cfg", 3, il, bind, bind_len, nz),
	                 SNAP_OK);
	uint64_t pre = snap_gen_mig_pre_bytes(&gen);
	assert_int_equal(read_segment(piece), pre);
	/* The first segment ends with the BIND sections, byte for byte. */
	assert_memory_equal(stream + pre - bind_len, bind, bind_len);
	/* Round 0: every non-zero page. */
	uint64_t r0[NPAGES];
	size_t n0 = 0;
	for (uint64_t p = 0; p < NPAGES; p += 7)
		r0[n0++] = p;
	set_round(r0, n0);
	uint64_t b = snap_gen_mig_round(&gen, NULL, 0, false);
	assert_int_equal(read_segment(piece), b);
	/* Round 1: pages written meanwhile, one of them zeroed, one new. */
	uint64_t r1[] = {7, 14, 1000, 1535};
	ram[7 * SNAP_PAGE + 7] = 0;
	ram[14 * SNAP_PAGE + 100] = 0xee;
	ram[1000 * SNAP_PAGE + 4095] = 0x42;
	ram[1535 * SNAP_PAGE] = 0x17;
	set_round(r1, 4);
	b = snap_gen_mig_round(&gen, NULL, 0, false);
	/* Not finished: the next round is refused. */
	assert_int_equal(snap_gen_mig_round(&gen, NULL, 0, false), UINT64_MAX);
	assert_int_equal(read_segment(piece), b);
	/* An empty round is legal and has no bytes. */
	set_round(NULL, 0);
	assert_int_equal(snap_gen_mig_round(&gen, NULL, 0, false), 0);
	assert_int_equal(read_segment(piece), 0);
	/* Final: state, last pages, END with the guest time. */
	uint64_t r2[] = {14, 700};
	ram[14 * SNAP_PAGE + 101] = 0xef;
	ram[700 * SNAP_PAGE + 1] = 0x99;
	set_round(r2, 2);
	gen.hdr.guest_time = 0x1122334455667788ull;
	b = snap_gen_mig_round(&gen, post, post_len, true);
	assert_int_equal(read_segment(piece), b);
	assert_int_equal(snap_gen_mig_round(&gen, NULL, 0, false), UINT64_MAX);
	*final_ram = ram;
}

static struct {
	uint8_t *ram;
	uint64_t guest_time;
	unsigned states;
	uint32_t binds, devices; /* bit j: BIND j / DEVICE j handed over */
	bool ram_before_bind, ended, mig;
	bool ram_seen;
} out;

static int c_header(void *ctx, const struct snap_hdr *h)
{
	(void)ctx;
	out.mig = h->flags & SNAP_F_MIGRATION;
	return 0;
}

static int c_section(void *ctx, uint16_t type, uint16_t inst, const uint8_t *p, uint32_t len)
{
	(void)ctx;
	(void)inst;
	if (type == SNAP_S_END) {
		assert_int_equal(len, SNAP_MIG_END_LEN);
		out.guest_time = ctl_get64(p);
	} else if (type == SNAP_S_BIND) {
		assert_int_equal(len, 512);
		assert_int_equal(p[8], 0x40 + inst);
		out.binds |= 1u << inst;
		out.ram_before_bind |= out.ram_seen;
	} else if (type != SNAP_S_CONFIG) {
		if (type == SNAP_S_DEVICE) {
			/* Its binding came first. */
			assert_true(out.binds & (1u << inst));
			out.devices |= 1u << inst;
		}
		out.states++;
	}
	return 0;
}

static int c_image_begin(void *ctx, unsigned inst, uint64_t len)
{
	(void)ctx;
	return inst != 0 || len != sizeof(kernel);
}

static int c_image(void *ctx, unsigned inst, uint64_t off, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	(void)inst;
	(void)off;
	(void)p;
	(void)n;
	return 0;
}

static int c_ram(void *ctx, uint64_t gpa, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	assert_true(gpa >= RAM_GPA && gpa + n <= RAM_GPA + RAM_SIZE);
	memcpy(out.ram + (gpa - RAM_GPA), p, n);
	out.ram_seen = true;
	return 0;
}

static int c_end(void *ctx)
{
	(void)ctx;
	out.ended = true;
	return 0;
}

static const struct snap_rd_ops rops = {c_header, c_section, c_image_begin, c_image, c_ram, c_end};
static struct snap_rd rd;

static int parse(const uint8_t *s, size_t n, size_t piece)
{
	free(out.ram);
	memset(&out, 0, sizeof(out));
	out.ram = calloc(1, RAM_SIZE);
	snap_rd_init(&rd, &rops, NULL, "riscv64");
	for (size_t off = 0; off < n; off += piece) {
		size_t k = n - off < piece ? n - off : piece;
		int err = snap_rd_push(&rd, s + off, k);
		if (err)
			return err;
	}
	return snap_rd_finish(&rd);
}

static void test_mig_round_trip(void **state)
{
	(void)state;
	static const size_t pieces[] = {1, 13, 4096, 8176, 100000};
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		uint8_t *src;
		/* Without devices, and with three bound at the start (odd runs). */
		shape.nbind = (unsigned)(i & 1) * 3;
		shape.dev_mask = (1u << shape.nbind) - 1;
		shape.late_bind = false;
		migrate(pieces[i], &src);
		assert_int_equal(parse(stream, stream_len, pieces[(i + 2) % 5]), SNAP_OK);
		assert_true(out.ended && out.mig);
		assert_int_equal(out.states, 4 + shape.nbind);
		assert_int_equal(out.binds, shape.dev_mask);
		assert_int_equal(out.devices, shape.dev_mask);
		assert_false(out.ram_before_bind);
		assert_int_equal(out.guest_time, 0x1122334455667788ull);
		/* The later copy of each page won, the zeroed one included. */
		assert_memory_equal(out.ram, src, RAM_SIZE);
	}
}

/* The device bindings' order rules: each device bound once, before any RAM, and its state in
 * the final round. */
static void test_mig_bind_rules(void **state)
{
	(void)state;
	uint8_t *src;
	/* State for a device that was never bound. */
	shape.nbind = 1;
	shape.dev_mask = 3;
	shape.late_bind = false;
	migrate(4096, &src);
	assert_int_equal(parse(stream, stream_len, 4096), SNAP_E_ORDER);
	assert_int_equal(out.binds, 1);
	/* A bound device without its state. */
	shape.nbind = 2;
	shape.dev_mask = 1;
	migrate(4096, &src);
	assert_int_equal(parse(stream, stream_len, 4096), SNAP_E_ORDER);
	assert_false(out.ended);
	/* A BIND after the pre-copy RAM. */
	shape.nbind = 1;
	shape.dev_mask = 1;
	shape.late_bind = true;
	migrate(4096, &src);
	assert_int_equal(parse(stream, stream_len, 4096), SNAP_E_ORDER);
	assert_true(out.ram_seen);
	assert_int_equal(out.binds, 1);
	/* A BIND twice: the first segment's bind section repeated. */
	shape.late_bind = false;
	shape.nbind = 1;
	migrate(4096, &src);
	assert_int_equal(parse(stream, stream_len, 4096), SNAP_OK);
	size_t pre = (size_t)snap_gen_mig_pre_bytes(&gen);
	uint8_t *twice = malloc(stream_len + bind_len);
	memcpy(twice, stream, pre);
	memcpy(twice + pre, bind, bind_len);
	memcpy(twice + pre + bind_len, stream + pre, stream_len - pre);
	assert_int_equal(parse(twice, stream_len + bind_len, 4096), SNAP_E_ORDER);
	free(twice);
}

static void test_mig_refusals(void **state)
{
	(void)state;
	uint8_t *src;
	shape.nbind = 2;
	shape.dev_mask = 3;
	shape.late_bind = false;
	migrate(8176, &src);
	/* Truncated anywhere: never complete. */
	for (size_t cut = 0; cut < stream_len; cut += stream_len / 97 + 1)
		assert_int_not_equal(parse(stream, cut, 4096), SNAP_OK);
	assert_int_equal(parse(stream, stream_len - 1, 4096), SNAP_E_TRUNCATED);
	/* Flipped bytes: header, CONFIG, RAM pages, state sections, END. */
	size_t where[] = {3,
	                  130,
	                  200,
	                  stream_len / 3,
	                  stream_len / 2,
	                  stream_len - 40,
	                  stream_len - 10,
	                  stream_len - 1};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		stream[where[i]] ^= 0x20;
		assert_int_not_equal(parse(stream, stream_len, 999), SNAP_OK);
		stream[where[i]] ^= 0x20;
	}
	assert_int_equal(parse(stream, stream_len, 999), SNAP_OK);
	/* FV_MIG_CORPUS=FILE: this stream as a fuzz input (tests/fuzz/corpus_snap; the first
	 * byte's top bit makes the fuzzer keep it a migration stream). */
	const char *corpus = getenv("FV_MIG_CORPUS");
	if (corpus) {
		FILE *f = fopen(corpus, "wb");
		assert_non_null(f);
		fputc(0x80 | 110, f); /* pieces of 110 * 37 + 1 bytes */
		assert_int_equal(fwrite(stream, 1, stream_len, f), stream_len);
		fclose(f);
	}
	/* Trailing bytes after END. */
	uint8_t *longer = malloc(stream_len + 1);
	memcpy(longer, stream, stream_len);
	longer[stream_len] = 0;
	assert_int_equal(parse(longer, stream_len + 1, 4096), SNAP_E_TRAILING);
	free(longer);
	/* A migration header that claims a size is not one. */
	uint8_t hdr[SNAP_HDR_SIZE];
	struct snap_hdr h;
	memcpy(hdr, stream, SNAP_HDR_SIZE);
	assert_int_equal(snap_hdr_get(hdr, &h, "riscv64"), SNAP_OK);
	ctl_put64(hdr + 64, 4096);
	ctl_put32(hdr + 124, ctl_crc32c(0, hdr, 124));
	assert_int_equal(snap_hdr_get(hdr, &h, "riscv64"), SNAP_E_FIELD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bm_take_window), cmocka_unit_test(test_bm_take_bounds),
	    cmocka_unit_test(test_bm_runs),        cmocka_unit_test(test_bm_set_range),
	    cmocka_unit_test(test_mig_round_trip), cmocka_unit_test(test_mig_refusals),
	    cmocka_unit_test(test_mig_bind_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
