// SPDX-License-Identifier: MIT
/*
 * arm64 side of the guest debugger (core/gdb.h): registers in gdb's aarch64 core order
 * (x0..x30, sp, pc, cpsr). Guest virtual address translation, single-step prediction and
 * stage-2 watchpoints are not there yet on arm64: those hooks answer -FV_ENOTSUP, which
 * the stub reports to gdb as an error (docs/arm64.md).
 */
#include "core/arch.h"
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

int gdb_arch_translate(struct vcpu *v, uint64_t va, uint64_t *gpa)
{
	/* MMU off: virtual = physical. With it on, a stage-1 walker is needed (not yet). */
	if (v->arch.el1.sctlr & 1)
		return -FV_EFAULT;
	*gpa = va;
	return 0;
}

uint64_t gdb_arch_pc(struct vcpu *v)
{
	return v->arch.ctx.pc;
}

int gdb_arch_next_pc(struct vcpu *v, uint32_t insn, uint64_t *next)
{
	UNUSED(v);
	UNUSED(insn);
	UNUSED(next);
	return -FV_ENOTSUP;
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
	UNUSED(vm);
	UNUSED(gpa_page);
	UNUSED(trap_r);
	UNUSED(trap_w);
	return -FV_ENOTSUP;
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
