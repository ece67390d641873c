// SPDX-License-Identifier: MIT
/*
 * IPI extension (EID "sPI"), SBI spec v3.0 chapter 7, and the hart-mask rules of chapter 3:
 * hart_mask_base == -1 means every hart (mask ignored); any hartid named that is not valid
 * -> SBI_ERR_INVALID_PARAM. Both harts also send to each other concurrently.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"
#include "trap.h"

#define HAMMER_ROUNDS 200

#define NATIVE_MASK_DEV "OpenSBI ignores hart ids in the mask that do not exist"

static volatile uint64_t hammer_errors;

static void self_cases(void)
{
	struct trap_hart *h = trap_hart_state();
	unsigned long self = suite_self();
	uint64_t before;

	csr_set(sie, SIE_SSIE);
	irq_enable();
	before = h->soft_count;
	test_check_eq("ipi.send_ipi.self", sbi_send_ipi(1, self).error, SBI_SUCCESS);
	test_check(suite_wait_change(&h->soft_count, before, 1000), "ipi.send_ipi.self_received");

	before = h->soft_count;
	test_check_eq("ipi.send_ipi.base_minus1", sbi_send_ipi(0, -1UL).error, SBI_SUCCESS);
	test_check(suite_wait_change(&h->soft_count, before, 1000),
	           "ipi.send_ipi.base_minus1_received");
	/* With base -1 the mask is ignored, even one naming no real hart. */
	before = h->soft_count;
	test_check_eq("ipi.send_ipi.base_minus1_mask_ignored",
	              sbi_send_ipi(0xffff000000000000UL, -1UL).error, SBI_SUCCESS);
	test_check(suite_wait_change(&h->soft_count, before, 1000),
	           "ipi.send_ipi.base_minus1_mask_ignored_received");

	/* Base = self, bit 0. */
	before = h->soft_count;
	test_check_eq("ipi.send_ipi.base_self", sbi_send_ipi(1, self).error, SBI_SUCCESS);
	test_check(suite_wait_change(&h->soft_count, before, 1000),
	           "ipi.send_ipi.base_self_received");

	/* An empty mask names nobody: nothing to do, nothing invalid. */
	test_check_eq("ipi.send_ipi.empty_mask", sbi_send_ipi(0, 0).error, SBI_SUCCESS);
}

static void invalid_cases(void)
{
	struct trap_hart *h = trap_hart_state();
	unsigned long self = suite_self();
	uint64_t before;
	long err;

	test_check_eq("ipi.send_ipi.invalid_base", sbi_send_ipi(1, SUITE_INVALID_HART).error,
	              SBI_ERR_INVALID_PARAM);
	/* The base itself names a hart that does not exist, even with nothing in the mask. */
	err = sbi_send_ipi(0, SUITE_INVALID_HART).error;
	test_check_eq("ipi.send_ipi.invalid_base_empty_mask", err, SBI_ERR_INVALID_PARAM);
	/* Base -2 is not the "all harts" value: hart ids -2 and -1 do not exist. */
	test_check_eq("ipi.send_ipi.base_minus2", sbi_send_ipi(3, -2UL).error,
	              SBI_ERR_INVALID_PARAM);
	/* Bit 63 with base 0 names hart 63, which does not exist. */
	err = sbi_send_ipi(1UL << 63, 0).error;
	suite_check_eq_native_dev("ipi.send_ipi.mask_bit63", err, SBI_ERR_INVALID_PARAM,
	                          NATIVE_MASK_DEV);
	/* A valid hart plus one past the last: the whole call is invalid (and sends nothing). */
	before = h->soft_count;
	err = sbi_send_ipi((1UL << self) | (1UL << 8), 0).error;
	suite_check_eq_native_dev("ipi.send_ipi.mask_beyond_last", err, SBI_ERR_INVALID_PARAM,
	                          NATIVE_MASK_DEV);
	plat_delay_ms(5);
	suite_check_native_dev(h->soft_count == before, "ipi.send_ipi.mask_beyond_last_no_ipi",
	                       NATIVE_MASK_DEV, "%lu IPIs delivered",
	                       (unsigned long)(h->soft_count - before));
	/* base + bit index wraps around 2^64. */
	err = sbi_send_ipi(1UL << 4, -3UL).error;
	test_check_eq("ipi.send_ipi.base_wraps", err, SBI_ERR_INVALID_PARAM);
}

