// SPDX-License-Identifier: MIT
/*
 * HSM extension (EID "HSM"), SBI spec v3.0 chapter 9: hart_start (entry registers a0 = hartid,
 * a1 = opaque, satp = 0, sstatus.SIE = 0; every documented error), hart_stop, hart_get_status
 * in each reachable state, restarts, both harts using HSM at once, and hart_suspend's
 * argument checks (suspend_type is 32 bits wide: upper register bits are ignored).
 */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"
#include "trap.h"

#define OPAQUE_1 0x5a5a1234deadbeefUL
#define OPAQUE_2 0x0123456789abcdefUL

#define NATIVE_SUSP_V2     "OpenSBI 1.5.1 answers SBI_ERR_NOT_SUPPORTED (SBI 2.0 wording)"
#define NATIVE_ROOT_DOMAIN "OpenSBI's root domain lets S-mode start anywhere; would lose the hart"

/* Written by the started hart, polled by the boot hart. */
static volatile uint64_t b_runs;
static volatile unsigned long b_seen_hartid, b_seen_opaque, b_seen_tp;
static volatile bool b_stop;
static volatile uint64_t status_errors;

static void b_entry(unsigned long hartid, unsigned long opaque)
{
	b_seen_hartid = hartid;
	b_seen_opaque = opaque;
	b_seen_tp = smp_hartid();
	csr_set(sie, SIE_SSIE);
	__asm__ volatile("fence rw, rw" : : : "memory");
	b_runs++;
	/* Same lost-wake-up-free sleep as the worker: SIE off around the check and WFI. */
	irq_disable();
	while (!b_stop) {
		cpu_wfi();
		irq_enable();
		irq_disable();
	}
	irq_enable();
}

static bool start_b(unsigned long other, unsigned long opaque, const char *tag)
{
	uint64_t runs = b_runs;
	struct sbiret r;
	char name[80];

	b_stop = false;
	for (int i = 0; i < 4; i++)
		suite_hsm_entry_regs[i] = 0xbad;
	r = smp_start_hart_at(other, (unsigned long)suite_hsm_entry, b_entry, opaque);
	snprintf(name, sizeof(name), "hsm.hart_start.%s", tag);
	if (!test_checkf(r.error == SBI_SUCCESS, name, "error %ld (%s)", r.error,
	                 sbi_err_name(r.error)))
		return false;
	snprintf(name, sizeof(name), "hsm.hart_start.%s_runs", tag);
	if (!test_check(suite_wait_change(&b_runs, runs, 2000), name))
		return false;
	snprintf(name, sizeof(name), "hsm.hart_start.%s_a0_hartid", tag);
	test_check_eq(name, (long)suite_hsm_entry_regs[0], (long)other);
	snprintf(name, sizeof(name), "hsm.hart_start.%s_a1_opaque", tag);
	test_check_eq(name, (long)suite_hsm_entry_regs[1], (long)opaque);
	snprintf(name, sizeof(name), "hsm.hart_start.%s_sstatus_sie_clear", tag);
	test_checkf(!(suite_hsm_entry_regs[2] & SSTATUS_SIE), name, "sstatus 0x%lx",
	            suite_hsm_entry_regs[2]);
	snprintf(name, sizeof(name), "hsm.hart_start.%s_satp_zero", tag);
	test_check_eq(name, (long)suite_hsm_entry_regs[3], 0);
	return true;
}

static void stop_b(unsigned long other, const char *tag)
{
	char name[80];

	b_stop = true;
	__asm__ volatile("fence rw, rw" : : : "memory");
	sbi_send_ipi(1, other);
	snprintf(name, sizeof(name), "hsm.hart_stop.%s_status_stopped", tag);
	test_check(smp_wait_status(other, SBI_HSM_STOPPED, 2000), name);
}

static void own_hart(void)
{
	unsigned long self = suite_self();
	struct sbiret r;

	r = sbi_hart_get_status(self);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STARTED,
	            "hsm.hart_get_status.self_started", "error %ld value %ld", r.error, r.value);
	test_check_eq("hsm.hart_get_status.invalid_hart",
	              sbi_hart_get_status(SUITE_INVALID_HART).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm.hart_get_status.minus1", sbi_hart_get_status(-1UL).error,
	              SBI_ERR_INVALID_PARAM);
	/* hartid is XLEN wide: a valid id with upper bits set names another (invalid) hart. */
	suite_check_eq_native_dev("hsm.hart_get_status.upper_bits",
	                          sbi_hart_get_status(self | (1UL << 32)).error,
	                          SBI_ERR_INVALID_PARAM, "OpenSBI truncates hart ids to 32 bits");
	test_check_eq("hsm.hart_start.invalid_hart",
	              sbi_hart_start(SUITE_INVALID_HART, (unsigned long)suite_hsm_entry, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm.hart_start.self_already_available",
	              sbi_hart_start(self, (unsigned long)suite_hsm_entry, 0).error,
	              SBI_ERR_ALREADY_AVAILABLE);
}

