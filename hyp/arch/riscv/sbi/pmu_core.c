// SPDX-License-Identifier: MIT
/*
 * Virtual PMU counters (SBI spec v3.0, "Performance Monitoring Unit"):
 * pure logic, see pmu_core.h. A running counter's value is
 * value + (source now - base); folding moves the difference into value.
 * Hardware sources (cycle, instret) only advance while the vCPU is loaded:
 * pmu_hw_pause/pmu_hw_resume fold and rebase them at every vCPU switch,
 * so a vCPU never counts another vCPU's or VM's execution.
 */
#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/pmu_core.h"
#include "lib/string.h"

#define EVENT_TYPE(e) (((e) >> 16) & 0xfUL)
#define EVENT_CODE(e) ((e)&0xffffUL)

/* Hardware cache event code: cache_id[15:3] (L1D..NODE = 0..6), op_id[2:1] (0..2). */
#define CACHE_ID_MAX 6U
#define CACHE_OP_MAX 2U
/* Firmware event codes 22..255 are reserved; 256..65534 implementation-specific. */
#define FW_IMPL_FIRST 256U

enum pmu_src pmu_event_src(unsigned long event_idx, uint64_t event_data)
{
	if (event_idx >> 20)
		return PMU_SRC_INVALID; /* event_idx bits above 19 are reserved */
	unsigned long code = EVENT_CODE(event_idx);
	switch (EVENT_TYPE(event_idx)) {
	case SBI_PMU_TYPE_HW:
		if (code == 0 || code > SBI_PMU_HW_REF_CPU_CYCLES)
			return PMU_SRC_INVALID;
		if (code == SBI_PMU_HW_CPU_CYCLES)
			return PMU_SRC_CYCLE;
		if (code == SBI_PMU_HW_INSTRUCTIONS)
			return PMU_SRC_INSTRET;
		return PMU_SRC_HOST;
	case SBI_PMU_TYPE_CACHE:
		if ((code >> 3) > CACHE_ID_MAX || ((code >> 1) & 3) > CACHE_OP_MAX)
			return PMU_SRC_INVALID;
		return PMU_SRC_HOST;
	case SBI_PMU_TYPE_RAW:
	case SBI_PMU_TYPE_RAW_V2:
		/* The event is all in event_data; the code field must be zero. */
		return code ? PMU_SRC_INVALID : PMU_SRC_HOST;
	case SBI_PMU_TYPE_FW:
		if (code > SBI_PMU_FW_HFENCE_LAST && code < FW_IMPL_FIRST)
			return PMU_SRC_INVALID;
		/* Non-zero event_data is reserved except for PLATFORM: count nothing. */
		if (code > SBI_PMU_FW_SFENCE_ASID_RECV || event_data != 0)
			return PMU_SRC_NONE; /* HFENCE (no H for guests), impl/platform events */
		return PMU_SRC_FW;
	default:
		return PMU_SRC_INVALID;
	}
}

/* The source counter idx follows now (index decides for hardware counters). */
static enum pmu_src ctr_src(const struct riscv_pmu *p, unsigned idx)
{
	if (idx == PMU_CTR_CYCLE)
		return PMU_SRC_CYCLE;
	if (idx == PMU_CTR_INSTRET)
		return PMU_SRC_INSTRET;
	if (!p->ctr[idx].configured)
		return PMU_SRC_NONE;
	if (idx >= RISCV_PMU_NR_HW)
		return PMU_SRC_FW;
	if (idx >= RISCV_PMU_FIRST_HOSTED)
		return PMU_SRC_HOST;
	return PMU_SRC_NONE;
}

static bool is_hosted(unsigned idx)
{
	return idx >= RISCV_PMU_FIRST_HOSTED && idx < RISCV_PMU_NR_HW;
}

/*
 * Can counter idx count events of source src? Cycles and instructions only on counters 0
 * and 2: the firmware (OpenSBI without Smcntrpmf) gives those events only its fixed
 * counters, which the hypervisor must never stop.
 */
static bool ctr_fits(unsigned idx, enum pmu_src src)
{
	switch (src) {
	case PMU_SRC_CYCLE:
		return idx == PMU_CTR_CYCLE;
	case PMU_SRC_INSTRET:
		return idx == PMU_CTR_INSTRET;
	case PMU_SRC_FW:
		return idx >= RISCV_PMU_NR_HW;
	case PMU_SRC_HOST:
		return is_hosted(idx);
	default:
		return false;
	}
}

static uint64_t src_now(const struct riscv_pmu *p, unsigned idx, const struct pmu_now *now)
{
	switch (ctr_src(p, idx)) {
	case PMU_SRC_CYCLE:
		return now->cycle;
	case PMU_SRC_INSTRET:
		return now->instret;
	case PMU_SRC_FW: {
		unsigned long code = EVENT_CODE(p->ctr[idx].event_idx);
		/* Configured only with a code below RISCV_PMU_NR_FW_EVENTS (pmu_event_src). */
		return __atomic_load_n(&p->fw_events[code], __ATOMIC_RELAXED);
	}
	case PMU_SRC_HOST:
		return now->host[idx - RISCV_PMU_FIRST_HOSTED];
	default:
		return 0;
	}
}

