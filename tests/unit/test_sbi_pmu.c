/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/sbi/pmu_core.c: the per-vCPU virtual
 * PMU behind the SBI PMU extension (SBI spec v3.0, "Performance Monitoring
 * Unit"): event encodings, counter info, set decoding, matching, start/stop
 * with init values and snapshots, firmware counters, the vCPU switch folding
 * that keeps counts per vCPU, and event_get_info.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/pmu_core.h"

#define EV_HW(c) ((unsigned long)(c))
#define EV_FW(c) ((15UL << 16) | (c))
#define FIRST_FW RISCV_PMU_NR_HW
#define ALL_CTRS ((1UL << RISCV_PMU_NR_CTRS) - 1)

static struct riscv_pmu pmu;

static int setup(void **state)
{
	(void)state;
	pmu_reset(&pmu);
	return 0;
}

static void test_event_src(void **state)
{
	(void)state;
	assert_int_equal(pmu_event_src(EV_HW(1), 0), PMU_SRC_CYCLE);
	assert_int_equal(pmu_event_src(EV_HW(2), 0), PMU_SRC_INSTRET);
	assert_int_equal(pmu_event_src(EV_HW(3), 0), PMU_SRC_HOST);
	assert_int_equal(pmu_event_src(EV_HW(10), 0), PMU_SRC_HOST);
	assert_int_equal(pmu_event_src(EV_HW(0), 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src(EV_HW(11), 0), PMU_SRC_INVALID);
	/* Cache: L1D read access is for a host counter; cache id 7 is invalid. */
	assert_int_equal(pmu_event_src((1UL << 16) | 0, 0), PMU_SRC_HOST);
	assert_int_equal(pmu_event_src((1UL << 16) | (7 << 3), 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src((1UL << 16) | (3 << 1), 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src(2UL << 16, 0x1234), PMU_SRC_HOST);
	assert_int_equal(pmu_event_src((2UL << 16) | 1, 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src(EV_FW(SBI_PMU_FW_SET_TIMER), 0), PMU_SRC_FW);
	assert_int_equal(pmu_event_src(EV_FW(SBI_PMU_FW_SET_TIMER), 1), PMU_SRC_NONE);
	assert_int_equal(pmu_event_src(EV_FW(14), 0), PMU_SRC_NONE); /* HFENCE: no guest H */
	assert_int_equal(pmu_event_src(EV_FW(22), 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src(EV_FW(0xffff), 5), PMU_SRC_NONE);
	assert_int_equal(pmu_event_src(7UL << 16, 0), PMU_SRC_INVALID);
	assert_int_equal(pmu_event_src(1UL << 20 | 1, 0), PMU_SRC_INVALID);
}

static void test_info_and_decode(void **state)
{
	(void)state;
	unsigned long info;
	uint64_t set;
	assert_int_equal(pmu_ctr_info(0, &info), SBI_SUCCESS);
	assert_int_equal(info, 0xc00 | (63UL << 12));
	assert_int_equal(pmu_ctr_info(2, &info), SBI_SUCCESS);
	assert_int_equal(info & 0xfff, 0xc02);
	assert_int_equal(pmu_ctr_info(FIRST_FW, &info), SBI_SUCCESS);
	assert_int_equal(info >> 63, 1);
	assert_int_equal(pmu_ctr_info(RISCV_PMU_NR_CTRS, &info), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_ctr_info(~0UL, &info), SBI_ERR_INVALID_PARAM);

	assert_int_equal(pmu_set_decode(0, ALL_CTRS, &set), SBI_SUCCESS);
	assert_int_equal(set, ALL_CTRS);
	assert_int_equal(pmu_set_decode(2, 1, &set), SBI_SUCCESS);
	assert_int_equal(set, 4);
	assert_int_equal(pmu_set_decode(0, 0, &set), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_set_decode(RISCV_PMU_NR_CTRS - 1, 2, &set), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_set_decode(~0UL, 2, &set), SBI_ERR_INVALID_PARAM); /* wraps */
}

static void test_cycle_counts_only_while_loaded(void **state)
{
	(void)state;
	struct pmu_now now = {1000, 500, {0}};
	unsigned long idx;
	/* cycle/instret run from reset, like the hardware's. */
	pmu_hw_resume(&pmu, &now);
	now.cycle = 1100;
	assert_int_equal(pmu_ctr_read(&pmu, &now, 0), 100);
	/* Linux at boot: stop everything with RESET, then map cycles with AUTO_START. */
	assert_int_equal(pmu_stop(&pmu, &now, 0, ALL_CTRS, SBI_PMU_STOP_RESET, NULL),
	                 SBI_ERR_ALREADY_STOPPED);
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS,
	                        SBI_PMU_CFG_FLAG_CLEAR_VAL | SBI_PMU_CFG_FLAG_AUTO_START, EV_HW(1),
	                        0, &idx),
	    SBI_SUCCESS);
	assert_int_equal(idx, 0);
	now.cycle = 1150;
	assert_int_equal(pmu_ctr_read(&pmu, &now, 0), 50);
	/* Put at 1150; another vCPU runs until 9000; load again: that time is not counted. */
	pmu_hw_pause(&pmu, &now);
	now.cycle = 9000;
	pmu_hw_resume(&pmu, &now);
	now.cycle = 9010;
	assert_int_equal(pmu_ctr_read(&pmu, &now, 0), 60);
	/* Stopped counters keep their value. */
	assert_int_equal(pmu_stop(&pmu, &now, 0, 1, 0, NULL), SBI_SUCCESS);
	now.cycle = 20000;
	assert_int_equal(pmu_ctr_read(&pmu, &now, 0), 60);
	assert_int_equal(pmu_stop(&pmu, &now, 0, 1, 0, NULL), SBI_ERR_ALREADY_STOPPED);
	/* Start with an initial value. */
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, SBI_PMU_START_SET_INIT, 7, NULL), SBI_SUCCESS);
	now.cycle = 20005;
	assert_int_equal(pmu_ctr_read(&pmu, &now, 0), 12);
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, 0, 0, NULL), SBI_ERR_ALREADY_STARTED);
}

