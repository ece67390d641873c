/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the control protocol codec (hyp/core/ctl_proto.c):
 * CRC-32C test vectors, encode/decode round trips, every framing error
 * (garbage, bad CRC, oversized, truncated, unknown type, bad flags and
 * version, bad lengths), resynchronisation after garbage, byte-at-a-time
 * streaming, name validation and the upload ordering rules.
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

static uint8_t frame[CTL_MAX_FRAME + 64];

static size_t make(uint16_t type, uint32_t seq, const void *payload, size_t len)
{
	struct ctl_hdr h = {.version = CTL_VERSION, .type = type, .seq = seq};
	size_t n = ctl_encode(frame, sizeof(frame), &h, payload, len);
	assert_int_equal(n, CTL_HDR_SIZE + len);
	return n;
}

static void test_crc32c_vectors(void **state)
{
	(void)state;
	assert_int_equal(ctl_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(ctl_crc32c(0, "", 0), 0);
	/* Continuation equals one pass. */
	uint32_t a = ctl_crc32c(0, "1234", 4);
	assert_int_equal(ctl_crc32c(a, "56789", 5), 0xe3069283u);
	uint8_t zeros[32] = {0};
	assert_int_equal(ctl_crc32c(0, zeros, 32), 0x8a9136aau); /* RFC 3720 B.4 */
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	uint8_t pl[40] = "hello";
	size_t n = make(CTL_T_HELLO, 77, pl, sizeof(pl));
	/* Header bytes are little-endian at the documented offsets. */
	assert_memory_equal(frame, "FVCP", 4);
	assert_int_equal(frame[6], CTL_T_HELLO);
	assert_int_equal(frame[8], 77);
	assert_int_equal(frame[16], 40);
	assert_int_equal(ctl_rx_push(rx, frame, n), n);
	struct ctl_hdr h;
	const uint8_t *p;
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_OK);
	assert_int_equal(h.type, CTL_T_HELLO);
	assert_int_equal(h.seq, 77);
	assert_int_equal(h.len, 40);
	assert_memory_equal(p, pl, 40);
	assert_int_equal(ctl_check_request(&h), CTL_OK);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), -1);
	assert_int_equal(rx->len, 0);
	free(rx);
}

static void test_byte_at_a_time_and_back_to_back(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	uint8_t stream[3 * (CTL_HDR_SIZE + 32)];
	size_t total = 0;
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t ref[32] = {0};
		ref[0] = (uint8_t)('a' + i);
		size_t n = make(CTL_T_VM_START, 100 + i, ref, sizeof(ref));
		memcpy(stream + total, frame, n);
		total += n;
	}
	unsigned got = 0;
	for (size_t i = 0; i < total; i++) {
		assert_int_equal(ctl_rx_push(rx, stream + i, 1), 1);
		struct ctl_hdr h;
		const uint8_t *p;
		int r;
		while ((r = ctl_rx_pop(rx, &h, &p)) != -1) {
			assert_int_equal(r, CTL_OK);
			assert_int_equal(h.seq, 100 + got);
			assert_int_equal(p[0], 'a' + got);
			got++;
		}
	}
	assert_int_equal(got, 3);
	free(rx);
}

/* Garbage, then a good frame: one BAD_MAGIC, then the frame. */
static void test_garbage_then_frame(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	uint8_t junk[100];
	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 37 + 1);
	junk[50] = 'F'; /* partial magics inside the garbage */
	junk[51] = 'V';
	junk[98] = 'F';
	junk[99] = 'V';
	ctl_rx_push(rx, junk, sizeof(junk));
	size_t n = make(CTL_T_HOST_INFO, 5, NULL, 0);
	ctl_rx_push(rx, frame, n);
	struct ctl_hdr h;
	const uint8_t *p;
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_E_BAD_MAGIC);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_OK);
	assert_int_equal(h.seq, 5);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), -1);
	free(rx);
}

