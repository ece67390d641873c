// SPDX-License-Identifier: MIT
/*
 * The virtual GICv3 of an arm64 VM (Arm IHI 0069). The guest sees:
 *  - a distributor (GICD) at VGIC_GICD_BASE, affinity routing always on, one security
 *    state: SPIs 32..32+ARM64_VGIC_NR_SPI-1, each routed to one vCPU (IROUTER Aff0);
 *  - one redistributor per vCPU (RD + SGI frames, 128 KiB each, from VGIC_GICR_BASE): the
 *    SGI/PPI enables, pending bits, priorities, and GICR_WAKER;
 *  - its CPU interface in hardware: with ICH_HCR_EL2.En the guest's ICC_* accesses go to the
 *    virtual interface (ICV_*), and the hypervisor puts interrupts in the list registers
 *    (ICH_LR<n>_EL2) before each entry. SGIs the guest sends (ICC_SGI1R_EL1) trap here.
 * The EL1 virtual timer (PPI 27) is a level the hypervisor samples (CNTV_CTL.ISTATUS) at
 * each entry, and a software timer at its deadline makes the vCPU exit so it is sampled in
 * time. Register accesses the model does not know, inside the distributor's 64 KiB or a
 * redistributor's frames, are RAZ/WI as the architecture permits for reserved addresses; the
 * unmapped space between them is no register at all (the access stops the VM, as any address
 * nothing answers). Every index from the guest is bounded here.
 */
#include "arch/arm64/arm64.h"
#include "arch/arm64/vgic.h"
#include "core/arch.h"
#include "core/console.h"
#include "core/mmio.h"
#include "core/sched.h"
#include "core/stat.h"
#include "core/timer.h"
#include "core/trace.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_ISACTIVER  0x0300
#define GICD_ICACTIVER  0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_PIDR2      0xffe8
#define CTLR_ARE_DS     ((1U << 4) | (1U << 6)) /* ARE (single state) and DS: fixed 1 */
#define CTLR_ENABLES    3U

#define GICR_CTLR  0x0000
#define GICR_IIDR  0x0004
#define GICR_TYPER 0x0008
#define GICR_WAKER 0x0014
#define GICR_PIDR2 0xffe8
#define GICR_SGI   0x10000
#define GICR_FRAME 0x20000

#define LR_STATE_MASK (3ULL << 62)
#define LR_PENDING    (1ULL << 62)
#define LR_GROUP1     (1ULL << 60)
#define LR_PRIO_SHIFT 48
#define ICH_HCR_EN    1ULL

#define VTIMER_INTID 27

static unsigned nr_lrs; /* ICH_VTR_EL2.ListRegs + 1, read at the first VM creation */

/* ---- list registers (system registers, numbered in the encoding) ---- */

static uint64_t lr_read(unsigned n)
{
	switch (n) {
	case 0:
		return sysreg_read(S3_4_C12_C12_0);
	case 1:
		return sysreg_read(S3_4_C12_C12_1);
	case 2:
		return sysreg_read(S3_4_C12_C12_2);
	case 3:
		return sysreg_read(S3_4_C12_C12_3);
	case 4:
		return sysreg_read(S3_4_C12_C12_4);
	case 5:
		return sysreg_read(S3_4_C12_C12_5);
	case 6:
		return sysreg_read(S3_4_C12_C12_6);
	case 7:
		return sysreg_read(S3_4_C12_C12_7);
	case 8:
		return sysreg_read(S3_4_C12_C13_0);
	case 9:
		return sysreg_read(S3_4_C12_C13_1);
	case 10:
		return sysreg_read(S3_4_C12_C13_2);
	case 11:
		return sysreg_read(S3_4_C12_C13_3);
	case 12:
		return sysreg_read(S3_4_C12_C13_4);
	case 13:
		return sysreg_read(S3_4_C12_C13_5);
	case 14:
		return sysreg_read(S3_4_C12_C13_6);
	default:
		return sysreg_read(S3_4_C12_C13_7);
	}
}