static void test_matching(void **state)
{
	(void)state;
	struct pmu_now now = {0};
	unsigned long idx = 99;
	/* Only counter 2 counts instructions (not the time counter, not a hosted one). */
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, 0x3, 0, EV_HW(2), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, 0x8, 0, EV_HW(2), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_HW(2), 0, &idx),
	                 SBI_SUCCESS);
	assert_int_equal(idx, 2);
	/* A mapped counter is not free any more. */
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, 0x7, 0, EV_HW(2), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
	/* ...but SKIP_MATCH re-maps the first counter of the set when it is not running. */
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 2, 1, SBI_PMU_CFG_FLAG_SKIP_MATCH, EV_HW(2), 0, &idx),
	    SBI_SUCCESS);
	assert_int_equal(idx, 2);
	/* Invalid and unsupported events, reserved flags, invalid sets. */
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_HW(0), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_FW(14), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 1UL << 8, EV_HW(1), 0, &idx),
	                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, 1UL << RISCV_PMU_NR_CTRS, 0, EV_HW(1), 0, &idx),
	    SBI_ERR_INVALID_PARAM);
	/* Firmware events go to firmware counters, one per event mapping. */
	for (unsigned i = 0; i < RISCV_PMU_NR_FW; i++) {
		assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0,
		                                     EV_FW(SBI_PMU_FW_SET_TIMER), 0, &idx),
		                 SBI_SUCCESS);
		assert_int_equal(idx, FIRST_FW + i);
	}
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_FW(SBI_PMU_FW_SET_TIMER), 0, &idx),
	    SBI_ERR_NOT_SUPPORTED);
	/* RESET frees them again. */
	assert_int_equal(pmu_stop(&pmu, &now, FIRST_FW, 1UL << FIRST_FW, SBI_PMU_STOP_RESET, NULL),
	                 SBI_ERR_ALREADY_STOPPED);
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_FW(SBI_PMU_FW_IPI_SENT), 0, &idx),
	    SBI_SUCCESS);
	assert_int_equal(idx, FIRST_FW);
}

