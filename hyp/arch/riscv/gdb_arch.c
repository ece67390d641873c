// SPDX-License-Identifier: MIT
/*
 * RISC-V side of the guest debugger (core/gdb.h): the vCPU's registers in
 * gdb's RISC-V numbering, VS-stage translation for memory by virtual
 * address, the next pc of a single step, breakpoint instructions, the
 * guest clock across a halt and the target description.
 * Every function runs on the console tick with the vCPU halted and off
 * every CPU, so its saved state (vcpu->arch) is the whole truth.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/gdb_arch.h"
#include "arch/riscv/insn_decode.h"
#include "arch/riscv/stage2_pt.h"
#include "arch/riscv/next_pc.h"
#include "arch/riscv/ptwalk.h"
#include "arch/riscv/riscv.h"
#include "core/gdb.h"
#include "core/gdb_stub.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/fv_err.h"
#include "lib/string.h"

/* The guest's S-level CSRs (VS CSRs as the guest sees them), by CSR number. */
enum {
	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_SATP = 0x180,
};

/* The guest's CSR slot for csr, or NULL (sip is derived, see below). */
static uint64_t *csr_slot(struct vcpu *v, unsigned csr)
{
	struct riscv_vs_csrs *c = &v->arch.csr;
	switch (csr) {
	case CSR_SSTATUS:
		return &c->vsstatus;
	case CSR_SIE:
		return &c->vsie;
	case CSR_STVEC:
		return &c->vstvec;
	case CSR_SSCRATCH:
		return &c->vsscratch;
	case CSR_SEPC:
		return &c->vsepc;
	case CSR_SCAUSE:
		return &c->vscause;
	case CSR_STVAL:
		return &c->vstval;
	case CSR_SATP:
		return &c->vsatp;
	default:
		return NULL;
	}
}

int gdb_arch_reg_read(struct vcpu *v, unsigned regno, uint64_t *val, unsigned *size)
{
	const struct vcpu_arch *a = &v->arch;
	*size = 8;
	if (regno < 32) {
		*val = regno ? a->ctx.x[regno] : 0;
	} else if (regno == GDB_REG_PC) {
		*val = a->ctx.sepc;
	} else if (regno >= GDB_REG_F0 && regno < GDB_REG_F0 + 32) {
		*val = a->fp.f[regno - GDB_REG_F0];
	} else if (regno == GDB_REG_FFLAGS) {
		*val = a->fp.fcsr & 0x1f;
		*size = 4;
	} else if (regno == GDB_REG_FRM) {
		*val = (a->fp.fcsr >> 5) & 7;
		*size = 4;
	} else if (regno == GDB_REG_FCSR) {
		*val = a->fp.fcsr & 0xff;
		*size = 4;
	} else if (regno == GDB_REG_CSR0 + CSR_SIP) {
		/* VS-level pending bits sit one above the S ones in hvip (VSSIP = bit 2 -> SSIP =
		 * 1). */
		uint64_t hvip = a->csr.hvip;
		uint32_t virq = __atomic_load_n(&v->virq_pending, __ATOMIC_ACQUIRE);
		if (virq & VIRQ_SOFT)
			hvip |= MIP_VSSIP;
		if (virq & VIRQ_TIMER)
			hvip |= MIP_VSTIP;
		if (virq & VIRQ_EXT)
			hvip |= MIP_VSEIP;
		*val = (hvip & VS_IRQ_MASK) >> 1;
	} else if (regno >= GDB_REG_CSR0 && csr_slot(v, regno - GDB_REG_CSR0)) {
		*val = *csr_slot(v, regno - GDB_REG_CSR0);
	} else {
		return -FV_ENOENT;
	}
	return 0;
}

int gdb_arch_reg_write(struct vcpu *v, unsigned regno, uint64_t val)
{
	struct vcpu_arch *a = &v->arch;
	if (regno < 32) {
		if (regno)
			a->ctx.x[regno] = val;
	} else if (regno == GDB_REG_PC) {
		a->ctx.sepc = val;
	} else if (regno >= GDB_REG_F0 && regno < GDB_REG_F0 + 32) {
		a->fp.f[regno - GDB_REG_F0] = val;
	} else if (regno == GDB_REG_FFLAGS) {
		a->fp.fcsr = (a->fp.fcsr & ~0x1fULL) | (val & 0x1f);
	} else if (regno == GDB_REG_FRM) {
		a->fp.fcsr = (a->fp.fcsr & ~0xe0ULL) | ((val & 7) << 5);
	} else if (regno == GDB_REG_FCSR) {
		a->fp.fcsr = val & 0xff;
	} else if (regno >= GDB_REG_CSR0 && csr_slot(v, regno - GDB_REG_CSR0)) {
		/* Loaded into the VS CSRs on the next run: WARL fields settle in hardware. */
		*csr_slot(v, regno - GDB_REG_CSR0) = val;
	} else {
		return -FV_ENOENT;
	}
	return 0;
}

