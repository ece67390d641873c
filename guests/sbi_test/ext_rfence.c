// SPDX-License-Identifier: MIT
/*
 * RFENCE extension (EID "RFNC"), SBI spec v3.0 chapter 8: every function with valid and
 * invalid hart masks (chapter 3 rules), the "whole address space" ranges (start 0 and size 0,
 * or size 2^XLEN-1), ordinary and odd ranges, and both harts fencing each other at once.
 * HFENCE functions (FIDs 3-6) are only valid for harts with the H extension: a guest under
 * Ferrovisor has none and must get SBI_ERR_NOT_SUPPORTED; natively either answer is allowed.
 */
#include <stdint.h>

#include "config.h"
#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

/*
 * Rounds of both harts fencing each other. Under Ferrovisor many: a fence waits for its
 * target only while that one is "in the guest", and the exit path keeps the flag set
 * while it handles a call (exit_fast.c), so a wait that forgot to clear its own would
 * deadlock the two; 100 rounds did not hit that window, 3000 did at once. Natively each
 * remote fence waits for the other hart's M-mode IPI, which QEMU serves slowly (3000
 * rounds took 40 s there), and there is no such flag: a few suffice.
 */
#define HAMMER_ROUNDS_FV     3000
#define HAMMER_ROUNDS_NATIVE 100

#define NATIVE_MASK_DEV "OpenSBI ignores hart ids in the mask that do not exist"

static volatile uint64_t hammer_errors;

/* One call of FID 0-2 with the given mask and range. */
static long fence(unsigned long fid, unsigned long mask, unsigned long base, unsigned long start,
                  unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, fid, mask, base, start, size, 1, 0).error;
}

static void ranges(unsigned long fid, const char *fn, unsigned long mask, unsigned long base)
{
	static const struct {
		unsigned long start, size;
		const char *name;
	} cases[] = {
	    {0, 0, "all_zero_zero"},
	    {0, ~0UL, "all_size_max"},
	    {GUEST_RAM_BASE, ~0UL, "size_max_nonzero_start"},
	    {GUEST_RAM_BASE, 0x1000, "one_page"},
	    {GUEST_RAM_BASE + 0x200000, 0x3000, "three_pages"},
	    {GUEST_RAM_BASE + 0x123, 0x10, "unaligned"},
	    {GUEST_RAM_BASE, 0, "size_zero_nonzero_start"},
	    {0xffffffffffe00000UL, 0x1000, "high_half"},
	};
	char name[96];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long err = fence(fid, mask, base, cases[i].start, cases[i].size);
		snprintf(name, sizeof(name), "rfence.%s.%s", fn, cases[i].name);
		test_checkf(err == SBI_SUCCESS, name, "error %ld (%s)", err, sbi_err_name(err));
	}
	/* start + size wraps past 2^64: INVALID_ADDRESS is the spec's answer for an invalid
	 * range; flushing everything (SUCCESS) is also safe. */
	long err = fence(fid, mask, base, 0xfffffffffffff000UL, 0x2000);
	snprintf(name, sizeof(name), "rfence.%s.range_wraps", fn);
	test_checkf(suite_is_one_of(err, SBI_SUCCESS, SBI_ERR_INVALID_ADDRESS), name,
	            "error %ld (%s)", err, sbi_err_name(err));
}

static void masks(unsigned long fid, const char *fn)
{
	unsigned long self = suite_self();
	char name[96];
	long err;

	snprintf(name, sizeof(name), "rfence.%s.self", fn);
	test_check_eq(name, fence(fid, 1, self, 0, 0), SBI_SUCCESS);
	snprintf(name, sizeof(name), "rfence.%s.base_minus1", fn);
	test_check_eq(name, fence(fid, 0, -1UL, 0, 0), SBI_SUCCESS);
	snprintf(name, sizeof(name), "rfence.%s.base_minus1_mask_ignored", fn);
	test_check_eq(name, fence(fid, 0xff00UL, -1UL, 0, 0), SBI_SUCCESS);
	snprintf(name, sizeof(name), "rfence.%s.empty_mask", fn);
	test_check_eq(name, fence(fid, 0, 0, 0, 0), SBI_SUCCESS);
	snprintf(name, sizeof(name), "rfence.%s.invalid_base", fn);
	test_check_eq(name, fence(fid, 1, SUITE_INVALID_HART, 0, 0), SBI_ERR_INVALID_PARAM);
	snprintf(name, sizeof(name), "rfence.%s.base_wraps", fn);
	test_check_eq(name, fence(fid, 1UL << 4, -3UL, 0, 0), SBI_ERR_INVALID_PARAM);
	err = fence(fid, (1UL << self) | (1UL << 8), 0, 0, 0);
	snprintf(name, sizeof(name), "rfence.%s.mask_beyond_last", fn);
	suite_check_eq_native_dev(name, err, SBI_ERR_INVALID_PARAM, NATIVE_MASK_DEV);
}

