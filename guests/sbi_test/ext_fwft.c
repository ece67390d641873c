// SPDX-License-Identifier: MIT
/*
 * SBI FWFT (SBI 3.0 "Firmware Features") conformance checks: set/get of
 * every standard feature, the LOCK flag, reserved and platform feature
 * ranges, invalid values and flags, per-hart scope and reset at hart start,
 * and the effect of MISALIGNED_EXC_DELEG (who sees a misaligned access) and
 * PTE_AD_HW_UPDATING (the hardware sets A/D bits, or the guest gets a page
 * fault) on real accesses.
 */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "ext_common.h"
#include "plat.h"
#include "smp.h"
#include "suite.h"
#include "trap.h"

#define EID_FWFT          0x46574654UL
#define FWFT_SET          0
#define FWFT_GET          1
#define F_MISALIGNED      0x0UL
#define F_LANDING_PAD     0x1UL
#define F_SHADOW_STACK    0x2UL
#define F_DOUBLE_TRAP     0x3UL
#define F_PTE_AD          0x4UL
#define F_PMLEN           0x5UL
#define FLAG_LOCK         0x1UL
#define EXC_LOAD_MISALIGN 4
#define EXC_AMO_MISALIGN  6
#define EXC_LOAD_PF       13
#define EXC_STORE_PF      15

unsigned long fwft_load_misaligned(const void *p);
void fwft_amo_misaligned(void *p);

static struct sbiret fwft_set(unsigned long f, unsigned long v, unsigned long flags)
{
	return sbi_ecall(EID_FWFT, FWFT_SET, f, v, flags, 0, 0, 0);
}

static struct sbiret fwft_get(unsigned long f)
{
	return sbi_ecall(EID_FWFT, FWFT_GET, f, 0, 0, 0, 0, 0);
}

static uint8_t buf[32] __attribute__((aligned(16)));

/* Misaligned plain load and AMO: what happens, with the delegation as it is now. */
static void check_misaligned(const char *tag, bool delegated)
{
	char name[80];
	struct trap_record rec;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(0x10 + i);
	uint64_t want = 0;
	for (unsigned i = 0; i < 8; i++)
		want |= (uint64_t)buf[3 + i] << (8 * i);

	/*
	 * A plain misaligned load: not delegated, it must complete (hardware or
	 * firmware emulation); delegated, it either completes in hardware or
	 * traps to us as a load address misaligned exception.
	 */
	trap_expect_begin();
	unsigned long got = fwft_load_misaligned(buf + 3);
	bool trapped = trap_expect_end(&rec);
	snprintf(name, sizeof(name), "fwft.misaligned.%s.plain_load", tag);
	if (!delegated)
		test_checkf(!trapped && got == want, name, "trapped %d cause %lu got 0x%lx",
		            trapped, rec.scause, got);
	else
		test_checkf((!trapped && got == want) ||
		                (trapped && rec.scause == EXC_LOAD_MISALIGN &&
		                 rec.stval == (unsigned long)(buf + 3)),
		            name, "trapped %d cause %lu stval 0x%lx got 0x%lx", trapped, rec.scause,
		            rec.stval, got);
	printf("sbi_test: fwft %s misaligned ld %s\n", tag,
	       trapped ? "trapped to S-mode" : "completed");

	/* A misaligned AMO never completes: the guest sees store/AMO address misaligned. */
	trap_expect_begin();
	fwft_amo_misaligned(buf + 1);
	trapped = trap_expect_end(&rec);
	snprintf(name, sizeof(name), "fwft.misaligned.%s.amo_traps", tag);
	test_checkf(trapped && rec.scause == EXC_AMO_MISALIGN &&
	                rec.stval == (unsigned long)(buf + 1),
	            name, "trapped %d cause %lu stval 0x%lx", trapped, rec.scause, rec.stval);
}

/* ---- PTE_AD_HW_UPDATING: a tiny Sv39 map, one alias gigapage with A=D=0. ---- */
#define PTE_V     (1UL << 0)
#define PTE_R     (1UL << 1)
#define PTE_W     (1UL << 2)
#define PTE_X     (1UL << 3)
#define PTE_A     (1UL << 6)
#define PTE_D     (1UL << 7)
#define SATP_SV39 (8UL << 60)
#define ALIAS_VA  0x40000000UL /* gigapage 1 -> guest RAM at 0x80000000 */

