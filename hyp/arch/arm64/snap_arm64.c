// SPDX-License-Identifier: MIT
/*
 * arm64 part of VM snapshots (core/snap_arch.h; docs/snapshot-format.md, "VCPU_ARCH
 * (arm64)"): a vCPU's general registers, PC and PSTATE, every EL1/EL0 system register the
 * world switch saves (the virtual timer's CNTV_CTL/CVAL among them), FP/SIMD, and its part
 * of the virtual GICv3 (redistributor SGI/PPI state and the virtual CPU interface, list
 * registers included), as a version word and a fixed array of 64-bit values. The guest's
 * clock is the header's guest_time: the virtual count, continued through CNTVOFF_EL2.
 *
 * What a restore takes from the file is what the guest could have set itself: EL1
 * registers are the guest's to write anyway; PSTATE must name EL1 or EL0 in AArch64 (never
 * EL2: the hypervisor erets with it); MPIDR comes from the vCPU's index, not the file; a
 * list register must be a software interrupt of this VM (no HW link to a physical INTID, no
 * reserved bits, a vINTID the vGIC has, none twice) and fit this host's list registers.
 * List registers that only hold a pending interrupt are folded back into the model's
 * pending bits on save (snap_vgic_arm64.c does the SPIs), so a file carries only the
 * active ones. PSCI: a vCPU's power state is core's VCPU section; CPU_SUSPEND is a wait
 * like WFI here (psci_guest.c), so a suspended vCPU comes back running, an early wake-up
 * the PSCI spec allows. All of this runs with every vCPU off its CPU (core/snap_vm.c), so
 * the state lives in struct vcpu_arch, not in the system registers.
 */
#include "core/snap_arch.h"
#include "arch/arm64/snap_arm64.h"
#include "arch/arm64/vgic.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/ctl_proto.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

#define SNAP_A64_VERSION 1u

/* The EL1/EL0 system registers of struct arm64_el1_regs in payload order (not vmpidr). */
#define EL1_REGS(X)                                                                                \
	X(sctlr)                                                                                   \
	X(ttbr0)                                                                                   \
	X(ttbr1)                                                                                   \
	X(tcr)                                                                                     \
	X(mair)                                                                                    \
	X(amair)                                                                                   \
	X(vbar)                                                                                    \
	X(contextidr)                                                                              \
	X(tpidr_el0)                                                                               \
	X(tpidrro_el0)                                                                             \
	X(tpidr_el1)                                                                               \
	X(sp_el0)                                                                                  \
	X(sp_el1)                                                                                  \
	X(elr)                                                                                     \
	X(spsr)                                                                                    \
	X(esr)                                                                                     \
	X(far)                                                                                     \
	X(afsr0)                                                                                   \
	X(afsr1)                                                                                   \
	X(cpacr)                                                                                   \
	X(csselr)                                                                                  \
	X(cntkctl)                                                                                 \
	X(par)                                                                                     \
	X(mdscr)                                                                                   \
	X(cntv_ctl)                                                                                \
	X(cntv_cval)
#define COUNT_ONE(f) +1
enum { NR_EL1 = 0 EL1_REGS(COUNT_ONE) };

/* Index of each value in the VCPU_ARCH payload (after the 8-byte version word). */
enum {
	R_X0 = 0, /* x0..x30 */
	R_PC = 31,
	R_PSTATE,
	R_EL1,                 /* NR_EL1 values, EL1_REGS order */
	R_Q0 = R_EL1 + NR_EL1, /* q0..q31, low half then high half of each */
	R_FPCR = R_Q0 + 64,
	R_FPSR,
	R_GIC_ENABLED, /* redistributor SGI/PPI bits (bit n = INTID n) */
	R_GIC_PENDING,
	R_GIC_GROUP,
	R_GIC_CFG1,
	R_GIC_PRIO, /* 4 words: priority of INTID 0..31, byte n of word n / 8 */
	R_GIC_ASLEEP = R_GIC_PRIO + 4,
	R_ICH_VMCR,
	R_ICH_AP0R0,
	R_ICH_AP1R0,
	R_NR_LR, /* list registers that follow in use (active ones) */
	R_LR0,   /* ARM64_VGIC_MAX_LR values */
	R_COUNT = R_LR0 + ARM64_VGIC_MAX_LR,
};

#define VCPU_PAYLOAD (8u + 8u * R_COUNT)
_Static_assert(VCPU_PAYLOAD <= ARCH_SNAP_MAX, "VCPU_ARCH fits");

/* PSTATE bits a guest's SPSR_EL2 may carry back: NZCV, TCO, DIT, UAO, PAN, SS, SSBS,
 * BTYPE, DAIF, M[3:0] (M[4] = 0: AArch64). */
#define PSTATE_KEEP 0xf3e01fcfULL