static void lr_write(unsigned n, uint64_t v)
{
	switch (n) {
	case 0:
		sysreg_write(S3_4_C12_C12_0, v);
		break;
	case 1:
		sysreg_write(S3_4_C12_C12_1, v);
		break;
	case 2:
		sysreg_write(S3_4_C12_C12_2, v);
		break;
	case 3:
		sysreg_write(S3_4_C12_C12_3, v);
		break;
	case 4:
		sysreg_write(S3_4_C12_C12_4, v);
		break;
	case 5:
		sysreg_write(S3_4_C12_C12_5, v);
		break;
	case 6:
		sysreg_write(S3_4_C12_C12_6, v);
		break;
	case 7:
		sysreg_write(S3_4_C12_C12_7, v);
		break;
	case 8:
		sysreg_write(S3_4_C12_C13_0, v);
		break;
	case 9:
		sysreg_write(S3_4_C12_C13_1, v);
		break;
	case 10:
		sysreg_write(S3_4_C12_C13_2, v);
		break;
	case 11:
		sysreg_write(S3_4_C12_C13_3, v);
		break;
	case 12:
		sysreg_write(S3_4_C12_C13_4, v);
		break;
	case 13:
		sysreg_write(S3_4_C12_C13_5, v);
		break;
	case 14:
		sysreg_write(S3_4_C12_C13_6, v);
		break;
	default:
		sysreg_write(S3_4_C12_C13_7, v);
		break;
	}
}

void arm64_vgic_load(struct vcpu *v)
{
	struct arm64_vgic_cpu *c = &v->arch.vgic;
	for (unsigned n = 0; n < nr_lrs; n++)
		lr_write(n, c->lr[n]);
	sysreg_write(S3_4_C12_C11_7, c->vmcr);    /* ICH_VMCR_EL2 */
	sysreg_write(S3_4_C12_C8_0, c->ap0r0);    /* ICH_AP0R0_EL2 */
	sysreg_write(S3_4_C12_C9_0, c->ap1r0);    /* ICH_AP1R0_EL2 */
	sysreg_write(S3_4_C12_C11_0, ICH_HCR_EN); /* ICH_HCR_EL2 */
	isb();
}

void arm64_vgic_put(struct vcpu *v)
{
	struct arm64_vgic_cpu *c = &v->arch.vgic;
	for (unsigned n = 0; n < nr_lrs; n++) {
		c->lr[n] = lr_read(n);
		lr_write(n, 0);
	}
	c->vmcr = sysreg_read(S3_4_C12_C11_7);
	c->ap0r0 = sysreg_read(S3_4_C12_C8_0);
	c->ap1r0 = sysreg_read(S3_4_C12_C9_0);
	sysreg_write(S3_4_C12_C11_0, 0);
	isb();
	/* An event never initialised has cpu 0, not -1: only cancel one vtimer_track set up. */
	if (v->vtimer.fn)
		timer_cancel(&v->vtimer);
	c->vtimer_armed = 0;
}

/* ---- interrupt state (vgic_lock held) ---- */

/* The vCPU an SPI goes to: IROUTER Aff0 if it names a vCPU (IRM or out of range: vCPU 0). */
static unsigned spi_target(const struct vm *vm, unsigned i)
{
	uint64_t r = vm->arch.vgic.route[i];
	if ((r & (1ULL << 31)) || (r & 0xff) >= vm->nr_vcpus || (r & 0xff00ffff00ULL))
		return 0;
	return (unsigned)(r & 0xff);
}

static void kick_target(struct vm *vm, unsigned cpu)
{
	if (cpu < vm->nr_vcpus && vm->vcpus[cpu])
		vcpu_kick(vm->vcpus[cpu]);
}

/* Devices' lines (core's irqchip_ops): line n is SPI n, INTID 32 + n. */
static void set_level(void *dev, unsigned line, bool level)
{
	struct vm *vm = dev;
	unsigned i = line;
	if (i >= ARM64_VGIC_NR_SPI)
		return;
	spin_lock(&vm->arch.vgic_lock);
	uint32_t bit = 1U << (i % 32);
	bool was = vm->arch.vgic.level[i / 32] & bit;
	if (level)
		vm->arch.vgic.level[i / 32] |= bit;
	else
		vm->arch.vgic.level[i / 32] &= ~bit;
	unsigned target = spi_target(vm, i);
	spin_unlock(&vm->arch.vgic_lock);
	if (level && !was)
		kick_target(vm, target);
}

static const struct irqchip_ops vgic_irqchip = {.set_level = set_level};

/* ---- distributor registers ---- */

