// SPDX-License-Identifier: MIT
/*
 * arm64 side of the guest debugger (core/gdb.h): registers in gdb's aarch64 core order
 * (x0..x30, sp, pc, cpsr); guest virtual addresses through the guest's own stage-1 tables
 * (s1walk.c); single steps by a BRK where the instruction leads (next_pc.c: the core's
 * step point, as on RISC-V); watchpoints by stage-2 permissions of the watched page, whose
 * faults arm64_gdb_watch_fault sorts into hits and accesses to emulate. The vCPU-side
 * trapping (MDCR_EL2.TDE, the guest's own BRKs) is debug_arm64.c's.
 * The gdb_arch_* hooks run on the console tick with every vCPU halted and off its CPU, so
 * the saved state (vcpu->arch) is the whole truth.
 */
#include "arch/arm64/arm64.h"
#include "arch/arm64/esr_decode.h"
#include "arch/arm64/next_pc.h"
#include "arch/arm64/s1walk.h"
#include "core/arch.h"
#include "core/dirty_log.h"
#include "core/gdb.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define REG_SP   31
#define REG_PC   32
#define REG_CPSR 33

int gdb_arch_reg_read(struct vcpu *v, unsigned regno, uint64_t *val, unsigned *size)
{
	const struct vcpu_arch *a = &v->arch;
	*size = 8;
	if (regno < 31)
		*val = a->ctx.x[regno];
	else if (regno == REG_SP)
		*val = (a->ctx.pstate & 1) ? a->el1.sp_el1 : a->el1.sp_el0; /* EL1h or EL1t/EL0 */
	else if (regno == REG_PC)
		*val = a->ctx.pc;
	else if (regno == REG_CPSR) {
		*val = (uint32_t)a->ctx.pstate;
		*size = 4;
	} else
		return -FV_EINVAL;
	return 0;
}

int gdb_arch_reg_write(struct vcpu *v, unsigned regno, uint64_t val)
{
	struct vcpu_arch *a = &v->arch;
	if (regno < 31)
		a->ctx.x[regno] = val;
	else if (regno == REG_SP && (a->ctx.pstate & 1))
		a->el1.sp_el1 = val;
	else if (regno == REG_SP)
		a->el1.sp_el0 = val;
	else if (regno == REG_PC)
		a->ctx.pc = val;
	else
		return -FV_EINVAL; /* PSTATE is not the debugger's to change (mode, masks) */
	return 0;
}

/* A stage-1 descriptor of v's guest: 8 bytes of its RAM, nothing else (s1walk.h). */
static bool s1_read(void *ctx, uint64_t gpa, uint64_t *desc)
{
	struct vm *vm = ctx;
	const uint64_t *h = (gpa & 7) ? NULL : vm_gpa_to_hva(vm, gpa, 8);
	if (!h)
		return false; /* a table outside the VM's RAM: the translation fails */
	*desc = __atomic_load_n(h, __ATOMIC_RELAXED);
	return true;
}

int gdb_arch_translate(struct vcpu *v, uint64_t va, uint64_t *gpa)
{
	const struct arm64_el1_regs *e = &v->arch.el1;
	struct arm64_s1_regs r = {
	    .sctlr = e->sctlr, .tcr = e->tcr, .ttbr0 = e->ttbr0, .ttbr1 = e->ttbr1};
	if (!(e->sctlr & 1) && vm_gpa_to_hva(v->vm, va, 1)) {
		*gpa = va; /* MMU off: RAM by its own address */
		return 0;
	}
	/*
	 * With the MMU off, any other address goes through the tables the vCPU last used:
	 * a vCPU in (or just back from) a PSCI powerdown, whose context is the CPU_ON state,
	 * resumes into them (Linux's kernel tables stay in TTBR1_EL1), and the debugger
	 * should still read kernel memory through it. A vCPU that never set them up has a
	 * TCR_EL1 of 0, which the walk refuses.
	 */
	r.sctlr |= 1;
	return arm64_s1_walk(&r, va, s1_read, v->vm, gpa) ? -FV_EFAULT : 0;
}

