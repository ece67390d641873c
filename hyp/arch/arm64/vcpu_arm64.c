// SPDX-License-Identifier: MIT
/*
 * arm64 vCPU: reset state, load/put of the EL1 context, and the enter/exit loop. General
 * registers and the exit syndrome are switched by entry.S on every exit; EL1 system
 * registers, the virtual timer and FP/SIMD only when the vCPU moves on or off a CPU.
 */
#include "arch/arm64/arm64.h"
#include "arch/arm64/asm_offsets.h"
#include "arch/arm64/esr_decode.h"
#include "arch/arm64/vgic.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/gdb.h"
#include "core/mmio.h"
#include "core/percpu.h"
#include "core/sched.h"
#include "core/stat.h"
#include "core/timer.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/printf.h"
#include "lib/string.h"

void arch_vcpu_reset(struct vcpu *v, gpa_t entry, uint64_t a0, uint64_t a1)
{
	struct vcpu_arch *a = &v->arch;
	uint64_t hcalls[ARM64_HCALL_STAT_SLOTS];
	memcpy(hcalls, a->hcalls, sizeof(hcalls)); /* metrics counters are monotonic */
	bool dbg_trap = a->dbg_trap;               /* how the vCPU is loaded, if it is */
	memset(a, 0, sizeof(*a));
	memcpy(a->hcalls, hcalls, sizeof(hcalls));
	a->dbg_trap = dbg_trap;
	a->ctx.x[0] = a0;
	a->ctx.x[1] = a1;
	a->ctx.pc = entry;
	/* EL1h with every exception masked, MMU and caches off: the CPU_ON / boot state. */
	a->ctx.pstate = PSTATE_EL1H_MASKED;
	a->el1.sctlr = SCTLR_EL1_RESET;
	/* vCPU i is MPIDR Aff0 = i (bit 31 RES1; U = 0: a multiprocessor system). */
	a->el1.vmpidr = (1ULL << 31) | v->id;
	arm64_vgic_vcpu_reset(v);
}

static void el1_restore(const struct arm64_el1_regs *r)
{
	sysreg_write(sctlr_el1, r->sctlr);
	sysreg_write(ttbr0_el1, r->ttbr0);
	sysreg_write(ttbr1_el1, r->ttbr1);
	sysreg_write(tcr_el1, r->tcr);
	sysreg_write(mair_el1, r->mair);
	sysreg_write(amair_el1, r->amair);
	sysreg_write(vbar_el1, r->vbar);
	sysreg_write(contextidr_el1, r->contextidr);
	sysreg_write(tpidr_el0, r->tpidr_el0);
	sysreg_write(tpidrro_el0, r->tpidrro_el0);
	sysreg_write(tpidr_el1, r->tpidr_el1);
	sysreg_write(sp_el0, r->sp_el0);
	sysreg_write(sp_el1, r->sp_el1);
	sysreg_write(elr_el1, r->elr);
	sysreg_write(spsr_el1, r->spsr);
	sysreg_write(esr_el1, r->esr);
	sysreg_write(far_el1, r->far);
	sysreg_write(afsr0_el1, r->afsr0);
	sysreg_write(afsr1_el1, r->afsr1);
	sysreg_write(cpacr_el1, r->cpacr);
	sysreg_write(csselr_el1, r->csselr);
	sysreg_write(cntkctl_el1, r->cntkctl);
	sysreg_write(par_el1, r->par);
	sysreg_write(mdscr_el1, r->mdscr);
	sysreg_write(vmpidr_el2, r->vmpidr);
	sysreg_write(cntv_cval_el0, r->cntv_cval);
	sysreg_write(cntv_ctl_el0, r->cntv_ctl);
}

static void el1_save(struct arm64_el1_regs *r)
{
	r->sctlr = sysreg_read(sctlr_el1);
	r->ttbr0 = sysreg_read(ttbr0_el1);
	r->ttbr1 = sysreg_read(ttbr1_el1);
	r->tcr = sysreg_read(tcr_el1);
	r->mair = sysreg_read(mair_el1);
	r->amair = sysreg_read(amair_el1);
	r->vbar = sysreg_read(vbar_el1);
	r->contextidr = sysreg_read(contextidr_el1);
	r->tpidr_el0 = sysreg_read(tpidr_el0);
	r->tpidrro_el0 = sysreg_read(tpidrro_el0);
	r->tpidr_el1 = sysreg_read(tpidr_el1);
	r->sp_el0 = sysreg_read(sp_el0);
	r->sp_el1 = sysreg_read(sp_el1);
	r->elr = sysreg_read(elr_el1);
	r->spsr = sysreg_read(spsr_el1);
	r->esr = sysreg_read(esr_el1);
	r->far = sysreg_read(far_el1);
	r->afsr0 = sysreg_read(afsr0_el1);
	r->afsr1 = sysreg_read(afsr1_el1);
	r->cpacr = sysreg_read(cpacr_el1);
	r->csselr = sysreg_read(csselr_el1);
	r->cntkctl = sysreg_read(cntkctl_el1);
	r->par = sysreg_read(par_el1);
	r->mdscr = sysreg_read(mdscr_el1);
	r->cntv_ctl = sysreg_read(cntv_ctl_el0);
	r->cntv_cval = sysreg_read(cntv_cval_el0);
}

