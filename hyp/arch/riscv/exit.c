// SPDX-License-Identifier: MIT
/*
 * Guest exit dispatch: one handler per scause (table), plus exception
 * injection into VS-mode. Handlers see the snapshot trap.S stored in
 * vcpu->arch.ctx; they return true when the core scheduler must act.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/gdb_arch.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi.h"
#include "arch/riscv/vinsn.h"
#include "core/console.h"
#include "core/gdb.h"
#include "core/percpu.h"
#include "core/prof.h"
#include "core/sched.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "core/vm_virtio.h"
#include "lib/printf.h"
#include "core/stat.h"

typedef bool (*exit_handler)(struct vcpu *v);

/* SBI_PMU_FW_* event + 1 (0 = none) for an exception cause injected into the guest. */
static const uint8_t pmu_fw_of_cause[] = {
    [EXC_ILLEGAL_INST] = SBI_PMU_FW_ILLEGAL_INSN + 1,
    [EXC_LOAD_MISALIGNED] = SBI_PMU_FW_MISALIGNED_LOAD + 1,
    [EXC_LOAD_ACCESS] = SBI_PMU_FW_ACCESS_LOAD + 1,
    [EXC_STORE_MISALIGNED] = SBI_PMU_FW_MISALIGNED_STORE + 1,
    [EXC_STORE_ACCESS] = SBI_PMU_FW_ACCESS_STORE + 1,
};

void riscv_inject_exception(struct vcpu *v, uint64_t cause, uint64_t tval)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	uint64_t vstvec = csr_read(vstvec);
	uint64_t handler = vstvec & ~3UL;
	/*
	 * A guest whose own trap handler cannot be fetched would fault
	 * forever: stop it instead, with the reason in the log.
	 */
	if ((cause == EXC_INST_ACCESS || cause == EXC_INST_PAGE_FAULT) && ctx->sepc == handler) {
		char why[96];
		fv_snprintf(
		    why, sizeof(why),
		    "vCPU %u cannot fetch its trap handler at 0x%lx (cause %lu): stopping VM",
		    v->id, (unsigned long)handler, (unsigned long)cause);
		vm_request(v->vm, VM_ACTION_CRASH, why);
		return;
	}
	/* Firmware events of the SBI PMU: traps Ferrovisor handles for the guest. */
	if (cause < ARRAY_SIZE(pmu_fw_of_cause) && pmu_fw_of_cause[cause])
		riscv_vpmu_fw_event(v, pmu_fw_of_cause[cause] - 1);
	uint64_t vsstatus = csr_read(vsstatus);
	/* Trap into VS-mode: SPP records VS (1) or VU (0), SIE moves to SPIE. */
	vsstatus &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (ctx->sstatus & SSTATUS_SPP)
		vsstatus |= SSTATUS_SPP;
	if (vsstatus & SSTATUS_SIE)
		vsstatus |= SSTATUS_SPIE;
	vsstatus &= ~SSTATUS_SIE;
	csr_write(vsstatus, vsstatus);
	csr_write(vscause, cause);
	csr_write(vstval, tval);
	csr_write(vsepc, ctx->sepc);
	ctx->sepc = handler;
	/* The handler runs in VS-mode even if the fault came from VU-mode. */
	ctx->sstatus |= SSTATUS_SPP;
}

static bool exit_ecall(struct vcpu *v)
{
	STAT_INC(v->stats.by_kind[EXIT_HCALL]);
	riscv_sbi_ecall(v);
	return v->state != VCPU_RUNNING;
}

/*
 * The instruction of a virtual-instruction trap: stval when the hart wrote
 * it there (optional in the spec; 0 is never a valid instruction), else
 * read from guest memory with the permissions of the mode that trapped
 * (QEMU leaves stval 0 for wrs.nto). 0 if that read faults.
 */
static uint32_t trapped_insn(const struct riscv_guest_ctx *ctx, bool from_vs)
{
	uint64_t hstatus = csr_read(hstatus);
	uint32_t insn = 0;

	if (ctx->stval)
		return (uint32_t)ctx->stval;
	if (from_vs)
		csr_write(hstatus, hstatus | HSTATUS_SPVP);
	else
		csr_write(hstatus, hstatus & ~HSTATUS_SPVP);
	if (!riscv_guest_fetch_insn(ctx->sepc, &insn))
		insn = 0;
	csr_write(hstatus, hstatus);
	return insn;
}

static bool exit_virtual_inst(struct vcpu *v)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	/* sstatus.SPP of the trap: 1 = from VS-mode, 0 = from VU-mode. */
	bool from_vs = (ctx->sstatus & SSTATUS_SPP) != 0;
	uint32_t insn = trapped_insn(ctx, from_vs);
	enum vinsn_action action = vinsn_classify(insn, from_vs);

	/* A VU-mode WFI is VINSN_ILLEGAL: what a hart without H does. */
	if (action == VINSN_WAIT) {
		STAT_INC(v->stats.by_kind[EXIT_WFI]);
		ctx->sepc += 4;
		vm_virtio_halt_poll(v);
		/*
		 * hw_wake: while v is loaded its enabled VS interrupts end our
		 * wfi (vsie's bits alias hie's VS bits when hideleg delegates
		 * them, and wfi wakes on any locally enabled pending interrupt,
		 * priv spec 3.3.3), the vstimecmp timer included.
		 */
		return !sched_halt(v, true);
	}
	/* Counter CSR reads trap on purpose (vpmu.c). */
	if (riscv_vpmu_emulate_csr(v, insn)) {
		STAT_INC(v->stats.by_kind[EXIT_VIRT_INST]);
		return v->state != VCPU_RUNNING;
	}
	/*
	 * Zawrs: with hstatus.VTW set, a wrs.nto (VS or VU) that does not end
	 * within the implementation's bound traps here; the guest re-checks
	 * its reservation after it. (QEMU 10 traps every wrs.nto under VTW.)
	 */
	if (action == VINSN_COMPLETE) {
		STAT_INC(v->stats.by_kind[EXIT_VIRT_INST]);
		ctx->sepc += 4;
		return false;
	}
	/*
	 * Anything else (hypervisor CSRs, hfence, hlv from VS...) is not
	 * available to the guest: it sees an illegal instruction, as on a
	 * CPU without the H extension.
	 */
	STAT_INC(v->stats.by_kind[EXIT_VIRT_INST]);
	riscv_inject_exception(v, EXC_ILLEGAL_INST, insn);
	return false;
}

