// SPDX-License-Identifier: MIT
/*
 * Virtual PMU glue: host counter readings, the vCPU switch hooks and the
 * emulation of guest counter CSR reads.
 *
 * Counters 3.. count other hardware events with a host counter (the
 * firmware's SBI PMU) mapped on the vCPU's CPU while it is loaded: host
 * counters belong to a hart, and a vCPU may move.
 *
 * Why counter reads trap: the hardware cycle/instret count for everyone
 * (hypervisor, every VM), and a guest's counters must count only while
 * that vCPU runs and start from the value the guest set with counter_start.
 * Passing them through (hcounteren.CY/IR) would show host values. So
 * hcounteren keeps only TM (time is the same for every vCPU up to
 * htimedelta, which the hardware adds); cycle, instret and hpmcounter3..31
 * raise a virtual-instruction exception (cause 22) and are read here.
 */
#include "arch/riscv/csr.h"
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/pmu_core.h"
#include "arch/riscv/sbi.h"
#include "core/console.h"
#include "core/vcpu.h"

#define CSR_CYCLE        0xc00U
#define CSR_TIME         0xc01U
#define CSR_HPMCOUNTER3  0xc03U
#define CSR_HPMCOUNTER31 0xc1fU
#define OPCODE_SYSTEM    0x73U
#define FUNCT3_CSRRW     1U
#define FUNCT3_CSRRWI    5U

/*
 * The host's programmable counters (SBI PMU of the firmware), found at boot:
 * host counter indices whose CSR is hpmcounter3..31, and that CSR. Read-only
 * after riscv_vpmu_probe_host. Host counters are per hart in the firmware, so
 * a vCPU maps its hosted counters on the CPU at load and releases them at put.
 */
static unsigned long host_mask;
static uint16_t host_csr[64];

