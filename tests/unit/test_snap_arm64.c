/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for arm64 snapshots (hyp/arch/arm64/snap_arm64.c, snap_vgic_arm64.c) and the
 * PL011 UART section (hyp/core/snap_pl011.c), linked unchanged against the arm64 struct
 * vcpu/vm with the few hooks they call faked here: a vCPU and the vGIC distributor encode
 * and decode to the same state; list registers that only hold a pending interrupt fold
 * back into the model; the guest clock continues through CNTVOFF; every hostile value
 * (PSTATE at EL2, a HW list register, unknown INTIDs, reserved bits, wrong lengths) is
 * refused without touching the VM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/arm64/snap_arm64.h"
#include "arch/arm64/vgic.h"
#include "core/arch.h"
#include "core/ctl_proto.h"
#include "core/snap_arch.h"
#include "core/snap_pl011.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/fv_err.h"

/* ---- fakes of what the files call ---- */

static uint64_t fake_now = 1000000;
static unsigned fake_nr_lrs = 4;

uint64_t arch_time_ticks(void)
{
	return fake_now;
}

unsigned arm64_vgic_nr_lrs(void)
{
	return fake_nr_lrs;
}

void arch_vcpu_reset(struct vcpu *v, gpa_t entry, uint64_t a0, uint64_t a1)
{
	/* As vcpu_arm64.c: a zeroed context at the entry, MPIDR from the index, a reset
	 * redistributor (asleep). */
	memset(&v->arch, 0, sizeof(v->arch));
	v->arch.ctx.pc = entry;
	v->arch.ctx.x[0] = a0;
	v->arch.ctx.x[1] = a1;
	v->arch.el1.vmpidr = (1ULL << 31) | v->id;
	v->arch.vgic.asleep = true;
}

