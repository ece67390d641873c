/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the snapshot format (hyp/core/snap_fmt.c): a stream
 * generated from a fake VM (RAM with scattered non-zero pages over several
 * chunks, never-touched pages, two images, state sections) parses back into
 * identical RAM, images and sections whatever the piece sizes; zero pages are
 * not stored; every single flipped byte, every truncation and trailing
 * garbage is refused; hand-made streams break each ordering and range rule.
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
#include "core/snap_fmt.h"

#define RAM_GPA  0x80000000ull
#define RAM_SIZE (9ull << 20) /* three chunks, the last one short */
#define NPAGES   (RAM_SIZE / SNAP_PAGE)

static uint8_t *ram;            /* the source VM */
static uint8_t present[NPAGES]; /* 0: never touched (page callback says NULL) */
static uint8_t kernel[10000], initrd[5000];
static uint8_t nz[NPAGES / 8];
static uint8_t post[4096];
static uint32_t post_len, post_sections;
static struct snap_gen gen;
static uint8_t *stream;
static size_t stream_len;

static const uint8_t *gen_page(void *ctx, uint64_t gpa)
{
	(void)ctx;
	assert_true(gpa >= RAM_GPA && gpa < RAM_GPA + RAM_SIZE && gpa % SNAP_PAGE == 0);
	uint64_t p = (gpa - RAM_GPA) / SNAP_PAGE;
	return present[p] ? ram + p * SNAP_PAGE : NULL;
}

static const uint8_t *gen_image(void *ctx, unsigned inst, uint64_t off, uint64_t *n)
{
	(void)ctx;
	const uint8_t *img = inst ? initrd : kernel;
	uint64_t len = inst ? sizeof(initrd) : sizeof(kernel);
	assert_true(off < len);
	/* Hand out odd-sized pieces, as staged images in pages would. */
	*n = len - off < 777 ? len - off : 777;
	return img + off;
}

static const struct snap_gen_ops gops = {gen_page, gen_image};

static void add_state(uint16_t type, uint16_t inst, uint32_t len, uint8_t fill)
{
	uint8_t pl[256];
	memset(pl, fill, sizeof(pl));
	size_t n = snap_sect_put(post + post_len, sizeof(post) - post_len, type, inst, pl, len);
	assert_true(n);
	post_len += (uint32_t)n;
	post_sections++;
}

static void make_vm(unsigned nr_vcpus)
{
	free(ram);
	ram = calloc(1, RAM_SIZE);
	memset(present, 0, sizeof(present));
	srand(42);
	for (uint64_t p = 0; p < NPAGES; p++) {
		present[p] = (p % 3) != 0;
		/* Some present pages hold data, some are present but all zero. */
		if (present[p] && rand() % 5 == 0) {
			ram[p * SNAP_PAGE + (uint64_t)rand() % SNAP_PAGE] =
			    (uint8_t)(1 + rand() % 255);
			ram[p * SNAP_PAGE] = (uint8_t)p;
		}
	}
	/* The second chunk (4..8 MiB) holds nothing at all: it is not written. */
	memset(ram + (4ull << 20), 0, 4ull << 20);
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(initrd); i++)
		initrd[i] = (uint8_t)(i * 13 + 5);
	post_len = post_sections = 0;
	/* A file carries its virtio devices' DEVICE sections first (no BIND: that is a
	 * migration stream's). */
	add_state(SNAP_S_DEVICE, 0, 64, 0x55);
	add_state(SNAP_S_VM, 0, 40, 0x11);
	add_state(SNAP_S_VM_ARCH, 0, 16, 0x22);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		add_state(SNAP_S_VCPU, (uint16_t)i, 64, (uint8_t)(0x30 + i));
		add_state(SNAP_S_VCPU_ARCH, (uint16_t)i, 200, (uint8_t)(0x40 + i));
	}
	add_state(SNAP_S_IRQCHIP, 0, 0, 0); /* an empty payload is legal */
}

