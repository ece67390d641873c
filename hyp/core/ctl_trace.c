// SPDX-License-Identifier: MIT
/*
 * The event tracer over the control channel: TRACE_CTL and TRACE_READ (ctl_proto.h,
 * docs/control-protocol.md "Trace"). Called by ctl.c's dispatcher on the console tick.
 * Without FEATURES=trace both answer CTL_E_NOT_SUPPORTED.
 */
#include "core/ctl_trace.h"
#include "core/ctl_proto.h"
#include "core/trace.h"
#include "lib/types.h"

#if TRACE_BUILT
#include "core/timer.h"
#include "core/trace_ring.h"

uint32_t ctl_trace_ctl(const uint8_t *req, uint8_t *out, uint32_t *len)
{
	uint32_t op = ctl_get32(req);
	uint32_t mask = ctl_get32(req + 4);
	switch (op) {
	case CTL_TRACE_STATUS:
		if (mask)
			return CTL_E_BAD_FIELD; /* reserved in a status request */
		break;
	case CTL_TRACE_SET:
		if (mask & ~((1u << TRACE_NR_CLASSES) - 1))
			return CTL_E_BAD_FIELD; /* a class this hypervisor does not know */
		trace_set_mask(mask);
		break;
	case CTL_TRACE_CLEAR:
		if (mask)
			return CTL_E_BAD_FIELD;
		trace_clear();
		break;
	default:
		return CTL_E_BAD_FIELD;
	}
	unsigned n = trace_nr_cpus();
	ctl_put32(out, trace_get_mask());
	ctl_put32(out + 4, TRACE_NR_CLASSES);
	ctl_put32(out + 8, n);
	ctl_put32(out + 12, trace_ring_capacity());
	uint8_t *p = out + sizeof(struct ctl_trace_status);
	for (unsigned i = 0; i < n; i++, p += sizeof(struct ctl_trace_cpu)) {
		uint64_t recs, dropped;
		trace_cpu_counts(i, &recs, &dropped);
		ctl_put64(p, recs);
		ctl_put64(p + 8, dropped);
	}
	*len = (uint32_t)(p - out);
	return CTL_OK;
}

uint32_t ctl_trace_read(const uint8_t *req, uint8_t *out, uint32_t *len)
{
	uint32_t cpu = ctl_get32(req);
	uint32_t max = ctl_get32(req + 4);
	if (cpu >= trace_nr_cpus() || max == 0 || max > CTL_TRACE_CHUNK_MAX)
		return CTL_E_BAD_FIELD;
	struct trace_rec recs[16];
	uint64_t waiting, dropped;
	trace_cpu_counts(cpu, &waiting, &dropped);
	uint8_t *p = out + sizeof(struct ctl_trace_chunk);
	uint32_t total = 0;
	/* In small batches: the records are copied out of the ring before they are encoded. */
	while (total < max) {
		size_t want = max - total < ARRAY_SIZE(recs) ? max - total : ARRAY_SIZE(recs);
		size_t got = trace_read(cpu, recs, want);
		for (size_t k = 0; k < got; k++, p += sizeof(struct ctl_trace_rec)) {
			const struct trace_rec *r = &recs[k];
			ctl_put64(p, time_ticks_to_ns(r->ts));
			p[8] = r->event;
			p[9] = r->cpu;
			p[10] = r->vm;
			p[11] = r->vcpu;
			ctl_put32(p + 12, r->a2);
			ctl_put64(p + 16, r->a0);
			/* An MMIO record's a1 is its start time: ns like ts. */
			ctl_put64(p + 24, r->event == TEV_MMIO ? time_ticks_to_ns(r->a1) : r->a1);
		}
		total += (uint32_t)got;
		if (got < want)
			break;
	}
	ctl_put32(out, cpu);
	ctl_put32(out + 4, total);
	ctl_put64(out + 8, dropped);
	*len = (uint32_t)(p - out);
	return CTL_OK;
}

#else

uint32_t ctl_trace_ctl(const uint8_t *req, uint8_t *out, uint32_t *len)
{
	UNUSED(req);
	UNUSED(out);
	*len = 0;
	return CTL_E_NOT_SUPPORTED;
}

uint32_t ctl_trace_read(const uint8_t *req, uint8_t *out, uint32_t *len)
{
	UNUSED(req);
	UNUSED(out);
	*len = 0;
	return CTL_E_NOT_SUPPORTED;
}

#endif
