/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_PMU_CORE_H
#define FV_ARCH_RISCV_SBI_PMU_CORE_H

/*
 * Virtual PMU counters of one vCPU (SBI spec v3.0, chapter "Performance
 * Monitoring Unit"): event decoding, counter matching, start/stop and
 * reads. Pure logic on struct riscv_pmu: the caller passes the host
 * counter readings (struct pmu_now) and the snapshot memory, so this file
 * runs unchanged in host unit tests. Functions return SBI error codes.
 * Not locked: only the vCPU's own CPU calls them, except pmu_fw_event.
 */
#include "lib/types.h"
#include "arch/riscv/include/arch/vcpu.h"

/* What a counter counts, derived from its event. */
enum pmu_src {
	PMU_SRC_INVALID = -1, /* event_idx (or event_data) does not follow the spec's encoding */
	PMU_SRC_NONE = 0,     /* valid encoding, not countable here */
	PMU_SRC_CYCLE,        /* host cycle CSR while the vCPU is loaded */
	PMU_SRC_INSTRET,      /* host instret CSR while the vCPU is loaded */
	PMU_SRC_FW,           /* the vCPU's firmware-event total */
	PMU_SRC_HOST,         /* another hardware event: a host counter, if the host has one */
};

/* Host counter readings taken on the vCPU's CPU while it is loaded. */
struct pmu_now {
	uint64_t cycle, instret;
	uint64_t host[RISCV_PMU_NR_HOSTED]; /* host counter of each hosted counter (0 if none) */
};

/* Counter index of the cycle, time and instret counters (SBI "hardware" counters). */
#define PMU_CTR_CYCLE   0U
#define PMU_CTR_TIME    1U
#define PMU_CTR_INSTRET 2U

/* Reset: every counter stopped and unmapped except cycle and instret, which run like
 * the hardware's after reset (guests read them before any SBI call). */
void pmu_reset(struct riscv_pmu *p);
/* Classify event_idx/event_data (spec "Event Index" encodings). */
enum pmu_src pmu_event_src(unsigned long event_idx, uint64_t event_data);
/* counter_get_info value for counter idx; SBI_ERR_INVALID_PARAM if it does not exist. */
long pmu_ctr_info(unsigned long idx, unsigned long *info);
/*
 * Decode counter_idx_base/mask into a bitmap of counter indices. An empty set or
 * any index past the last counter is SBI_ERR_INVALID_PARAM.
 */
long pmu_set_decode(unsigned long base, unsigned long mask, uint64_t *set);
/* counter_config_matching; on success *idx is the counter chosen. */
long pmu_config_matching(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base,
                         unsigned long mask, unsigned long flags, unsigned long event_idx,
                         uint64_t event_data, unsigned long *idx);
/*
 * counter_start on a decoded set. snap = the snapshot's counter_values (indexed
 * relative to base) for INIT_SNAPSHOT, NULL when no snapshot memory is set.
 */
long pmu_start(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base, uint64_t set,
               unsigned long flags, uint64_t init, const uint64_t *snap);
/*
 * counter_stop on a decoded set. snap = the snapshot memory (overflow bitmap
 * then counter_values) for TAKE_SNAPSHOT, NULL when none is set.
 */
long pmu_stop(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base, uint64_t set,
              unsigned long flags, uint64_t *snap);
/* Current value of counter idx (< RISCV_PMU_NR_CTRS); 0 for a counter never used. */
uint64_t pmu_ctr_read(const struct riscv_pmu *p, const struct pmu_now *now, unsigned idx);
/* counter_fw_read: SBI_ERR_INVALID_PARAM unless idx is a firmware counter. */
long pmu_fw_read(const struct riscv_pmu *p, unsigned long idx, unsigned long *val);
/* Restart counting of counter idx from now (its source changed under it). */
void pmu_ctr_rebase(struct riscv_pmu *p, unsigned idx, const struct pmu_now *now);
/* vCPU leaves / enters its CPU: fold or rebase the running hardware counters. */
void pmu_hw_pause(struct riscv_pmu *p, const struct pmu_now *now);
void pmu_hw_resume(struct riscv_pmu *p, const struct pmu_now *now);
/* Count one firmware event (SBI_PMU_FW_* code) for the vCPU; any CPU may call it. */
void pmu_fw_event(struct riscv_pmu *p, unsigned code);
/*
 * event_get_info over n 16-byte entries (already validated to lie in guest RAM):
 * checks every entry's encoding first (SBI_ERR_INVALID_PARAM, nothing written),
 * then sets each output word to 1 (supported) or 0. host_has(event_idx, event_data)
 * decides for PMU_SRC_HOST events (NULL: none supported).
 */
long pmu_event_info(uint8_t *entries, unsigned long n,
                    bool (*host_has)(unsigned long event_idx, uint64_t event_data));

#endif
