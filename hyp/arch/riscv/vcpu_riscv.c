// SPDX-License-Identifier: MIT
/*
 * RISC-V vCPU: reset state, load/put of the VS-level context, and the
 * enter/exit loop. GPRs and the exit CSRs are switched by trap.S on every
 * exit; VS CSRs and FP only when the vCPU moves on or off a CPU.
 */
#include "arch/riscv/asm_offsets.h"
#include "arch/riscv/csr.h"
#include "arch/riscv/exit_fast.h"
#include "arch/riscv/riscv.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/gdb.h"
#include "core/percpu.h"
#include "core/prof.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "arch/riscv/sbi/pmu_core.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "core/stat.h"
#include "core/trace.h"

static uint64_t guest_henvcfg(void)
{
	uint64_t v = ENVCFG_FIOM;
	if (riscv_feat.sstc)
		v |= ENVCFG_STCE;
	if (riscv_feat.svpbmt)
		v |= ENVCFG_PBMTE;
	if (riscv_feat.svadu)
		v |= ENVCFG_ADUE;
	if (riscv_feat.zicbom)
		v |= ENVCFG_CBIE | ENVCFG_CBCFE;
	if (riscv_feat.zicboz)
		v |= ENVCFG_CBZE;
	return v;
}

static void vtimer_fire(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	vcpu_virq_raise(arg, VIRQ_TIMER);
}

void arch_vcpu_reset(struct vcpu *v, gpa_t entry, uint64_t a0, uint64_t a1)
{
	struct vcpu_arch *a = &v->arch;
	timer_cancel(&v->vtimer);
	sbi_sse_vcpu_reset(v);
	memset(a, 0, sizeof(*a));
	a->ctx.x[10] = a0;
	a->ctx.x[11] = a1;
	a->ctx.sepc = entry;
	/* Return to VS-mode, HS interrupts (always on under V=1), FP usable (clean). */
	a->ctx.sstatus = SSTATUS_SPP | SSTATUS_FS_CLEAN | SSTATUS_UXL_64;
	/* SPVP: hlvx/hlv act as VS-mode S; VTW: WFI traps so the CPU can be yielded. */
	a->ctx.hstatus = HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_VTW | HSTATUS_VSXL_64;
	a->csr.vsstatus = SSTATUS_UXL_64;
	a->csr.vstimecmp = UINT64_MAX;
	riscv_fwft_reset(v);
	a->csr.henvcfg = riscv_fwft_henvcfg(v, guest_henvcfg());
	/* Only time passes through; counter reads trap to the virtual PMU (vpmu.c). */
	a->csr.hcounteren = COUNTEREN_TM;
	pmu_reset(&a->pmu);
	a->timer_deadline = UINT64_MAX;
	if (!v->vtimer.fn)
		timer_event_init(&v->vtimer, vtimer_fire, v);
}

void arch_vcpu_load(struct vcpu *v)
{
	struct vcpu_arch *a = &v->arch;
	struct cpu *c = cpu_this();
	csr_write(hgatp, v->vm->arch.hgatp);
	csr_write(htimedelta, v->vm->arch.htimedelta);
	csr_write(henvcfg, a->csr.henvcfg);
	csr_write(hcounteren, a->csr.hcounteren);
	csr_write(scounteren, a->csr.scounteren);
	csr_write(senvcfg, a->csr.senvcfg);
	csr_write(vsstatus, a->csr.vsstatus);
	csr_write(vsie, a->csr.vsie);
	csr_write(vstvec, a->csr.vstvec);
	csr_write(vsscratch, a->csr.vsscratch);
	csr_write(vsepc, a->csr.vsepc);
	csr_write(vscause, a->csr.vscause);
	csr_write(vstval, a->csr.vstval);
	csr_write(vsatp, a->csr.vsatp);
	csr_write(hvip, a->csr.hvip);
	if (riscv_feat.sstc)
		csr_write(vstimecmp, a->csr.vstimecmp);
	/*
	 * VS-stage TLB entries are tagged by VMID and guest ASID only, so
	 * another vCPU of the same VM (same VMID) may have left entries here
	 * that are stale for this one: flush when the vCPU changes.
	 */
	/* The VM's RAM was unmapped (restart) since this CPU last ran it: drop stale entries. */
	uint32_t gen = __atomic_load_n(&v->vm->mem_gen, __ATOMIC_ACQUIRE);
	if (v->vm->id < ARRAY_SIZE(c->mem_gen_seen) && c->mem_gen_seen[v->vm->id] != gen) {
		/*
		 * Also a new VM in a reused slot (vm_create: every VM starts at a
		 * fresh generation) whose VMID may be a destroyed VM's: drop that
		 * VM's G-stage and VS-stage entries (hgatp already holds the VMID).
		 */
		riscv_hfence_gvma_vmid(v->vm->arch.vmid);
		riscv_hfence_vvma_all();
		c->mem_gen_seen[v->vm->id] = gen;
	}
	riscv_dirty_load(v);
	if (c->last_vcpu != v) {
		if (riscv_feat.vmid_bits == 0)
			riscv_hfence_gvma_all();
		riscv_hfence_vvma_all();
		c->last_vcpu = v;
	}
	riscv_fwft_load(v);
	/* A debugged VM's breakpoint exceptions come to the hypervisor (gdb.h). */
	if (gdb_vm_attached(v->vm))
		csr_clear(hedeleg, BIT(EXC_BREAKPOINT));
	else
		csr_set(hedeleg, BIT(EXC_BREAKPOINT));
	riscv_dbtr_load(v);
	riscv_vpmu_load(v);
	csr_set(sstatus, SSTATUS_FS_INITIAL);
	riscv_fp_restore(&a->fp);
	a->ctx.sstatus = (a->ctx.sstatus & ~SSTATUS_FS) | SSTATUS_FS_CLEAN;
}

