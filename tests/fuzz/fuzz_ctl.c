// SPDX-License-Identifier: MIT
/*
 * Fuzz target for the control protocol decoder (hyp/core/ctl_proto.c):
 * arbitrary bytes from the service VM, pushed into the stream reassembler
 * in pieces whose sizes the input itself chooses (first byte), then every
 * event popped. Checked invariants: pop always makes progress (bounded
 * loop), a CTL_OK frame re-encodes to exactly the bytes received, the
 * buffer never holds more than CTL_MAX_FRAME, request validation, name
 * parsing and the upload state machine never misbehave on what comes out.
 *
 * Built with libFuzzer or tests/fuzz/driver.c (mk/tools.mk: make fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ctl_rx rx;
static uint8_t reenc[CTL_MAX_FRAME];
static uint8_t staging[4096];

static void handle(const struct ctl_hdr *h, const uint8_t *p, struct ctl_upload *u)
{
	struct ctl_hdr copy = *h;
	if (ctl_encode(reenc, sizeof(reenc), &copy, p, h->len) != CTL_HDR_SIZE + h->len)
		abort();
	if (memcmp(reenc + CTL_HDR_SIZE, p, h->len) != 0 || ctl_get32(reenc + 20) != h->crc)
		abort(); /* a frame the decoder accepted must be exactly what was sent */
	if (ctl_check_request(h) != CTL_OK)
		return;
	char name[CTL_NAME_MAX];
	switch (h->type) {
	case CTL_T_VM_START:
	case CTL_T_VM_METRICS:
	case CTL_T_CONSOLE_ATTACH:
	case CTL_T_CONSOLE_INPUT:
		if (ctl_get_name(p, name) == CTL_OK && strlen(name) >= CTL_NAME_MAX)
			abort();
		break;
	case CTL_T_UPLOAD_BEGIN: {
		uint64_t sz = ctl_get64(p);
		/* The fuzzer's staging buffer is small: refuse larger uploads as ctl.c would. */
		if (sz <= sizeof(staging))
			(void)ctl_upload_begin(u, 1, sz, ctl_get32(p + 8), ctl_get32(p + 12));
		break;
	}
	case CTL_T_UPLOAD_CHUNK:
		(void)ctl_upload_chunk(u, staging, ctl_get32(p), ctl_get64(p + 8), p + 16,
		                       h->len - 16);
		if (u->received > u->size)
			abort();
		break;
	case CTL_T_UPLOAD_COMMIT:
		(void)ctl_upload_finish(u, ctl_get32(p));
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_upload u;
	memset(&u, 0, sizeof(u));
	ctl_rx_init(&rx);
	if (size == 0)
		return 0;
	size_t step = (size_t)(data[0] % 64) + 1, off = 1;
	unsigned idle = 0;
	while (off < size || rx.len) {
		size_t n = step < size - off ? step : size - off;
		off += ctl_rx_push(&rx, data + off, n);
		if (rx.len > CTL_MAX_FRAME)
			abort();
		struct ctl_hdr h;
		const uint8_t *p;
		int r;
		unsigned guard = 0;
		while ((r = ctl_rx_pop(&rx, &h, &p)) != -1) {
			if (r == CTL_OK)
				handle(&h, p, &u);
			else if (r <= 0 || r >= CTL_STATUS_COUNT)
				abort();
			if (++guard > 2 * CTL_MAX_FRAME)
				abort(); /* each event consumes at least one byte */
		}
		/* Input exhausted and nothing more comes out: a truncated frame waits. */
		if (off >= size && ++idle > 1)
			break;
	}
	return 0;
}
