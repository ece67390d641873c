// SPDX-License-Identifier: MIT
/*
 * A stopped vCPU's registers for a crash dump (core/arch.h, arch_vcpu_dump_regs). The
 * world switch saved the GPRs and the trap CSRs in ctx on the guest's last exit, and the
 * VS CSRs went to v->arch.csr and the FP registers to v->arch.fp when the vCPU was put:
 * all are current once the vCPU is off its CPU, which the caller (ctl_dump.c) checks.
 */
#include "core/arch.h"
#include "core/ctl_proto.h"
#include "core/vcpu.h"

void arch_vcpu_dump_regs(const struct vcpu *v, uint64_t *reg)
{
	const struct riscv_guest_ctx *ctx = &v->arch.ctx;
	const struct riscv_vs_csrs *c = &v->arch.csr;
	reg[CTL_DUMP_R_PC] = ctx->sepc; /* where the guest trapped or resumes */
	for (unsigned i = 1; i < 32; i++)
		reg[CTL_DUMP_R_X1 + i - 1] = ctx->x[i];
	reg[CTL_DUMP_R_VSSTATUS] = c->vsstatus;
	reg[CTL_DUMP_R_VSIE] = c->vsie;
	reg[CTL_DUMP_R_VSTVEC] = c->vstvec;
	reg[CTL_DUMP_R_VSSCRATCH] = c->vsscratch;
	reg[CTL_DUMP_R_VSEPC] = c->vsepc;
	reg[CTL_DUMP_R_VSCAUSE] = c->vscause;
	reg[CTL_DUMP_R_VSTVAL] = c->vstval;
	reg[CTL_DUMP_R_VSATP] = c->vsatp;
	reg[CTL_DUMP_R_SSTATUS] = ctx->sstatus;
	reg[CTL_DUMP_R_HSTATUS] = ctx->hstatus;
	reg[CTL_DUMP_R_SCAUSE] = ctx->scause;
	reg[CTL_DUMP_R_STVAL] = ctx->stval;
	for (unsigned i = 0; i < 32; i++)
		reg[CTL_DUMP_R_F0 + i] = v->arch.fp.f[i];
	reg[CTL_DUMP_R_FCSR] = v->arch.fp.fcsr;
}