/* A 1-bit-per-interrupt register bank of SPIs: the word for offset off from base, or NULL. */
static uint32_t *spi_word(uint32_t *bank, uint64_t off, uint64_t base)
{
	uint64_t w = (off - base) / 4;
	/* Word 0 is SGIs/PPIs (the redistributor's): RAZ/WI here with affinity routing. */
	if (w == 0 || w > ARM64_VGIC_NR_SPI / 32)
		return NULL;
	return &bank[w - 1];
}

static uint64_t gicd_read(struct vm *vm, uint64_t off, unsigned width)
{
	struct arm64_vgic_dist *d = &vm->arch.vgic;
	uint32_t *w;
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 32 + ARM64_VGIC_NR_SPI) {
		uint64_t v = 0;
		for (unsigned b = 0; b < width; b++) {
			uint64_t id = off - GICD_IPRIORITYR + b;
			if (id >= 32 && id < 32 + ARM64_VGIC_NR_SPI)
				v |= (uint64_t)d->prio[id - 32] << (8 * b);
		}
		return v;
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * (32 + ARM64_VGIC_NR_SPI))
		return d->route[(off - GICD_IROUTER) / 8 - 32];
	if (width != 4)
		return 0;
	switch (off) {
	case GICD_CTLR:
		return d->ctlr | CTLR_ARE_DS;
	case GICD_TYPER:
		/* ITLinesNumber: 32 * (N + 1) INTIDs; IDbits = 9 (10-bit INTIDs). */
		return (ARM64_VGIC_NR_SPI / 32) | (9U << 19);
	case GICD_IIDR:
		return 0x43b; /* implementer Arm */
	case GICD_PIDR2:
		return 0x3b; /* ArchRev 3: GICv3 */
	}
	if (off >= GICD_IGROUPR && off < GICD_ISENABLER &&
	    (w = spi_word(d->group, off, GICD_IGROUPR)))
		return *w;
	if (off >= GICD_ISENABLER && off < GICD_ISPENDR) {
		w = spi_word(d->enabled, off,
		             off < GICD_ICENABLER ? GICD_ISENABLER : GICD_ICENABLER);
		return w ? *w : 0;
	}
	if (off >= GICD_ISPENDR && off < GICD_ISACTIVER) {
		uint64_t base = off < GICD_ICPENDR ? GICD_ISPENDR : GICD_ICPENDR;
		w = spi_word(d->pending, off, base);
		return w ? *w | d->level[w - d->pending] : 0;
	}
	if (off >= GICD_ICFGR + 8 && off < GICD_ICFGR + 8 + ARM64_VGIC_NR_SPI / 4)
		return d->cfg[(off - GICD_ICFGR - 8) / 4];
	return 0;
}

static void gicd_write(struct vm *vm, uint64_t off, unsigned width, uint64_t val)
{
	struct arm64_vgic_dist *d = &vm->arch.vgic;
	uint32_t *w;
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 32 + ARM64_VGIC_NR_SPI) {
		for (unsigned b = 0; b < width; b++) {
			uint64_t id = off - GICD_IPRIORITYR + b;
			if (id >= 32 && id < 32 + ARM64_VGIC_NR_SPI)
				d->prio[id - 32] = (uint8_t)(val >> (8 * b));
		}
		return;
	}
	if (off >= GICD_IROUTER + 8 * 32 && off < GICD_IROUTER + 8 * (32 + ARM64_VGIC_NR_SPI)) {
		if (width == 8)
			d->route[(off - GICD_IROUTER) / 8 - 32] = val & 0xff800000ffffffULL;
		return;
	}
	if (width != 4)
		return;
	uint32_t v = (uint32_t)val;
	if (off == GICD_CTLR) {
		d->ctlr = v & CTLR_ENABLES;
		return;
	}
	if (off >= GICD_IGROUPR && off < GICD_ISENABLER &&
	    (w = spi_word(d->group, off, GICD_IGROUPR)))
		*w = v;
	else if (off >= GICD_ISENABLER && off < GICD_ICENABLER &&
	         (w = spi_word(d->enabled, off, GICD_ISENABLER)))
		*w |= v;
	else if (off >= GICD_ICENABLER && off < GICD_ISPENDR &&
	         (w = spi_word(d->enabled, off, GICD_ICENABLER)))
		*w &= ~v;
	else if (off >= GICD_ISPENDR && off < GICD_ICPENDR &&
	         (w = spi_word(d->pending, off, GICD_ISPENDR)))
		*w |= v;
	else if (off >= GICD_ICPENDR && off < GICD_ISACTIVER &&
	         (w = spi_word(d->pending, off, GICD_ICPENDR)))
		*w &= ~v;
	else if (off >= GICD_ICFGR + 8 && off < GICD_ICFGR + 8 + ARM64_VGIC_NR_SPI / 4)
		d->cfg[(off - GICD_ICFGR - 8) / 4] = v & 0xaaaaaaaaU; /* Int_config bits only */
}

