/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the profiler's per-CPU sample buffers and the
 * PROF_READ encoding (hyp/core/prof_buf.c): append, full buffer drops,
 * chunked reads across CPU buffers, depth clamping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ctl_proto.h"
#include "core/prof_buf.h"

static struct prof_buf *new_buf(void)
{
	struct prof_buf *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	prof_buf_reset(b);
	return b;
}

static struct prof_sample sample(uint64_t pc, unsigned depth)
{
	struct prof_sample s;
	memset(&s, 0, sizeof(s));
	s.pc = pc;
	s.vcpu = 1;
	s.cpu = 3;
	s.depth = (uint8_t)depth;
	for (unsigned i = 0; i < PROF_DEPTH; i++)
		s.ra[i] = pc + 0x100 * (i + 1);
	return s;
}

static void test_push_and_drop(void **state)
{
	(void)state;
	struct prof_buf *b = new_buf();
	struct prof_sample s = sample(0x1000, 2);
	for (unsigned i = 0; i < PROF_CPU_SAMPLES; i++)
		assert_true(prof_buf_push(b, &s));
	assert_false(prof_buf_push(b, &s));
	assert_false(prof_buf_push(b, &s));
	assert_int_equal(b->count, PROF_CPU_SAMPLES);
	assert_int_equal(b->dropped, 2);
	prof_buf_reset(b);
	assert_int_equal(b->count, 0);
	assert_int_equal(b->dropped, 0);
	free(b);
}

static void test_encode_chunks(void **state)
{
	(void)state;
	struct prof_buf *a = new_buf(), *b = new_buf();
	for (unsigned i = 0; i < 3; i++) {
		struct prof_sample s = sample(0xa000 + i, i);
		prof_buf_push(a, &s);
	}
	for (unsigned i = 0; i < 2; i++) {
		struct prof_sample s = sample(0xb000 + i, PROF_DEPTH);
		s.flags = PROF_F_HYP;
		s.vcpu = 0xffffffffu;
		prof_buf_push(b, &s);
	}
	const struct prof_buf *bufs[2] = {a, b};
	/* Room for exactly two samples per chunk. */
	uint8_t out[PROF_WIRE_HDR + 2 * PROF_WIRE_SAMPLE + 5];
	uint64_t seen[5];
	uint32_t off = 0;
	while (off < 5) {
		uint32_t len = prof_buf_encode(bufs, 2, off, out, sizeof(out));
		assert_int_equal(ctl_get32(out), 5);
		assert_int_equal(ctl_get32(out + 4), off);
		uint32_t n = ctl_get32(out + 8);
		assert_int_equal(len, PROF_WIRE_HDR + n * PROF_WIRE_SAMPLE);
		assert_true(n >= 1 && n <= 2);
		for (uint32_t k = 0; k < n; k++)
			seen[off + k] = ctl_get64(out + PROF_WIRE_HDR + k * PROF_WIRE_SAMPLE);
		off += n;
	}
	assert_int_equal(seen[0], 0xa000);
	assert_int_equal(seen[2], 0xa002);
	assert_int_equal(seen[3], 0xb000);
	assert_int_equal(seen[4], 0xb001);
	/* Sample 2 of a: depth 2, two return addresses, the rest zero. */
	uint32_t len = prof_buf_encode(bufs, 2, 2, out, sizeof(out));
	assert_int_equal(len, PROF_WIRE_HDR + 2 * PROF_WIRE_SAMPLE);
	const uint8_t *p = out + PROF_WIRE_HDR;
	assert_int_equal(ctl_get32(p + 8), 1);
	assert_int_equal(p[12], 0);
	assert_int_equal(p[13], 2);
	assert_int_equal(ctl_get16(p + 14), 3);
	assert_int_equal(ctl_get64(p + 16), 0xa002 + 0x100);
	assert_int_equal(ctl_get64(p + 24), 0xa002 + 0x200);
	assert_int_equal(ctl_get64(p + 32), 0);
	/* The next one is a hypervisor sample with a full chain. */
	p += PROF_WIRE_SAMPLE;
	assert_int_equal(p[12], PROF_F_HYP);
	assert_int_equal(p[13], PROF_DEPTH);
	assert_int_equal(ctl_get32(p + 8), 0xffffffffu);
	assert_int_equal(ctl_get64(p + 16 + 8 * (PROF_DEPTH - 1)), 0xb000 + 0x100 * PROF_DEPTH);
	/* Past the end: header only; no room for the header: nothing. */
	assert_int_equal(prof_buf_encode(bufs, 2, 5, out, sizeof(out)), PROF_WIRE_HDR);
	assert_int_equal(ctl_get32(out + 8), 0);
	assert_int_equal(prof_buf_encode(bufs, 2, 0xffffffffu, out, sizeof(out)), PROF_WIRE_HDR);
	assert_int_equal(prof_buf_encode(bufs, 2, 0, out, PROF_WIRE_HDR - 1), 0);
	/* No buffers at all: an empty profile. */
	assert_int_equal(prof_buf_encode(NULL, 0, 0, out, sizeof(out)), PROF_WIRE_HDR);
	assert_int_equal(ctl_get32(out), 0);
	free(a);
	free(b);
}

static void test_depth_clamped(void **state)
{
	(void)state;
	struct prof_buf *a = new_buf();
	struct prof_sample s = sample(0x2000, 200); /* corrupt depth */
	prof_buf_push(a, &s);
	const struct prof_buf *bufs[1] = {a};
	uint8_t out[PROF_WIRE_HDR + PROF_WIRE_SAMPLE];
	assert_int_equal(prof_buf_encode(bufs, 1, 0, out, sizeof(out)), sizeof(out));
	assert_int_equal(out[PROF_WIRE_HDR + 13], PROF_DEPTH);
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push_and_drop),
	    cmocka_unit_test(test_encode_chunks),
	    cmocka_unit_test(test_depth_clamped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