static void generate(unsigned nr_vcpus, size_t piece)
{
	make_vm(nr_vcpus);
	struct snap_hdr h = {.flags = SNAP_F_RUNNING,
	                     .guest_time = 123456789,
	                     .timebase_hz = 10000000,
	                     .ram_gpa = RAM_GPA,
	                     .ram_size = RAM_SIZE,
	                     .nr_vcpus = nr_vcpus};
	strcpy(h.arch, "riscv64");
	strcpy(h.name, "alpha");
	const char cfg[] = "config bytes";
	uint64_t il[2] = {sizeof(kernel), sizeof(initrd)};
	assert_int_equal(snap_gen_init(&gen, &gops, NULL, &h, cfg, sizeof(cfg), il, post, post_len,
	                               post_sections, nz),
	                 SNAP_OK);
	free(stream);
	stream_len = gen.hdr.total_size;
	stream = malloc(stream_len + 1);
	size_t got = 0, n;
	while ((n = snap_gen_read(&gen, stream + got, piece)) > 0) {
		got += n;
		assert_true(got <= stream_len);
	}
	assert_int_equal(got, stream_len);
	assert_int_equal(snap_gen_read(&gen, stream, 100), 0);
}

/* --- consumer that rebuilds the VM ------------------------------------------------------------ */

static struct {
	uint8_t *ram;
	uint8_t kernel[sizeof(kernel)], initrd[sizeof(initrd)];
	uint64_t image_len[2];
	unsigned sections[SNAP_S_TYPES];
	uint8_t cfg[64];
	uint32_t cfg_len;
	bool ended;
	struct snap_hdr hdr;
	int refuse_type; /* the consumer refuses this section type */
} out;

static int c_header(void *ctx, const struct snap_hdr *h)
{
	(void)ctx;
	out.hdr = *h;
	return 0;
}

static int c_section(void *ctx, uint16_t type, uint16_t inst, const uint8_t *p, uint32_t len)
{
	(void)ctx;
	(void)inst;
	assert_true(type < SNAP_S_TYPES && len <= SNAP_SMALL_MAX);
	if (type == out.refuse_type)
		return 1;
	out.sections[type]++;
	if (type == SNAP_S_CONFIG) {
		assert_true(len <= sizeof(out.cfg));
		memcpy(out.cfg, p, len);
		out.cfg_len = len;
	}
	return 0;
}

static int c_image_begin(void *ctx, unsigned inst, uint64_t len)
{
	(void)ctx;
	assert_true(inst < 2);
	out.image_len[inst] = len;
	return len > (inst ? sizeof(out.initrd) : sizeof(out.kernel));
}

static int c_image(void *ctx, unsigned inst, uint64_t off, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	assert_true(off + n <= out.image_len[inst]);
	memcpy((inst ? out.initrd : out.kernel) + off, p, n);
	return 0;
}

static int c_ram(void *ctx, uint64_t gpa, const uint8_t *p, uint32_t n)
{
	(void)ctx;
	assert_true(gpa >= RAM_GPA && gpa + n <= RAM_GPA + RAM_SIZE);
	assert_true(gpa / SNAP_PAGE == (gpa + n - 1) / SNAP_PAGE); /* inside one page */
	memcpy(out.ram + (gpa - RAM_GPA), p, n);
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
	int refuse = out.refuse_type;
	uint8_t *r = out.ram ? out.ram : calloc(1, RAM_SIZE);
	memset(&out, 0, sizeof(out));
	out.refuse_type = refuse;
	out.ram = r;
	snap_rd_init(&rd, &rops, NULL, "riscv64");
	for (size_t off = 0; off < n; off += piece) {
		size_t k = n - off < piece ? n - off : piece;
		int err = snap_rd_push(&rd, s + off, k);
		if (err)
			return err;
	}
	return snap_rd_finish(&rd);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const size_t pieces[] = {1, 7, 4096, 1 << 20};
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		generate(2, pieces[i]);
		for (size_t j = 0; j < sizeof(pieces) / sizeof(pieces[0]); j++) {
			if (pieces[i] == 1 && pieces[j] == 1)
				continue; /* one byte at a time both ways once is enough (below) */
			if (out.ram)
				memset(out.ram, 0, RAM_SIZE);
			assert_int_equal(parse(stream, stream_len, pieces[j]), SNAP_OK);
			assert_true(out.ended);
			assert_memory_equal(out.ram, ram, RAM_SIZE);
			assert_memory_equal(out.kernel, kernel, sizeof(kernel));
			assert_memory_equal(out.initrd, initrd, sizeof(initrd));
			assert_int_equal(out.sections[SNAP_S_VCPU], 2);
			assert_int_equal(out.sections[SNAP_S_VCPU_ARCH], 2);
			assert_int_equal(out.sections[SNAP_S_IRQCHIP], 1);
			assert_int_equal(out.sections[SNAP_S_DEVICE], 1);
			assert_int_equal(out.cfg_len, sizeof("config bytes"));
			assert_string_equal((char *)out.cfg, "config bytes");
			assert_string_equal(out.hdr.name, "alpha");
			assert_int_equal(out.hdr.guest_time, 123456789);
			assert_int_equal(out.hdr.flags, SNAP_F_RUNNING);
		}
	}
}