/* ---- redistributor registers ---- */

static uint64_t gicr_read(struct vm *vm, unsigned cpu, uint64_t off, unsigned width)
{
	struct arm64_vgic_cpu *c = &vm->vcpus[cpu]->arch.vgic;
	if (off >= GICR_SGI + GICD_IPRIORITYR && off < GICR_SGI + GICD_IPRIORITYR + 32) {
		uint64_t v = 0;
		for (unsigned b = 0; b < width && off - GICR_SGI - GICD_IPRIORITYR + b < 32; b++)
			v |= (uint64_t)c->prio[off - GICR_SGI - GICD_IPRIORITYR + b] << (8 * b);
		return v;
	}
	if (off == GICR_TYPER && width == 8) {
		/* Affinity = Aff0 cpu, Processor_Number = cpu, Last on the final frame. */
		return ((uint64_t)cpu << 32) | ((uint64_t)cpu << 8) |
		       (cpu + 1 == vm->nr_vcpus ? (1ULL << 4) : 0);
	}
	if (width != 4)
		return 0;
	switch (off) {
	case GICR_CTLR:
		return 0;
	case GICR_IIDR:
		return 0x43b;
	case GICR_TYPER:
		return (cpu << 8) | (cpu + 1 == vm->nr_vcpus ? (1U << 4) : 0);
	case GICR_TYPER + 4:
		return cpu;
	case GICR_WAKER:
		return c->asleep ? 6 : 0; /* ProcessorSleep and ChildrenAsleep together */
	case GICR_PIDR2:
		return 0x3b;
	case GICR_SGI + GICD_IGROUPR:
		return c->group;
	case GICR_SGI + GICD_ISENABLER:
	case GICR_SGI + GICD_ICENABLER:
		return c->enabled;
	case GICR_SGI + GICD_ISPENDR:
	case GICR_SGI + GICD_ICPENDR:
		return c->pending;
	case GICR_SGI + GICD_ICFGR:
		return 0xaaaaaaaaU; /* SGIs are edge-triggered */
	case GICR_SGI + GICD_ICFGR + 4:
		return c->cfg1;
	default:
		return 0;
	}
}

static void gicr_write(struct vm *vm, unsigned cpu, uint64_t off, unsigned width, uint64_t val)
{
	struct arm64_vgic_cpu *c = &vm->vcpus[cpu]->arch.vgic;
	if (off >= GICR_SGI + GICD_IPRIORITYR && off < GICR_SGI + GICD_IPRIORITYR + 32) {
		for (unsigned b = 0; b < width && off - GICR_SGI - GICD_IPRIORITYR + b < 32; b++)
			c->prio[off - GICR_SGI - GICD_IPRIORITYR + b] = (uint8_t)(val >> (8 * b));
		return;
	}
	if (width != 4)
		return;
	uint32_t v = (uint32_t)val;
	switch (off) {
	case GICR_WAKER:
		c->asleep = (v & 2) != 0;
		break;
	case GICR_SGI + GICD_IGROUPR:
		c->group = v;
		break;
	case GICR_SGI + GICD_ISENABLER:
		c->enabled |= v;
		break;
	case GICR_SGI + GICD_ICENABLER:
		c->enabled &= ~v;
		break;
	case GICR_SGI + GICD_ISPENDR:
		c->pending |= v;
		break;
	case GICR_SGI + GICD_ICPENDR:
		c->pending &= ~v;
		break;
	case GICR_SGI + GICD_ICFGR + 4:
		c->cfg1 = v & 0xaaaaaaaaU;
		break;
	default:
		break; /* RAZ/WI */
	}
}

