// SPDX-License-Identifier: MIT
/*
 * SBI Firmware Features extension (EID "FWFT"), SBI spec 3.0 chapter
 * "Firmware Features". Every feature is local (per vCPU): its value and
 * lock live in struct riscv_fwft_state, reset with the vCPU.
 *
 * What a VM gets (docs/sbi/fwft.md has the reasons):
 *  - MISALIGNED_EXC_DELEG: misaligned load/store traps go straight to the
 *    guest (hedeleg bits 4 and 6) and the firmware stops emulating them for
 *    this hart (host FWFT, set lazily when the vCPU is loaded). Needs the
 *    firmware's FWFT; otherwise NOT_SUPPORTED.
 *  - PTE_AD_HW_UPDATING: henvcfg.ADUE, if M-mode enabled Svadu for HS.
 *  - POINTER_MASKING_PMLEN: henvcfg.PMM, if the CPU accepts it.
 *  - LANDING_PAD, SHADOW_STACK, DOUBLE_TRAP: NOT_SUPPORTED (their guest
 *    state, ELP/ssp/SDT, is not switched or honoured by the world switch).
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/console.h"
#include "core/percpu.h"
#include "core/vcpu.h"
#include "core/vm.h"

#define MISALIGNED_EXCS (BIT(EXC_LOAD_MISALIGNED) | BIT(EXC_STORE_MISALIGNED))

/*
 * The firmware's FWFT misaligned delegation works on every CPU. Written only
 * at CPU init, normally before any VM starts (hyp_main waits up to 1 s for
 * all CPUs); a late CPU can only clear it.
 */
static bool host_misaligned_ok = true;
/* Per CPU, touched only by that CPU: the firmware's MISALIGNED_EXC_DELEG now (-1 = unknown). */
static int8_t host_misaligned[FV_MAX_CPUS];

struct fwft_feature {
	bool (*available)(void);
	/* Check a value; returns SBI_SUCCESS or SBI_ERR_INVALID_PARAM, *stored = value to keep. */
	long (*check)(unsigned long value, uint64_t *stored);
};

static bool never(void)
{
	return false;
}

static bool misaligned_available(void)
{
	return host_misaligned_ok;
}

static bool adue_available(void)
{
	return riscv_feat.svadu;
}

static bool pmlen_available(void)
{
	return riscv_feat.pmm7 || riscv_feat.pmm16;
}

static long check_bool(unsigned long value, uint64_t *stored)
{
	if (value > 1)
		return SBI_ERR_INVALID_PARAM;
	*stored = value;
	return SBI_SUCCESS;
}

/* PMLEN N asks for "at least N": the smallest supported length >= N (spec 3.0). */
static long check_pmlen(unsigned long value, uint64_t *stored)
{
	if (value == 0)
		*stored = 0;
	else if (value <= 7 && riscv_feat.pmm7)
		*stored = 7;
	else if (value <= 16 && riscv_feat.pmm16)
		*stored = 16;
	else
		return SBI_ERR_INVALID_PARAM;
	return SBI_SUCCESS;
}

static const struct fwft_feature features[RISCV_FWFT_NR] = {
    [SBI_FWFT_MISALIGNED_EXC_DELEG] = {misaligned_available, check_bool},
    [SBI_FWFT_LANDING_PAD] = {never, check_bool},
    [SBI_FWFT_SHADOW_STACK] = {never, check_bool},
    [SBI_FWFT_DOUBLE_TRAP] = {never, check_bool},
    [SBI_FWFT_PTE_AD_HW_UPDATING] = {adue_available, check_bool},
    [SBI_FWFT_POINTER_MASKING_PMLEN] = {pmlen_available, check_pmlen},
};

uint64_t riscv_fwft_henvcfg(const struct vcpu *v, uint64_t base)
{
	const struct riscv_fwft_state *f = &v->arch.fwft;
	uint64_t h = base & ~(ENVCFG_ADUE | ENVCFG_PMM);
	if (f->value[SBI_FWFT_PTE_AD_HW_UPDATING] && riscv_feat.svadu)
		h |= ENVCFG_ADUE;
	if (f->value[SBI_FWFT_POINTER_MASKING_PMLEN] == 7)
		h |= ENVCFG_PMM_7;
	else if (f->value[SBI_FWFT_POINTER_MASKING_PMLEN] == 16)
		h |= ENVCFG_PMM_16;
	return h;
}