#define HPM_CASE(n)                                                                                \
	case CSR_HPMCOUNTER3 + (n)-3:                                                              \
		return csr_read(hpmcounter##n)

static uint64_t read_hpm(unsigned csr)
{
	switch (csr) {
		HPM_CASE(3);
		HPM_CASE(4);
		HPM_CASE(5);
		HPM_CASE(6);
		HPM_CASE(7);
		HPM_CASE(8);
		HPM_CASE(9);
		HPM_CASE(10);
		HPM_CASE(11);
		HPM_CASE(12);
		HPM_CASE(13);
		HPM_CASE(14);
		HPM_CASE(15);
		HPM_CASE(16);
		HPM_CASE(17);
		HPM_CASE(18);
		HPM_CASE(19);
		HPM_CASE(20);
		HPM_CASE(21);
		HPM_CASE(22);
		HPM_CASE(23);
		HPM_CASE(24);
		HPM_CASE(25);
		HPM_CASE(26);
		HPM_CASE(27);
		HPM_CASE(28);
		HPM_CASE(29);
		HPM_CASE(30);
		HPM_CASE(31);
	default:
		return 0;
	}
}

void riscv_vpmu_probe_host(void)
{
	if (sbi_fw_probe(SBI_EXT_PMU) <= 0) {
		pr_info("feature host SBI PMU: no (guests count cycle, instret, firmware events)");
		return;
	}
	struct sbiret n = sbi_call(SBI_EXT_PMU, SBI_PMU_NUM_COUNTERS, 0, 0, 0, 0, 0, 0);
	unsigned count = 0;
	for (unsigned long i = 0; n.error == 0 && i < (unsigned long)n.value && i < 64; i++) {
		struct sbiret r = sbi_call(SBI_EXT_PMU, SBI_PMU_COUNTER_GET_INFO, i, 0, 0, 0, 0, 0);
		unsigned long info = (unsigned long)r.value, csr = info & 0xfff;
		if (r.error || (info >> 63) || csr < CSR_HPMCOUNTER3 || csr > CSR_HPMCOUNTER31)
			continue;
		host_mask |= 1UL << i;
		host_csr[i] = (uint16_t)csr;
		count++;
	}
	pr_info("feature host SBI PMU: yes, %u programmable counters for guests' hardware events",
	        count);
}

/*
 * Configure a host counter for event (running from zero); its index, or 0 if none. A
 * counter outside host_mask (the fixed cycle/instret counters) is refused and left alone:
 * stopping it would stop the hypervisor's own cycle/instret.
 */
static uint8_t host_map(unsigned long event_idx, uint64_t event_data)
{
	if (!host_mask)
		return 0;
	struct sbiret r = sbi_call(SBI_EXT_PMU, SBI_PMU_COUNTER_CFG_MATCH, 0, host_mask,
	                           SBI_PMU_CFG_FLAG_CLEAR_VAL | SBI_PMU_CFG_FLAG_AUTO_START,
	                           event_idx, event_data, 0);
	if (r.error || r.value <= 0 || r.value >= 64 || !(host_mask & (1UL << r.value)))
		return 0;
	return (uint8_t)r.value;
}

static void host_unmap(uint8_t h)
{
	if (h)
		sbi_call(SBI_EXT_PMU, SBI_PMU_COUNTER_STOP, h, 1, SBI_PMU_STOP_RESET, 0, 0, 0);
}

bool riscv_vpmu_host_has(unsigned long event_idx, uint64_t event_data)
{
	uint8_t h = host_map(event_idx, event_data);
	host_unmap(h);
	return h != 0;
}

void riscv_vpmu_now(struct vcpu *v, struct pmu_now *now)
{
	now->cycle = csr_read(cycle);
	now->instret = csr_read(instret);
	for (unsigned k = 0; k < RISCV_PMU_NR_HOSTED; k++) {
		uint8_t h = v->arch.pmu.ctr[RISCV_PMU_FIRST_HOSTED + k].host_idx;
		now->host[k] = h ? read_hpm(host_csr[h]) : 0;
	}
}

void riscv_vpmu_load(struct vcpu *v)
{
	struct riscv_pmu *p = &v->arch.pmu;
	struct pmu_now now;
	for (unsigned i = RISCV_PMU_FIRST_HOSTED; i < RISCV_PMU_NR_HW; i++)
		if (p->ctr[i].configured)
			p->ctr[i].host_idx = host_map(p->ctr[i].event_idx, p->ctr[i].event_data);
	riscv_vpmu_now(v, &now);
	pmu_hw_resume(p, &now);
}

void riscv_vpmu_put(struct vcpu *v)
{
	struct riscv_pmu *p = &v->arch.pmu;
	struct pmu_now now;
	riscv_vpmu_now(v, &now);
	pmu_hw_pause(p, &now);
	for (unsigned i = RISCV_PMU_FIRST_HOSTED; i < RISCV_PMU_NR_HW; i++) {
		host_unmap(p->ctr[i].host_idx);
		p->ctr[i].host_idx = 0;
	}
}

long riscv_vpmu_config_matching(struct vcpu *v, const unsigned long *a, unsigned long *idx)
{
	struct riscv_pmu *p = &v->arch.pmu;
	struct pmu_now now;
	/* a0 base, a1 mask, a2 flags, a3 event_idx, a4 event_data. */
	bool hosted = pmu_event_src(a[3], a[4]) == PMU_SRC_HOST;
	if (hosted && !riscv_vpmu_host_has(a[3], a[4]))
		return SBI_ERR_NOT_SUPPORTED; /* the host cannot count it either */
	riscv_vpmu_now(v, &now);
	long err = pmu_config_matching(p, &now, a[0], a[1], a[2], a[3], a[4], idx);
	if (err || *idx < RISCV_PMU_FIRST_HOSTED || *idx >= RISCV_PMU_NR_HW)
		return err;
	/* A hosted counter (re)mapped: give it a host counter for its new event, from zero. */
	struct riscv_pmu_ctr *c = &p->ctr[*idx];
	host_unmap(c->host_idx);
	c->host_idx = host_map(c->event_idx, c->event_data);
	if (!c->host_idx) {
		/* No host counter after all (no host PMU): undo the mapping. */
		c->configured = 0;
		c->started = 0;
		return SBI_ERR_NOT_SUPPORTED;
	}
	riscv_vpmu_now(v, &now);
	pmu_ctr_rebase(p, (unsigned)*idx, &now);
	return SBI_SUCCESS;
}

void riscv_vpmu_release_unmapped(struct vcpu *v)
{
	struct riscv_pmu *p = &v->arch.pmu;
	for (unsigned i = RISCV_PMU_FIRST_HOSTED; i < RISCV_PMU_NR_HW; i++) {
		if (!p->ctr[i].configured && p->ctr[i].host_idx) {
			host_unmap(p->ctr[i].host_idx);
			p->ctr[i].host_idx = 0;
		}
	}
}

void riscv_vpmu_fw_event(struct vcpu *v, unsigned code)
{
	pmu_fw_event(&v->arch.pmu, code);
}

bool riscv_vpmu_emulate_csr(struct vcpu *v, uint32_t insn)
{
	struct riscv_guest_ctx *ctx = &v->arch.ctx;
	uint32_t funct3 = (insn >> 12) & 7, rd = (insn >> 7) & 31, rs1 = (insn >> 15) & 31;
	uint32_t csr = insn >> 20;
	if ((insn & 0x7f) != OPCODE_SYSTEM || funct3 == 0 || funct3 == 4 || csr < CSR_CYCLE ||
	    csr > CSR_HPMCOUNTER31)
		return false;
	uint32_t idx = csr - CSR_CYCLE;
	/* csrrw/csrrwi always write; csrrs/csrrc(i) write unless rs1/uimm is 0. */
	bool writes = funct3 == FUNCT3_CSRRW || funct3 == FUNCT3_CSRRWI || rs1 != 0;
	/*
	 * The counters are read-only. From VU-mode the guest kernel's own
	 * scounteren decides (live in the CSR while the vCPU is loaded): as on
	 * hardware, a denied read is an illegal instruction for the guest.
	 */
	bool from_vu = !(ctx->sstatus & SSTATUS_SPP);
	if (writes || (from_vu && !(csr_read(scounteren) & (1UL << idx)))) {
		riscv_inject_exception(v, EXC_ILLEGAL_INST, insn);
		return true;
	}
	uint64_t val = 0; /* hpmcounters without a virtual counter read zero */
	if (csr == CSR_TIME) {
		val = riscv_guest_time(v);
	} else if (idx < RISCV_PMU_NR_HW) {
		struct pmu_now now;
		riscv_vpmu_now(v, &now);
		val = pmu_ctr_read(&v->arch.pmu, &now, idx);
	}
	if (rd)
		ctx->x[rd] = val;
	ctx->sepc += 4;
	return true;
}
