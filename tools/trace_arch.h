/* SPDX-License-Identifier: MIT */
#ifndef FV_TOOLS_TRACE_ARCH_H
#define FV_TOOLS_TRACE_ARCH_H

/*
 * The architecture-specific words of a trace dump (hyp/core/trace.h): how the EXIT and HCALL
 * records' arguments are named. The dump's `TRACE-BEGIN v1 <arch>` line says which; a line
 * without one is riscv64 (dumps of older hypervisors). Pure, unit-tested through
 * tests/unit/test_trace.c.
 */
#include <stddef.h>
#include <stdint.h>

enum trace_arch { TRACE_ARCH_RISCV64, TRACE_ARCH_ARM64 };

/* The architecture an ARCH_NAME word names; riscv64 for NULL, empty or unknown words. */
enum trace_arch trace_arch_from(const char *word);

/* An exit's name ("ecall-vs", "hvc", "irq", ...) from its record's a0. */
const char *trace_arch_exit_name(enum trace_arch a, uint64_t a0);

/* A hypercall's event name ("sbi base.3", "smccc psci.3") and args (JSON members, no braces). */
void trace_arch_hcall(enum trace_arch a, uint64_t a0, uint64_t a1, uint32_t a2, char *name,
                      size_t nlen, char *args, size_t alen);

/* An exit's args (JSON members, no braces) from its record's a0..a2. */
void trace_arch_exit_args(enum trace_arch a, uint64_t a0, uint64_t a1, uint32_t a2, char *args,
                          size_t alen);

#endif