int gdb_arch_translate(struct vcpu *v, uint64_t va, uint64_t *gpa)
{
	int ret = riscv_ptwalk(v->arch.csr.vsatp, va, PTW_DEBUG, riscv_guest_pte_read, v->vm, gpa);
	return ret ? -FV_EFAULT : 0;
}

uint64_t gdb_arch_pc(struct vcpu *v)
{
	return v->arch.ctx.sepc;
}

int gdb_arch_next_pc(struct vcpu *v, uint32_t insn, uint64_t *next)
{
	struct riscv_step_regs r = {
	    .pc = v->arch.ctx.sepc,
	    .x = v->arch.ctx.x,
	    .sepc = v->arch.csr.vsepc,
	    .stvec = v->arch.csr.vstvec,
	};
	*next = riscv_next_pc(insn, &r);
	return 0;
}

unsigned gdb_arch_insn_len(const uint8_t b[2])
{
	/* Low bits 11: a 32-bit instruction; anything else is compressed (RVC). */
	return (b[0] & 3) == 3 ? 4 : 2;
}

unsigned gdb_arch_bp_insn(uint64_t kind, uint8_t out[4])
{
	/* gdb's kind is the length of the instruction replaced. */
	if (kind == 2) {
		out[0] = 0x02; /* c.ebreak 0x9002 */
		out[1] = 0x90;
		return 2;
	}
	if (kind == 4) {
		out[0] = 0x73; /* ebreak 0x00100073 */
		out[1] = 0x00;
		out[2] = 0x10;
		out[3] = 0x00;
		return 4;
	}
	return 0;
}

int gdb_arch_protect(struct vm *vm, uint64_t gpa_page, bool trap_r, bool trap_w)
{
	/* RAM is mapped RWX (arch_vm_map_ram); W needs R, so trapping reads traps writes too. */
	unsigned perms = STAGE2_R | STAGE2_W | STAGE2_X;
	if (trap_r)
		perms = STAGE2_X;
	else if (trap_w)
		perms = STAGE2_R | STAGE2_X;
	if (!vm_gpa_to_hva(vm, gpa_page, PAGE_SIZE))
		return -FV_EFAULT; /* not RAM: nothing the watch could protect */
	spin_lock(&vm->mem_lock);
	int ret = stage2_pt_set_perms(&vm->arch.s2, gpa_page, PAGE_SIZE, perms);
	spin_unlock(&vm->mem_lock);
	/*
	 * Every vCPU is off its CPU: a new generation makes each CPU flush this
	 * VM's G-stage entries before it runs one of them again (arch_vcpu_load).
	 */
	__atomic_fetch_add(&vm->mem_gen, 1, __ATOMIC_RELEASE);
	riscv_hfence_gvma_vmid(vm->arch.vmid);
	return ret;
}

/* Do the guest's load/store a on host memory, as the hardware would have. */
static bool emulate(struct vcpu *v, uint64_t gpa, const struct mmio_access *a)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	uint8_t *h = vm_gpa_to_hva(v->vm, gpa, a->width);
	if (!h)
		return false;
	if (a->is_store) {
		uint64_t val = a->reg ? ctx->x[a->reg] : 0;
		for (unsigned i = 0; i < a->width; i++)
			__atomic_store_n(&h[i], (uint8_t)(val >> (8 * i)), __ATOMIC_RELAXED);
	} else {
		uint64_t val = 0;
		for (unsigned i = 0; i < a->width; i++)
			val |= (uint64_t)__atomic_load_n(&h[i], __ATOMIC_RELAXED) << (8 * i);
		if (a->reg)
			ctx->x[a->reg] = insn_mmio_extend(val, a);
	}
	ctx->sepc += a->insn_len;
	return true;
}

bool riscv_gdb_watch_fault(struct vcpu *v, bool *leave)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	bool is_store = ctx->scause == EXC_STORE_GUEST_PF;
	uint64_t gpa = (ctx->htval << 2) | (ctx->stval & 3);
	if (!gdb_watch_page(v->vm, gpa))
		return false;
	struct mmio_access a;
	int ret = -FV_EINVAL;
	if (ctx->htinst)
		ret = insn_decode_transformed(ctx->htinst, &a);
	if (ret == -FV_EINVAL) {
		uint32_t insn;
		ret = riscv_guest_fetch_insn(ctx->sepc, &insn) ? insn_decode_raw(insn, &a)
		                                               : -FV_EFAULT;
	}
	bool plain = ret == INSN_DECODE_MMIO && a.is_store == is_store;
	uint64_t start = plain && ctx->htinst ? gpa - a.addr_offset : gpa;
	/*
	 * An access we cannot size or emulate (AMO, LR/SC, FP, the guest's own
	 * page-table walk) stops the VM as a hit rather than slipping past.
	 */
	enum gdb_watch_verdict vd = gdb_watch_fault(v, start, plain ? a.width : 0, is_store);
	if (vd == GDB_WATCH_NONE)
		return false;
	if (vd == GDB_WATCH_HIT) {
		*leave = true;
		return true;
	}
	*leave = false;
	if (!emulate(v, start, &a)) {
		/* The page is RAM (it is watched): cannot happen; stop rather than loop. */
		vm_request(v->vm, VM_ACTION_CRASH, "gdb: watched access could not be emulated");
		*leave = true;
	}
	return true;
}