void arch_vcpu_load(struct vcpu *v)
{
	struct cpu *c = cpu_this();
	struct vm *vm = v->vm;
	sysreg_write(vttbr_el2, vm->arch.vttbr);
	sysreg_write(cntvoff_el2, vm->arch.cntvoff);
	el1_restore(&v->arch.el1);
	arm64_debug_load(v);
	arm64_fp_restore(&v->arch.fp);
	arm64_vgic_load(v);
	sysreg_write(hcr_el2, HCR_GUEST);
	isb();
	/*
	 * Stage-1 entries are tagged by VMID and guest ASID only: another vCPU of the same VM
	 * may have left entries that are stale for this one. And a VM whose RAM was unmapped
	 * (restart), or a new VM with a reused VMID, drops everything of that VMID here.
	 */
	uint32_t gen = __atomic_load_n(&vm->mem_gen, __ATOMIC_ACQUIRE);
	bool stale = vm->id < ARRAY_SIZE(c->mem_gen_seen) && c->mem_gen_seen[vm->id] != gen;
	if (stale || c->last_vcpu != v) {
		__asm__ volatile("tlbi vmalls12e1\n dsb nsh\n isb" ::: "memory");
		if (vm->id < ARRAY_SIZE(c->mem_gen_seen))
			c->mem_gen_seen[vm->id] = gen;
		c->last_vcpu = v;
	}
}

void arch_vcpu_put(struct vcpu *v)
{
	uint64_t mdscr = v->arch.el1.mdscr;
	el1_save(&v->arch.el1);
	arm64_debug_put(v, mdscr);
	arm64_vgic_put(v);
	/* The guest's timer must not fire for whoever runs here next. */
	sysreg_write(cntv_ctl_el0, 0);
	arm64_fp_save(&v->arch.fp);
	sysreg_write(hcr_el2, HCR_HOST);
	sysreg_write(vttbr_el2, 0);
	isb();
}

void arch_vcpu_run_prepare(struct vcpu *v)
{
	/* Woken from a PSCI SYSTEM_SUSPEND (its VM was VM_SUSPENDED). */
	arm64_psci_system_resumed(v);
}

void arch_vcpu_fence(struct vcpu *v, uint32_t reqs)
{
	UNUSED(v);
	/* VTTBR_EL2 holds the VM's VMID (loaded): these act on this VM's entries only. */
	if (reqs & VCPU_REQ_TLB_FLUSH)
		__asm__ volatile("dsb ishst\n tlbi vmalle1\n dsb nsh\n isb" ::: "memory");
	if (reqs & VCPU_REQ_FENCE_I)
		__asm__ volatile("ic iallu\n dsb nsh\n isb" ::: "memory");
}

bool arch_vcpu_irq_wakeable(struct vcpu *v)
{
	/* A WFI ends on any interrupt pending for the vCPU, masked or not (Arm ARM D1.16.2). */
	return __atomic_load_n(&v->virq_pending, __ATOMIC_ACQUIRE) != 0 || arm64_vgic_wakeable(v);
}

uint64_t arch_vcpu_timer_deadline_ns(struct vcpu *v)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);
	if ((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK)) != CNT_CTL_ENABLE)
		return UINT64_MAX;
	/* Virtual count = physical count - CNTVOFF: the deadline in physical ticks. */
	uint64_t host = sysreg_read(cntv_cval_el0) + v->vm->arch.cntvoff;
	uint64_t now = arch_time_ticks();
	if ((int64_t)(host - now) <= 0)
		return time_ticks_to_ns(now);
	return time_ticks_to_ns(host);
}

