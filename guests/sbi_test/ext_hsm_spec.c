// SPDX-License-Identifier: MIT
/*
 * HSM exactly per SBI v3.0 chapter 9: every suspend-type range, the 32-bit width of
 * suspend_type (upper bits of a0 ignored), non-retentive resume state (a0, a1, satp,
 * sstatus.SIE), timer and IPI wake of a suspended hart, hart_get_status of a suspended hart,
 * hart_start of a hart in each state, hart_stop that does not return, argument upper bits.
 */
#include <stdint.h>

#include "resume.h"
#include "smp.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

#define HSM_OPAQUE   0xfeedface12345678UL
#define HSM_OPAQUE_B 0x0badc0de87654321UL
/*
 * An address no hart may start or resume at: under Ferrovisor anything outside the VM's
 * RAM (0x1000, below it); natively OpenSBI lets S-mode run anywhere but its own memory at
 * the start of RAM (0x1000, the boot ROM, would be accepted and the hart would hang there).
 */
#define BAD_ADDR (fv ? 0x1000UL : GUEST_RAM_BASE)

#define B_IDLE     0
#define B_SUSP_RET 1
#define B_SUSP_NON 2
#define B_STOP     3

static unsigned long self;
static bool fv;

/* Command mailbox of the second hart: written by hart A, consumed by hart B. */
static volatile int b_cmd;
static volatile long b_result;
static volatile uint64_t b_done;
static volatile int b_stop_returned;

/* Compare an error, accepting a native deviation as SKIP (never under Ferrovisor). */
static void check_err(const char *name, long got, long want)
{
	if (!fv && got != want) {
		char why[64];

		snprintf(why, sizeof(why), "native SBI returned %ld (%s), spec %ld", got,
		         sbi_err_name(got), want);
		suite_skip(name, why);
		return;
	}
	test_check_eq(name, got, want);
}

static void suspend_types(void)
{
	static const struct {
		uint32_t type;
		const char *name;
	} bad[] = {
	    {0x00000001U, "hsm.hart_suspend.reserved_0x00000001"},
	    {0x0fffffffU, "hsm.hart_suspend.reserved_0x0fffffff"},
	    {0x80000001U, "hsm.hart_suspend.reserved_0x80000001"},
	    {0x8fffffffU, "hsm.hart_suspend.reserved_0x8fffffff"},
	    {0x10000000U, "hsm.hart_suspend.platform_ret_unimplemented"},
	    {0x7fffffffU, "hsm.hart_suspend.platform_ret_last_unimplemented"},
	    {0x90000000U, "hsm.hart_suspend.platform_nonret_unimplemented"},
	    {0xffffffffU, "hsm.hart_suspend.platform_nonret_last_unimplemented"},
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sbiret r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, bad[i].type,
		                            GUEST_RAM_BASE, 0, 0, 0, 0);
		check_err(bad[i].name, r.error, SBI_ERR_INVALID_PARAM);
	}
	/* suspend_type is uint32_t: upper bits of a0 must not change the meaning. */
	struct sbiret r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0xffffffff00000001UL,
	                            GUEST_RAM_BASE, 0, 0, 0, 0);
	check_err("hsm.hart_suspend.upper_bits_reserved", r.error, SBI_ERR_INVALID_PARAM);
	r = sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x1234567880000000UL, BAD_ADDR, 0, 0, 0,
	              0);
	check_err("hsm.hart_suspend.upper_bits_nonret_bad_addr", r.error, SBI_ERR_INVALID_ADDRESS);
	r = sbi_hart_suspend(SBI_HSM_SUSPEND_NONRET_DEFAULT, BAD_ADDR, 0);
	check_err("hsm.hart_suspend.nonret_bad_addr", r.error, SBI_ERR_INVALID_ADDRESS);
	if (fv) {
		r = sbi_hart_suspend(SBI_HSM_SUSPEND_NONRET_DEFAULT, -4UL, 0);
		test_check_eq("hsm.hart_suspend.nonret_addr_top", r.error, SBI_ERR_INVALID_ADDRESS);
	} else {
		/* OpenSBI's S-mode domain covers the whole address space: it would suspend. */
		suite_skip("hsm.hart_suspend.nonret_addr_top", "native SBI allows any address");
	}
}

/* Arm the timer `ms` ahead with only STIE enabled and interrupts globally off. */
static unsigned long arm_timer_only(unsigned long ms)
{
	unsigned long old_sie = csr_read(sie);

	irq_disable();
	csr_write(sie, SIE_STIE);
	sbi_set_timer(rdtime() + plat_ms_to_ticks(ms));
	return old_sie;
}

