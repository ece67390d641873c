/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_PROF_BUF_H
#define FV_CORE_PROF_BUF_H

/*
 * Sample buffers of the guest profiler (core/prof.c) and their wire encoding
 * (PROF_READ, docs/control-protocol.md "Profiler"). One buffer per physical
 * CPU: only that CPU appends (from its sampling timer), the reader looks at
 * it after the session stopped, so no lock: the writer publishes a filled
 * slot by a release store of count, the reader loads count with acquire.
 *
 * Pure logic (host unit-tested: tests/unit/test_prof_buf.c).
 */
#include "lib/types.h"

#define PROF_DEPTH       8u    /* return addresses kept beyond the pc */
#define PROF_CPU_SAMPLES 8192u /* samples one CPU keeps per session */
#define PROF_MAX_BUFS    64u   /* buffers prof_buf_encode looks at (CPUs) */
#define PROF_F_HYP       1u    /* sample of the hypervisor itself (pc is a hypervisor address) */

struct prof_sample {
	uint64_t pc;
	uint64_t ra[PROF_DEPTH]; /* caller chain, innermost first; depth entries valid */
	uint32_t vcpu;           /* vCPU index in its VM; 0xffffffff for PROF_F_HYP */
	uint8_t depth;
	uint8_t flags; /* PROF_F_* */
	uint16_t cpu;  /* physical CPU that took it */
};

struct prof_buf {
	uint32_t count;   /* slots filled (release-published) */
	uint32_t dropped; /* samples lost because the buffer was full */
	struct prof_sample s[PROF_CPU_SAMPLES];
};

/* Size of one sample on the wire: pc, vcpu, flags/depth/cpu, PROF_DEPTH return addresses. */
#define PROF_WIRE_SAMPLE (16u + 8u * PROF_DEPTH)
/* Size of the PROF_READ response header (total, offset, count, dropped). */
#define PROF_WIRE_HDR 16u

/* Empty @b for a new session (the writer CPU must not be sampling into it). */
void prof_buf_reset(struct prof_buf *b);

/*
 * Append @s to @b (called only by the CPU owning @b). Returns false and counts
 * a drop when the buffer is full.
 */
bool prof_buf_push(struct prof_buf *b, const struct prof_sample *s);

/*
 * Encode samples of the buffers @bufs[0..n) seen as one sequence, starting at
 * sample @offset, into @out (room @cap bytes): header {u32 total, u32 offset,
 * u32 count, u32 dropped} (at most PROF_MAX_BUFS buffers) then count samples of PROF_WIRE_SAMPLE
 * bytes each (u64 pc, u32 vcpu, u8 flags, u8 depth, u16 cpu, PROF_DEPTH x u64 ra). An offset at or
 * past the total yields count 0. Returns the payload length, 0 if @cap cannot hold the header.
 */
uint32_t prof_buf_encode(const struct prof_buf *const *bufs, unsigned n, uint32_t offset,
                         uint8_t *out, uint32_t cap);

#endif