static int vgic_access(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val,
                       bool write)
{
	UNUSED(vcpu);
	struct vm *vm = dev;
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -FV_EINVAL;
	int ret = 0;
	unsigned kick = ~0U;
	spin_lock(&vm->arch.vgic_lock);
	if (off < VGIC_GICD_SIZE) {
		if (write)
			gicd_write(vm, off, width, *val);
		else
			*val = gicd_read(vm, off, width);
		kick = 0; /* an enable or pending bit may now deliver an SPI: sample at entry */
	} else if (off >= VGIC_GICR_OFFSET &&
	           off - VGIC_GICR_OFFSET < (uint64_t)vm->nr_vcpus * GICR_FRAME) {
		unsigned cpu = (unsigned)((off - VGIC_GICR_OFFSET) / GICR_FRAME);
		uint64_t roff = (off - VGIC_GICR_OFFSET) % GICR_FRAME;
		if (write)
			gicr_write(vm, cpu, roff, width, *val);
		else
			*val = gicr_read(vm, cpu, roff, width);
		kick = cpu;
	} else {
		ret = -FV_ERANGE; /* between the frames: no register */
	}
	spin_unlock(&vm->arch.vgic_lock);
	if (write && kick != ~0U && ret == 0) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (kick == 0 || i == kick)
				kick_target(vm, i);
	}
	return ret;
}

static int vgic_read(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t *val)
{
	return vgic_access(dev, vcpu, off, width, val, false);
}

static int vgic_write(void *dev, struct vcpu *vcpu, uint64_t off, unsigned width, uint64_t val)
{
	return vgic_access(dev, vcpu, off, width, &val, true);
}

static const struct mmio_ops vgic_mmio = {.read = vgic_read, .write = vgic_write};

int arch_virq_init(struct vm *vm)
{
	if (!nr_lrs) {
		nr_lrs = (unsigned)(sysreg_read(S3_4_C12_C11_1) & 0x1f) + 1; /* ICH_VTR_EL2 */
		if (nr_lrs > ARM64_VGIC_MAX_LR)
			nr_lrs = ARM64_VGIC_MAX_LR;
	}
	spin_init(&vm->arch.vgic_lock);
	arch_virq_reset(vm);
	int ret = mmio_bus_add(&vm->mmio, VGIC_GICD_BASE, VGIC_GICR_OFFSET + VGIC_GICR_SIZE,
	                       &vgic_mmio, vm, "gicv3");
	if (ret)
		return ret;
	vm->irqchip = &vgic_irqchip;
	vm->irqchip_dev = vm;
	return 0;
}

unsigned arm64_vgic_nr_lrs(void)
{
	return nr_lrs;
}

void arch_virq_reset(struct vm *vm)
{
	spin_lock(&vm->arch.vgic_lock);
	memset(&vm->arch.vgic, 0, sizeof(vm->arch.vgic));
	spin_unlock(&vm->arch.vgic_lock);
}

void arm64_vgic_vcpu_reset(struct vcpu *v)
{
	spin_lock(&v->vm->arch.vgic_lock);
	memset(&v->arch.vgic, 0, sizeof(v->arch.vgic));
	v->arch.vgic.asleep = true;
	spin_unlock(&v->vm->arch.vgic_lock);
}

/* ---- delivery ---- */

static bool vtimer_asserted(void)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);
	return (ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK | CNT_CTL_ISTATUS)) ==
	       (CNT_CTL_ENABLE | CNT_CTL_ISTATUS);
}

static void vtimer_fire(struct timer_event *ev, void *arg)
{
	UNUSED(ev);
	struct vcpu *v = arg;
	v->arch.vgic.vtimer_armed = 0;
	vcpu_kick(v); /* exit (or wake) so that the next entry samples the timer */
}

/* Keep a software timer at the guest timer's deadline while it is armed and not yet due. */
static void vtimer_track(struct vcpu *v)
{
	uint64_t ctl = sysreg_read(cntv_ctl_el0);
	uint64_t due = 0;
	if ((ctl & (CNT_CTL_ENABLE | CNT_CTL_IMASK | CNT_CTL_ISTATUS)) == CNT_CTL_ENABLE)
		due = time_ticks_to_ns(sysreg_read(cntv_cval_el0) + v->vm->arch.cntvoff);
	if (due == v->arch.vgic.vtimer_armed)
		return;
	if (!v->vtimer.fn)
		timer_event_init(&v->vtimer, vtimer_fire, v);
	timer_cancel(&v->vtimer);
	v->arch.vgic.vtimer_armed = due;
	if (due)
		timer_arm(&v->vtimer, due);
}

/* The live list registers of this vCPU: one holding intid (pending or active), a free one. */
static int lr_find(unsigned intid, int *free_lr)
{
	int found = -1;
	*free_lr = -1;
	for (unsigned n = 0; n < nr_lrs; n++) {
		uint64_t lr = lr_read(n);
		if (!(lr & LR_STATE_MASK)) {
			if (*free_lr < 0)
				*free_lr = (int)n;
		} else if ((uint32_t)lr == intid) {
			found = (int)n;
		}
	}
	return found;
}