bool arch_snap_available(void)
{
	return true;
}

const char *arch_snap_name(void)
{
	return "arm64";
}

uint64_t arch_snap_guest_time(const struct vm *vm)
{
	/* What the guest reads from CNTVCT_EL0: physical count - CNTVOFF_EL2. */
	return arch_time_ticks() - vm->arch.cntvoff;
}

uint32_t arch_snap_vm_save(const struct vm *vm, uint8_t *out)
{
	UNUSED(vm);
	/* The guest clock is the header's guest_time; the distributor is the IRQCHIP section. */
	ctl_put32(out, SNAP_A64_VERSION);
	ctl_put32(out + 4, 0);
	return 8;
}

int arch_snap_vm_load(struct vm *vm, const uint8_t *p, uint32_t len, uint64_t guest_time)
{
	if (len != 8 || ctl_get32(p) != SNAP_A64_VERSION || ctl_get32(p + 4)) {
		pr_err("vm %s: restore: VM_ARCH of an unknown layout", vm->name);
		return -FV_EINVAL;
	}
	arch_snap_clock_resume(vm, guest_time);
	return 0;
}

void arch_snap_clock_resume(struct vm *vm, uint64_t guest_time)
{
	/* The virtual count continues from the saved reading. CNTV_CVAL is in virtual time and
	 * moves with it; the software timer that samples it is re-armed at the first entry
	 * (vgic.c vtimer_track, vtimer_armed is 0 in a loaded vCPU). */
	vm->arch.cntvoff = arch_time_ticks() - guest_time;
}

uint32_t arch_snap_vcpu_suspend_save(const struct vcpu *v, uint64_t *resume_addr,
                                     uint64_t *resume_arg)
{
	UNUSED(v);
	/* A PSCI CPU_SUSPEND waits like WFI and has no state of its own (psci_guest.c). */
	*resume_addr = 0;
	*resume_arg = 0;
	return 0;
}

void arch_snap_vcpu_suspend_load(struct vcpu *v, uint32_t flags, uint64_t resume_addr,
                                 uint64_t resume_arg)
{
	/* Nothing to wait in: a vCPU a file calls suspended runs, as after an early wake-up. */
	UNUSED(v);
	UNUSED(flags);
	UNUSED(resume_addr);
	UNUSED(resume_arg);
}

uint32_t arch_snap_vcpu_save(const struct vcpu *v, uint8_t *out)
{
	const struct vcpu_arch *a = &v->arch;
	const struct arm64_vgic_cpu *g = &a->vgic;
	uint64_t r[R_COUNT];
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < 31; i++)
		r[R_X0 + i] = a->ctx.x[i];
	r[R_PC] = a->ctx.pc;
	r[R_PSTATE] = a->ctx.pstate;
	unsigned e = R_EL1;
#define PUT_EL1(f) r[e++] = a->el1.f;
	EL1_REGS(PUT_EL1)
#undef PUT_EL1
	for (unsigned i = 0; i < 64; i++)
		r[R_Q0 + i] = a->fp.q[i];
	r[R_FPCR] = a->fp.fpcr;
	r[R_FPSR] = a->fp.fpsr;
	uint32_t pending = g->pending;
	unsigned nlr = 0;
	for (unsigned n = 0; n < ARM64_VGIC_MAX_LR; n++) {
		uint64_t lr = g->lr[n];
		if (!(lr & ARM64_LR_STATE))
			continue;
		/* Only pending: back into the model (SPIs: arch_snap_irqchip_save). */
		if ((lr & ARM64_LR_STATE) == ARM64_LR_PENDING) {
			if ((uint32_t)lr < 32)
				pending |= 1U << (uint32_t)lr;
			continue;
		}
		r[R_LR0 + nlr++] = lr;
	}
	r[R_GIC_ENABLED] = g->enabled;
	r[R_GIC_PENDING] = pending;
	r[R_GIC_GROUP] = g->group;
	r[R_GIC_CFG1] = g->cfg1;
	for (unsigned i = 0; i < 32; i++)
		r[R_GIC_PRIO + i / 8] |= (uint64_t)g->prio[i] << (8 * (i % 8));
	r[R_GIC_ASLEEP] = g->asleep;
	r[R_ICH_VMCR] = g->vmcr;
	r[R_ICH_AP0R0] = g->ap0r0;
	r[R_ICH_AP1R0] = g->ap1r0;
	r[R_NR_LR] = nlr;
	ctl_put32(out, SNAP_A64_VERSION);
	ctl_put32(out + 4, R_COUNT);
	for (unsigned i = 0; i < R_COUNT; i++)
		ctl_put64(out + 8 + 8 * i, r[i]);
	return VCPU_PAYLOAD;
}

