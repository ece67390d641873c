// SPDX-License-Identifier: MIT
/*
 * SBI PMU extension (EID "PMU"), SBI spec v3.0 chapter "Performance
 * Monitoring Unit". Every vCPU has its own virtual counters (pmu_core.c):
 * cycle, instret and other hardware events follow host counters only while
 * the vCPU is loaded (vpmu.c), firmware counters count what passes through
 * Ferrovisor for that vCPU. Guest-named shared memory (snapshot, event info) must lie in the
 * VM's RAM and is reached only through vm_gpa_to_hva.
 */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/pmu_core.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/dirty_log.h"
#include "core/vm.h"

/*
 * event_get_info entries per call: bounds the time one call holds the CPU
 * (a VM's RAM could otherwise name millions, and a host-backed event costs
 * two firmware calls). Larger requests are SBI_ERR_INVALID_PARAM;
 * docs/sbi/pmu.md lists this limit.
 */
#define PMU_EVENT_INFO_MAX 1024UL

typedef void (*pmu_fn)(struct vcpu *v, const unsigned long *a, struct sbi_result *r);

/* The snapshot page, or NULL if none is set (or it no longer maps). */
static uint64_t *snapshot(struct vcpu *v)
{
	struct riscv_pmu *p = &v->arch.pmu;
	if (!p->snapshot_on)
		return NULL;
	return vm_gpa_to_hva(v->vm, p->snapshot_gpa, SBI_PMU_SNAPSHOT_SIZE);
}

static void num_counters(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	(void)v;
	(void)a;
	r->value = RISCV_PMU_NR_CTRS;
}

static void counter_get_info(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	(void)v;
	unsigned long info = 0;
	r->error = pmu_ctr_info(a[0], &info);
	r->value = r->error ? 0 : (long)info;
}

static void config_matching(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	unsigned long idx = 0;
	/* a3 = event_idx, a4 = event_data (RV64: all 64 bits in one register). */
	r->error = riscv_vpmu_config_matching(v, a, &idx);
	r->value = r->error ? 0 : (long)idx;
}

/*
 * Common start of counter_start and counter_stop: decode the counter set from
 * a0 = counter_idx_base, a1 = counter_idx_mask (error in r), then find the snapshot page
 * (NULL if none) and sample the counter sources. False if the set is invalid.
 */
static bool start_stop_begin(struct vcpu *v, const unsigned long *a, struct sbi_result *r,
                             uint64_t *set, uint64_t **snap, struct pmu_now *now)
{
	r->error = pmu_set_decode(a[0], a[1], set);
	if (r->error)
		return false;
	*snap = snapshot(v);
	riscv_vpmu_now(v, now);
	return true;
}

static void counter_start(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct pmu_now now;
	uint64_t set;
	uint64_t *snap;
	if (!start_stop_begin(v, a, r, &set, &snap, &now))
		return;
	/* Snapshot values follow the 8-byte overflow bitmap. */
	r->error = pmu_start(&v->arch.pmu, &now, a[0], set, a[2], a[3], snap ? snap + 1 : NULL);
	/* The snapshot page is written behind the guest's stage 2: a migration logs it. */
	if (snap)
		dirty_log_written(v->vm, v->arch.pmu.snapshot_gpa, SBI_PMU_SNAPSHOT_SIZE);
}

static void counter_stop(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct pmu_now now;
	uint64_t set;
	uint64_t *snap;
	if (!start_stop_begin(v, a, r, &set, &snap, &now))
		return;
	r->error = pmu_stop(&v->arch.pmu, &now, a[0], set, a[2], snap);
	if (snap)
		dirty_log_written(v->vm, v->arch.pmu.snapshot_gpa, SBI_PMU_SNAPSHOT_SIZE);
	riscv_vpmu_release_unmapped(v);
}

static void fw_read(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	unsigned long val = 0;
	r->error = pmu_fw_read(&v->arch.pmu, a[0], &val);
	r->value = (long)val;
}

static void fw_read_hi(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	unsigned long val = 0;
	/* RV64: the whole value fits fw_read, the high half is always zero (spec). */
	r->error = pmu_fw_read(&v->arch.pmu, a[0], &val);
	r->value = 0;
}

static void snapshot_set_shmem(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	struct riscv_pmu *p = &v->arch.pmu;
	unsigned long lo = a[0], hi = a[1], flags = a[2];
	if (flags != 0) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if (lo == ~0UL && hi == ~0UL) {
		p->snapshot_on = false; /* cleared and disabled */
		p->snapshot_gpa = 0;
		return;
	}
	if (lo & (SBI_PMU_SNAPSHOT_SIZE - 1)) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	/* RV64: addresses above 2^64 (hi != 0) are no RAM of this VM. */
	if (hi != 0 || !vm_gpa_to_hva(v->vm, lo, SBI_PMU_SNAPSHOT_SIZE)) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	p->snapshot_gpa = lo;
	p->snapshot_on = true;
}

static void event_get_info(struct vcpu *v, const unsigned long *a, struct sbi_result *r)
{
	unsigned long lo = a[0], hi = a[1], n = a[2], flags = a[3];
	if (flags != 0 || (lo & (SBI_PMU_EVENT_INFO_SIZE - 1)) || n > PMU_EVENT_INFO_MAX) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	/* n <= PMU_EVENT_INFO_MAX, so the size cannot wrap. */
	uint8_t *entries = vm_gpa_to_hva(v->vm, lo, n * SBI_PMU_EVENT_INFO_SIZE);
	if (hi != 0 || !entries) {
		r->error = SBI_ERR_INVALID_ADDRESS;
		return;
	}
	r->error = pmu_event_info(entries, n, riscv_vpmu_host_has);
}

static const pmu_fn pmu_fns[] = {
    [SBI_PMU_NUM_COUNTERS] = num_counters,
    [SBI_PMU_COUNTER_GET_INFO] = counter_get_info,
    [SBI_PMU_COUNTER_CFG_MATCH] = config_matching,
    [SBI_PMU_COUNTER_START] = counter_start,
    [SBI_PMU_COUNTER_STOP] = counter_stop,
    [SBI_PMU_COUNTER_FW_READ] = fw_read,
    [SBI_PMU_COUNTER_FW_READ_HI] = fw_read_hi,
    [SBI_PMU_SNAPSHOT_SET_SHMEM] = snapshot_set_shmem,
    [SBI_PMU_EVENT_GET_INFO] = event_get_info,
};

void sbi_pmu_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                     struct sbi_result *r)
{
	if (fid >= ARRAY_SIZE(pmu_fns) || !pmu_fns[fid]) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	pmu_fns[fid](v, a, r);
}