static void bad_start_addresses(unsigned long other)
{
	static const struct {
		const char *name;
		int which;
	} cases[] = {
	    {"hsm.hart_start.addr_zero", 0},
	    {"hsm.hart_start.addr_below_ram", 1},
	    {"hsm.hart_start.addr_ram_end", 2},
	    {"hsm.hart_start.addr_top", 3},
	};
	unsigned long end = plat_ram_base() + plat_ram_size();

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long addr = cases[i].which == 0   ? 0
		                     : cases[i].which == 1 ? plat_ram_base() - 0x1000
		                     : cases[i].which == 2 ? end
		                                           : ~3UL;
		if (!suite_under_ferrovisor()) {
			test_skip(cases[i].name, NATIVE_ROOT_DOMAIN);
			continue;
		}
		struct sbiret r = sbi_hart_start(other, addr, 0);
		test_checkf(r.error == SBI_ERR_INVALID_ADDRESS, cases[i].name,
		            "start at 0x%lx: error %ld (%s)", addr, r.error, sbi_err_name(r.error));
		if (r.error == SBI_SUCCESS)
			smp_wait_status(other, SBI_HSM_STOPPED, 100);
	}
	/* An invalid hart with an invalid address: either error describes the call. */
	struct sbiret r = sbi_hart_start(SUITE_INVALID_HART, 0, 0);
	test_checkf(suite_is_one_of(r.error, SBI_ERR_INVALID_PARAM, SBI_ERR_INVALID_ADDRESS),
	            "hsm.hart_start.invalid_hart_and_addr", "error %ld (%s)", r.error,
	            sbi_err_name(r.error));
	r = sbi_hart_get_status(other);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STOPPED,
	            "hsm.hart_start.bad_addr_leaves_stopped", "error %ld value %ld", r.error,
	            r.value);
}

/* On the started hart: its view of both harts while the boot hart polls too. */
static void poll_status(unsigned long self_of_boot)
{
	for (int i = 0; i < 200; i++) {
		struct sbiret a = sbi_hart_get_status(self_of_boot);
		struct sbiret b = sbi_hart_get_status(smp_hartid());
		if (a.error || a.value != SBI_HSM_STARTED || b.error || b.value != SBI_HSM_STARTED)
			__atomic_fetch_add(&status_errors, 1, __ATOMIC_RELAXED);
	}
}

static void other_hart(void)
{
	unsigned long other;
	struct sbiret r;

	if (!test_checkf(suite_other() >= 0, "hsm.hart_get_status.other_exists", "need 2 harts"))
		return;
	other = (unsigned long)suite_other();
	r = sbi_hart_get_status(other);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STOPPED,
	            "hsm.hart_get_status.other_stopped", "error %ld value %ld", r.error, r.value);
	bad_start_addresses(other);

	if (!start_b(other, OPAQUE_1, "first"))
		return;
	test_check(smp_wait_status(other, SBI_HSM_STARTED, 1000),
	           "hsm.hart_get_status.other_started");
	test_check_eq("hsm.hart_start.entry_tp", (long)b_seen_tp, (long)other);
	test_check_eq("hsm.hart_start.already_available",
	              sbi_hart_start(other, (unsigned long)suite_hsm_entry, 0).error,
	              SBI_ERR_ALREADY_AVAILABLE);
	stop_b(other, "first");
	test_check_eq("hsm.hart_start.runs_once", (long)b_runs, 1);

	/* A stopped hart starts again, with fresh a0/a1. */
	if (start_b(other, OPAQUE_2, "restart"))
		stop_b(other, "restart");

	/* Start twice back to back: the second finds it START_PENDING or STARTED. */
	b_stop = false;
	r = smp_start_hart_at(other, (unsigned long)suite_hsm_entry, b_entry, 3);
	struct sbiret r2 = sbi_hart_start(other, (unsigned long)suite_hsm_entry, 4);
	test_check_eq("hsm.hart_start.race_first", r.error, SBI_SUCCESS);
	suite_check_eq_native_dev("hsm.hart_start.race_second_already_available", r2.error,
	                          SBI_ERR_ALREADY_AVAILABLE,
	                          "OpenSBI answers INVALID_PARAM while a start is in progress");
	if (r.error == SBI_SUCCESS) {
		test_check(smp_wait_status(other, SBI_HSM_STARTED, 2000),
		           "hsm.hart_start.race_started");
		stop_b(other, "race");
	}

	/* Both harts query HSM concurrently. */
	status_errors = 0;
	if (test_check(suite_worker_start(), "hsm.hart_get_status.worker_up")) {
		bool posted = suite_worker_post(poll_status, suite_self());
		poll_status(suite_self());
		test_check(posted && suite_worker_wait(10000),
		           "hsm.hart_get_status.concurrent_finishes");
		test_check_eq("hsm.hart_get_status.concurrent_errors", (long)status_errors, 0);
		test_check(suite_worker_stop(), "hsm.hart_stop.worker_stopped");
	}
}