static void disarm_timer(unsigned long old_sie)
{
	sbi_set_timer(UINT64_MAX);
	csr_write(sie, old_sie);
	irq_enable();
}

static void retentive_upper_bits(void)
{
	unsigned long old = arm_timer_only(5);
	uint64_t t0 = rdtime();
	/* Default retentive with garbage in the upper half of a0. */
	struct sbiret r =
	    sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0xdeadbeef00000000UL, 0, 0, 0, 0, 0);
	uint64_t t1 = rdtime();
	bool pending = csr_read(sip) & SIP_STIP;

	disarm_timer(old);
	check_err("hsm.hart_suspend.upper_bits_retentive", r.error, SBI_SUCCESS);
	test_checkf(r.error != SBI_SUCCESS || pending, "hsm.hart_suspend.retentive_timer_wake",
	            "returned after %lu us without a pending timer",
	            (unsigned long)plat_ticks_to_us(t1 - t0));
}

static void nonretentive_self(void)
{
	struct resume_state *st = &resume_seen[self];
	volatile int before = st->landed;
	volatile long err = 0;
	volatile unsigned long old = arm_timer_only(10);

	if (resume_arm(st) == 0) {
		struct sbiret r = sbi_hart_suspend(SBI_HSM_SUSPEND_NONRET_DEFAULT,
		                                   (unsigned long)resume_entry, HSM_OPAQUE);
		/* Any return from a non-retentive suspend is a failure. */
		err = r.error ? r.error : SBI_ERR_FAILED;
	}
	disarm_timer(old);
	if (!fv && err == SBI_ERR_NOT_SUPPORTED) {
		suite_skip("hsm.hart_suspend.nonret_resumed", "native SBI: not supported");
		return;
	}
	if (!test_checkf(st->landed == before + 1, "hsm.hart_suspend.nonret_resumed",
	                 "suspend returned %ld", (long)err))
		return;
	test_check_eq("hsm.hart_suspend.nonret_a0_hartid", (long)st->hartid, (long)self);
	test_check_eq("hsm.hart_suspend.nonret_a1_opaque", (long)st->opaque, (long)HSM_OPAQUE);
	test_check(!(st->sstatus & SSTATUS_SIE), "hsm.hart_suspend.nonret_sie_clear");
	test_check_eq("hsm.hart_suspend.nonret_satp_zero", (long)st->satp, 0);
}

static void b_main(unsigned long hartid, unsigned long opaque)
{
	(void)opaque;
	/* Woken by IPIs with interrupts globally off: nothing is taken, SSIP is cleared here. */
	csr_write(sie, SIE_SSIE);
	for (;;) {
		int cmd;

		while ((cmd = b_cmd) == B_IDLE)
			cpu_relax();
		b_cmd = B_IDLE;
		if (cmd == B_SUSP_RET) {
			struct sbiret r = sbi_hart_suspend(SBI_HSM_SUSPEND_RET_DEFAULT, 0, 0);

			b_result = r.error;
		} else if (cmd == B_SUSP_NON) {
			unsigned long me = smp_hartid();

			if (resume_arm(&resume_seen[me]) == 0) {
				struct sbiret r =
				    sbi_hart_suspend(SBI_HSM_SUSPEND_NONRET_DEFAULT,
				                     (unsigned long)resume_entry, HSM_OPAQUE_B);
				b_result = r.error ? r.error : SBI_ERR_FAILED;
			} else {
				b_result = SBI_SUCCESS;
				csr_write(sie, SIE_SSIE);
			}
		} else if (cmd == B_STOP) {
			csr_write(sie, 0);
			sbi_hart_stop();
			b_stop_returned = 1;
		}
		csr_clear(sip, SIP_SSIP);
		__asm__ volatile("fence rw, rw" : : : "memory");
		b_done++;
		(void)hartid;
	}
}

/* Have hart B run `cmd` (a suspend) and check it is SUSPENDED, then wake it with an IPI. */
static long b_suspend_and_wake(unsigned long other, int cmd, const char *tag)
{
	char name[80];
	uint64_t done = b_done;

	b_cmd = cmd;
	snprintf(name, sizeof(name), "hsm.hart_get_status.suspended_%s", tag);
	bool susp = smp_wait_status(other, SBI_HSM_SUSPENDED, 2000);
	test_check(susp, name);
	snprintf(name, sizeof(name), "hsm.hart_start.suspended_already_available_%s", tag);
	check_err(name, sbi_hart_start(other, (unsigned long)resume_entry, 0).error,
	          SBI_ERR_ALREADY_AVAILABLE);
	sbi_send_ipi(1, other);
	snprintf(name, sizeof(name), "hsm.hart_suspend.ipi_wake_%s", tag);
	if (!test_check(suite_wait_change(&b_done, done, 2000), name))
		return SBI_ERR_FAILED;
	return b_result;
}

