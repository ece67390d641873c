// SPDX-License-Identifier: MIT
/*
 * Virtual PMU glue: host counter readings, the vCPU switch hooks and the
 * emulation of guest counter CSR reads.
 *
 * Why counter reads trap: the hardware cycle/instret count for everyone
 * (hypervisor, every VM), and a guest's counters must count only while
 * that vCPU runs and start from the value the guest set with counter_start.
 * Passing them through (hcounteren.CY/IR) would show host values. So
 * hcounteren keeps only TM (time is the same for every vCPU up to
 * htimedelta, which the hardware adds); cycle, instret and hpmcounter3..31
 * raise a virtual-instruction exception (cause 22) and are read here.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/pmu_core.h"
#include "core/vcpu.h"

#define CSR_CYCLE        0xc00U
#define CSR_TIME         0xc01U
#define CSR_HPMCOUNTER31 0xc1fU
#define OPCODE_SYSTEM    0x73U
#define FUNCT3_CSRRW     1U
#define FUNCT3_CSRRWI    5U

void riscv_vpmu_now(struct pmu_now *now)
{
	now->cycle = csr_read(cycle);
	now->instret = csr_read(instret);
}

void riscv_vpmu_load(struct vcpu *v)
{
	struct pmu_now now;
	riscv_vpmu_now(&now);
	pmu_hw_resume(&v->arch.pmu, &now);
}

void riscv_vpmu_put(struct vcpu *v)
{
	struct pmu_now now;
	riscv_vpmu_now(&now);
	pmu_hw_pause(&v->arch.pmu, &now);
}

void riscv_vpmu_fw_event(struct vcpu *v, unsigned code)
{
	pmu_fw_event(&v->arch.pmu, code);
}

bool riscv_vpmu_emulate_csr(struct vcpu *v, uint32_t insn)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	uint32_t funct3 = (insn >> 12) & 7, rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
	uint32_t csr = insn >> 20;
	if ((insn & 0x7f) != OPCODE_SYSTEM || funct3 == 0 || funct3 == 4 || csr < CSR_CYCLE ||
	    csr > CSR_HPMCOUNTER31)
		return false;
	uint32_t idx = csr - CSR_CYCLE;
	/* csrrw/csrrwi always write; csrrs/csrrc(i) write unless rs1/uimm is 0. */
	bool writes = funct3 == FUNCT3_CSRRW || funct3 == FUNCT3_CSRRWI || rs1 != 0;
	/*
	 * The counters are read-only. From VU-mode the guest kernel's own
	 * scounteren decides (live in the CSR while the vCPU is loaded): as on
	 * hardware, a denied read is an illegal instruction for the guest.
	 */
	bool from_vu = !(ctx->sstatus & SSTATUS_SPP);
	if (writes || (from_vu && !(csr_read(scounteren) & (1UL << idx)))) {
		riscv_inject_exception(v, EXC_ILLEGAL_INST, insn);
		return true;
	}
	uint64_t val = 0; /* hpmcounters without a virtual counter read zero */
	if (csr == CSR_TIME) {
		val = riscv_guest_time(v);
	} else if (idx < RISCV_PMU_NR_HW) {
		struct pmu_now now;
		riscv_vpmu_now(&now);
		val = pmu_ctr_read(&v->arch.pmu, &now, idx);
	}
	if (rd)
		ctx->x[rd] = val;
	ctx->sepc += 4;
	return true;
}