static void test_fw_counters(void **state)
{
	(void)state;
	struct pmu_now now = {0};
	unsigned long idx, val;
	pmu_fw_event(&pmu, SBI_PMU_FW_SET_TIMER); /* before mapping: not counted */
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS,
	                        SBI_PMU_CFG_FLAG_AUTO_START | SBI_PMU_CFG_FLAG_CLEAR_VAL,
	                        EV_FW(SBI_PMU_FW_SET_TIMER), 0, &idx),
	    SBI_SUCCESS);
	pmu_fw_event(&pmu, SBI_PMU_FW_SET_TIMER);
	pmu_fw_event(&pmu, SBI_PMU_FW_SET_TIMER);
	pmu_fw_event(&pmu, SBI_PMU_FW_IPI_SENT);
	pmu_fw_event(&pmu, 1000); /* out of range: ignored */
	assert_int_equal(pmu_fw_read(&pmu, idx, &val), SBI_SUCCESS);
	assert_int_equal(val, 2);
	assert_int_equal(pmu_fw_read(&pmu, 0, &val), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_fw_read(&pmu, RISCV_PMU_NR_CTRS, &val), SBI_ERR_INVALID_PARAM);
	/* Firmware counters are not hardware counters: the vCPU switch leaves them alone. */
	pmu_hw_pause(&pmu, &now);
	pmu_fw_event(&pmu, SBI_PMU_FW_SET_TIMER);
	assert_int_equal(pmu_fw_read(&pmu, idx, &val), SBI_SUCCESS);
	assert_int_equal(val, 3);
}

static void test_snapshot(void **state)
{
	(void)state;
	struct pmu_now now = {100, 0, {0}};
	uint64_t shmem[512];
	unsigned long idx;
	memset(shmem, 0xff, sizeof(shmem));
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, SBI_PMU_CFG_FLAG_CLEAR_VAL,
	                                     EV_HW(1), 0, &idx),
	                 SBI_SUCCESS);
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, SBI_PMU_START_INIT_SNAPSHOT, 0, NULL),
	                 SBI_ERR_NO_SHMEM);
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, 3, 0, shmem + 1), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, 4, 0, shmem + 1), SBI_ERR_INVALID_PARAM);
	shmem[1] = 1000; /* counter 0's initial value in the snapshot */
	assert_int_equal(pmu_start(&pmu, &now, 0, 1, SBI_PMU_START_INIT_SNAPSHOT, 0, shmem + 1),
	                 SBI_SUCCESS);
	now.cycle = 130;
	assert_int_equal(pmu_stop(&pmu, &now, 0, 1, SBI_PMU_STOP_TAKE_SNAPSHOT, NULL),
	                 SBI_ERR_NO_SHMEM);
	assert_int_equal(pmu_stop(&pmu, &now, 0, 1, SBI_PMU_STOP_TAKE_SNAPSHOT, shmem),
	                 SBI_SUCCESS);
	assert_int_equal(shmem[0], 0); /* no overflow bitmap without Sscofpmf */
	assert_int_equal(shmem[1], 1030);
	assert_int_equal(shmem[2], 0xffffffffffffffffULL); /* other counters untouched */
	/* Relative to counter_idx_base. */
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_FW(SBI_PMU_FW_IPI_RECVD), 0, &idx),
	    SBI_SUCCESS);
	assert_int_equal(pmu_stop(&pmu, &now, idx, 1UL << idx, SBI_PMU_STOP_TAKE_SNAPSHOT, shmem),
	                 SBI_ERR_ALREADY_STOPPED);
	assert_int_equal(shmem[1], 0);
	/* Starting an unmapped counter is invalid and changes nothing. */
	assert_int_equal(pmu_start(&pmu, &now, 0, 1UL << 1, 0, 0, NULL), SBI_ERR_INVALID_PARAM);
	assert_int_equal(pmu_stop(&pmu, &now, 0, 1, 4, NULL), SBI_ERR_INVALID_PARAM);
}

static bool host_has_event4(unsigned long ev, uint64_t data)
{
	return ev == EV_HW(4) && data == 0;
}