static void second_hart(void)
{
	long other_id = smp_find_other_hart(self);
	unsigned long other;
	struct sbiret r;

	if (!test_checkf(other_id >= 0, "hsm.hart_start.other_hart_exists", "need 2 harts"))
		return;
	other = (unsigned long)other_id;

	/* Argument checks against a STOPPED hart. */
	r = sbi_hart_get_status(other);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STOPPED,
	            "hsm.hart_get_status.stopped", "error %ld value %ld", r.error, r.value);
	check_err("hsm.hart_start.bad_addr", sbi_hart_start(other, BAD_ADDR, 0).error,
	          SBI_ERR_INVALID_ADDRESS);
	if (fv) {
		/* hartid is XLEN wide: a set upper bit names a hart that does not exist. */
		test_check_eq(
		    "hsm.hart_start.hartid_upper_bits",
		    sbi_hart_start(other | (1UL << 32), GUEST_RAM_BASE + 0x200000, 0).error,
		    SBI_ERR_INVALID_PARAM);
		test_check_eq("hsm.hart_get_status.hartid_upper_bits",
		              sbi_hart_get_status(other | (1UL << 63)).error,
		              SBI_ERR_INVALID_PARAM);
	} else {
		/* OpenSBI 1.5.1 truncates hartid: the call would really start the hart. */
		suite_skip("hsm.hart_start.hartid_upper_bits", "native SBI truncates hartid");
		suite_skip("hsm.hart_get_status.hartid_upper_bits", "native SBI truncates hartid");
	}

	b_cmd = B_IDLE;
	b_stop_returned = 0;
	r = smp_start_hart(other, b_main, 0);
	if (!test_check_eq("hsm.hart_start.stopped", r.error, SBI_SUCCESS))
		return;
	test_check(smp_wait_status(other, SBI_HSM_STARTED, 2000), "hsm.hart_get_status.started");
	test_check_eq("hsm.hart_start.started_already_available",
	              sbi_hart_start(other, GUEST_RAM_BASE + 0x200000, 0).error,
	              SBI_ERR_ALREADY_AVAILABLE);

	long e = b_suspend_and_wake(other, B_SUSP_RET, "ret");
	test_check_eq("hsm.hart_suspend.ret_ipi_returns_success", e, SBI_SUCCESS);
	test_check(smp_wait_status(other, SBI_HSM_STARTED, 2000),
	           "hsm.hart_get_status.started_after_resume");

	uint64_t done = b_done;
	int landed = resume_seen[other].landed;
	b_cmd = B_SUSP_NON;
	bool susp = smp_wait_status(other, SBI_HSM_SUSPENDED, 2000);
	if (!fv && !susp && suite_wait_change(&b_done, done, 500) &&
	    b_result == SBI_ERR_NOT_SUPPORTED) {
		suite_skip("hsm.hart_suspend.nonret_ipi_wake", "native SBI: not supported");
	} else {
		test_check(susp, "hsm.hart_get_status.suspended_nonret");
		sbi_send_ipi(1, other);
		test_check(suite_wait_change(&b_done, done, 2000),
		           "hsm.hart_suspend.nonret_ipi_wake");
		test_check_eq("hsm.hart_suspend.nonret_ipi_resumed_at_addr",
		              resume_seen[other].landed - landed, 1);
		test_check_eq("hsm.hart_suspend.nonret_ipi_a0", (long)resume_seen[other].hartid,
		              (long)other);
		test_check_eq("hsm.hart_suspend.nonret_ipi_a1", (long)resume_seen[other].opaque,
		              (long)HSM_OPAQUE_B);
	}

	/* hart_stop: never returns on success; the hart becomes STOPPED and can start again. */
	b_cmd = B_STOP;
	test_check(smp_wait_status(other, SBI_HSM_STOPPED, 2000), "hsm.hart_stop.stopped");
	plat_delay_ms(20);
	test_check_eq("hsm.hart_stop.no_return", b_stop_returned, 0);
	r = sbi_hart_get_status(other);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STOPPED,
	            "hsm.hart_get_status.stopped_after_stop", "error %ld value %ld", r.error,
	            r.value);
}

void sbi_suite_hsm_spec(void)
{
	self = smp_hartid();
	fv = suite_under_ferrovisor();
	suspend_types();
	retentive_upper_bits();
	nonretentive_self();
	second_hart();
}