static bool exit_guest_page_fault(struct vcpu *v)
{
	bool leave;
	/* A page a debugger watchpoint protects (gdb_arch.c); only while one is attached. */
	if (gdb_vm_attached(v->vm) && riscv_gdb_watch_fault(v, &leave))
		return leave || v->state != VCPU_RUNNING;
	STAT_INC(v->stats.by_kind[EXIT_MMIO]);
	riscv_handle_guest_page_fault(v, NULL);
	return v->state != VCPU_RUNNING;
}

static bool exit_inst_guest_page_fault(struct vcpu *v)
{
	/* First fetch from a RAM block this boot: zero and map it, then retry. */
	int ret = vm_ram_populate(v->vm, v->arch.ctx.htval << 2);
	if (ret == 0)
		return false;
	if (ret != -FV_ENOENT) {
		vm_request(v->vm, VM_ACTION_CRASH, "out of memory mapping guest RAM: stopping VM");
		return v->state != VCPU_RUNNING;
	}
	/* Executing outside its RAM: an instruction access fault for the guest. */
	STAT_INC(v->stats.by_kind[EXIT_GUEST_FAULT]);
	riscv_inject_exception(v, EXC_INST_ACCESS, v->arch.ctx.stval);
	return v->state != VCPU_RUNNING;
}

/* Exceptions the firmware or hedeleg sent to HS although they are the guest's. */
static bool exit_reflect(struct vcpu *v)
{
	STAT_INC(v->stats.by_kind[EXIT_GUEST_FAULT]);
	riscv_inject_exception(v, v->arch.ctx.scause, v->arch.ctx.stval);
	return v->state != VCPU_RUNNING;
}

/*
 * ebreak (or a guest's own debug trigger) while a debugger is attached to the
 * VM, which is when hedeleg sends them here: the debugger's breakpoints stop
 * the VM, everything else goes to the guest as if delegated.
 */
static bool exit_breakpoint(struct vcpu *v)
{
	if (gdb_breakpoint_hit(v, v->arch.ctx.sepc)) {
		STAT_INC(v->stats.by_kind[EXIT_OTHER]);
		return true;
	}
	return exit_reflect(v);
}

static bool exit_irq(struct vcpu *v)
{
	STAT_INC(v->stats.by_kind[EXIT_IRQ]);
	riscv_handle_host_irqs();
	return cpu_this()->need_resched;
}

static const exit_handler exc_handlers[] = {
    [EXC_INST_MISALIGNED] = exit_reflect,
    [EXC_INST_ACCESS] = exit_reflect,
    [EXC_ILLEGAL_INST] = exit_reflect,
    [EXC_BREAKPOINT] = exit_breakpoint,
    [EXC_LOAD_MISALIGNED] = exit_reflect,
    [EXC_LOAD_ACCESS] = exit_reflect,
    [EXC_STORE_MISALIGNED] = exit_reflect,
    [EXC_STORE_ACCESS] = exit_reflect,
    [EXC_ECALL_U] = exit_reflect,
    [EXC_ECALL_VS] = exit_ecall,
    [EXC_INST_PAGE_FAULT] = exit_reflect,
    [EXC_LOAD_PAGE_FAULT] = exit_reflect,
    [EXC_STORE_PAGE_FAULT] = exit_reflect,
    [EXC_INST_GUEST_PF] = exit_inst_guest_page_fault,
    [EXC_LOAD_GUEST_PF] = exit_guest_page_fault,
    [EXC_VIRTUAL_INST] = exit_virtual_inst,
    [EXC_STORE_GUEST_PF] = exit_guest_page_fault,
};

static bool exit_unexpected(struct vcpu *v);

bool riscv_handle_exit(struct vcpu *v)
{
	uint64_t cause = v->arch.ctx.scause;
	if (cause & SCAUSE_INTR)
		return exit_irq(v);
	if (cause < ARRAY_SIZE(exc_handlers) && exc_handlers[cause]) {
		if (prof_active())
			return riscv_prof_windowed(exc_handlers[cause], v);
		return exc_handlers[cause](v);
	}
	return exit_unexpected(v);
}

/*
 * A trap no handler takes stops the VM. Out of line: its message buffer
 * would otherwise give riscv_handle_exit a stack frame on every exit.
 */
static bool __attribute__((noinline, cold)) exit_unexpected(struct vcpu *v)
{
	uint64_t cause = v->arch.ctx.scause;
	STAT_INC(v->stats.by_kind[EXIT_OTHER]);
	char why[96];
	fv_snprintf(why, sizeof(why), "unexpected trap scause=%lu sepc=0x%lx: stopping VM",
	            (unsigned long)cause, (unsigned long)v->arch.ctx.sepc);
	vm_request(v->vm, VM_ACTION_CRASH, why);
	return true;
}
