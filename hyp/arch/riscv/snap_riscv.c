// SPDX-License-Identifier: MIT
/*
 * RISC-V part of VM snapshots (core/snap_arch.h; docs/snapshot-format.md,
 * "VCPU_ARCH (riscv64)"): a vCPU's registers, VS CSRs, FP state, emulated
 * timer and the SBI state that survives a restore (STA registration, FWFT
 * values), as a version word and a fixed array of 64-bit values.
 *
 * What a restore takes from the file is only what the guest itself could
 * have set: hypervisor policy bits (hstatus VTW/VSXL, sstatus FS/UXL,
 * hcounteren, henvcfg outside the FWFT-controlled bits) stay those of the
 * fresh vCPU, so a crafted file cannot give a guest more than it could get by
 * running. Not carried (documented): SBI PMU counters, DBTR triggers and SSE
 * registrations, which start reset as after a hart start.
 */
#include "core/snap_arch.h"
#include "core/ctl_proto.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/spinlock.h"
#include "arch/riscv/vplic.h"
#include "core/snap_vm.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/console.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SNAP_RV_VERSION 1u

/* Index of each value in the VCPU_ARCH payload (after the 8-byte version word). */
enum {
	R_PC = 0,
	R_X1 = 1, /* x1..x31 at 1..31 */
	R_SSTATUS = 32,
	R_HSTATUS,
	R_VSSTATUS,
	R_VSIE,
	R_VSTVEC,
	R_VSSCRATCH,
	R_VSEPC,
	R_VSCAUSE,
	R_VSTVAL,
	R_VSATP,
	R_HVIP,
	R_VSTIMECMP,
	R_HENVCFG,
	R_SCOUNTEREN,
	R_SENVCFG,
	R_TIMER_DEADLINE,
	R_F0 = 48, /* f0..f31 at 48..79 */
	R_FCSR = 80,
	R_STA_SHMEM,
	R_STA_ENABLED,
	R_FWFT0, /* RISCV_FWFT_NR values */
	R_FWFT_LOCKED = R_FWFT0 + RISCV_FWFT_NR,
	R_COUNT,
};

#define VCPU_PAYLOAD (8u + 8u * R_COUNT)
_Static_assert(VCPU_PAYLOAD <= ARCH_SNAP_MAX, "VCPU_ARCH fits");

bool arch_snap_available(void)
{
	return true;
}

const char *arch_snap_name(void)
{
	return "riscv64";
}

uint64_t arch_snap_guest_time(const struct vm *vm)
{
	return csr_read(time) + vm->arch.htimedelta;
}

uint32_t arch_snap_vm_save(const struct vm *vm, uint8_t *out)
{
	UNUSED(vm);
	/* The guest clock is the header's guest_time; nothing else of vm_arch is guest state
	 * that outlives a restore (the VM's SSE event is reset like the vCPUs'). */
	ctl_put32(out, SNAP_RV_VERSION);
	ctl_put32(out + 4, 0);
	return 8;
}

int arch_snap_vm_load(struct vm *vm, const uint8_t *p, uint32_t len, uint64_t guest_time)
{
	if (len != 8 || ctl_get32(p) != SNAP_RV_VERSION || ctl_get32(p + 4)) {
		pr_err("vm %s: restore: VM_ARCH of an unknown layout", vm->name);
		return -FV_EINVAL;
	}
	arch_snap_clock_resume(vm, guest_time);
	return 0;
}

void arch_snap_clock_resume(struct vm *vm, uint64_t guest_time)
{
	/* guest time = host time + htimedelta: continue from the saved reading. */
	vm->arch.htimedelta = guest_time - csr_read(time);
	/* Without Sstc the guest timer is a host timer: arm it against the new offset. With
	 * Sstc, vstimecmp is in guest time and moves with it. */
	for (unsigned i = 0; !riscv_feat.sstc && i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (v->arch.timer_deadline != UINT64_MAX)
			riscv_vtimer_set(v, v->arch.timer_deadline);
	}
}

uint32_t arch_snap_vcpu_save(const struct vcpu *v, uint8_t *out)
{
	const struct vcpu_arch *a = &v->arch;
	uint64_t r[R_COUNT];
	memset(r, 0, sizeof(r));
	r[R_PC] = a->ctx.sepc;
	for (unsigned i = 1; i < 32; i++)
		r[R_X1 + i - 1] = a->ctx.x[i];
	r[R_SSTATUS] = a->ctx.sstatus;
	r[R_HSTATUS] = a->ctx.hstatus;
	r[R_VSSTATUS] = a->csr.vsstatus;
	r[R_VSIE] = a->csr.vsie;
	r[R_VSTVEC] = a->csr.vstvec;
	r[R_VSSCRATCH] = a->csr.vsscratch;
	r[R_VSEPC] = a->csr.vsepc;
	r[R_VSCAUSE] = a->csr.vscause;
	r[R_VSTVAL] = a->csr.vstval;
	r[R_VSATP] = a->csr.vsatp;
	r[R_HVIP] = a->csr.hvip;
	r[R_VSTIMECMP] = a->csr.vstimecmp;
	r[R_HENVCFG] = a->csr.henvcfg;
	r[R_SCOUNTEREN] = a->csr.scounteren;
	r[R_SENVCFG] = a->csr.senvcfg;
	r[R_TIMER_DEADLINE] = a->timer_deadline;
	for (unsigned i = 0; i < 32; i++)
		r[R_F0 + i] = a->fp.f[i];
	r[R_FCSR] = a->fp.fcsr;
	r[R_STA_SHMEM] = a->sta.shmem;
	r[R_STA_ENABLED] = a->sta.enabled;
	for (unsigned i = 0; i < RISCV_FWFT_NR; i++)
		r[R_FWFT0 + i] = a->fwft.value[i];
	r[R_FWFT_LOCKED] = a->fwft.locked;
	ctl_put32(out, SNAP_RV_VERSION);
	ctl_put32(out + 4, R_COUNT);
	for (unsigned i = 0; i < R_COUNT; i++)
		ctl_put64(out + 8 + 8 * i, r[i]);
	return VCPU_PAYLOAD;
}