uint64_t gdb_arch_pc(struct vcpu *v)
{
	return v->arch.ctx.pc;
}

int gdb_arch_next_pc(struct vcpu *v, uint32_t insn, uint64_t *next)
{
	struct arm64_step_regs r = {
	    .pc = v->arch.ctx.pc,
	    .x = v->arch.ctx.x,
	    .pstate = v->arch.ctx.pstate,
	    .elr_el1 = v->arch.el1.elr,
	    .vbar_el1 = v->arch.el1.vbar,
	};
	return arm64_next_pc(insn, &r, next);
}

unsigned gdb_arch_insn_len(const uint8_t b[2])
{
	UNUSED(b);
	return 4; /* A64: every instruction is one word */
}

unsigned gdb_arch_bp_insn(uint64_t kind, uint8_t out[4])
{
	if (kind != 4)
		return 0;
	/* BRK #0, little endian. */
	out[0] = 0x00;
	out[1] = 0x00;
	out[2] = 0x20;
	out[3] = 0xd4;
	return 4;
}

void gdb_arch_time_shift(struct vm *vm, uint64_t ticks)
{
	/* Virtual count = physical - CNTVOFF: a larger offset hides the halted time. */
	vm->arch.cntvoff += ticks;
}

int gdb_arch_protect(struct vm *vm, uint64_t gpa_page, bool trap_r, bool trap_w)
{
	if (!vm_gpa_to_hva(vm, gpa_page, PAGE_SIZE))
		return -FV_EFAULT; /* not RAM: nothing the watch could protect (and now mapped) */
	/* Stage 2 can take read away and keep write, but a write watch alone keeps read. */
	return arm64_s2_page_perms(vm, gpa_page, !trap_r, !trap_r && !trap_w);
}

/* Do the guest's single-register load or store d on RAM, as the hardware would have. */
static bool emulate(struct vcpu *v, const struct arm64_dabt *d)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	uint8_t *h = vm_gpa_to_hva(v->vm, d->gpa, d->width);
	if (!h)
		return false;
	/* Aligned accesses stay single-copy atomic (the other vCPUs run on meanwhile). */
	bool aligned = !(d->gpa & (d->width - 1U));
	if (d->is_write) {
		uint64_t val = d->reg == 31 ? 0 : ctx->x[d->reg];
		if (aligned && d->width == 8)
			__atomic_store_n((uint64_t *)(void *)h, val, __ATOMIC_RELAXED);
		else if (aligned && d->width == 4)
			__atomic_store_n((uint32_t *)(void *)h, (uint32_t)val, __ATOMIC_RELAXED);
		else if (aligned && d->width == 2)
			__atomic_store_n((uint16_t *)(void *)h, (uint16_t)val, __ATOMIC_RELAXED);
		else
			for (unsigned i = 0; i < d->width; i++)
				__atomic_store_n(&h[i], (uint8_t)(val >> (8 * i)),
				                 __ATOMIC_RELAXED);
		dirty_log_written(v->vm, d->gpa, d->width);
	} else {
		uint64_t val = 0;
		if (aligned && d->width == 8)
			val = __atomic_load_n((uint64_t *)(void *)h, __ATOMIC_RELAXED);
		else if (aligned && d->width == 4)
			val = __atomic_load_n((uint32_t *)(void *)h, __ATOMIC_RELAXED);
		else if (aligned && d->width == 2)
			val = __atomic_load_n((uint16_t *)(void *)h, __ATOMIC_RELAXED);
		else
			for (unsigned i = 0; i < d->width; i++)
				val |= (uint64_t)__atomic_load_n(&h[i], __ATOMIC_RELAXED)
				       << (8 * i);
		if (d->reg != 31)
			ctx->x[d->reg] = arm64_dabt_load_value(d, val);
	}
	ctx->pc += 4;
	return true;
}

