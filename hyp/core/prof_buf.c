// SPDX-License-Identifier: MIT
/*
 * Per-CPU profiler sample buffers and the PROF_READ encoding (prof_buf.h).
 */
#include "core/prof_buf.h"

#include "core/ctl_proto.h"

void prof_buf_reset(struct prof_buf *b)
{
	__atomic_store_n(&b->count, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&b->dropped, 0, __ATOMIC_RELAXED);
}

bool prof_buf_push(struct prof_buf *b, const struct prof_sample *s)
{
	/* Only the owning CPU writes count: a plain read of our own value suffices. */
	uint32_t n = b->count;
	if (n >= PROF_CPU_SAMPLES) {
		__atomic_store_n(&b->dropped, b->dropped + 1, __ATOMIC_RELAXED);
		return false;
	}
	b->s[n] = *s;
	/* Release: a reader that sees count n+1 sees the slot's contents. */
	__atomic_store_n(&b->count, n + 1, __ATOMIC_RELEASE);
	return true;
}

static void encode_one(uint8_t *p, const struct prof_sample *s)
{
	ctl_put64(p, s->pc);
	ctl_put32(p + 8, s->vcpu);
	p[12] = s->flags;
	/* A torn or hostile depth never indexes past ra[]. */
	uint8_t depth = s->depth > PROF_DEPTH ? (uint8_t)PROF_DEPTH : s->depth;
	p[13] = depth;
	ctl_put16(p + 14, s->cpu);
	for (unsigned i = 0; i < PROF_DEPTH; i++)
		ctl_put64(p + 16 + 8 * i, i < depth ? s->ra[i] : 0);
}

uint32_t prof_buf_encode(const struct prof_buf *const *bufs, unsigned n, uint32_t offset,
                         uint8_t *out, uint32_t cap)
{
	if (cap < PROF_WIRE_HDR)
		return 0;
	/* One snapshot of each count: a late sample must not change the total mid-encode. */
	uint32_t snap[PROF_MAX_BUFS];
	uint32_t total = 0, dropped = 0;
	if (n > PROF_MAX_BUFS)
		n = PROF_MAX_BUFS;
	for (unsigned i = 0; i < n; i++) {
		uint32_t c = __atomic_load_n(&bufs[i]->count, __ATOMIC_ACQUIRE);
		snap[i] = c > PROF_CPU_SAMPLES ? PROF_CPU_SAMPLES : c;
		total += snap[i];
		dropped += __atomic_load_n(&bufs[i]->dropped, __ATOMIC_RELAXED);
	}
	uint32_t room = (cap - PROF_WIRE_HDR) / PROF_WIRE_SAMPLE;
	uint32_t count = 0;
	uint32_t base = 0; /* index of bufs[i]->s[0] in the whole sequence */
	for (unsigned i = 0; i < n && count < room; i++) {
		uint32_t k = offset > base ? offset - base : 0;
		for (; k < snap[i] && count < room; k++) {
			encode_one(out + PROF_WIRE_HDR + count * PROF_WIRE_SAMPLE, &bufs[i]->s[k]);
			count++;
		}
		base += snap[i];
	}
	ctl_put32(out, total);
	ctl_put32(out + 4, offset);
	ctl_put32(out + 8, count);
	ctl_put32(out + 12, dropped);
	return PROF_WIRE_HDR + count * PROF_WIRE_SAMPLE;
}