void arch_vcpu_put(struct vcpu *v)
{
	struct vcpu_arch *a = &v->arch;
	/*
	 * Still runnable: it is being preempted, so steal time starts growing
	 * (advisory STA flag). Written before the put completes, so the CPU
	 * that runs it next (it waits for running_cpu == -1) writes after us.
	 */
	if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_RUNNABLE)
		sbi_sta_update(v, true);
	riscv_dbtr_put(v);
	riscv_vpmu_put(v);
	a->csr.vsstatus = csr_read(vsstatus);
	a->csr.vsie = csr_read(vsie);
	a->csr.vstvec = csr_read(vstvec);
	a->csr.vsscratch = csr_read(vsscratch);
	a->csr.vsepc = csr_read(vsepc);
	a->csr.vscause = csr_read(vscause);
	a->csr.vstval = csr_read(vstval);
	a->csr.vsatp = csr_read(vsatp);
	/* Only VSSIP is guest state; VSTIP/VSEIP are re-derived from virq_pending. */
	a->csr.hvip = csr_read(hvip) & (riscv_feat.sstc ? MIP_VSSIP : VS_IRQ_MASK & ~MIP_VSEIP);
	a->csr.scounteren = csr_read(scounteren);
	a->csr.senvcfg = csr_read(senvcfg);
	if (riscv_feat.sstc) {
		a->csr.vstimecmp = csr_read(vstimecmp);
		/* Keep this CPU from raising VSTIP for a guest that left. */
		csr_write(vstimecmp, UINT64_MAX);
	}
	csr_write(hvip, 0);
	if ((a->ctx.sstatus & SSTATUS_FS) == SSTATUS_FS_DIRTY) {
		csr_set(sstatus, SSTATUS_FS_INITIAL);
		riscv_fp_save(&a->fp);
		a->ctx.sstatus = (a->ctx.sstatus & ~SSTATUS_FS) | SSTATUS_FS_CLEAN;
	}
}

uint64_t riscv_guest_time(struct vcpu *v)
{
	return csr_read(time) + v->vm->arch.htimedelta;
}

void riscv_vtimer_set(struct vcpu *v, uint64_t deadline)
{
	if (riscv_feat.sstc) {
		/* Hardware compares time + htimedelta with vstimecmp for us. */
		v->arch.csr.vstimecmp = deadline;
		csr_write(vstimecmp, deadline);
		return;
	}
	/* SBI set_timer clears a pending timer interrupt (SBI spec, TIME). */
	vcpu_virq_lower(v, VIRQ_TIMER);
	v->arch.timer_deadline = deadline;
	if (deadline == UINT64_MAX) {
		timer_cancel(&v->vtimer);
		return;
	}
	uint64_t host_ticks = deadline - v->vm->arch.htimedelta;
	if ((int64_t)(host_ticks - csr_read(time)) <= 0) {
		timer_cancel(&v->vtimer);
		vcpu_virq_raise(v, VIRQ_TIMER);
	} else {
		timer_arm(&v->vtimer, time_ticks_to_ns(host_ticks));
	}
}

bool arch_vcpu_irq_wakeable(struct vcpu *v)
{
	/* Called on the vCPU's own CPU while it is loaded: CSRs are live. */
	uint64_t pend = csr_read(hip) & VS_IRQ_MASK;
	uint32_t virq = __atomic_load_n(&v->virq_pending, __ATOMIC_ACQUIRE);
	if (virq & VIRQ_SOFT)
		pend |= MIP_VSSIP;
	if (virq & VIRQ_TIMER)
		pend |= MIP_VSTIP;
	if (virq & VIRQ_EXT)
		pend |= MIP_VSEIP;
	/* vsie holds the VS enables at their S positions (one bit lower). */
	if ((pend >> 1) & csr_read(vsie))
		return true;
	/* A supervisor software event also ends a WFI (it is delivered at entry). */
	return sbi_sse_deliverable(v);
}

