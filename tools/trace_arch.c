// SPDX-License-Identifier: MIT
/* Per-architecture names of trace records (contract in trace_arch.h). */
#include "trace_arch.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum trace_arch trace_arch_from(const char *word)
{
	return word && strcmp(word, "arm64") == 0 ? TRACE_ARCH_ARM64 : TRACE_ARCH_RISCV64;
}

/* riscv64: a0 is scause (bit 63: interrupt). */
static const char *riscv_exit_name(uint64_t scause)
{
	static const char *const exc[] = {
	    [2] = "illegal-insn", [3] = "breakpoint",    [10] = "ecall-vs",  [20] = "inst-gpf",
	    [21] = "load-gpf",    [22] = "virtual-insn", [23] = "store-gpf",
	};
	static const char *const irq[] = {[1] = "irq-ssi", [5] = "irq-sti", [9] = "irq-sei"};
	bool is_irq = (scause >> 63) != 0;
	uint64_t code = scause & ~(1ULL << 63);
	const char *n = NULL;
	if (is_irq && code < sizeof(irq) / sizeof(irq[0]))
		n = irq[code];
	else if (!is_irq && code < sizeof(exc) / sizeof(exc[0]))
		n = exc[code];
	return n ? n : (is_irq ? "irq-other" : "exc-other");
}

/* arm64: a0 is ESR_EL2 (EC in bits 31:26), or bit 63 | exit type for IRQ, FIQ and SError. */
static const char *arm64_exit_name(uint64_t a0)
{
	static const char *const async[] = {[1] = "irq", [2] = "fiq", [3] = "serror"};
	static const char *const ec[0x40] = {
	    [0x00] = "unknown", [0x01] = "wfx",      [0x16] = "hvc",      [0x17] = "smc",
	    [0x18] = "sysreg",  [0x20] = "iabt-low", [0x24] = "dabt-low",
	};
	if (a0 >> 63) {
		uint64_t type = a0 & ~(1ULL << 63);
		return type < sizeof(async) / sizeof(async[0]) && async[type] ? async[type]
		                                                              : "async-other";
	}
	const char *n = ec[(a0 >> 26) & 0x3f];
	return n ? n : "exc-other";
}

const char *trace_arch_exit_name(enum trace_arch a, uint64_t a0)
{
	return a == TRACE_ARCH_ARM64 ? arm64_exit_name(a0) : riscv_exit_name(a0);
}

void trace_arch_exit_args(enum trace_arch a, uint64_t a0, uint64_t a1, uint32_t a2, char *args,
                          size_t alen)
{
	if (a == TRACE_ARCH_ARM64)
		snprintf(args, alen,
		         "\"esr\":\"0x%" PRIx64 "\",\"elr\":\"0x%" PRIx64 "\",\"far\":\"0x%" PRIx32
		         "\"",
		         a0, a1, a2);
	else
		snprintf(args, alen,
		         "\"scause\":\"0x%" PRIx64 "\",\"sepc\":\"0x%" PRIx64
		         "\",\"stval\":\"0x%" PRIx32 "\"",
		         a0, a1, a2);
}

static const char *sbi_name(uint64_t eid)
{
	static const struct {
		uint64_t eid;
		const char *name;
	} t[] = {
	    {0x10, "base"},         {0x54494D45, "time"},     {0x735049, "ipi"},
	    {0x52464E43, "rfence"}, {0x48534D, "hsm"},        {0x53525354, "srst"},
	    {0x4442434E, "dbcn"},   {0x535441, "sta"},        {0x53555350, "susp"},
	    {0x46574654, "fwft"},   {0x44425452, "dbtr"},     {0x504D55, "pmu"},
	    {0x535345, "sse"},      {0x01, "legacy-putchar"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].eid == eid)
			return t[i].name;
	return "unknown";
}

/* SMCCC function id: bits 29:24 the owning entity (4: standard secure service, i.e. PSCI for
 * function numbers 0..0x1f), bit 30 SMC64; anything with bits 63:32 set is not a valid id. */
static const char *smccc_service(uint64_t fid)
{
	if (fid >> 32)
		return "invalid";
	unsigned owner = (unsigned)(fid >> 24) & 0x3f;
	if (owner == 4 && (fid & 0xffff) <= 0x1f)
		return "psci";
	static const char *const owners[] = {"arch", "cpu", "sip", "oem", "std", "hyp", "vendor"};
	return owner < sizeof(owners) / sizeof(owners[0]) ? owners[owner] : "other";
}

void trace_arch_hcall(enum trace_arch a, uint64_t a0, uint64_t a1, uint32_t a2, char *name,
                      size_t nlen, char *args, size_t alen)
{
	if (a == TRACE_ARCH_ARM64) {
		snprintf(name, nlen, "smccc %s.%" PRIu64, smccc_service(a0), a1);
		snprintf(args, alen, "\"fid\":\"0x%" PRIx64 "\",\"result\":%d", a0, (int32_t)a2);
		return;
	}
	snprintf(name, nlen, "sbi %s.%" PRIu64, sbi_name(a0), a1);
	snprintf(args, alen, "\"eid\":\"0x%" PRIx64 "\",\"fid\":%" PRIu64 ",\"error\":%d", a0, a1,
	         (int32_t)a2);
}