static void hfences(unsigned long mask, unsigned long base)
{
	static const struct {
		unsigned long fid;
		const char *name;
	} fns[] = {
	    {SBI_RFENCE_HFENCE_GVMA_VMID, "rfence.remote_hfence_gvma_vmid"},
	    {SBI_RFENCE_HFENCE_GVMA, "rfence.remote_hfence_gvma"},
	    {SBI_RFENCE_HFENCE_VVMA_ASID, "rfence.remote_hfence_vvma_asid"},
	    {SBI_RFENCE_HFENCE_VVMA, "rfence.remote_hfence_vvma"},
	};
	char name[96];

	for (unsigned int i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		long err = fence(fns[i].fid, mask, base, 0, 0);
		snprintf(name, sizeof(name), "%s.h_or_not_supported", fns[i].name);
		if (suite_under_ferrovisor())
			test_checkf(err == SBI_ERR_NOT_SUPPORTED, name,
			            "guest has no H extension: got %ld (%s)", err,
			            sbi_err_name(err));
		else
			test_checkf(suite_is_one_of(err, SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED), name,
			            "got %ld (%s)", err, sbi_err_name(err));
	}
}

static int hammer_rounds;

static void hammer(unsigned long target)
{
	for (int i = 0; i < hammer_rounds; i++) {
		unsigned long fid = (unsigned long)i % 3;
		long err = (i & 7) == 7 ? fence(fid, 0, -1UL, 0, 0)
		                        : fence(fid, 1, target, GUEST_RAM_BASE, 0x4000);
		if (err != SBI_SUCCESS)
			__atomic_fetch_add(&hammer_errors, 1, __ATOMIC_RELAXED);
	}
}

static void two_harts(void)
{
	unsigned long self = suite_self(), other, base, mask;

	if (!test_checkf(suite_other() >= 0, "rfence.remote_fence_i.other_hart_exists",
	                 "need 2 harts"))
		return;
	other = (unsigned long)suite_other();
	base = self < other ? self : other;
	mask = (1UL << (self - base)) | (1UL << (other - base));
	if (!test_check(suite_worker_start(), "rfence.remote_fence_i.worker_up"))
		return;
	ranges(SBI_RFENCE_FENCE_I, "remote_fence_i", mask, base);
	ranges(SBI_RFENCE_SFENCE_VMA, "remote_sfence_vma", mask, base);
	ranges(SBI_RFENCE_SFENCE_VMA_ASID, "remote_sfence_vma_asid", mask, base);
	hfences(mask, base);

	hammer_errors = 0;
	hammer_rounds = suite_under_ferrovisor() ? HAMMER_ROUNDS_FV : HAMMER_ROUNDS_NATIVE;
	bool posted = suite_worker_post(hammer, self);
	hammer(other);
	test_check(posted && suite_worker_wait(20000), "rfence.concurrent.finishes");
	test_check_eq("rfence.concurrent.errors", (long)hammer_errors, 0);
	test_check(suite_worker_stop(), "rfence.concurrent.worker_stopped");

	/* A stopped target hart: still a valid hart id, the fence is trivially done. */
	test_check_eq("rfence.remote_sfence_vma.stopped_target",
	              fence(SBI_RFENCE_SFENCE_VMA, 1, other, 0, 0), SBI_SUCCESS);
}

void sbi_suite_rfence(void)
{
	masks(SBI_RFENCE_FENCE_I, "remote_fence_i");
	masks(SBI_RFENCE_SFENCE_VMA, "remote_sfence_vma");
	masks(SBI_RFENCE_SFENCE_VMA_ASID, "remote_sfence_vma_asid");
	two_harts();
}