static void test_hosted_counters(void **state)
{
	(void)state;
	struct pmu_now now = {0};
	unsigned long idx;
	/* Other hardware events go to the hosted counters 3.., following now.host[]. */
	assert_int_equal(
	    pmu_config_matching(&pmu, &now, 0, ALL_CTRS,
	                        SBI_PMU_CFG_FLAG_CLEAR_VAL | SBI_PMU_CFG_FLAG_AUTO_START,
	                        (1UL << 16) | 0x19, 0, &idx),
	    SBI_SUCCESS);
	assert_int_equal(idx, RISCV_PMU_FIRST_HOSTED);
	assert_int_equal(pmu.ctr[idx].event_idx, (1UL << 16) | 0x19);
	now.host[0] = 40;
	assert_int_equal(pmu_ctr_read(&pmu, &now, (unsigned)idx), 40);
	/* vCPU put: folded; at the next load the host counter starts from zero again. */
	pmu_hw_pause(&pmu, &now);
	now.host[0] = 0;
	pmu_hw_resume(&pmu, &now);
	now.host[0] = 2;
	assert_int_equal(pmu_ctr_read(&pmu, &now, (unsigned)idx), 42);
	/* Folded, then a new host counter under it (remapping): rebase keeps the value. */
	pmu_hw_pause(&pmu, &now);
	now.host[0] = 1000;
	pmu_ctr_rebase(&pmu, (unsigned)idx, &now);
	assert_int_equal(pmu_ctr_read(&pmu, &now, (unsigned)idx), 42);
	now.host[0] = 1005;
	assert_int_equal(pmu_ctr_read(&pmu, &now, (unsigned)idx), 47);
	/* Hosted counters are hardware counters with hpmcounter CSRs; fw_read refuses them. */
	unsigned long info, val;
	assert_int_equal(pmu_ctr_info(idx, &info), SBI_SUCCESS);
	assert_int_equal(info & 0xfff, 0xc03);
	assert_int_equal(pmu_fw_read(&pmu, idx, &val), SBI_ERR_INVALID_PARAM);
	/* All hosted counters taken: no more. */
	for (unsigned i = 1; i < RISCV_PMU_NR_HOSTED; i++)
		assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_HW(3), 0, &idx),
		                 SBI_SUCCESS);
	assert_int_equal(pmu_config_matching(&pmu, &now, 0, ALL_CTRS, 0, EV_HW(3), 0, &idx),
	                 SBI_ERR_NOT_SUPPORTED);
}

static void test_event_info(void **state)
{
	(void)state;
	uint8_t e[3 * 16];
	uint32_t ev, out;
	uint64_t data = 0;
	memset(e, 0xee, sizeof(e));
	ev = (uint32_t)EV_HW(1);
	memcpy(e, &ev, 4);
	memcpy(e + 8, &data, 8);
	ev = (uint32_t)EV_HW(4);
	memcpy(e + 16, &ev, 4);
	memcpy(e + 24, &data, 8);
	ev = (uint32_t)EV_FW(SBI_PMU_FW_IPI_SENT);
	memcpy(e + 32, &ev, 4);
	memcpy(e + 40, &data, 8);
	assert_int_equal(pmu_event_info(e, 3, NULL), SBI_SUCCESS);
	memcpy(&out, e + 4, 4);
	assert_int_equal(out, 1);
	memcpy(&out, e + 20, 4);
	assert_int_equal(out, 0);
	memcpy(&out, e + 36, 4);
	assert_int_equal(out, 1);
	/* One invalid entry: SBI_ERR_INVALID_PARAM and no output written. */
	ev = 0x00f00001; /* reserved bits 20..31 */
	memcpy(e + 16, &ev, 4);
	memset(e + 4, 0x77, 4);
	assert_int_equal(pmu_event_info(e, 3, NULL), SBI_ERR_INVALID_PARAM);
	memcpy(&out, e + 4, 4);
	assert_int_equal(out, 0x77777777);
	assert_int_equal(pmu_event_info(e, 0, NULL), SBI_SUCCESS);
	/* Host events: the callback decides. */
	ev = (uint32_t)EV_HW(4);
	memcpy(e + 16, &ev, 4);
	assert_int_equal(pmu_event_info(e, 3, host_has_event4), SBI_SUCCESS);
	memcpy(&out, e + 20, 4);
	assert_int_equal(out, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_event_src, setup),
	    cmocka_unit_test_setup(test_info_and_decode, setup),
	    cmocka_unit_test_setup(test_cycle_counts_only_while_loaded, setup),
	    cmocka_unit_test_setup(test_matching, setup),
	    cmocka_unit_test_setup(test_fw_counters, setup),
	    cmocka_unit_test_setup(test_snapshot, setup),
	    cmocka_unit_test_setup(test_hosted_counters, setup),
	    cmocka_unit_test_setup(test_event_info, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