/* A corrupted frame is dropped with BAD_CRC and the next good one is found. */
static void test_bad_crc_resync(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	uint8_t ref[32] = "x";
	size_t n = make(CTL_T_VM_STOP, 9, ref, sizeof(ref));
	frame[CTL_HDR_SIZE + 3] ^= 0x40;
	ctl_rx_push(rx, frame, n);
	n = make(CTL_T_VM_STOP, 10, ref, sizeof(ref));
	ctl_rx_push(rx, frame, n);
	struct ctl_hdr h;
	const uint8_t *p;
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_E_BAD_CRC);
	assert_int_equal(h.seq, 9);
	int r;
	unsigned errors = 0;
	while ((r = ctl_rx_pop(rx, &h, &p)) != CTL_OK) {
		assert_int_not_equal(r, -1);
		errors++;
	}
	assert_true(errors <= 1); /* the rest of the bad frame is one run of garbage */
	assert_int_equal(h.seq, 10);
	free(rx);
}

/* A header announcing more than CTL_MAX_PAYLOAD: TOO_LONG, then resync. */
static void test_oversized(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	struct ctl_hdr h = {.magic = CTL_MAGIC,
	                    .version = 1,
	                    .type = CTL_T_VM_LIST,
	                    .seq = 3,
	                    .len = CTL_MAX_PAYLOAD + 1};
	uint8_t big[CTL_HDR_SIZE];
	ctl_hdr_put(big, &h);
	ctl_rx_push(rx, big, sizeof(big));
	size_t n = make(CTL_T_VM_LIST, 4, NULL, 0);
	ctl_rx_push(rx, frame, n);
	const uint8_t *p;
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_E_TOO_LONG);
	assert_int_equal(h.seq, 3);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_OK);
	assert_int_equal(h.seq, 4);
	/* The encoder refuses oversized payloads too. */
	static uint8_t pl[CTL_MAX_PAYLOAD + 1];
	assert_int_equal(ctl_encode(frame, sizeof(frame), &h, pl, sizeof(pl)), 0);
	assert_int_equal(ctl_encode(frame, 10, &h, NULL, 0), 0);
	free(rx);
}

/* A frame cut short waits; a maximal frame fits; a full buffer of garbage drains. */
static void test_truncated_and_full(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	ctl_rx_init(rx);
	static uint8_t pl[CTL_MAX_PAYLOAD];
	memset(pl, 0xab, sizeof(pl));
	size_t n = make(CTL_T_CONSOLE_INPUT, 8, pl, sizeof(pl));
	assert_int_equal(n, CTL_MAX_FRAME);
	struct ctl_hdr h;
	const uint8_t *p;
	ctl_rx_push(rx, frame, n - 1);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), -1);
	ctl_rx_push(rx, frame + n - 1, 1);
	assert_int_equal(ctl_rx_pop(rx, &h, &p), CTL_OK);
	assert_int_equal(h.len, CTL_MAX_PAYLOAD);
	/* Fill with garbage: push stops at capacity, pops drain it. */
	static uint8_t junk[2 * CTL_MAX_FRAME];
	memset(junk, 0x55, sizeof(junk));
	size_t off = 0;
	unsigned rounds = 0;
	while (off < sizeof(junk)) {
		off += ctl_rx_push(rx, junk + off, sizeof(junk) - off);
		while (ctl_rx_pop(rx, &h, &p) != -1)
			;
		assert_true(++rounds < 10);
	}
	assert_int_equal(rx->len, 0);
	free(rx);
}

