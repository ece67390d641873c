/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_DUMP_FRAME_H
#define FV_CORE_DUMP_FRAME_H

/*
 * The host dump stream (docs/debugging.md "Dumps to the host"): how the hypervisor sends a
 * VM's crash dump over its own physical virtio console to `ferrovisor run --dump-dir`, which
 * writes the ELF core. Pure: no allocation, no hypervisor state; linked unchanged into the
 * hypervisor (encoder), the host tool (decoder) and the unit tests.
 *
 * A frame on the wire:   FLAG  stuffed(content)  FLAG
 * content:               u8 type, u8 version (1), u16 0, u32 seq, payload, u32 crc
 * crc:                   CRC-32C (ctl_crc32c) of type .. payload
 * stuffing:              a content byte FLAG or ESC is sent as ESC, byte ^ 0x20
 * so FLAG never occurs inside a frame. Guest RAM is payload only: whatever bytes a guest
 * writes into its RAM (a fake frame, FLAG bytes, a forged CRC) arrive escaped inside one RAM
 * frame and can never end it, start another or change its type or sequence number. A lost
 * or damaged byte fails the CRC or the sequence check, and the next FLAG is a real frame
 * boundary again.
 *
 * A dump is BEGIN (seq 0), RAM frames for the non-zero chunks of RAM in address order, END;
 * seq counts the frames of one dump. The receiver keeps a dump only when every frame
 * arrived in sequence and END counts the RAM frames it saw.
 *
 * All integers little-endian.
 */
#include "lib/types.h"

#define DUMP_FRAME_FLAG    0x7eu
#define DUMP_FRAME_ESC     0x7du
#define DUMP_FRAME_VERSION 1u
#define DUMP_FRAME_HDR     8u
#define DUMP_FRAME_CRC     4u

enum dump_frame_type {
	DUMP_FRAME_BEGIN = 1, /* u32 dump number, u32 reason, then the DUMP_INFO payload */
	DUMP_FRAME_RAM = 2,   /* u64 gpa, then 1..DUMP_FRAME_RAM_CHUNK bytes of RAM */
	DUMP_FRAME_END = 3,   /* u32 status (DUMP_END_*), u32 RAM frames sent */
};

enum dump_frame_reason {
	DUMP_REASON_CRASH = 1,   /* the VM crashed */
	DUMP_REASON_REQUEST = 2, /* the operator asked (shell `vm dump NAME`) */
};

enum dump_end_status {
	DUMP_END_OK = 0,
	DUMP_END_ABORTED = 1, /* the VM was restarted or destroyed during the dump */
};

#define DUMP_FRAME_RAM_CHUNK 4096u
/* Largest payload: BEGIN with the DUMP_INFO of a VM_MAX_VCPUS-vCPU VM, or a RAM chunk. */
#define DUMP_FRAME_MAX_PAYLOAD 8192u
#define DUMP_FRAME_MAX_CONTENT (DUMP_FRAME_HDR + DUMP_FRAME_MAX_PAYLOAD + DUMP_FRAME_CRC)
/* Bytes on the wire at most for a payload of n bytes: two flags, every byte escaped. */
#define DUMP_FRAME_WIRE_MAX(n) (2u + 2u * (DUMP_FRAME_HDR + (n) + DUMP_FRAME_CRC))

/*
 * Encode one frame whose payload is head[0..hlen) followed by data[0..dlen) (either may be
 * empty) into out (room cap). Returns the bytes written, 0 if the payload is larger than
 * DUMP_FRAME_MAX_PAYLOAD or out too small.
 */
size_t dump_frame_encode(uint8_t *out, size_t cap, uint8_t type, uint32_t seq, const void *head,
                         size_t hlen, const void *data, size_t dlen);

/* A decoded frame: payload points into the decoder's buffer until the next feed. */
struct dump_frame {
	uint8_t type;
	uint32_t seq;
	const uint8_t *payload;
	size_t len;
};

struct dump_frame_rx {
	uint8_t buf[DUMP_FRAME_MAX_CONTENT];
	size_t len;
	bool synced;          /* a FLAG was seen: bytes belong to a frame */
	bool esc;             /* the previous byte was ESC */
	bool overflow;        /* the frame grew past the buffer: dropped at its end */
	uint64_t frames, bad; /* good frames; damaged, oversized or unknown-version ones */
};

typedef void (*dump_frame_fn)(void *ctx, const struct dump_frame *f);

/* Start (or restart) a decoder: the first frame begins after the next FLAG. */
void dump_frame_rx_init(struct dump_frame_rx *rx);

/*
 * Feed n received bytes; fn is called for each complete frame whose CRC and version check
 * (in order, from inside this call). Damaged frames are counted in rx->bad and skipped.
 */
void dump_frame_rx_feed(struct dump_frame_rx *rx, const uint8_t *data, size_t n, dump_frame_fn fn,
                        void *ctx);

#endif