static uint64_t pt_root[512] __attribute__((aligned(4096)));
static volatile uint64_t ad_target;

static uint64_t giga_pte(unsigned long pa, unsigned long flags)
{
	return ((pa >> 12) << 10) | flags;
}

/*
 * Touch ad_target through the alias with paging on. Returns the trap cause
 * (0 = none) and leaves the alias PTE in *pte_after.
 */
static unsigned long touch_alias(bool write, uint64_t *pte_after)
{
	struct trap_record rec;
	/* Gigapages 0 (MMIO) and 2 (RAM, code and stack) identity with A/D set: never faulted. */
	pt_root[0] = giga_pte(0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	pt_root[2] = giga_pte(GUEST_RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D);
	pt_root[1] = giga_pte(GUEST_RAM_BASE, PTE_V | PTE_R | PTE_W);
	volatile uint64_t *alias =
	    (volatile uint64_t *)(ALIAS_VA + ((unsigned long)&ad_target - GUEST_RAM_BASE));
	unsigned long flags = irq_save();
	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, SATP_SV39 | ((unsigned long)pt_root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");
	trap_expect_begin();
	if (write)
		*alias = 0x5a5a;
	else
		(void)*alias;
	bool trapped = trap_expect_end(&rec);
	csr_write(satp, 0);
	__asm__ volatile("sfence.vma" ::: "memory");
	irq_restore(flags);
	*pte_after = pt_root[1];
	return trapped ? rec.scause : 0;
}

static void check_pte_ad(void)
{
	struct sbiret r = fwft_get(F_PTE_AD);
	uint64_t pte;
	if (r.error == SBI_ERR_NOT_SUPPORTED) {
		ext_skip("fwft.pte_ad.all", "PTE_AD_HW_UPDATING not supported on this platform");
		return;
	}
	test_checkf(r.error == SBI_SUCCESS && (r.value == 0 || r.value == 1), "fwft.get.pte_ad",
	            "error %ld value %ld", r.error, r.value);
	test_check_eq("fwft.set.pte_ad.invalid_value", fwft_set(F_PTE_AD, 2, 0).error,
	              SBI_ERR_INVALID_PARAM);

	test_check_eq("fwft.set.pte_ad.on", fwft_set(F_PTE_AD, 1, 0).error, SBI_SUCCESS);
	test_check_eq("fwft.get.pte_ad.on", fwft_get(F_PTE_AD).value, 1);
	unsigned long cause = touch_alias(false, &pte);
	test_checkf(cause == 0 && (pte & PTE_A) && !(pte & PTE_D), "fwft.pte_ad.on.load_sets_a",
	            "cause %lu pte 0x%lx", cause, (unsigned long)pte);
	cause = touch_alias(true, &pte);
	test_checkf(cause == 0 && (pte & PTE_A) && (pte & PTE_D), "fwft.pte_ad.on.store_sets_d",
	            "cause %lu pte 0x%lx", cause, (unsigned long)pte);

	test_check_eq("fwft.set.pte_ad.off", fwft_set(F_PTE_AD, 0, 0).error, SBI_SUCCESS);
	test_check_eq("fwft.get.pte_ad.off", fwft_get(F_PTE_AD).value, 0);
	cause = touch_alias(false, &pte);
	test_checkf(cause == EXC_LOAD_PF && !(pte & PTE_A), "fwft.pte_ad.off.load_faults",
	            "cause %lu pte 0x%lx", cause, (unsigned long)pte);
	cause = touch_alias(true, &pte);
	test_checkf(cause == EXC_STORE_PF && !(pte & (PTE_A | PTE_D)),
	            "fwft.pte_ad.off.store_faults", "cause %lu pte 0x%lx", cause,
	            (unsigned long)pte);
	/* Back to what the device tree promises (Svadu without Svade). */
	fwft_set(F_PTE_AD, (unsigned long)r.value, 0);
}

static void check_unsupported_and_reserved(void)
{
	static const struct {
		unsigned long f;
		const char *name;
	} absent[] = {
	    {F_LANDING_PAD, "landing_pad"},
	    {F_SHADOW_STACK, "shadow_stack"},
	    {F_DOUBLE_TRAP, "double_trap"},
	};
	static const struct {
		unsigned long f;
		const char *name;
	} reserved[] = {
	    {0x6UL, "local_reserved_first"},         {0x3fffffffUL, "local_reserved_last"},
	    {0x40000000UL, "local_platform_first"},  {0x7fffffffUL, "local_platform_last"},
	    {0x80000000UL, "global_reserved_first"}, {0xbfffffffUL, "global_reserved_last"},
	    {0xc0000000UL, "global_platform_first"}, {0xffffffffUL, "global_platform_last"},
	};
	char name[80];
	/* QEMU's rv64 has no Zicfilp, Zicfiss or Ssdbltrp: not supported, natively too. */
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		snprintf(name, sizeof(name), "fwft.get.%s.not_supported", absent[i].name);
		test_check_eq(name, fwft_get(absent[i].f).error, SBI_ERR_NOT_SUPPORTED);
		snprintf(name, sizeof(name), "fwft.set.%s.not_supported", absent[i].name);
		test_check_eq(name, fwft_set(absent[i].f, 1, 0).error, SBI_ERR_NOT_SUPPORTED);
	}
	for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		snprintf(name, sizeof(name), "fwft.get.%s.denied", reserved[i].name);
		ext_check_eq(name, fwft_get(reserved[i].f).error, SBI_ERR_DENIED,
		             "reserved feature ids");
		snprintf(name, sizeof(name), "fwft.set.%s.denied", reserved[i].name);
		ext_check_eq(name, fwft_set(reserved[i].f, 0, 0).error, SBI_ERR_DENIED,
		             "reserved feature ids");
	}
	struct sbiret r = fwft_get(F_PMLEN);
	if (r.error == SBI_ERR_DENIED && ext_on_opensbi()) {
		ext_skip("fwft.pmlen.all", "opensbi-1.5.1 predates POINTER_MASKING_PMLEN (DENIED)");
	} else if (r.error == SBI_ERR_NOT_SUPPORTED) {
		test_check_eq("fwft.set.pmlen.not_supported", fwft_set(F_PMLEN, 7, 0).error,
		              SBI_ERR_NOT_SUPPORTED);
	} else {
		test_checkf(r.error == SBI_SUCCESS && r.value == 0, "fwft.get.pmlen.reset",
		            "error %ld value %ld", r.error, r.value);
		test_check_eq("fwft.set.pmlen.invalid", fwft_set(F_PMLEN, 64, 0).error,
		              SBI_ERR_INVALID_PARAM);
		test_check_eq("fwft.set.pmlen.off", fwft_set(F_PMLEN, 0, 0).error, SBI_SUCCESS);
	}
	test_check_eq("fwft.unknown_fid", sbi_ecall(EID_FWFT, 2, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
}

/* Per-hart scope and reset: run on the other hart, which a hart_start just reset. */
static volatile long other_get_err, other_get_val, other_set_err, other_done;

static void other_hart(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	struct sbiret r = fwft_get(F_MISALIGNED);
	other_get_err = r.error;
	other_get_val = r.value;
	/* Set without LOCK; opaque says which value, so the next start can see it reset. */
	other_set_err = fwft_set(F_MISALIGNED, opaque, 0).error;
	__asm__ volatile("fence rw, rw" ::: "memory");
	other_done = 1;
}

static bool run_other(unsigned long other, unsigned long value)
{
	other_done = 0;
	if (smp_start_hart(other, other_hart, value).error != SBI_SUCCESS)
		return false;
	uint64_t end = rdtime() + plat_ms_to_ticks(2000);
	while (!other_done && rdtime() < end)
		cpu_relax();
	return other_done && smp_wait_status(other, SBI_HSM_STOPPED, 2000);
}

static void check_lock_and_harts(unsigned long self)
{
	long other_id = smp_find_other_hart(self);
	struct sbiret r;
	test_check_eq("fwft.set.misaligned.lock", fwft_set(F_MISALIGNED, 0, FLAG_LOCK).error,
	              SBI_SUCCESS);
	ext_check_eq("fwft.set.misaligned.locked_other_value", fwft_set(F_MISALIGNED, 1, 0).error,
	             EXT_SBI_ERR_DENIED_LOCKED, "SBI 3.0 SBI_ERR_DENIED_LOCKED postdates it");
	ext_check_eq("fwft.set.misaligned.locked_same_value",
	             fwft_set(F_MISALIGNED, 0, FLAG_LOCK).error, EXT_SBI_ERR_DENIED_LOCKED,
	             "SBI 3.0 SBI_ERR_DENIED_LOCKED postdates it");
	r = fwft_get(F_MISALIGNED);
	test_checkf(r.error == SBI_SUCCESS && r.value == 0, "fwft.get.misaligned.locked",
	            "error %ld value %ld", r.error, r.value);
	if (!test_checkf(other_id >= 0, "fwft.harts.other_exists", "need 2 harts"))
		return;
	/* The other hart is not locked (local scope), and every start resets it. */
	bool ran = run_other((unsigned long)other_id, 1);
	test_checkf(ran && other_get_err == SBI_SUCCESS && other_set_err == SBI_SUCCESS,
	            "fwft.harts.other_not_locked", "ran %d get %ld set %ld", ran, other_get_err,
	            other_set_err);
	ran = run_other((unsigned long)other_id, 0);
	test_checkf(ran && other_get_err == SBI_SUCCESS, "fwft.harts.other_get", "ran %d get %ld",
	            ran, other_get_err);
	if (ran)
		ext_check_eq("fwft.harts.reset_at_start", other_get_val, 0,
		             "keeps the value across hart stop/start");
}

void sbi_suite_fwft(void)
{
	struct sbiret r = sbi_probe_extension((long)EID_FWFT);
	if (r.value == 0 && ext_on_opensbi()) {
		ext_skip("fwft.all", "FWFT extension absent in this SBI implementation");
		return;
	}
	test_checkf(r.error == SBI_SUCCESS && r.value != 0, "fwft.probe", "error %ld value %ld",
	            r.error, r.value);

	r = fwft_get(F_MISALIGNED);
	test_checkf(r.error == SBI_SUCCESS && r.value == 0, "fwft.get.misaligned.reset",
	            "error %ld value %ld", r.error, r.value);
	check_misaligned("not_delegated", false);
	test_check_eq("fwft.set.misaligned.on", fwft_set(F_MISALIGNED, 1, 0).error, SBI_SUCCESS);
	test_check_eq("fwft.get.misaligned.on", fwft_get(F_MISALIGNED).value, 1);
	/* The upper 32 bits of the feature argument are ignored (it is a uint32_t). */
	r = fwft_get((1UL << 32) | F_MISALIGNED);
	test_checkf(r.error == SBI_SUCCESS && r.value == 1, "fwft.get.feature_upper_bits_ignored",
	            "error %ld value %ld", r.error, r.value);
	check_misaligned("delegated", true);
	test_check_eq("fwft.set.misaligned.invalid_value", fwft_set(F_MISALIGNED, 2, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("fwft.set.misaligned.invalid_value_upper",
	              fwft_set(F_MISALIGNED, 1UL << 63, 0).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("fwft.set.misaligned.reserved_flag", fwft_set(F_MISALIGNED, 0, 2).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("fwft.set.misaligned.reserved_flag_top",
	              fwft_set(F_MISALIGNED, 0, 1UL << 63).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("fwft.get.misaligned.unchanged_after_errors", fwft_get(F_MISALIGNED).value,
	              1);
	test_check_eq("fwft.set.misaligned.off", fwft_set(F_MISALIGNED, 0, 0).error, SBI_SUCCESS);
	check_misaligned("delegation_off_again", false);

	check_pte_ad();
	check_unsupported_and_reserved();
	check_lock_and_harts(smp_hartid());
}