static void test_check_request(void **state)
{
	(void)state;
	struct ctl_hdr h = {.version = 1, .type = CTL_T_VM_START, .len = 32};
	assert_int_equal(ctl_check_request(&h), CTL_OK);
	h.len = 31;
	assert_int_equal(ctl_check_request(&h), CTL_E_TRUNCATED);
	h.len = 33;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_LENGTH);
	h.len = 32;
	h.flags = CTL_F_RESPONSE;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_FLAGS);
	h.flags = 0x80;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_FLAGS);
	h.flags = 0;
	h.version = 2;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_VERSION);
	h.version = 1;
	h.status = 1;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_FIELD);
	h.status = 0;
	h.type = 0x7e;
	assert_int_equal(ctl_check_request(&h), CTL_E_UNKNOWN_TYPE);
	h.type = CTL_T_EV_CONSOLE; /* events are not requests */
	assert_int_equal(ctl_check_request(&h), CTL_E_UNKNOWN_TYPE);
	h.type = CTL_T_HELLO;
	h.version = 9; /* HELLO may carry any version */
	h.len = 40;
	assert_int_equal(ctl_check_request(&h), CTL_OK);
	h.type = CTL_T_UPLOAD_CHUNK;
	h.version = 1;
	h.len = 16;
	assert_int_equal(ctl_check_request(&h), CTL_E_TRUNCATED);
	h.len = 17;
	assert_int_equal(ctl_check_request(&h), CTL_OK);
	/* Metrics: host and net take no payload, VM_METRICS exactly one VM reference. */
	uint32_t mn, mx;
	assert_int_equal(ctl_req_size(CTL_T_HOST_METRICS, &mn, &mx), 1);
	assert_true(mn == 0 && mx == 0);
	assert_int_equal(ctl_req_size(CTL_T_NET_METRICS, &mn, &mx), 1);
	assert_true(mn == 0 && mx == 0);
	assert_int_equal(ctl_req_size(CTL_T_VM_METRICS, &mn, &mx), 1);
	assert_true(mn == CTL_NAME_MAX && mx == CTL_NAME_MAX);
	assert_int_equal(ctl_req_size(0x43, &mn, &mx), 0); /* the rest of 0x40-0x47 is free */
	h.type = CTL_T_HOST_METRICS;
	h.len = 1;
	assert_int_equal(ctl_check_request(&h), CTL_E_BAD_LENGTH);
	assert_string_equal(ctl_status_name(CTL_E_SEQUENCE), "E_SEQUENCE");
	assert_string_equal(ctl_status_name(999), "?");
}

static void test_names(void **state)
{
	(void)state;
	uint8_t f[CTL_NAME_MAX] = {0};
	char out[CTL_NAME_MAX];
	assert_int_equal(ctl_get_name(f, out), CTL_E_BAD_FIELD); /* empty */
	memcpy(f, "hello", 5);
	assert_int_equal(ctl_get_name(f, out), CTL_OK);
	assert_string_equal(out, "hello");
	f[10] = 'x'; /* junk after the NUL */
	assert_int_equal(ctl_get_name(f, out), CTL_E_BAD_FIELD);
	f[10] = 0;
	f[2] = '\n';
	assert_int_equal(ctl_get_name(f, out), CTL_E_BAD_FIELD);
	memset(f, 'a', sizeof(f)); /* no NUL in the field */
	assert_int_equal(ctl_get_name(f, out), CTL_E_BAD_FIELD);
	f[31] = 0;
	assert_int_equal(ctl_get_name(f, out), CTL_OK);
	assert_int_equal(strlen(out), 31);
}