static void test_zero_pages_elided(void **state)
{
	(void)state;
	generate(1, 4096);
	uint64_t nonzero = 0;
	for (uint64_t p = 0; p < NPAGES; p++) {
		bool z = true;
		for (unsigned i = 0; i < SNAP_PAGE && z; i++)
			z = ram[p * SNAP_PAGE + i] == 0;
		nonzero += !z;
	}
	/* Exactly the non-zero pages' bytes plus bounded overhead are stored. */
	assert_true(nonzero > 0 && nonzero < NPAGES / 2);
	assert_true(stream_len >= nonzero * SNAP_PAGE);
	assert_true(stream_len < nonzero * SNAP_PAGE + sizeof(kernel) + sizeof(initrd) + 8192);
	/* Two RAM sections: the all-zero middle chunk is left out. */
	assert_int_equal(gen.hdr.nr_sections, 1 + 2 + post_sections + 2 + 1);
}

static void test_every_flipped_byte_refused(void **state)
{
	(void)state;
	generate(1, 8176);
	uint8_t *copy = malloc(stream_len);
	/* Every byte of the header and of the state sections, then a stride through RAM. */
	for (size_t i = 0; i < stream_len; i += (i < 20000 ? 1 : 4001)) {
		memcpy(copy, stream, stream_len);
		copy[i] ^= 0x40;
		int err = parse(copy, stream_len, 8176);
		assert_int_not_equal(err, SNAP_OK);
		assert_false(out.ended);
	}
	free(copy);
}

static void test_truncated_and_trailing(void **state)
{
	(void)state;
	generate(1, 8176);
	for (size_t n = 0; n < stream_len; n += (n < 2000 || n > stream_len - 2000 ? 1 : 501)) {
		int err = parse(stream, n, 4096);
		assert_int_not_equal(err, SNAP_OK);
		assert_false(out.ended);
	}
	uint8_t *longer = malloc(stream_len + 1);
	memcpy(longer, stream, stream_len);
	longer[stream_len] = 0;
	assert_int_equal(parse(longer, stream_len + 1, 4096), SNAP_E_TRAILING);
	free(longer);
}

static void test_consumer_refusal_stops(void **state)
{
	(void)state;
	generate(1, 8176);
	out.refuse_type = SNAP_S_VCPU;
	assert_int_equal(parse(stream, stream_len, 100), SNAP_E_CONSUMER);
	assert_false(out.ended);
	/* Sticky: more bytes do not revive it. */
	assert_int_equal(snap_rd_push(&rd, stream, 10), SNAP_E_CONSUMER);
	out.refuse_type = 0;
}

/* --- hand-made streams ------------------------------------------------------------------------ */

static uint8_t hm[1 << 16];
static size_t hm_len;
static struct snap_hdr hm_hdr;

static void hm_start(unsigned nr_vcpus)
{
	memset(&hm_hdr, 0, sizeof(hm_hdr));
	hm_hdr.version = SNAP_VERSION;
	strcpy(hm_hdr.arch, "riscv64");
	strcpy(hm_hdr.name, "x");
	hm_hdr.timebase_hz = 10000000;
	hm_hdr.ram_gpa = RAM_GPA;
	hm_hdr.ram_size = 1 << 20;
	hm_hdr.nr_vcpus = nr_vcpus;
	hm_len = SNAP_HDR_SIZE;
}

static void hm_sect(uint16_t type, uint16_t inst, const void *p, uint32_t len)
{
	hm_len += snap_sect_put(hm + hm_len, sizeof(hm) - hm_len, type, inst, p, len);
}