int log_printf(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

/* ---- fixtures ---- */

static struct vm vm;
static struct vcpu vcpus[2];

static void setup_vm(void)
{
	memset(&vm, 0, sizeof(vm));
	memset(vcpus, 0, sizeof(vcpus));
	memcpy(vm.name, "t", 2);
	vm.nr_vcpus = 2;
	for (unsigned i = 0; i < 2; i++) {
		vm.vcpus[i] = &vcpus[i];
		vcpus[i].vm = &vm;
		vcpus[i].id = i;
	}
}

/* A vCPU with every field the payload carries set to something distinct. */
static void fill_vcpu(struct vcpu *v)
{
	struct vcpu_arch *a = &v->arch;
	for (unsigned i = 0; i < 31; i++)
		a->ctx.x[i] = 0x1000 + i;
	a->ctx.pc = 0x80201234;
	a->ctx.pstate = 0x600003c5; /* NZCV bits, DAIF, EL1h */
	uint64_t *el1 = &a->el1.sctlr;
	for (unsigned i = 0; i < 26; i++)
		el1[i] = 0xe100 + i;
	for (unsigned i = 0; i < 64; i++)
		a->fp.q[i] = 0xf0f0000000000000ULL | i;
	a->fp.fpcr = 3u << 22;
	a->fp.fpsr = 0x10;
	a->vgic.enabled = 0x08000001;
	a->vgic.pending = 0x2;
	a->vgic.group = 0xffffffff;
	a->vgic.cfg1 = 0x00800000;
	for (unsigned i = 0; i < 32; i++)
		a->vgic.prio[i] = (uint8_t)(0x80 + i);
	a->vgic.asleep = false;
	a->vgic.vmcr = 0xf0000001;
	a->vgic.ap1r0 = 0x1;
	/* LR 0: SGI 3 pending only (folds into the pending bits); LR 1: the timer PPI active;
	 * LR 2: SPI 40 pending and active; LR 3: SPI 33 pending only (the distributor's). */
	a->vgic.lr[0] = ARM64_LR_PENDING | ARM64_LR_GROUP1 | (0xa0ULL << 48) | 3;
	a->vgic.lr[1] = (2ULL << 62) | ARM64_LR_GROUP1 | (0xa0ULL << 48) | 27;
	a->vgic.lr[2] = (3ULL << 62) | ARM64_LR_GROUP1 | 40;
	a->vgic.lr[3] = ARM64_LR_PENDING | ARM64_LR_GROUP1 | 33;
	a->vgic.vtimer_armed = 12345;
}

static uint8_t buf[ARCH_SNAP_MAX];

static void test_vcpu_roundtrip(void **state)
{
	(void)state;
	setup_vm();
	fill_vcpu(&vcpus[0]);
	uint32_t len = arch_snap_vcpu_save(&vcpus[0], buf);
	assert_true(len > 8 && len <= ARCH_SNAP_MAX);
	assert_int_equal(arch_snap_vcpu_load(&vcpus[1], buf, len), 0);
	const struct vcpu_arch *s = &vcpus[0].arch, *d = &vcpus[1].arch;
	assert_memory_equal(d->ctx.x, s->ctx.x, sizeof(s->ctx.x));
	assert_int_equal(d->ctx.pc, s->ctx.pc);
	assert_int_equal(d->ctx.pstate, s->ctx.pstate);
	/* Every EL1 register but MPIDR, which is the loading vCPU's own. */
	assert_memory_equal(&d->el1, &s->el1, offsetof(struct arm64_el1_regs, vmpidr));
	assert_int_equal(d->el1.vmpidr, (1ULL << 31) | 1);
	assert_memory_equal(&d->fp, &s->fp, sizeof(s->fp));
	assert_int_equal(d->vgic.enabled, s->vgic.enabled);
	assert_int_equal(d->vgic.pending, 0x2 | (1u << 3)); /* SGI 3 folded back */
	assert_int_equal(d->vgic.group, s->vgic.group);
	assert_int_equal(d->vgic.cfg1, s->vgic.cfg1);
	assert_memory_equal(d->vgic.prio, s->vgic.prio, 32);
	assert_false(d->vgic.asleep);
	assert_int_equal(d->vgic.vmcr, s->vgic.vmcr);
	assert_int_equal(d->vgic.ap1r0, s->vgic.ap1r0);
	/* The active ones only, packed from list register 0. */
	assert_int_equal(d->vgic.lr[0], s->vgic.lr[1]);
	assert_int_equal(d->vgic.lr[1], s->vgic.lr[2]);
	for (unsigned n = 2; n < ARM64_VGIC_MAX_LR; n++)
		assert_int_equal(d->vgic.lr[n], 0);
	assert_int_equal(d->vgic.vtimer_armed, 0); /* re-armed at the first entry */
}

/* Save vCPU 0, let @poke change the payload's value @idx, load into vCPU 1: refused, untouched. */
static void expect_refused(unsigned idx, uint64_t val)
{
	setup_vm();
	fill_vcpu(&vcpus[0]);
	uint32_t len = arch_snap_vcpu_save(&vcpus[0], buf);
	ctl_put64(buf + 8 + 8 * idx, val);
	vcpus[1].arch.ctx.pc = 0x5555;
	assert_int_equal(arch_snap_vcpu_load(&vcpus[1], buf, len), -FV_EINVAL);
	assert_int_equal(vcpus[1].arch.ctx.pc, 0x5555);
}

/* Payload indices (snap_arm64.c's enum; docs/snapshot-format.md). */
#define I_PSTATE  32u
#define I_FPCR    (33u + 26u + 64u)
#define I_ENABLED (I_FPCR + 2u)
#define I_CFG1    (I_ENABLED + 3u)
#define I_ASLEEP  (I_ENABLED + 8u)
#define I_NR_LR   (I_ASLEEP + 4u)
#define I_LR0     (I_NR_LR + 1u)

static void test_vcpu_hostile(void **state)
{
	(void)state;
	uint64_t lr_ok = (2ULL << 62) | ARM64_LR_GROUP1 | 27;
	expect_refused(I_PSTATE, 0x3c9);       /* EL2h: the hypervisor's own level */
	expect_refused(I_PSTATE, 0x3c8);       /* EL2t */
	expect_refused(I_PSTATE, 0x3d5);       /* M[4]: AArch32 */
	expect_refused(I_PSTATE, 0x3c6);       /* reserved mode */
	expect_refused(I_FPCR, 1ULL << 32);    /* FPCR upper bits */
	expect_refused(I_ENABLED, 1ULL << 32); /* 33 SGI/PPI bits */
	expect_refused(I_CFG1, 0x1);           /* a non-config bit of ICFGR1 */
	expect_refused(I_ASLEEP, 2);
	expect_refused(I_NR_LR, 5);                  /* more than this host's 4 list registers */
	expect_refused(I_LR0 + 2, lr_ok);            /* a list register beyond the count */
	expect_refused(I_LR0, lr_ok | (1ULL << 61)); /* HW: a physical INTID's */
	expect_refused(I_LR0, lr_ok | (1ULL << 59)); /* NMI */
	expect_refused(I_LR0, lr_ok | (1ULL << 41)); /* EOI maintenance */
	expect_refused(I_LR0, (2ULL << 62) | (32 + ARM64_VGIC_NR_SPI)); /* no such SPI */
	expect_refused(I_LR0, (2ULL << 62) | 1023);                     /* a special INTID */
	expect_refused(I_LR0, 27);        /* state invalid but counted */
	expect_refused(I_LR0 + 1, lr_ok); /* the timer PPI twice */
	/* Wrong length and version. */
	setup_vm();
	fill_vcpu(&vcpus[0]);
	uint32_t len = arch_snap_vcpu_save(&vcpus[0], buf);
	assert_int_equal(arch_snap_vcpu_load(&vcpus[1], buf, len - 8), -FV_EINVAL);
	ctl_put32(buf, 2);
	assert_int_equal(arch_snap_vcpu_load(&vcpus[1], buf, len), -FV_EINVAL);
	/* A valid PSTATE keeps only the bits a guest's SPSR can carry back. */
	setup_vm();
	fill_vcpu(&vcpus[0]);
	vcpus[0].arch.ctx.pstate = 0x3c4 | (1ULL << 20) | (1ULL << 34); /* EL1t, IL, PM */
	len = arch_snap_vcpu_save(&vcpus[0], buf);
	assert_int_equal(arch_snap_vcpu_load(&vcpus[1], buf, len), 0);
	assert_int_equal(vcpus[1].arch.ctx.pstate, 0x3c4);
}

static void test_lr_ok(void **state)
{
	(void)state;
	assert_true(arm64_snap_lr_ok(ARM64_LR_PENDING | 0, 64));
	assert_true(arm64_snap_lr_ok((3ULL << 62) | ARM64_LR_GROUP1 | ARM64_LR_PRIO_MASK | 95, 64));
	assert_false(arm64_snap_lr_ok((3ULL << 62) | 96, 64));
	assert_false(arm64_snap_lr_ok(0, 64));
	assert_false(arm64_snap_lr_ok(ARM64_LR_PENDING | (1ULL << 42) | 3, 64));
}

static void test_irqchip(void **state)
{
	(void)state;
	setup_vm();
	struct arm64_vgic_dist *d = &vm.arch.vgic;
	d->ctlr = 2;
	d->enabled[0] = 0x11;
	d->enabled[1] = 0x80000000;
	d->pending[0] = 0x4;
	d->level[1] = 0x2;
	d->group[0] = d->group[1] = 0xffffffff;
	d->cfg[1] = 0x2;
	for (unsigned i = 0; i < ARM64_VGIC_NR_SPI; i++) {
		d->prio[i] = (uint8_t)i;
		d->route[i] = i % 2;
	}
	/* SPI 33 (bit 1) pending in vCPU 1's list register: folded into the file. */
	vcpus[1].arch.vgic.lr[3] = ARM64_LR_PENDING | 33;
	uint32_t len = arch_snap_irqchip_save(&vm, buf);
	struct arm64_vgic_dist saved = *d;
	saved.pending[0] |= 1u << 1;
	memset(d, 0, sizeof(*d));
	assert_int_equal(arch_snap_irqchip_load(&vm, buf, len), 0);
	assert_memory_equal(d, &saved, sizeof(saved));
	/* Hostile: wrong length, SPI count, a CTLR bit, an ICFGR bit, an IROUTER bit. */
	struct {
		uint32_t off;
		uint32_t bits;
	} bad[] = {{4, 32}, {8, 1u << 4}, {12, 1}, {16 + 16 * 2, 1}};
	memset(d, 0xee, sizeof(*d));
	struct arm64_vgic_dist before = *d;
	assert_int_not_equal(arch_snap_irqchip_load(&vm, buf, len - 1), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint32_t old = ctl_get32(buf + bad[i].off);
		ctl_put32(buf + bad[i].off, bad[i].off == 4 ? bad[i].bits : old | bad[i].bits);
		assert_int_not_equal(arch_snap_irqchip_load(&vm, buf, len), 0);
		ctl_put32(buf + bad[i].off, old);
	}
	uint32_t route0 = len - 8u * ARM64_VGIC_NR_SPI;
	ctl_put64(buf + route0, 1ULL << 40); /* Aff3 is bits 39:32: bit 40 is reserved */
	assert_int_not_equal(arch_snap_irqchip_load(&vm, buf, len), 0);
	assert_memory_equal(d, &before, sizeof(before));
}

static void test_clock(void **state)
{
	(void)state;
	setup_vm();
	vm.arch.cntvoff = 400000;
	fake_now = 1000000;
	uint64_t t = arch_snap_guest_time(&vm);
	assert_int_equal(t, 600000);
	uint32_t len = arch_snap_vm_save(&vm, buf);
	/* Restored later, on a counter that moved on: the guest reads where it left off. */
	fake_now = 9000000;
	vm.arch.cntvoff = 0;
	assert_int_equal(arch_snap_vm_load(&vm, buf, len, t), 0);
	assert_int_equal(arch_snap_guest_time(&vm), 600000);
	fake_now += 50;
	assert_int_equal(arch_snap_guest_time(&vm), 600050);
	ctl_put32(buf + 4, 1);
	assert_int_equal(arch_snap_vm_load(&vm, buf, len, t), -FV_EINVAL);
	assert_int_equal(arch_snap_vm_load(&vm, buf, len + 1, t), -FV_EINVAL);
}

static void test_pl011(void **state)
{
	(void)state;
	struct vpl011 a, b;
	vpl011_init(&a, NULL, NULL);
	vpl011_init(&b, NULL, NULL);
	for (uint8_t c = 'a'; c < 'a' + 5; c++)
		vpl011_rx_push(&a, c);
	uint64_t v;
	vpl011_read(&a, VPL011_DR, 4, &v); /* the head moves */
	vpl011_write(&a, VPL011_IBRD, 4, 0x1234);
	vpl011_write(&a, VPL011_FBRD, 4, 0x3f);
	vpl011_write(&a, VPL011_LCR_H, 4, 0x70);
	vpl011_write(&a, VPL011_CR, 4, 0x301);
	vpl011_write(&a, VPL011_IMSC, 4, VPL011_INT_RX);
	vpl011_write(&a, VPL011_ICR, 4, VPL011_INT_TX);
	a.overrun = true;
	uint8_t p[SNAP_PL011_LEN];
	assert_int_equal(snap_pl011_save(&a, p), SNAP_PL011_LEN);
	assert_int_equal(snap_pl011_load(&b, p, SNAP_PL011_LEN), 0);
	assert_memory_equal(b.rx_fifo, a.rx_fifo, VPL011_FIFO_SIZE);
	assert_int_equal(b.rx_head, a.rx_head);
	assert_int_equal(b.rx_count, 4);
	assert_int_equal(b.ibrd, 0x1234);
	assert_int_equal(b.fbrd, 0x3f);
	assert_int_equal(b.lcr_h, 0x70);
	assert_int_equal(b.cr, 0x301);
	assert_int_equal(b.imsc, VPL011_INT_RX);
	assert_int_equal(b.ris_latched, 0);
	assert_true(b.overrun);
	assert_true(b.irq_level); /* data waiting, RX unmasked */
	vpl011_read(&b, VPL011_DR, 4, &v);
	assert_int_equal(v, 'b');
	/* Hostile: head/count outside the FIFO, flags, registers no write could store, pad. */
	const struct {
		unsigned off;
		uint8_t val;
	} bad[] = {{16, 16},    {17, 17},   {18, 2},        {19, 1}, {22, 0x40},
	           {24 + 1, 1}, {28, 0x40}, {30 + 1, 0x08}, {32, 8}, {34 + 1, 1},
	           {36, 1},     {40, 1},    {47, 1}};
	struct vpl011 before = b;
	assert_int_equal(snap_pl011_load(&b, p, SNAP_PL011_LEN - 1), -FV_EINVAL);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t old = p[bad[i].off];
		p[bad[i].off] = bad[i].val;
		assert_int_equal(snap_pl011_load(&b, p, SNAP_PL011_LEN), -FV_EINVAL);
		p[bad[i].off] = old;
	}
	assert_memory_equal(&b, &before, sizeof(b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vcpu_roundtrip), cmocka_unit_test(test_vcpu_hostile),
	    cmocka_unit_test(test_lr_ok),          cmocka_unit_test(test_irqchip),
	    cmocka_unit_test(test_clock),          cmocka_unit_test(test_pl011),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