bool arm64_snap_lr_ok(uint64_t lr, unsigned nr_spi)
{
	uint64_t state = lr & ARM64_LR_STATE;
	uint32_t intid = (uint32_t)lr;
	/* Software interrupts only: HW (a physical INTID's deactivation), NMI, EOI maintenance
	 * and the reserved bits are never set by this vGIC. */
	return state != 0 &&
	       !(lr & ~(ARM64_LR_STATE | ARM64_LR_GROUP1 | ARM64_LR_PRIO_MASK | 0xffffffffULL)) &&
	       intid < 32 + nr_spi;
}

/* Why the vCPU values @r cannot be loaded, or NULL. */
static const char *vcpu_check(const uint64_t *r, unsigned nr_lrs)
{
	uint64_t m = r[R_PSTATE] & 0x1f;
	if (m != 0 && m != 4 && m != 5)
		return "PSTATE not EL1 or EL0 in AArch64";
	if ((r[R_FPCR] | r[R_FPSR]) >> 32)
		return "FPCR/FPSR upper bits set";
	if ((r[R_GIC_ENABLED] | r[R_GIC_PENDING] | r[R_GIC_GROUP] | r[R_GIC_CFG1]) >> 32 ||
	    (r[R_GIC_CFG1] & ~0xaaaaaaaaULL) || r[R_GIC_ASLEEP] > 1 ||
	    (r[R_ICH_VMCR] | r[R_ICH_AP0R0] | r[R_ICH_AP1R0]) >> 32)
		return "redistributor or CPU interface value out of range";
	if (r[R_NR_LR] > nr_lrs)
		return "more list registers than this host has";
	for (unsigned n = 0; n < ARM64_VGIC_MAX_LR; n++) {
		if (n >= r[R_NR_LR]) {
			if (r[R_LR0 + n])
				return "list register beyond the count in use";
			continue;
		}
		if (!arm64_snap_lr_ok(r[R_LR0 + n], ARM64_VGIC_NR_SPI))
			return "list register not a software interrupt of this VM";
		for (unsigned k = 0; k < n; k++)
			if ((uint32_t)r[R_LR0 + k] == (uint32_t)r[R_LR0 + n])
				return "one interrupt in two list registers";
	}
	return NULL;
}

int arch_snap_vcpu_load(struct vcpu *v, const uint8_t *p, uint32_t len)
{
	uint64_t r[R_COUNT];
	const char *why = NULL;
	if (len != VCPU_PAYLOAD || ctl_get32(p) != SNAP_A64_VERSION || ctl_get32(p + 4) != R_COUNT)
		why = "VCPU_ARCH of an unknown layout";
	for (unsigned i = 0; !why && i < R_COUNT; i++)
		r[i] = ctl_get64(p + 8 + 8 * i);
	if (!why)
		why = vcpu_check(r, arm64_vgic_nr_lrs());
	if (why) {
		pr_err("vm %s: restore: vCPU %u: %s", v->vm->name, v->id, why);
		return -FV_EINVAL;
	}
	struct vcpu_arch *a = &v->arch;
	/* A fresh vCPU (as after CPU_ON: MPIDR, a reset redistributor), then the guest's state. */
	arch_vcpu_reset(v, r[R_PC], 0, 0);
	for (unsigned i = 0; i < 31; i++)
		a->ctx.x[i] = r[R_X0 + i];
	a->ctx.pstate = r[R_PSTATE] & PSTATE_KEEP;
	unsigned e = R_EL1;
#define GET_EL1(f) a->el1.f = r[e++];
	EL1_REGS(GET_EL1)
#undef GET_EL1
	for (unsigned i = 0; i < 64; i++)
		a->fp.q[i] = r[R_Q0 + i];
	a->fp.fpcr = r[R_FPCR];
	a->fp.fpsr = r[R_FPSR];
	spin_lock(&v->vm->arch.vgic_lock);
	struct arm64_vgic_cpu *g = &a->vgic;
	g->enabled = (uint32_t)r[R_GIC_ENABLED];
	g->pending = (uint32_t)r[R_GIC_PENDING];
	g->group = (uint32_t)r[R_GIC_GROUP];
	g->cfg1 = (uint32_t)r[R_GIC_CFG1];
	for (unsigned i = 0; i < 32; i++)
		g->prio[i] = (uint8_t)(r[R_GIC_PRIO + i / 8] >> (8 * (i % 8)));
	g->asleep = r[R_GIC_ASLEEP] != 0;
	g->vmcr = r[R_ICH_VMCR];
	g->ap0r0 = r[R_ICH_AP0R0];
	g->ap1r0 = r[R_ICH_AP1R0];
	for (unsigned n = 0; n < ARM64_VGIC_MAX_LR; n++)
		g->lr[n] = r[R_LR0 + n];
	g->vtimer_armed = 0;
	spin_unlock(&v->vm->arch.vgic_lock);
	return 0;
}