static void hm_ram(uint64_t gpa, uint32_t npages, uint8_t bm0)
{
	uint8_t pl[SNAP_RAM_HEAD + 1 + SNAP_PAGE];
	memset(pl, 0, sizeof(pl));
	ctl_put64(pl, gpa);
	ctl_put32(pl + 8, npages);
	pl[SNAP_RAM_HEAD] = bm0;
	pl[SNAP_RAM_HEAD + 1] = 0x5a;
	/* snap_sect_put limits payloads to SNAP_SMALL_MAX: fine for one page. */
	hm_sect(SNAP_S_RAM, 0, pl, sizeof(pl));
}

static int hm_finish(void)
{
	hm_sect(SNAP_S_END, 0, NULL, 0);
	hm_hdr.total_size = hm_len;
	hm_hdr.nr_sections = 0;
	/* Count the sections by walking them. */
	for (size_t off = SNAP_HDR_SIZE; off < hm_len;
	     off += SNAP_SECT_HDR + ctl_get64(hm + off + 8) + SNAP_SECT_CRC)
		hm_hdr.nr_sections++;
	snap_hdr_put(hm, &hm_hdr);
	return parse(hm, hm_len, 13);
}

static void hm_minimal(unsigned nr_vcpus)
{
	hm_start(nr_vcpus);
	hm_sect(SNAP_S_CONFIG, 0, "c", 1);
	hm_sect(SNAP_S_IMAGE, 0, "k", 1);
	hm_sect(SNAP_S_VM, 0, "v", 1);
	hm_sect(SNAP_S_VM_ARCH, 0, "a", 1);
	for (unsigned i = 0; i < nr_vcpus; i++) {
		hm_sect(SNAP_S_VCPU, (uint16_t)i, "c", 1);
		hm_sect(SNAP_S_VCPU_ARCH, (uint16_t)i, "r", 1);
	}
}