/* Put intid in a free list register unless one already holds it; false if none is free. */
static bool lr_inject(struct vcpu *v, unsigned intid, uint8_t prio)
{
	int free_lr;
	if (lr_find(intid, &free_lr) >= 0)
		return true;
	if (free_lr < 0)
		return false;
	lr_write((unsigned)free_lr,
	         LR_PENDING | LR_GROUP1 | ((uint64_t)prio << LR_PRIO_SHIFT) | intid);
	STAT_INC(v->stats.irqs_injected);
	TRACE(TEV_IRQ_INJECT, v->vm->id, v->id, intid, 0, 0); /* arm64: a0 is the INTID */
	return true;
}

void arm64_vgic_flush(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct arm64_vgic_cpu *c = &v->arch.vgic;
	vtimer_track(v);
	spin_lock(&vm->arch.vgic_lock);
	/* The virtual timer is a level: pending while asserted. */
	if (vtimer_asserted())
		c->pending |= 1U << VTIMER_INTID;
	uint32_t want = c->pending & c->enabled & c->group;
	for (unsigned id = 0; want && id < 32; id++) {
		if (!(want & (1U << id)))
			continue;
		want &= ~(1U << id);
		if (!lr_inject(v, id, c->prio[id]))
			break;
		c->pending &= ~(1U << id); /* delivered (a level is re-sampled next entry) */
	}
	struct arm64_vgic_dist *d = &vm->arch.vgic;
	if (d->ctlr & 2) {
		for (unsigned i = 0; i < ARM64_VGIC_NR_SPI; i++) {
			uint32_t bit = 1U << (i % 32);
			if (!((d->pending[i / 32] | d->level[i / 32]) & d->enabled[i / 32] &
			      d->group[i / 32] & bit) ||
			    spi_target(vm, i) != v->id)
				continue;
			if (!lr_inject(v, 32 + i, d->prio[i]))
				break;
			d->pending[i / 32] &= ~bit;
		}
	}
	spin_unlock(&vm->arch.vgic_lock);
}

bool arm64_vgic_wakeable(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct arm64_vgic_cpu *c = &v->arch.vgic;
	/* Something already in a list register, pending for the guest. */
	for (unsigned n = 0; n < nr_lrs; n++)
		if (lr_read(n) & LR_PENDING)
			return true;
	bool wake = false;
	spin_lock(&vm->arch.vgic_lock);
	uint32_t ppi = c->pending | (vtimer_asserted() ? 1U << VTIMER_INTID : 0);
	if (ppi & c->enabled & c->group)
		wake = true;
	struct arm64_vgic_dist *d = &vm->arch.vgic;
	for (unsigned i = 0; !wake && (d->ctlr & 2) && i < ARM64_VGIC_NR_SPI; i++)
		if (((d->pending[i / 32] | d->level[i / 32]) & d->enabled[i / 32] &
		     (1U << (i % 32))) &&
		    spi_target(vm, i) == v->id)
			wake = true;
	spin_unlock(&vm->arch.vgic_lock);
	return wake;
}

/* ICC_SGI1R_EL1 written by the guest (trapped): make SGI INTID pending on its targets. */
void arm64_vgic_sgi(struct vcpu *v, uint64_t val)
{
	struct vm *vm = v->vm;
	unsigned intid = (unsigned)(val >> 24) & 0xf;
	bool all = (val >> 40) & 1; /* IRM: every vCPU but the sender */
	uint64_t aff_hi = (val >> 16) & 0xff, aff2 = (val >> 32) & 0xff, aff3 = (val >> 48) & 0xff;
	uint32_t targets = 0;
	for (unsigned i = 0; i < vm->nr_vcpus && i < 32; i++) {
		if (all ? i != v->id
		        : (aff_hi == 0 && aff2 == 0 && aff3 == 0 && i < 16 && (val & (1U << i))))
			targets |= 1U << i;
	}
	spin_lock(&vm->arch.vgic_lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (targets & (1U << i))
			vm->vcpus[i]->arch.vgic.pending |= 1U << intid;
	spin_unlock(&vm->arch.vgic_lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (targets & (1U << i))
			kick_target(vm, i);
}