bool arm64_gdb_watch_fault(struct vcpu *v, bool *leave)
{
	struct arm64_guest_ctx *ctx = &v->arch.ctx;
	struct arm64_dabt d = {0};
	int ret = arm64_dabt_decode(ctx->esr, ctx->far, ctx->hpfar, &d);
	if (ret == -FV_EINVAL || !gdb_watch_page(v->vm, d.gpa))
		return false;
	/*
	 * An access the syndrome does not describe (load/store pair, atomics, SIMD, the guest's
	 * own stage-1 walk) cannot be sized or emulated: it stops the VM as a hit rather than
	 * slip past; gdb then steps over it with the watch removed.
	 */
	bool plain = ret == 0;
	enum gdb_watch_verdict vd = gdb_watch_fault(v, d.gpa, plain ? d.width : 0, d.is_write);
	if (vd == GDB_WATCH_NONE)
		return false;
	if (vd == GDB_WATCH_HIT) {
		*leave = true;
		return true;
	}
	*leave = false;
	if (!emulate(v, &d)) {
		/* The page is RAM (it is watched): cannot happen; stop rather than loop. */
		vm_request(v->vm, VM_ACTION_CRASH, "gdb: watched access could not be emulated");
		*leave = true;
	}
	return true;
}

const char *gdb_arch_target_xml(void)
{
	return "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	       "<target><architecture>aarch64</architecture>"
	       "<feature name=\"org.gnu.gdb.aarch64.core\">"
	       "<reg name=\"x0\" bitsize=\"64\"/><reg name=\"x1\" bitsize=\"64\"/>"
	       "<reg name=\"x2\" bitsize=\"64\"/><reg name=\"x3\" bitsize=\"64\"/>"
	       "<reg name=\"x4\" bitsize=\"64\"/><reg name=\"x5\" bitsize=\"64\"/>"
	       "<reg name=\"x6\" bitsize=\"64\"/><reg name=\"x7\" bitsize=\"64\"/>"
	       "<reg name=\"x8\" bitsize=\"64\"/><reg name=\"x9\" bitsize=\"64\"/>"
	       "<reg name=\"x10\" bitsize=\"64\"/><reg name=\"x11\" bitsize=\"64\"/>"
	       "<reg name=\"x12\" bitsize=\"64\"/><reg name=\"x13\" bitsize=\"64\"/>"
	       "<reg name=\"x14\" bitsize=\"64\"/><reg name=\"x15\" bitsize=\"64\"/>"
	       "<reg name=\"x16\" bitsize=\"64\"/><reg name=\"x17\" bitsize=\"64\"/>"
	       "<reg name=\"x18\" bitsize=\"64\"/><reg name=\"x19\" bitsize=\"64\"/>"
	       "<reg name=\"x20\" bitsize=\"64\"/><reg name=\"x21\" bitsize=\"64\"/>"
	       "<reg name=\"x22\" bitsize=\"64\"/><reg name=\"x23\" bitsize=\"64\"/>"
	       "<reg name=\"x24\" bitsize=\"64\"/><reg name=\"x25\" bitsize=\"64\"/>"
	       "<reg name=\"x26\" bitsize=\"64\"/><reg name=\"x27\" bitsize=\"64\"/>"
	       "<reg name=\"x28\" bitsize=\"64\"/><reg name=\"x29\" bitsize=\"64\"/>"
	       "<reg name=\"x30\" bitsize=\"64\"/>"
	       "<reg name=\"sp\" bitsize=\"64\" type=\"data_ptr\"/>"
	       "<reg name=\"pc\" bitsize=\"64\" type=\"code_ptr\"/>"
	       "<reg name=\"cpsr\" bitsize=\"32\"/>"
	       "</feature></target>";
}