uint64_t pmu_ctr_read(const struct riscv_pmu *p, const struct pmu_now *now, unsigned idx)
{
	const struct riscv_pmu_ctr *c = &p->ctr[idx];
	if (!c->started)
		return c->value;
	return c->value + (src_now(p, idx, now) - c->base);
}

static void fold(struct riscv_pmu *p, const struct pmu_now *now, unsigned idx)
{
	struct riscv_pmu_ctr *c = &p->ctr[idx];
	uint64_t cur = src_now(p, idx, now);
	if (c->started)
		c->value += cur - c->base;
	c->base = cur;
}

void pmu_reset(struct riscv_pmu *p)
{
	memset(p, 0, sizeof(*p));
	p->ctr[PMU_CTR_CYCLE].started = 1;
	p->ctr[PMU_CTR_INSTRET].started = 1;
}

long pmu_ctr_info(unsigned long idx, unsigned long *info)
{
	if (idx < RISCV_PMU_NR_HW) {
		/* CSR cycle/time/instret = 0xc00 + idx; width field = bits - 1 (64-bit). */
		*info = (0xc00UL + idx) | (63UL << 12);
		return SBI_SUCCESS;
	}
	if (idx < RISCV_PMU_NR_CTRS) {
		*info = 1UL << 63; /* firmware counter: CSR and width are ignored */
		return SBI_SUCCESS;
	}
	return SBI_ERR_INVALID_PARAM;
}

long pmu_set_decode(unsigned long base, unsigned long mask, uint64_t *set)
{
	*set = 0;
	if (!mask)
		return SBI_ERR_INVALID_PARAM;
	for (unsigned i = 0; i < 64; i++) {
		if (!(mask & (1UL << i)))
			continue;
		unsigned long idx = base + i;
		if (idx < base || idx >= RISCV_PMU_NR_CTRS)
			return SBI_ERR_INVALID_PARAM;
		*set |= 1ULL << idx;
	}
	return SBI_SUCCESS;
}

long pmu_config_matching(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base,
                         unsigned long mask, unsigned long flags, unsigned long event_idx,
                         uint64_t event_data, unsigned long *idx)
{
	uint64_t set;
	if (flags >> 8)
		return SBI_ERR_INVALID_PARAM; /* reserved flag bits */
	long err = pmu_set_decode(base, mask, &set);
	if (err)
		return err;
	enum pmu_src src = pmu_event_src(event_idx, event_data);
	if (src == PMU_SRC_INVALID || src == PMU_SRC_NONE)
		return SBI_ERR_NOT_SUPPORTED;
	unsigned chosen = RISCV_PMU_NR_CTRS;
	if (flags & SBI_PMU_CFG_FLAG_SKIP_MATCH) {
		/* The first counter of the set, unconditionally, if it can count at all. */
		unsigned first = 0;
		while (!(set & (1ULL << first))) /* set is not empty (pmu_set_decode) */
			first++;
		if (ctr_fits(first, src) && !(p->ctr[first].configured && p->ctr[first].started))
			chosen = first;
	} else {
		for (unsigned i = 0; i < RISCV_PMU_NR_CTRS; i++) {
			if ((set & (1ULL << i)) && ctr_fits(i, src) && !p->ctr[i].configured) {
				chosen = i;
				break;
			}
		}
	}
	if (chosen == RISCV_PMU_NR_CTRS)
		return SBI_ERR_NOT_SUPPORTED;
	struct riscv_pmu_ctr *c = &p->ctr[chosen];
	/*
	 * cycle/instret run unmapped from reset; mapping one stops it (keeping its
	 * value) so it runs again only by AUTO_START or counter_start.
	 */
	fold(p, now, chosen);
	c->started = 0;
	c->configured = 1;
	c->event_idx = (uint32_t)event_idx;
	c->event_data = event_data;
	if (flags & SBI_PMU_CFG_FLAG_CLEAR_VAL)
		c->value = 0;
	/* SET_*INH are filtering hints the spec lets us ignore (see docs/sbi/pmu.md). */
	if (flags & SBI_PMU_CFG_FLAG_AUTO_START) {
		c->base = src_now(p, chosen, now);
		c->started = 1;
	}
	*idx = chosen;
	return SBI_SUCCESS;
}

