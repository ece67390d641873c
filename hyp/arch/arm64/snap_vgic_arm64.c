// SPDX-License-Identifier: MIT
/*
 * The virtual GICv3 distributor in snapshots (core/snap_arch.h, the IRQCHIP section;
 * docs/snapshot-format.md, "IRQCHIP (arm64)"). Layout, little-endian:
 *   0 version (1)   4 number of SPIs (ARM64_VGIC_NR_SPI)   8 GICD_CTLR enables   12 0
 *   16 per 32 SPIs: enabled, pending, level, group (4 x NR_SPI/32 words)
 *   then ICFGR (NR_SPI/16 words), priorities (NR_SPI bytes), IROUTER (NR_SPI x 8 bytes).
 * SPIs a vCPU's list registers hold only as pending are folded back into the pending bits
 * here (the vCPU's own section carries its active list registers). Every value is one a
 * guest register write could have stored (vgic.c's masks): anything else is refused.
 */
#include "core/snap_arch.h"
#include "arch/arm64/snap_arm64.h"
#include "core/ctl_proto.h"
#include "core/spinlock.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "lib/string.h"

#define SNAP_VGIC_VERSION 1u
#define NW                (ARM64_VGIC_NR_SPI / 32) /* words of a 1-bit-per-SPI bank */
#define NCFG              (ARM64_VGIC_NR_SPI / 16)
#define OFF_BANKS         16u
#define OFF_CFG           (OFF_BANKS + 16u * NW)
#define OFF_PRIO          (OFF_CFG + 4u * NCFG)
#define OFF_ROUTE         (OFF_PRIO + ARM64_VGIC_NR_SPI)
#define SNAP_VGIC_LEN     (OFF_ROUTE + 8u * ARM64_VGIC_NR_SPI)
#define ROUTE_MASK        0xff800000ffffffULL /* what GICD_IROUTER keeps (vgic.c) */
#define CTLR_ENABLES      3u

_Static_assert(SNAP_VGIC_LEN <= ARCH_SNAP_MAX, "the distributor fits core's buffer");

uint32_t arch_snap_irqchip_save(struct vm *vm, uint8_t *out)
{
	struct arm64_vgic_dist d;
	spin_lock(&vm->arch.vgic_lock);
	d = vm->arch.vgic;
	spin_unlock(&vm->arch.vgic_lock);
	/* The vCPUs are off their CPUs: their list registers are in struct vcpu_arch. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		const struct arm64_vgic_cpu *g = &vm->vcpus[i]->arch.vgic;
		for (unsigned n = 0; n < ARM64_VGIC_MAX_LR; n++) {
			uint32_t id = (uint32_t)g->lr[n];
			if ((g->lr[n] & ARM64_LR_STATE) == ARM64_LR_PENDING && id >= 32 &&
			    id < 32 + ARM64_VGIC_NR_SPI)
				d.pending[(id - 32) / 32] |= 1U << ((id - 32) % 32);
		}
	}
	memset(out, 0, SNAP_VGIC_LEN);
	ctl_put32(out, SNAP_VGIC_VERSION);
	ctl_put32(out + 4, ARM64_VGIC_NR_SPI);
	ctl_put32(out + 8, d.ctlr);
	for (unsigned w = 0; w < NW; w++) {
		uint8_t *q = out + OFF_BANKS + 16 * w;
		ctl_put32(q, d.enabled[w]);
		ctl_put32(q + 4, d.pending[w]);
		ctl_put32(q + 8, d.level[w]);
		ctl_put32(q + 12, d.group[w]);
	}
	for (unsigned w = 0; w < NCFG; w++)
		ctl_put32(out + OFF_CFG + 4 * w, d.cfg[w]);
	memcpy(out + OFF_PRIO, d.prio, ARM64_VGIC_NR_SPI);
	for (unsigned i = 0; i < ARM64_VGIC_NR_SPI; i++)
		ctl_put64(out + OFF_ROUTE + 8 * i, d.route[i]);
	return SNAP_VGIC_LEN;
}

int arch_snap_irqchip_load(struct vm *vm, const uint8_t *p, uint32_t len)
{
	if (len != SNAP_VGIC_LEN || ctl_get32(p) != SNAP_VGIC_VERSION ||
	    ctl_get32(p + 4) != ARM64_VGIC_NR_SPI || (ctl_get32(p + 8) & ~CTLR_ENABLES) ||
	    ctl_get32(p + 12))
		return 1;
	struct arm64_vgic_dist d;
	memset(&d, 0, sizeof(d));
	d.ctlr = ctl_get32(p + 8);
	for (unsigned w = 0; w < NW; w++) {
		const uint8_t *q = p + OFF_BANKS + 16 * w;
		d.enabled[w] = ctl_get32(q);
		d.pending[w] = ctl_get32(q + 4);
		d.level[w] = ctl_get32(q + 8);
		d.group[w] = ctl_get32(q + 12);
	}
	for (unsigned w = 0; w < NCFG; w++) {
		d.cfg[w] = ctl_get32(p + OFF_CFG + 4 * w);
		if (d.cfg[w] & ~0xaaaaaaaaU)
			return 1;
	}
	memcpy(d.prio, p + OFF_PRIO, ARM64_VGIC_NR_SPI);
	for (unsigned i = 0; i < ARM64_VGIC_NR_SPI; i++) {
		d.route[i] = ctl_get64(p + OFF_ROUTE + 8 * i);
		if (d.route[i] & ~ROUTE_MASK)
			return 1;
	}
	spin_lock(&vm->arch.vgic_lock);
	vm->arch.vgic = d;
	spin_unlock(&vm->arch.vgic_lock);
	/* Delivery is sampled at each vCPU entry (arm64_vgic_flush): nothing to re-derive. */
	return 0;
}