static void hammer(unsigned long target)
{
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		struct sbiret r = (i & 3) == 3 ? sbi_send_ipi(0, -1UL) : sbi_send_ipi(1, target);
		if (r.error != SBI_SUCCESS)
			__atomic_fetch_add(&hammer_errors, 1, __ATOMIC_RELAXED);
	}
}

static void other_cases(void)
{
	struct trap_hart *h = trap_hart_state();
	unsigned long self = suite_self(), other;
	struct trap_hart *ho;
	uint64_t bc, ac;

	if (!test_checkf(suite_other() >= 0, "ipi.send_ipi.other_hart_exists", "need 2 harts"))
		return;
	other = (unsigned long)suite_other();
	ho = trap_hart_state_of(other);
	if (!test_check(suite_worker_start(), "ipi.send_ipi.worker_up"))
		return;

	bc = ho->soft_count;
	test_check_eq("ipi.send_ipi.other", sbi_send_ipi(1, other).error, SBI_SUCCESS);
	test_check(suite_wait_change(&ho->soft_count, bc, 1000), "ipi.send_ipi.other_received");

	bc = ho->soft_count;
	test_check_eq("ipi.send_ipi.other_base0", sbi_send_ipi(1UL << other, 0).error, SBI_SUCCESS);
	test_check(suite_wait_change(&ho->soft_count, bc, 1000),
	           "ipi.send_ipi.other_base0_received");

	bc = ho->soft_count;
	ac = h->soft_count;
	test_check_eq("ipi.send_ipi.all_two_harts", sbi_send_ipi(0, -1UL).error, SBI_SUCCESS);
	test_check(suite_wait_change(&ho->soft_count, bc, 1000), "ipi.send_ipi.all_reaches_other");
	test_check(suite_wait_change(&h->soft_count, ac, 1000), "ipi.send_ipi.all_reaches_self");

	/* Both harts with one mask, base = lower id. */
	unsigned long base = self < other ? self : other;
	bc = ho->soft_count;
	ac = h->soft_count;
	test_check_eq("ipi.send_ipi.both_mask",
	              sbi_send_ipi((1UL << (self - base)) | (1UL << (other - base)), base).error,
	              SBI_SUCCESS);
	test_check(suite_wait_change(&ho->soft_count, bc, 1000) &&
	               suite_wait_change(&h->soft_count, ac, 1000),
	           "ipi.send_ipi.both_mask_received");

	/* Both harts hammer each other (and everyone) at once. */
	hammer_errors = 0;
	bc = ho->soft_count;
	ac = h->soft_count;
	bool posted = suite_worker_post(hammer, self);
	hammer(other);
	bool finished = posted && suite_worker_wait(10000);
	test_check(finished, "ipi.send_ipi.concurrent_finishes");
	test_check_eq("ipi.send_ipi.concurrent_errors", (long)hammer_errors, 0);
	test_check(suite_wait_change(&ho->soft_count, bc, 1000) &&
	               suite_wait_change(&h->soft_count, ac, 1000),
	           "ipi.send_ipi.concurrent_received");
	printf("sbi_test: IPI hammer: %lu taken here, %lu on the other hart\n",
	       (unsigned long)(h->soft_count - ac), (unsigned long)(ho->soft_count - bc));
	test_check(suite_worker_stop(), "ipi.send_ipi.worker_stopped");
}

static void stopped_target(void)
{
	static const unsigned long args[6] = {1, 0, 0x2222, 0x3333, 0x4444, 0x5555};
	unsigned long a[6];

	/* A stopped hart is still a valid hart id: the IPI is simply pending for it. */
	if (suite_other() >= 0)
		test_check_eq("ipi.send_ipi.stopped_target",
		              sbi_send_ipi(1, (unsigned long)suite_other()).error, SBI_SUCCESS);
	for (int i = 0; i < 6; i++)
		a[i] = args[i];
	a[1] = suite_self();
	suite_check_regs_preserved("ipi.send_ipi.regs_preserved", SBI_EXT_IPI, 0, a, NULL);
}

void sbi_suite_ipi(void)
{
	stopped_target();
	self_cases();
	invalid_cases();
	other_cases();
}