/* FWFT values a guest could have set with SBI FWFT SET (sbi_fwft.c's rules). */
static bool fwft_ok(const uint64_t *r)
{
	for (unsigned i = 0; i < RISCV_FWFT_NR; i++) {
		uint64_t v = r[R_FWFT0 + i];
		if (i == SBI_FWFT_POINTER_MASKING_PMLEN ? (v != 0 && v != 7 && v != 16) : v > 1)
			return false;
	}
	return r[R_FWFT_LOCKED] < BIT(RISCV_FWFT_NR);
}

int arch_snap_vcpu_load(struct vcpu *v, const uint8_t *p, uint32_t len)
{
	uint64_t r[R_COUNT];
	if (len != VCPU_PAYLOAD || ctl_get32(p) != SNAP_RV_VERSION || ctl_get32(p + 4) != R_COUNT) {
		pr_err("vm %s: restore: vCPU %u: VCPU_ARCH of an unknown layout", v->vm->name,
		       v->id);
		return -FV_EINVAL;
	}
	for (unsigned i = 0; i < R_COUNT; i++)
		r[i] = ctl_get64(p + 8 + 8 * i);
	/* The STA record must lie in the VM's RAM (the writer checks it again on every write). */
	bool sta_bad =
	    r[R_STA_ENABLED] > 1 ||
	    (r[R_STA_ENABLED] && sbi_sta_check_shmem(r[R_STA_SHMEM], 0, 0, v->vm->ram_gpa,
	                                             v->vm->ram_size) != SBI_SUCCESS);
	if (!fwft_ok(r) || sta_bad || (r[R_FCSR] >> 8)) {
		pr_err("vm %s: restore: vCPU %u: SBI or FP state out of range", v->vm->name, v->id);
		return -FV_EINVAL;
	}
	struct vcpu_arch *a = &v->arch;
	/* A fresh vCPU (as after hart start), then the guest's own state on top. */
	arch_vcpu_reset(v, r[R_PC], 0, 0);
	for (unsigned i = 1; i < 32; i++)
		a->ctx.x[i] = r[R_X1 + i - 1];
	a->ctx.sstatus = (a->ctx.sstatus & ~SSTATUS_SPP) | (r[R_SSTATUS] & SSTATUS_SPP);
	a->ctx.hstatus = (a->ctx.hstatus & ~HSTATUS_SPVP) | (r[R_HSTATUS] & HSTATUS_SPVP);
	/* WARL CSRs: the hardware keeps only legal values when they are loaded. */
	a->csr.vsstatus = r[R_VSSTATUS];
	a->csr.vsie = r[R_VSIE];
	a->csr.vstvec = r[R_VSTVEC];
	a->csr.vsscratch = r[R_VSSCRATCH];
	a->csr.vsepc = r[R_VSEPC];
	a->csr.vscause = r[R_VSCAUSE];
	a->csr.vstval = r[R_VSTVAL];
	a->csr.vsatp = r[R_VSATP];
	a->csr.hvip = r[R_HVIP] & MIP_VSSIP; /* VSTIP/VSEIP are re-derived */
	a->csr.vstimecmp = r[R_VSTIMECMP];
	a->csr.scounteren = r[R_SCOUNTEREN];
	a->csr.senvcfg = r[R_SENVCFG];
	a->timer_deadline = r[R_TIMER_DEADLINE];
	for (unsigned i = 0; i < 32; i++)
		a->fp.f[i] = r[R_F0 + i];
	a->fp.fcsr = r[R_FCSR];
	a->sta.shmem = r[R_STA_SHMEM];
	a->sta.enabled = r[R_STA_ENABLED] != 0;
	a->sta.boot = v->vm->boots;
	for (unsigned i = 0; i < RISCV_FWFT_NR; i++)
		a->fwft.value[i] = r[R_FWFT0 + i];
	a->fwft.locked = (uint32_t)r[R_FWFT_LOCKED];
	a->csr.henvcfg = riscv_fwft_henvcfg(v, a->csr.henvcfg);
	/* A timer deadline is armed by arch_snap_clock_resume, against the final clock. */
	return 0;
}