/* Stop the VM over something its guest did that cannot be emulated; one log line. */
static bool guest_crash(struct vcpu *v, const char *what)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	char why[160];
	fv_snprintf(why, sizeof(why), "vCPU %u: %s (ESR 0x%lx, pc 0x%lx, FAR 0x%lx): stopping VM",
	            v->id, what, (unsigned long)ctx->esr, (unsigned long)ctx->pc,
	            (unsigned long)ctx->far);
	vm_request(v->vm, VM_ACTION_CRASH, why);
	return true;
}

static bool exit_dabt(struct vcpu *v)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	struct arm64_dabt d;
	int ret = arm64_dabt_decode(ctx->esr, ctx->far, ctx->hpfar, &d);
	/* First touch of a RAM block this boot: zero and map it, then retry the access. */
	int pop = vm_ram_populate(v->vm, d.gpa);
	if (pop == 0)
		return false;
	if (pop != -FV_ENOENT)
		return guest_crash(v, "out of memory mapping guest RAM");
	STAT_INC(v->stats.by_kind[EXIT_MMIO]);
	if (ret != 0)
		return guest_crash(v, "access outside RAM that cannot be emulated");
	/* Devices take naturally aligned accesses only. */
	if (d.gpa & (d.width - 1U))
		return guest_crash(v, "misaligned device access");
	uint64_t val = 0;
	if (d.is_write) {
		val = d.reg == 31 ? 0 : ctx->x[d.reg];
		if (d.width < 8)
			val &= (1ULL << (d.width * 8U)) - 1;
	}
	uint64_t t0 = TRACE_ON(TRACE_C_MMIO) ? arch_time_ticks() : 0;
	ret = mmio_bus_access(&v->vm->mmio, v, d.gpa, d.width, d.is_write, &val);
	TRACE(TEV_MMIO, v->vm->id, v->id, d.gpa, t0, d.width | (d.is_write ? 0x100u : 0u));
	if (ret)
		return guest_crash(v, "access to an address no device or RAM answers");
	if (!d.is_write && d.reg != 31)
		ctx->x[d.reg] = arm64_dabt_load_value(&d, val);
	ctx->pc += 4;
	return false;
}

static bool exit_iabt(struct vcpu *v)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	gpa_t gpa = ((ctx->hpfar & 0x00000ffffffffff0ULL) << 8) | (ctx->far & 0xfff);
	int pop = vm_ram_populate(v->vm, gpa);
	if (pop == 0)
		return false;
	if (pop != -FV_ENOENT)
		return guest_crash(v, "out of memory mapping guest RAM");
	return guest_crash(v, "instruction fetch outside RAM");
}

static bool exit_sync(struct vcpu *v)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	unsigned ec = (unsigned)(ctx->esr >> ESR_EC_SHIFT) & 0x3f;
	switch (ec) {
	case ESR_EC_HVC64:
		/* ELR already points after the HVC. */
		STAT_INC(v->stats.by_kind[EXIT_HCALL]);
		arm64_psci_guest_call(v);
		return v->state != VCPU_RUNNING;
	case ESR_EC_SMC64:
		/* A trapped SMC (HCR_EL2.TSC): ELR is the SMC itself. Same services as HVC. */
		STAT_INC(v->stats.by_kind[EXIT_HCALL]);
		ctx->pc += 4;
		arm64_psci_guest_call(v);
		return v->state != VCPU_RUNNING;
	case ESR_EC_WFX:
		STAT_INC(v->stats.by_kind[EXIT_WFI]);
		ctx->pc += 4;
		/* WFI (TI = 0) blocks until an interrupt; WFE and the timed forms just give the
		 * CPU away once (ending early is always allowed). */
		if (!(ctx->esr & 3))
			sched_block(v);
		return v->state != VCPU_RUNNING || (ctx->esr & 3);
	case ESR_EC_SYSREG:
		STAT_INC(v->stats.by_kind[EXIT_VIRT_INST]);
		/* SGI generation (ICC_SGI1R/ASGI1R/SGI0R_EL1 writes trap while HCR_EL2.IMO is set).
		 */
		if ((ctx->esr & 0x31fc1f) == ((3U << 20) | (12U << 10) | (11U << 1)) &&
		    ((ctx->esr >> 17) & 7) >= 5) {
			unsigned rt = (unsigned)(ctx->esr >> 5) & 31;
			arm64_vgic_sgi(v, rt == 31 ? 0 : ctx->x[rt]);
			ctx->pc += 4;
			return false;
		}
		/* ID registers (HCR_EL2.TID3): reads get the guest's view; they are read-only. */
		if ((ctx->esr & 0x31fc01) == ((3U << 20) | 1U) && ((ctx->esr >> 1) & 0xf) >= 1 &&
		    ((ctx->esr >> 1) & 0xf) <= 7) {
			unsigned rt = (unsigned)(ctx->esr >> 5) & 31;
			if (rt != 31)
				ctx->x[rt] =
				    arm64_idreg_guest_value((unsigned)(ctx->esr >> 1) & 0xf,
				                            (unsigned)(ctx->esr >> 17) & 7);
			ctx->pc += 4;
			return false;
		}
		/* ACTLR_EL1 traps (HCR_EL2.TACR): reads as 0, writes ignored. */
		if ((ctx->esr & 0x3ffc1e) == ((3U << 20) | (1U << 17) | (1U << 10))) {
			unsigned rt = (unsigned)(ctx->esr >> 5) & 31;
			if ((ctx->esr & 1) && rt != 31)
				ctx->x[rt] = 0;
			ctx->pc += 4;
			return false;
		}
		/* Debug registers (MDCR_EL2.TDE, only while a debugger is attached). */
		if (arm64_debug_sysreg(v))
			return false;
		return guest_crash(v, "trapped system register access");
	case ESR_EC_DABT_LOW: {
		/* A page a debugger watchpoint protects (gdb_arch.c); only while one is attached.
		 */
		bool leave;
		if (gdb_vm_attached(v->vm) && arm64_gdb_watch_fault(v, &leave))
			return leave || v->state != VCPU_RUNNING;
		return exit_dabt(v);
	}
	case ESR_EC_BRK64:
	case ESR_EC_BKPT32:
		/* Only while a debugger is attached (MDCR_EL2.TDE) do these come here. */
		STAT_INC(v->stats.by_kind[EXIT_OTHER]);
		return arm64_debug_brk(v);
	case ESR_EC_IABT_LOW:
		return exit_iabt(v);
	default:
		STAT_INC(v->stats.by_kind[EXIT_OTHER]);
		return guest_crash(v, "unhandled exception class");
	}
}