static void suspend_args(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, deadline, t0;
	struct sbiret r;

	test_check_eq("hsm.hart_suspend.reserved_ret_type",
	              sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x00000001, 0, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm.hart_suspend.reserved_ret_type_last",
	              sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x0FFFFFFF, 0, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm.hart_suspend.reserved_nonret_type",
	              sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x80000001, 0, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	/* Platform-specific types that are not implemented: INVALID_PARAM (v3.0 table). */
	r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x10000000, 0, 0, 0, 0, 0);
	suite_check_eq_native_dev("hsm.hart_suspend.platform_ret_unimplemented", r.error,
	                          SBI_ERR_INVALID_PARAM, NATIVE_SUSP_V2);
	r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0xFFFFFFFF, (unsigned long)suite_hsm_entry,
	              0, 0, 0, 0);
	suite_check_eq_native_dev("hsm.hart_suspend.platform_nonret_unimplemented", r.error,
	                          SBI_ERR_INVALID_PARAM, NATIVE_SUSP_V2);
	/* Default non-retentive with a resume address outside RAM. */
	if (suite_under_ferrovisor()) {
		r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, SBI_HSM_SUSPEND_NONRET_DEFAULT,
		              plat_ram_base() + plat_ram_size(), 0, 0, 0, 0);
		test_check_eq("hsm.hart_suspend.nonret_bad_resume_addr", r.error,
		              SBI_ERR_INVALID_ADDRESS);
	} else {
		test_skip("hsm.hart_suspend.nonret_bad_resume_addr", NATIVE_ROOT_DOMAIN);
	}

	/* Default retentive suspend with interrupts globally off: the pending-and-enabled timer
	 * interrupt wakes the hart and the call returns SUCCESS like WFI would. */
	irq_disable();
	csr_set(sie, SIE_STIE);
	before = h->timer_count;
	t0 = rdtime();
	deadline = t0 + plat_ms_to_ticks(10);
	sbi_set_timer(deadline);
	r = sbi_hart_suspend(SBI_HSM_SUSPEND_RET_DEFAULT, 0, 0);
	test_check_eq("hsm.hart_suspend.retentive", r.error, SBI_SUCCESS);
	printf("sbi_test: retentive suspend returned after %lu us\n",
	       (unsigned long)plat_ticks_to_us(rdtime() - t0));
	irq_enable();
	test_check(suite_wait_change(&h->timer_count, before, 1000),
	           "hsm.hart_suspend.retentive_timer_delivered");

	/* suspend_type is uint32_t: garbage in the upper register bits must be ignored, so this
	 * is a default retentive suspend. */
	irq_disable();
	before = h->timer_count;
	sbi_set_timer(rdtime() + plat_ms_to_ticks(10));
	r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND,
	              suite_hi_garbage(SBI_HSM_SUSPEND_RET_DEFAULT), 0, 0, 0, 0, 0);
	test_check_eq("hsm.hart_suspend.type_upper_bits_ignored", r.error, SBI_SUCCESS);
	irq_enable();
	suite_wait_change(&h->timer_count, before, 1000);
	sbi_set_timer(UINT64_MAX);
}

void sbi_suite_hsm(void)
{
	own_hart();
	other_hart();
	suspend_args();
}
