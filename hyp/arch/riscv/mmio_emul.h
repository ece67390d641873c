/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_MMIO_EMUL_H
#define FV_ARCH_RISCV_MMIO_EMUL_H

/*
 * The emulation of one decoded guest load/store to MMIO, inline: the body of
 * riscv_handle_guest_page_fault (mmio_emul.c) and of the MMIO exit path
 * (exit_fast.c), where every call frame less counts (docs/performance.md,
 * issue #15).
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/insn_decode.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/mmio.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"

/* A load or store the guest may not make: an access fault at stval. v's CPU, exit handler. */
void riscv_mmio_access_fault(struct vcpu *v, bool is_store);
/*
 * A guest page fault at gpa inside v's RAM range: a store to a page the dirty log
 * write-protects (logged and made writable again, the store retried), its first touch this
 * boot (the block is
 * zeroed and mapped, the access retried) or, when mapping fails, the VM is stopped; true
 * then. false: no RAM block there (vm_ram_populate's -FV_ENOENT), emulate the access as
 * MMIO. v's CPU, exit handler.
 */
bool riscv_mmio_ram_fault(struct vcpu *v, gpa_t gpa, bool is_store);

/* The faulting guest-physical address: htval holds GPA >> 2, the low bits come from stval. */
static inline gpa_t riscv_gpf_gpa(const struct riscv_guest_ctx *ctx)
{
	return (ctx->htval << 2) | (ctx->stval & 3);
}

/* Whether gpa lies in vm's RAM (overflow-safe). */
static inline bool riscv_gpa_in_ram(const struct vm *vm, gpa_t gpa)
{
	return gpa >= vm->ram_gpa && gpa - vm->ram_gpa < vm->ram_size;
}

/*
 * Emulate the access a (decoded from the faulting instruction) of v's guest
 * page fault at gpa outside RAM through the VM's MMIO bus: the register
 * written back and sepc advanced, or an access fault injected when the
 * access is not what the trap says (direction), misaligned, or no device
 * takes it. Reads and writes of ctx: a->reg, sepc (and the fault's CSRs).
 * Caller: v's CPU after the exit.
 */
static inline __attribute__((always_inline)) void
riscv_mmio_emulate(struct vcpu *v, gpa_t gpa, bool is_store, const struct mmio_access *a)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	/* Devices take naturally aligned accesses only; the decode must match the trap. */
	if (a->is_store != is_store || (gpa & (a->width - 1U))) {
		riscv_mmio_access_fault(v, is_store);
		return;
	}
	uint64_t val = 0;
	if (is_store) {
		val = a->reg ? ctx->x[a->reg] : 0;
		if (a->width < 8)
			val &= (1ULL << (a->width * 8U)) - 1;
	}
	/* Only the device access is timed: decoding is part of the exit (TEV_EXIT before it). */
	uint64_t t0 = TRACE_ON(TRACE_C_MMIO) ? arch_time_ticks() : 0;
	int ret = mmio_bus_dispatch(&v->vm->mmio, v, gpa, a->width, is_store, &val);
	TRACE(TEV_MMIO, v->vm->id, v->id, gpa, t0, a->width | (is_store ? 0x100u : 0u));
	if (ret) {
		riscv_mmio_access_fault(v, is_store);
		return;
	}
	if (!is_store && a->reg)
		ctx->x[a->reg] = insn_mmio_extend(val, a);
	ctx->sepc += a->insn_len;
}

#endif
