/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_TRACE_JSON_H
#define FV_TOOLS_TRACE_JSON_H

/*
 * The hypervisor's trace dump (`trace dump` in its shell, hyp/core/trace.c; lines
 * TRACE-BEGIN, TRVM, TR, TRDROP, TRACE-END, each possibly behind a "[tag] " console
 * prefix) to Chrome/Perfetto trace-event JSON (docs/tracing.md):
 *   pid 0 "Physical CPUs", tid = CPU: "X" run slices named VM/vCPU, migrations;
 *   pid 1 + VM id "VM NAME", tid = vCPU: "X" run slices and MMIO accesses, "i" exits,
 *   SBI calls, interrupts injected, virtio notifies; tid 1000 "lifecycle" (state changes,
 *   requests), tid 1001 "devices" (virtio completions);
 *   "M" metadata naming every process and thread. ts/dur in microseconds.
 * Pure: stdio streams only, unit-tested (tests/unit/test_trace_json.c).
 */
#include <stddef.h>
#include <stdio.h>

/* Counts of a conversion, for the caller's summary line. */
struct trace_json_stats {
	unsigned long records;  /* TR lines read */
	unsigned long events;   /* trace events written (metadata included) */
	unsigned long dropped;  /* sum of the TRDROP counts */
	unsigned long unpaired; /* sched-outs no sched-in explains (an inconsistent trace) */
};

/*
 * Read a dump from in and write one JSON object {"traceEvents":[...],...} to out.
 * Returns 0, or -1 with why (a malformed TR line, no TRACE-BEGIN, out of memory).
 */
int trace_json_convert(FILE *in, FILE *out, struct trace_json_stats *st, char *why, size_t whylen);

#endif
