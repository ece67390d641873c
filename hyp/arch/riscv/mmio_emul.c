// SPDX-License-Identifier: MIT
/*
 * Guest load/store page faults: emulate accesses to the VM's MMIO devices,
 * fault everything else back into the guest. The access is decoded from
 * htinst when the hardware provides it, otherwise from the instruction
 * fetched at sepc with hlvx (RISC-V priv spec, H extension, "Transformed
 * Instruction or Pseudoinstruction for mtinst or htinst").
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/insn_decode.h"
#include "arch/riscv/riscv.h"
#include "core/mmio.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/arch.h"
#include "core/trace.h"

bool riscv_guest_fetch_insn(uint64_t sepc, uint32_t *out)
{
	uint16_t lo, hi;
	if (riscv_guest_read_insn16(sepc, &lo) != 0)
		return false;
	if ((lo & 3) != 3) {
		*out = lo;
		return true;
	}
	if (riscv_guest_read_insn16(sepc + 2, &hi) != 0)
		return false;
	*out = (uint32_t)lo | ((uint32_t)hi << 16);
	return true;
}

static void access_fault(struct vcpu *v, bool is_store)
{
	riscv_inject_exception(v, is_store ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, v->arch.ctx.stval);
}

void riscv_handle_guest_page_fault(struct vcpu *v, const struct mmio_access *decoded)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	bool is_store = ctx->scause == EXC_STORE_GUEST_PF;
	/* htval holds GPA >> 2; the low bits come from the guest VA (stval). */
	gpa_t gpa = (ctx->htval << 2) | (ctx->stval & 3);
	struct mmio_access acc;
	/*
	 * First touch of a RAM block this boot: zero and map it, then retry the
	 * access. The range test first, inline: MMIO (the frequent case) is
	 * outside RAM and needs no call (vm_ram_populate tests it again).
	 */
	struct vm *vm = v->vm;
	if (gpa >= vm->ram_gpa && gpa - vm->ram_gpa < vm->ram_size) {
		/* A write to a page the dirty log protects (a live migration, dirty_riscv.c). */
		if (is_store && riscv_dirty_fault(v, gpa))
			return;
		int pret = vm_ram_populate(vm, gpa);
		if (pret == 0)
			return;
		if (pret != -FV_ENOENT) {
			vm_request(vm, VM_ACTION_CRASH,
			           "out of memory mapping guest RAM: stopping VM");
			return;
		}
	}
	int ret;
	/* Decoded from htinst by the caller (riscv_exit_gpf), or here. */
	const struct mmio_access *a = &acc;
	ret = -FV_EINVAL;
	if (decoded) {
		a = decoded;
		ret = INSN_DECODE_MMIO;
	} else if (insn_decode_transformed_fast(ctx->htinst, &acc)) {
		/* An ordinary load/store decodes inline; anything else takes the full decoder. */
		ret = INSN_DECODE_MMIO;
	} else if (ctx->htinst) {
		ret = insn_decode_transformed(ctx->htinst, &acc);
	}
	if (ret == -FV_EINVAL) {
		uint32_t insn;
		if (!riscv_guest_fetch_insn(ctx->sepc, &insn)) {
			access_fault(v, is_store);
			return;
		}
		ret = insn_decode_raw(insn, &acc);
	}
	/*
	 * Implicit accesses of the guest's page-table walk (pseudoinstructions)
	 * and accesses we cannot emulate (FP, AMO to MMIO) fault the guest.
	 */
	if (ret != INSN_DECODE_MMIO || a->is_store != is_store) {
		access_fault(v, is_store);
		return;
	}
	/* Devices take naturally aligned accesses only. */
	if (gpa & (a->width - 1U)) {
		access_fault(v, is_store);
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
	ret = mmio_bus_access(&v->vm->mmio, v, gpa, a->width, is_store, &val);
	TRACE(TEV_MMIO, v->vm->id, v->id, gpa, t0, a->width | (is_store ? 0x100u : 0u));
	if (ret) {
		access_fault(v, is_store);
		return;
	}
	if (!is_store && a->reg)
		ctx->x[a->reg] = insn_mmio_extend(val, a);
	ctx->sepc += a->insn_len;
}