void riscv_fwft_reset(struct vcpu *v)
{
	struct riscv_fwft_state *f = &v->arch.fwft;
	for (unsigned i = 0; i < RISCV_FWFT_NR; i++)
		f->value[i] = 0;
	f->locked = 0;
	f->logged = 0;
	/*
	 * The VM's device tree lists Svadu without Svade when the host can
	 * update A/D bits, which tells its OS the hardware does so from the
	 * start (Linux relies on it): start with ADUE on, not the spec's 0.
	 */
	f->value[SBI_FWFT_PTE_AD_HW_UPDATING] = riscv_feat.svadu ? 1 : 0;
}

void riscv_fwft_load(struct vcpu *v)
{
	struct cpu *c = cpu_this();
	bool want = v->arch.fwft.value[SBI_FWFT_MISALIGNED_EXC_DELEG] != 0;
	if (want)
		csr_set(hedeleg, MISALIGNED_EXCS);
	else
		csr_clear(hedeleg, MISALIGNED_EXCS);
	if (!host_misaligned_ok || c->id >= FV_MAX_CPUS || host_misaligned[c->id] == (int8_t)want)
		return;
	/*
	 * The firmware emulates misaligned loads/stores unless told not to;
	 * switch only when the next vCPU wants the other behaviour (SBI 3.0
	 * FWFT note: "an SBI call would be required at each Guest/VM switch").
	 */
	struct sbiret r = sbi_fw_fwft_set(SBI_FWFT_MISALIGNED_EXC_DELEG, want, 0);
	host_misaligned[c->id] = r.error == SBI_SUCCESS ? (int8_t)want : -1;
}

void riscv_fwft_cpu_init(void)
{
	struct cpu *c = cpu_this();
	if (c->id < FV_MAX_CPUS)
		host_misaligned[c->id] = -1;
	struct sbiret r = {SBI_ERR_NOT_SUPPORTED, 0};
	if (sbi_fw_probe(SBI_EXT_FWFT) > 0)
		r = sbi_fw_fwft_set(SBI_FWFT_MISALIGNED_EXC_DELEG, 0, 0);
	if (r.error != SBI_SUCCESS) {
		host_misaligned_ok = false;
		pr_info("fwft: firmware misaligned delegation unavailable on cpu %u (error %ld)",
		        c->id, r.error);
		return;
	}
	if (c->id < FV_MAX_CPUS)
		host_misaligned[c->id] = 0;
	if (c->id == 0)
		pr_info("fwft: firmware misaligned delegation available; guests may request it");
}

static void fwft_set(struct vcpu *v, uint32_t id, unsigned long value, unsigned long flags,
                     struct sbi_result *r)
{
	struct riscv_fwft_state *f = &v->arch.fwft;
	const struct fwft_feature *ft = &features[id];
	uint64_t stored;
	if (!ft->available()) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	if (flags & ~SBI_FWFT_SET_FLAG_LOCK) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (f->locked & BIT(id)) {
		r->error = SBI_ERR_DENIED_LOCKED;
		return;
	}
	r->error = ft->check(value, &stored);
	if (r->error != SBI_SUCCESS)
		return;
	/* One line per feature and vCPU boot at most: a guest cannot flood the log. */
	if (stored != f->value[id] && !(f->logged & BIT(id))) {
		f->logged |= (uint32_t)BIT(id);
		pr_info("vm %s: vCPU %u: fwft feature %u set to %lu", v->vm->name, v->id, id,
		        (unsigned long)stored);
	}
	f->value[id] = stored;
	if (flags & SBI_FWFT_SET_FLAG_LOCK)
		f->locked |= (uint32_t)BIT(id);
	/* The caller is this vCPU, so it is loaded here: apply to the live CSRs now. */
	v->arch.csr.henvcfg = riscv_fwft_henvcfg(v, v->arch.csr.henvcfg);
	csr_write(henvcfg, v->arch.csr.henvcfg);
	riscv_fwft_load(v);
}

void sbi_fwft_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	/* feature is a uint32_t in the SBI prototype: only the low 32 bits count. */
	uint32_t id = (uint32_t)a[0];
	if (fid != SBI_FWFT_SET && fid != SBI_FWFT_GET) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	/* Reserved and platform-specific ids (local and global): none is implemented. */
	if (id >= RISCV_FWFT_NR) {
		r->error = SBI_ERR_DENIED;
		return;
	}
	if (fid == SBI_FWFT_SET) {
		fwft_set(v, id, a[1], a[2], r);
		return;
	}
	if (!features[id].available()) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	r->value = (long)v->arch.fwft.value[id];
}