uint64_t arch_vcpu_timer_deadline_ns(struct vcpu *v)
{
	if (!riscv_feat.sstc)
		return UINT64_MAX; /* the vtimer event wakes it */
	uint64_t cmp = csr_read(vstimecmp);
	if (cmp == UINT64_MAX || !(csr_read(vsie) & MIP_STIP))
		return UINT64_MAX;
	uint64_t host = cmp - v->vm->arch.htimedelta;
	uint64_t now = csr_read(time);
	if ((int64_t)(host - now) <= 0)
		return time_ticks_to_ns(now);
	return time_ticks_to_ns(host);
}

void riscv_hsm_resume(struct vcpu *v, struct sbi_result *r)
{
	if (!v->arch.hsm.suspended)
		return;
	v->arch.hsm.suspended = false;
	if (v->sys_suspended) {
		v->sys_suspended = false;
		vm_system_resumed(v->vm);
	}
	if (!v->arch.hsm.resume_nonret)
		return;
	/*
	 * Non-retentive resume (HSM hart_suspend, SUSP system_suspend): state
	 * as after hart_start (SBI spec v3.0 chapters 9 and 13).
	 */
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	ctx->sepc = v->arch.hsm.resume_addr;
	ctx->x[10] = v->id;
	ctx->x[11] = v->arch.hsm.resume_arg;
	ctx->sstatus |= SSTATUS_SPP;
	csr_write(vsatp, 0);
	csr_clear(vsstatus, SSTATUS_SIE);
	if (r)
		r->no_return = true;
}

/* instret at the hypervisor's first instruction (boot.S); in .data, set before BSS is cleared. */
uint64_t riscv_boot_instret __attribute__((section(".data")));
static bool first_entry_reported;

/* Report how many instructions the boot CPU retired from hypervisor entry to first guest entry. */
static void report_first_entry(void)
{
	uint64_t now = csr_read(instret);
	first_entry_reported = true;
	pr_info("first guest entry: %lu instructions after hypervisor entry",
	        (unsigned long)(now - riscv_boot_instret));
}

void arch_vcpu_run_prepare(struct vcpu *v)
{
	if (!first_entry_reported && cpu_this()->id == 0)
		report_first_entry();
	if (v->arch.hsm.suspended)
		riscv_hsm_resume(v, NULL);
	/* Steal time grows only while off a CPU: publish it once per switch-in. */
	sbi_sta_update(v, false);
}

void arch_vcpu_fence(struct vcpu *v, uint32_t reqs)
{
	/* G-stage too: a dirty-log write protection (dirty_riscv.c) is fenced this way. */
	if (reqs & VCPU_REQ_TLB_FLUSH) {
		riscv_hfence_gvma_vmid(v->vm->arch.vmid);
		riscv_hfence_vvma_all();
	}
	if (reqs & VCPU_REQ_FENCE_I)
		__asm__ volatile("fence.i" ::: "memory");
}

bool arch_vcpu_enter(struct vcpu *v)
{
	sbi_sse_deliver(v);
	riscv_apply_virqs(v);
	/*
	 * Release: sbi_rfence's wait reads in_guest only to bound itself
	 * (a vCPU entering with a fence still posted takes the kick IPI
	 * at once); no store-load order is relied on.
	 */
	__atomic_store_n(&v->in_guest, true, __ATOMIC_RELEASE);
	/* Exits are handled inside (exit_fast.c) until one needs core's loop. */
	return riscv_vcpu_enter(&v->arch.ctx) == RISCV_EXIT_LEAVE;
}

void arch_vcpu_describe(struct vcpu *v, char *buf, size_t len)
{
	/* Saved state: exact for a vCPU that is not loaded, a snapshot otherwise. */
	const struct vcpu_arch *a = &v->arch;
	fv_snprintf(
	    buf, len,
	    "pc=0x%lx vsstatus=0x%lx vsie=0x%lx hvip=0x%lx vstimecmp=0x%lx time=0x%lx "
	    "virq=0x%x req=0x%x",
	    (unsigned long)a->ctx.sepc, (unsigned long)a->csr.vsstatus, (unsigned long)a->csr.vsie,
	    (unsigned long)a->csr.hvip, (unsigned long)a->csr.vstimecmp,
	    (unsigned long)(csr_read(time) + v->vm->arch.htimedelta), v->virq_pending, v->requests);
}