bool arm64_handle_exit(struct vcpu *v, unsigned type)
{
	struct cpu *c = cpu_this();
	__atomic_store_n(&v->in_guest, false, __ATOMIC_RELAXED);
	STAT_INC(v->stats.exits);
	STAT_INC(c->stats.guest_exits);
	/*
	 * a0: ESR_EL2 for a synchronous exit; an interrupt or SError leaves ESR stale, so those
	 * say bit 63 + the exit type instead (ESR's bits above 37 are RES0: no clash).
	 */
	TRACE(TEV_EXIT, v->vm->id, v->id,
	      type == ARM64_EXIT_SYNC ? v->arch.ctx.esr : (1ULL << 63) | type, v->arch.ctx.pc,
	      (uint32_t)v->arch.ctx.far);
	switch (type) {
	case ARM64_EXIT_SYNC:
		return exit_sync(v);
	case ARM64_EXIT_IRQ:
		STAT_INC(v->stats.by_kind[EXIT_IRQ]);
		arm64_handle_host_irqs();
		return false;
	default:
		STAT_INC(v->stats.by_kind[EXIT_OTHER]);
		return guest_crash(v, type == ARM64_EXIT_SERR ? "SError" : "FIQ");
	}
}

bool arch_vcpu_enter(struct vcpu *v)
{
	for (;;) {
		arm64_vgic_flush(v);
		__atomic_store_n(&v->in_guest, true, __ATOMIC_RELEASE);
		unsigned type = arm64_guest_run(&v->arch.ctx);
		if (arm64_handle_exit(v, type))
			return true;
		if (!vcpu_may_reenter(v, cpu_this()->need_resched))
			return false;
	}
}

void arch_vcpu_describe(struct vcpu *v, char *buf, size_t len)
{
	const struct vcpu_arch *a = &v->arch;
	fv_snprintf(
	    buf, len,
	    "pc=0x%lx pstate=0x%lx sctlr=0x%lx vbar=0x%lx cntv_ctl=0x%lx virq=0x%x req=0x%x",
	    (unsigned long)a->ctx.pc, (unsigned long)a->ctx.pstate, (unsigned long)a->el1.sctlr,
	    (unsigned long)a->el1.vbar, (unsigned long)a->el1.cntv_ctl, v->virq_pending,
	    v->requests);
}

bool arch_vcpu_call_stat(const struct vcpu *v, unsigned i, const char **name, uint64_t *count)
{
	static const char *const names[ARM64_HCALL_STAT_SLOTS] = {"psci", "other"};
	if (i >= ARM64_HCALL_STAT_SLOTS)
		return false;
	*name = names[i];
	*count = __atomic_load_n(&v->arch.hcalls[i], __ATOMIC_RELAXED);
	return true;
}