static void test_upload(void **state)
{
	(void)state;
	struct ctl_upload u = {0};
	uint8_t blob[100], dst[100];
	for (unsigned i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	uint32_t crc = ctl_crc32c(0, blob, sizeof(blob));
	assert_int_equal(ctl_upload_begin(&u, 0, 100, crc, 0), CTL_E_BAD_FIELD);
	assert_int_equal(ctl_upload_begin(&u, 1, 0, crc, 0), CTL_E_BAD_FIELD);
	assert_int_equal(ctl_upload_begin(&u, 1, CTL_UPLOAD_MAX + 1, crc, 0), CTL_E_BAD_FIELD);
	assert_int_equal(ctl_upload_begin(&u, 1, 100, crc, 0x4), CTL_E_BAD_FIELD);
	assert_int_equal(ctl_upload_begin(&u, 7, 100, crc, CTL_UPF_START), CTL_OK);
	assert_int_equal(ctl_upload_begin(&u, 8, 100, crc, 0), CTL_E_BUSY);
	assert_int_equal(ctl_upload_chunk(&u, dst, 8, 0, blob, 10), CTL_E_NO_UPLOAD);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 10, blob + 10, 10), CTL_E_SEQUENCE);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 0, blob, 0), CTL_E_BAD_LENGTH);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 0, blob, 60), CTL_OK);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 0, blob, 60), CTL_E_SEQUENCE); /* replay */
	assert_int_equal(ctl_upload_finish(&u, 7), CTL_E_UPLOAD_SIZE);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 60, blob + 60, 41), CTL_E_UPLOAD_SIZE);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, UINT64_MAX, blob, 1), CTL_E_SEQUENCE);
	assert_int_equal(u.received, 60);
	assert_int_equal(ctl_upload_chunk(&u, dst, 7, 60, blob + 60, 40), CTL_OK);
	assert_int_equal(ctl_upload_finish(&u, 7), CTL_OK);
	assert_memory_equal(dst, blob, 100);
	assert_int_equal(u.id, 0);
	/* Wrong CRC: discarded at finish. */
	assert_int_equal(ctl_upload_begin(&u, 2, 100, crc ^ 1, 0), CTL_OK);
	assert_int_equal(ctl_upload_chunk(&u, dst, 2, 0, blob, 100), CTL_OK);
	assert_int_equal(ctl_upload_finish(&u, 2), CTL_E_UPLOAD_CRC);
	assert_int_equal(u.id, 0);
	assert_int_equal(ctl_upload_finish(&u, 2), CTL_E_NO_UPLOAD);
}

/* Random streams of frames and garbage: every good frame that is not overlapped is found. */
static void test_random_streams(void **state)
{
	(void)state;
	struct ctl_rx *rx = malloc(sizeof(*rx));
	srand(1234);
	for (int round = 0; round < 200; round++) {
		ctl_rx_init(rx);
		unsigned sent = 0, got = 0;
		for (int k = 0; k < 8; k++) {
			uint8_t junk[64];
			size_t jl = (size_t)(rand() % 64);
			for (size_t i = 0; i < jl; i++)
				junk[i] = (uint8_t)(rand() &
				                    0x7f); /* no 'F' prefix issues: may contain */
			size_t pos = 0;
			while (pos < jl) {
				pos += ctl_rx_push(rx, junk + pos, jl - pos);
				struct ctl_hdr h;
				const uint8_t *p;
				int r;
				while ((r = ctl_rx_pop(rx, &h, &p)) != -1)
					if (r == CTL_OK)
						got++;
			}
			uint8_t pl[200];
			size_t pln = (size_t)(rand() % 200);
			for (size_t i = 0; i < pln; i++)
				pl[i] = (uint8_t)rand();
			size_t n = make(CTL_T_CONSOLE_INPUT, (uint32_t)k, pl, pln);
			sent++;
			size_t off = 0;
			while (off < n) {
				size_t step = (size_t)(rand() % 50) + 1;
				if (step > n - off)
					step = n - off;
				off += ctl_rx_push(rx, frame + off, step);
				struct ctl_hdr h;
				const uint8_t *p;
				int r;
				while ((r = ctl_rx_pop(rx, &h, &p)) != -1)
					if (r == CTL_OK)
						got++;
			}
		}
		/*
		 * Garbage ending in a partial header can swallow the next frame's start
		 * only if the garbage itself holds a magic; 0x7f-masked bytes never make
		 * "FVCP" with a valid CRC, so every frame must be found.
		 */
		assert_int_equal(got, sent);
	}
	free(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc32c_vectors),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_byte_at_a_time_and_back_to_back),
	    cmocka_unit_test(test_garbage_then_frame),
	    cmocka_unit_test(test_bad_crc_resync),
	    cmocka_unit_test(test_oversized),
	    cmocka_unit_test(test_truncated_and_full),
	    cmocka_unit_test(test_check_request),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_upload),
	    cmocka_unit_test(test_random_streams),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