long pmu_start(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base, uint64_t set,
               unsigned long flags, uint64_t init, const uint64_t *snap)
{
	if (flags >> 2 || flags == (SBI_PMU_START_SET_INIT | SBI_PMU_START_INIT_SNAPSHOT))
		return SBI_ERR_INVALID_PARAM; /* reserved bits; the two are mutually exclusive */
	if ((flags & SBI_PMU_START_INIT_SNAPSHOT) && !snap)
		return SBI_ERR_NO_SHMEM;
	/* Validate the whole set before changing anything: only mapped counters can start. */
	for (unsigned i = 0; i < RISCV_PMU_NR_CTRS; i++)
		if ((set & (1ULL << i)) && !p->ctr[i].configured)
			return SBI_ERR_INVALID_PARAM;
	long err = SBI_SUCCESS;
	for (unsigned i = 0; i < RISCV_PMU_NR_CTRS; i++) {
		struct riscv_pmu_ctr *c = &p->ctr[i];
		if (!(set & (1ULL << i)))
			continue;
		if (c->started) {
			err = SBI_ERR_ALREADY_STARTED;
			continue;
		}
		if (flags & SBI_PMU_START_SET_INIT)
			c->value = init;
		else if (flags & SBI_PMU_START_INIT_SNAPSHOT)
			c->value = snap[i - base]; /* i - base < 64: set came from a 64-bit mask */
		c->base = src_now(p, i, now);
		c->started = 1;
	}
	return err;
}

long pmu_stop(struct riscv_pmu *p, const struct pmu_now *now, unsigned long base, uint64_t set,
              unsigned long flags, uint64_t *snap)
{
	if (flags >> 2)
		return SBI_ERR_INVALID_PARAM;
	if ((flags & SBI_PMU_STOP_TAKE_SNAPSHOT) && !snap)
		return SBI_ERR_NO_SHMEM;
	long err = SBI_SUCCESS;
	for (unsigned i = 0; i < RISCV_PMU_NR_CTRS; i++) {
		struct riscv_pmu_ctr *c = &p->ctr[i];
		if (!(set & (1ULL << i)))
			continue;
		if (c->started) {
			fold(p, now, i);
			c->started = 0;
		} else {
			err = SBI_ERR_ALREADY_STOPPED;
		}
		if (flags & SBI_PMU_STOP_TAKE_SNAPSHOT)
			snap[1 + (i - base)] = c->value;
		/* RESET releases the mapping even of a stopped counter (Linux relies on it). */
		if (flags & SBI_PMU_STOP_RESET) {
			c->configured = 0;
			c->event_idx = 0;
		}
	}
	/* Overflow bitmap: no Sscofpmf for guests, so it must read zero (spec). */
	if (flags & SBI_PMU_STOP_TAKE_SNAPSHOT)
		snap[0] = 0;
	return err;
}

long pmu_fw_read(const struct riscv_pmu *p, unsigned long idx, unsigned long *val)
{
	if (idx < RISCV_PMU_NR_HW || idx >= RISCV_PMU_NR_CTRS)
		return SBI_ERR_INVALID_PARAM;
	const struct pmu_now none = {0}; /* firmware sources need no host reading */
	*val = pmu_ctr_read(p, &none, (unsigned)idx);
	return SBI_SUCCESS;
}

void pmu_ctr_rebase(struct riscv_pmu *p, unsigned idx, const struct pmu_now *now)
{
	p->ctr[idx].base = src_now(p, idx, now);
}

void pmu_hw_pause(struct riscv_pmu *p, const struct pmu_now *now)
{
	for (unsigned i = 0; i < RISCV_PMU_NR_HW; i++)
		if (p->ctr[i].started)
			fold(p, now, i);
}

void pmu_hw_resume(struct riscv_pmu *p, const struct pmu_now *now)
{
	/* Time away from the CPU is not counted: restart from the current reading. */
	for (unsigned i = 0; i < RISCV_PMU_NR_HW; i++)
		p->ctr[i].base = src_now(p, i, now);
}

void pmu_fw_event(struct riscv_pmu *p, unsigned code)
{
	if (code < RISCV_PMU_NR_FW_EVENTS)
		__atomic_fetch_add(&p->fw_events[code], 1, __ATOMIC_RELAXED);
}

long pmu_event_info(uint8_t *entries, unsigned long n,
                    bool (*host_has)(unsigned long event_idx, uint64_t event_data))
{
	/* Entry: u32 event_idx, u32 output, u64 event_data (little-endian, 16-byte aligned). */
	for (unsigned long i = 0; i < n; i++) {
		uint32_t ev;
		uint64_t data;
		memcpy(&ev, entries + i * 16, 4);
		memcpy(&data, entries + i * 16 + 8, 8);
		if (pmu_event_src(ev, data) == PMU_SRC_INVALID)
			return SBI_ERR_INVALID_PARAM;
	}
	for (unsigned long i = 0; i < n; i++) {
		uint32_t ev, out;
		uint64_t data;
		memcpy(&ev, entries + i * 16, 4);
		memcpy(&data, entries + i * 16 + 8, 8);
		/* Re-read: another vCPU may have changed the entry since the check. */
		enum pmu_src src = pmu_event_src(ev, data);
		if (src == PMU_SRC_HOST)
			out = host_has && host_has(ev, data);
		else
			out = src != PMU_SRC_INVALID && src != PMU_SRC_NONE;
		memcpy(entries + i * 16 + 4, &out, 4);
	}
	return SBI_SUCCESS;
}