static void test_rules(void **state)
{
	(void)state;
	hm_minimal(1);
	assert_int_equal(hm_finish(), SNAP_OK);
	/* One RAM chunk inside RAM; a second one overlapping it; one past the end. */
	hm_minimal(1);
	hm_ram(RAM_GPA + 8 * SNAP_PAGE, 8, 0x01);
	assert_int_equal(hm_finish(), SNAP_OK);
	assert_int_equal(out.ram[8 * SNAP_PAGE], 0x5a);
	hm_minimal(1);
	hm_ram(RAM_GPA + 8 * SNAP_PAGE, 8, 0x01);
	hm_ram(RAM_GPA + 15 * SNAP_PAGE, 8, 0x01);
	assert_int_equal(hm_finish(), SNAP_E_RANGE);
	hm_minimal(1);
	hm_ram(RAM_GPA + 255 * SNAP_PAGE, 2, 0x01);
	assert_int_equal(hm_finish(), SNAP_E_RANGE);
	hm_minimal(1);
	hm_ram(RAM_GPA - SNAP_PAGE, 1, 0x01);
	assert_int_equal(hm_finish(), SNAP_E_RANGE);
	hm_minimal(1);
	hm_ram(0xfffffffffffff000ull, 8, 0x01);
	assert_int_equal(hm_finish(), SNAP_E_RANGE);
	/* Bitmap bits past the chunk, or a count that disagrees with the length. */
	hm_minimal(1);
	hm_ram(RAM_GPA, 4, 0x10);
	assert_int_equal(hm_finish(), SNAP_E_FIELD);
	hm_minimal(1);
	hm_ram(RAM_GPA, 8, 0x03);
	assert_int_equal(hm_finish(), SNAP_E_LENGTH);
	hm_minimal(1);
	hm_ram(RAM_GPA, SNAP_CHUNK_PAGES + 1, 0x01);
	assert_int_equal(hm_finish(), SNAP_E_FIELD);
	/* A vCPU index past nr_vcpus; a section twice; a missing vCPU. */
	hm_minimal(1);
	hm_sect(SNAP_S_VCPU, 1, "c", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	hm_minimal(1);
	hm_sect(SNAP_S_VM, 0, "v", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	hm_minimal(1);
	hm_hdr.nr_vcpus = 2;
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	/* State after RAM; CONFIG not first; no kernel image; unknown type. */
	hm_minimal(1);
	hm_ram(RAM_GPA, 8, 0x01);
	hm_sect(SNAP_S_RTC, 0, "r", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	hm_start(1);
	hm_sect(SNAP_S_IMAGE, 0, "k", 1);
	hm_sect(SNAP_S_CONFIG, 0, "c", 1);
	hm_sect(SNAP_S_VM, 0, "v", 1);
	hm_sect(SNAP_S_VM_ARCH, 0, "a", 1);
	hm_sect(SNAP_S_VCPU, 0, "c", 1);
	hm_sect(SNAP_S_VCPU_ARCH, 0, "r", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	hm_start(1);
	hm_sect(SNAP_S_CONFIG, 0, "c", 1);
	hm_sect(SNAP_S_VM, 0, "v", 1);
	hm_sect(SNAP_S_VM_ARCH, 0, "a", 1);
	hm_sect(SNAP_S_VCPU, 0, "c", 1);
	hm_sect(SNAP_S_VCPU_ARCH, 0, "r", 1);
	hm_sect(SNAP_S_RTC, 0, "t", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	hm_minimal(1);
	hm_sect(0x77, 0, "?", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	/* A migration's BIND section has no place in a file, not even right after the images. */
	hm_start(1);
	hm_sect(SNAP_S_CONFIG, 0, "c", 1);
	hm_sect(SNAP_S_IMAGE, 0, "k", 1);
	hm_sect(SNAP_S_BIND, 0, "b", 1);
	hm_sect(SNAP_S_VM, 0, "v", 1);
	hm_sect(SNAP_S_VM_ARCH, 0, "a", 1);
	hm_sect(SNAP_S_VCPU, 0, "c", 1);
	hm_sect(SNAP_S_VCPU_ARCH, 0, "r", 1);
	assert_int_equal(hm_finish(), SNAP_E_ORDER);
	/* A section announcing more bytes than the file has. */
	hm_minimal(1);
	hm_len += snap_sect_put(hm + hm_len, sizeof(hm) - hm_len, SNAP_S_RTC, 0, "r", 1);
	ctl_put64(hm + hm_len - 13, 1ull << 40);
	assert_int_equal(hm_finish(), SNAP_E_SIZE);
}

static void test_header_checks(void **state)
{
	(void)state;
	hm_minimal(1);
	assert_int_equal(hm_finish(), SNAP_OK);
	uint8_t saved[SNAP_HDR_SIZE];
	memcpy(saved, hm, SNAP_HDR_SIZE);
	struct snap_hdr h;
	assert_int_equal(snap_hdr_get(saved, &h, "riscv64"), SNAP_OK);
	assert_int_equal(snap_hdr_get(saved, &h, "arm64"), SNAP_E_ARCH);
	saved[0] = 'X';
	assert_int_equal(snap_hdr_get(saved, &h, "riscv64"), SNAP_E_MAGIC);
	saved[0] = 'F';
	saved[100] ^= 1;
	assert_int_equal(snap_hdr_get(saved, &h, "riscv64"), SNAP_E_HDR_CRC);
	/* Re-signed bad values: version, vCPUs, RAM size, unknown flag, name. */
	struct snap_hdr good = hm_hdr;
	uint8_t b[SNAP_HDR_SIZE];
	good.version = 2;
	snap_hdr_put(b, &good);
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_VERSION);
	good = hm_hdr;
	good.nr_vcpus = 65;
	snap_hdr_put(b, &good);
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_FIELD);
	good = hm_hdr;
	good.ram_size = 4095;
	snap_hdr_put(b, &good);
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_FIELD);
	good = hm_hdr;
	good.ram_gpa = 0xfffffffffff00000ull;
	snap_hdr_put(b, &good);
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_FIELD);
	good = hm_hdr;
	good.flags = 0x80;
	snap_hdr_put(b, &good);
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_FIELD);
	good = hm_hdr;
	snap_hdr_put(b, &good);
	b[32 + 5] = 'z'; /* a byte after the name's NUL */
	ctl_put32(b + 124, ctl_crc32c(0, b, 124));
	assert_int_equal(snap_hdr_get(b, &h, "riscv64"), SNAP_E_FIELD);
	assert_string_equal(snap_err_name(SNAP_E_CRC), "E_CRC");
	assert_string_equal(snap_err_name(99), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_zero_pages_elided),
	    cmocka_unit_test(test_every_flipped_byte_refused),
	    cmocka_unit_test(test_truncated_and_trailing),
	    cmocka_unit_test(test_consumer_refusal_stops),
	    cmocka_unit_test(test_rules),
	    cmocka_unit_test(test_header_checks),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(ram);
	free(stream);
	free(out.ram);
	return rc;
}
