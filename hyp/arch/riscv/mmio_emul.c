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
#include "arch/riscv/mmio_emul.h"
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

void riscv_mmio_access_fault(struct vcpu *v, bool is_store)
{
	riscv_inject_exception(v, is_store ? EXC_STORE_ACCESS : EXC_LOAD_ACCESS, v->arch.ctx.stval);
}

bool riscv_mmio_ram_fault(struct vcpu *v, gpa_t gpa, bool is_store)
{
	/* A write to a page the dirty log protects (a live migration, dirty_riscv.c). */
	if (is_store && riscv_dirty_fault(v, gpa))
		return true;
	int ret = vm_ram_populate(v->vm, gpa);
	if (ret == -FV_ENOENT)
		return false;
	if (ret != 0)
		vm_request(v->vm, VM_ACTION_CRASH, "out of memory mapping guest RAM: stopping VM");
	return true;
}

void riscv_handle_guest_page_fault(struct vcpu *v, const struct mmio_access *decoded)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	bool is_store = ctx->scause == EXC_STORE_GUEST_PF;
	gpa_t gpa = riscv_gpf_gpa(ctx);
	struct mmio_access acc;
	/*
	 * A store to a page the dirty log protects, or the first touch of a RAM
	 * block this boot: handled, then the access is retried. The range test first, inline: MMIO
	 * (the frequent case) is outside RAM and needs no call (vm_ram_populate tests it again).
	 */
	if (riscv_gpa_in_ram(v->vm, gpa) && riscv_mmio_ram_fault(v, gpa, is_store))
		return;
	int ret;
	/* Decoded from htinst by the caller, or here. */
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
			riscv_mmio_access_fault(v, is_store);
			return;
		}
		ret = insn_decode_raw(insn, &acc);
	}
	/*
	 * Implicit accesses of the guest's page-table walk (pseudoinstructions)
	 * and accesses we cannot emulate (FP, AMO to MMIO) fault the guest.
	 */
	if (ret != INSN_DECODE_MMIO) {
		riscv_mmio_access_fault(v, is_store);
		return;
	}
	riscv_mmio_emulate(v, gpa, is_store, a);
}
