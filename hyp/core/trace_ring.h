/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_TRACE_RING_H
#define FV_CORE_TRACE_RING_H

/*
 * The event tracer's per-CPU ring (pure logic, host-tested in tests/unit/test_trace.c).
 *
 * One producer: the CPU that owns the ring, which emits with interrupts masked (the
 * hypervisor always runs so, core/spinlock.h), so no two pushes on one ring overlap. One consumer
 * at a time: the reader (the shell or the control channel, serialised by trace.c's read lock), on
 * any CPU. No locks between them: head is written only by the producer, tail only by the consumer,
 * each published with release and read with acquire.
 *
 * Full ring: the NEW record is dropped and counted (drop-and-count, not overwrite-oldest),
 * so a record the consumer is copying is never rewritten under it and a trace read while
 * tracing runs is a prefix of what happened plus a known number of losses.
 */
#include "lib/types.h"

/*
 * Records per CPU (a power of two: indexes are head & (N - 1)): 128 KiB. The benchmark's
 * build (FEATURES=trace,tracebench) holds a whole hypercall benchmark run without a drop: 1 MiB.
 */
#if defined(FV_FEATURE_TRACEBENCH) && FV_FEATURE_TRACEBENCH
#define TRACE_RING_RECS 32768u
#else
#define TRACE_RING_RECS 4096u
#endif

/* One event: 32 bytes, fixed size. */
struct trace_rec {
	uint64_t ts; /* platform time base ticks (the time CSR on RISC-V) */
	union {
		struct {
			union {
				struct {
					uint8_t event; /* enum trace_event: class in bits 7..4 */
					uint8_t cpu;   /* physical CPU that emitted it */
					uint8_t vm;    /* VM id, TRACE_NONE if none */
					uint8_t vcpu; /* vCPU index in its VM, TRACE_NONE if none */
				};
				/* The four as one word (TRACE_REC_WHO). */
				uint32_t who;
			};
			uint32_t a2; /* third argument (event-specific) */
		};
		/* who | a2 << 32: what the producer stores, at once (trace_emit). */
		uint64_t who_a2;
	};
	uint64_t a0; /* first argument */
	uint64_t a1; /* second argument */
};
_Static_assert(sizeof(struct trace_rec) == 32, "trace records are 32 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "who: event is its low byte");

/* trace_rec.who of event ev by (vm, vcpu) on cpu. */
#define TRACE_REC_WHO(ev, cpu, vm, vcpu)                                                           \
	((uint32_t)(ev) | ((uint32_t)(cpu) << 8) | (((uint32_t)(vm)&0xffu) << 16) |                \
	 ((uint32_t)(vcpu) << 24))

#define TRACE_NONE 0xffu

/* 64 bytes: one cache line per CPU's header, which its producer writes on every event. */
struct trace_ring {
	/* First: the producer's release store of head then needs no address arithmetic. */
	uint64_t head;          /* next slot the producer fills (producer writes, release) */
	struct trace_rec *recs; /* TRACE_RING_RECS slots (trace_ring_init) */
	uint64_t tail;          /* next slot the consumer reads (consumer writes, release) */
	uint64_t dropped;       /* records lost to a full ring, ever (producer writes) */
	uint64_t dropped_base;  /* dropped at the last reset (consumer writes) */
	uint64_t tail_seen;     /* the producer's last read of tail (producer only) */
	uint64_t pad[2];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct trace_ring) == 64, "a ring header is one cache line");

/* An empty ring over slots (TRACE_RING_RECS records). */
void trace_ring_init(struct trace_ring *ring, struct trace_rec *slots);

/*
 * A full-looking ring (producer only, out of line: rare): re-read tail; true when there is
 * room after all, false after counting a drop.
 */
bool trace_ring_room(struct trace_ring *ring, uint64_t head);

/*
 * The slot the next record goes to when the ring has room by the producer's last reading
 * of tail, else NULL (then trace_ring_room() decides); producer only. Fill the slot, then
 * trace_ring_commit(). The producer emits with interrupts masked, so nothing else pushes
 * between the two. tail only grows: room by an older reading of it is room now, so the
 * acquire load (a fence on RISC-V) is needed only when that reading shows a full ring.
 */
static inline struct trace_rec *trace_ring_reserve_fast(struct trace_ring *ring)
{
	uint64_t head = ring->head; /* only this CPU writes it */
	if (__builtin_expect(head - ring->tail_seen >= TRACE_RING_RECS, 0))
		return NULL;
	return &ring->recs[head & (TRACE_RING_RECS - 1)];
}

/* Publish the record just written to the reserved slot. */
static inline void trace_ring_commit(struct trace_ring *ring)
{
	/* Release: the record's bytes are visible before the consumer sees the new head. */
	__atomic_store_n(&ring->head, ring->head + 1, __ATOMIC_RELEASE);
}

/* Append r to ring; producer only. Returns false (and counts a drop) when the ring is full. */
static inline bool trace_ring_push(struct trace_ring *ring, const struct trace_rec *r)
{
	struct trace_rec *slot = trace_ring_reserve_fast(ring);
	if (!slot) {
		if (!trace_ring_room(ring, ring->head))
			return false;
		slot = &ring->recs[ring->head & (TRACE_RING_RECS - 1)];
	}
	*slot = *r;
	trace_ring_commit(ring);
	return true;
}

/*
 * Copy up to max records, oldest first, from ring into out and consume them; consumer
 * only (one at a time). Returns the number copied.
 */
size_t trace_ring_pop(struct trace_ring *ring, struct trace_rec *out, size_t max);

/* Records waiting in ring (a snapshot; either side may move on). */
uint64_t trace_ring_count(const struct trace_ring *ring);

/* Records dropped since the last reset. */
uint64_t trace_ring_dropped(const struct trace_ring *ring);

/*
 * Consume every record and restart the drop count; consumer only. A push racing with it
 * either lands before (consumed) or after (kept): both sides stay consistent.
 */
void trace_ring_reset(struct trace_ring *ring);

#endif
