// SPDX-License-Identifier: MIT
/* The tracer's single-producer single-consumer ring: the consumer's side (trace_ring.h). */
#include "core/trace_ring.h"

void trace_ring_init(struct trace_ring *ring, struct trace_rec *slots)
{
	*ring = (struct trace_ring){.recs = slots};
}

bool trace_ring_room(struct trace_ring *ring, uint64_t head)
{
	ring->tail_seen = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	if (head - ring->tail_seen < TRACE_RING_RECS)
		return true;
	__atomic_store_n(&ring->dropped, ring->dropped + 1, __ATOMIC_RELAXED);
	return false;
}

size_t trace_ring_pop(struct trace_ring *ring, struct trace_rec *out, size_t max)
{
	/* Acquire: pairs with the producer's release of head, so the records below are whole. */
	uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint64_t tail = ring->tail; /* only the consumer writes it */
	size_t n = 0;
	while (tail != head && n < max) {
		out[n++] = ring->recs[tail & (TRACE_RING_RECS - 1)];
		tail++;
	}
	/* Release: the copies above are done before the producer may reuse those slots. */
	__atomic_store_n(&ring->tail, tail, __ATOMIC_RELEASE);
	return n;
}

uint64_t trace_ring_count(const struct trace_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	return head - tail;
}

void trace_ring_reset(struct trace_ring *ring)
{
	__atomic_store_n(&ring->tail, __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE),
	                 __ATOMIC_RELEASE);
	ring->dropped_base = __atomic_load_n(&ring->dropped, __ATOMIC_RELAXED);
}

uint64_t trace_ring_dropped(const struct trace_ring *ring)
{
	return __atomic_load_n(&ring->dropped, __ATOMIC_RELAXED) - ring->dropped_base;
}