void gdb_arch_time_shift(struct vm *vm, uint64_t ticks)
{
	/*
	 * guest time = host time + htimedelta: taking the halted ticks off the
	 * offset makes the guest's clock resume where it stopped. Every vCPU is
	 * off its CPU; the next load writes the new value into htimedelta. The
	 * guest's comparators (vstimecmp) are in guest time and move with it.
	 */
	vm->arch.htimedelta -= ticks;
	/*
	 * Without Sstc the guest timer is a host timer armed at deadline -
	 * htimedelta: re-arm it against the new offset, or it would fire early.
	 * (With Sstc, a wake timer armed before the halt may wake a WFI early,
	 * which the guest sees as a spurious wake-up, allowed by the spec.)
	 */
	for (unsigned i = 0; !riscv_feat.sstc && i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];
		if (v->arch.timer_deadline != UINT64_MAX)
			riscv_vtimer_set(v, v->arch.timer_deadline);
	}
}

#define XREG(name, n) "<reg name=\"" name "\" bitsize=\"64\" regnum=\"" #n "\" type=\"int\"/>"
#define FREG(name, n)                                                                              \
	"<reg name=\"" name "\" bitsize=\"64\" regnum=\"" #n "\" type=\"ieee_double\"/>"
#define CREG(name, n) "<reg name=\"" name "\" bitsize=\"64\" regnum=\"" #n "\"/>"

/* clang-format off */
static const char target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>riscv:rv64</architecture>"
    "<feature name=\"org.gnu.gdb.riscv.cpu\">"
    XREG("zero", 0) XREG("ra", 1) XREG("sp", 2) XREG("gp", 3)
    XREG("tp", 4) XREG("t0", 5) XREG("t1", 6) XREG("t2", 7)
    XREG("fp", 8) XREG("s1", 9) XREG("a0", 10) XREG("a1", 11)
    XREG("a2", 12) XREG("a3", 13) XREG("a4", 14) XREG("a5", 15)
    XREG("a6", 16) XREG("a7", 17) XREG("s2", 18) XREG("s3", 19)
    XREG("s4", 20) XREG("s5", 21) XREG("s6", 22) XREG("s7", 23)
    XREG("s8", 24) XREG("s9", 25) XREG("s10", 26) XREG("s11", 27)
    XREG("t3", 28) XREG("t4", 29) XREG("t5", 30) XREG("t6", 31)
    "<reg name=\"pc\" bitsize=\"64\" regnum=\"32\" type=\"code_ptr\"/></feature>"
    "<feature name=\"org.gnu.gdb.riscv.fpu\">"
    FREG("ft0", 33) FREG("ft1", 34) FREG("ft2", 35) FREG("ft3", 36)
    FREG("ft4", 37) FREG("ft5", 38) FREG("ft6", 39) FREG("ft7", 40)
    FREG("fs0", 41) FREG("fs1", 42) FREG("fa0", 43) FREG("fa1", 44)
    FREG("fa2", 45) FREG("fa3", 46) FREG("fa4", 47) FREG("fa5", 48)
    FREG("fa6", 49) FREG("fa7", 50) FREG("fs2", 51) FREG("fs3", 52)
    FREG("fs4", 53) FREG("fs5", 54) FREG("fs6", 55) FREG("fs7", 56)
    FREG("fs8", 57) FREG("fs9", 58) FREG("fs10", 59) FREG("fs11", 60)
    FREG("ft8", 61) FREG("ft9", 62) FREG("ft10", 63) FREG("ft11", 64)
    "<reg name=\"fflags\" bitsize=\"32\" regnum=\"66\" type=\"int\"/>"
    "<reg name=\"frm\" bitsize=\"32\" regnum=\"67\" type=\"int\"/>"
    "<reg name=\"fcsr\" bitsize=\"32\" regnum=\"68\" type=\"int\"/></feature>"
    "<feature name=\"org.gnu.gdb.riscv.csr\">"
    CREG("sstatus", 321) CREG("sie", 325) CREG("stvec", 326) CREG("sscratch", 385)
    CREG("sepc", 386) CREG("scause", 387) CREG("stval", 388) CREG("sip", 389)
    CREG("satp", 449) "</feature></target>";
/* clang-format on */

_Static_assert(GDB_REG_CSR0 + CSR_SATP == 449 && GDB_REG_CSR0 + CSR_SSTATUS == 321,
               "CSR register numbers in the XML");
_Static_assert(GDB_REG_FCSR == 68, "fcsr register number in the XML");

const char *gdb_arch_target_xml(void)
{
	return target_xml;
}
