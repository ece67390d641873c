// SPDX-License-Identifier: MIT
/*
 * SUSP (system suspend, SBI v3.0 chapter 13) for one VM: sleep-type ranges and the 32-bit
 * width of sleep_type, bad resume addresses, DENIED while another hart is started or
 * suspended, then real suspends to RAM: a timer wake resumes this hart at resume_addr
 * with a0 = hartid, a1 = opaque, sstatus.SIE = 0 and satp = 0. A last suspend has a 3 s
 * timer as fallback and prints how long it slept: the integration test wakes it early from
 * the hypervisor shell (`vm resume`), in any other run the timer ends it.
 */
#include <stdint.h>

#include "resume.h"
#include "smp.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

#define SBI_SUSP_SUSPEND     0
#define SUSP_TO_RAM          0UL
#define SUSP_OPAQUE          0x5eed5eed00c0ffeeUL
#define SUSP_SLEEP_MS        50
#define SUSP_OPERATOR_WAIT_S 3

static unsigned long self;
static volatile int b_go;

static struct sbiret susp(unsigned long type, unsigned long addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_SUSP, SBI_SUSP_SUSPEND, type, addr, opaque, 0, 0, 0);
}

static void bad_args(void)
{
	unsigned long ra = (unsigned long)resume_entry;

	test_check_eq("susp.system_suspend.reserved_0x00000001", susp(1, ra, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("susp.system_suspend.reserved_0x7fffffff", susp(0x7fffffffUL, ra, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("susp.system_suspend.platform_0x80000000", susp(0x80000000UL, ra, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("susp.system_suspend.platform_0xffffffff", susp(0xffffffffUL, ra, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("susp.system_suspend.upper_bits_reserved",
	              susp(0xffffffff00000001UL, ra, 0).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("susp.system_suspend.bad_addr_low", susp(SUSP_TO_RAM, 0x1000, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("susp.system_suspend.bad_addr_mmio",
	              susp(SUSP_TO_RAM, GUEST_UART_BASE, 0).error, SBI_ERR_INVALID_ADDRESS);
	test_check_eq("susp.system_suspend.bad_addr_top", susp(SUSP_TO_RAM, -4UL, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("susp.unknown_fid", sbi_ecall(SBI_EXT_SUSP, 1, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
}

static void b_main(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	csr_write(sie, SIE_SSIE);
	while (b_go == 1)
		cpu_relax();
	if (b_go == 2) {
		/* Suspend (retentive) until hart A's IPI, so A sees it SUSPENDED, not STOPPED. */
		sbi_hart_suspend(SBI_HSM_SUSPEND_RET_DEFAULT, 0, 0);
		csr_clear(sip, SIP_SSIP);
	}
}

static void denied(void)
{
	long other = smp_find_other_hart(self);
	unsigned long ra = (unsigned long)resume_entry;

	if (!test_checkf(other >= 0, "susp.system_suspend.other_hart_exists", "need 2 harts"))
		return;
	b_go = 1;
	if (!test_check_eq("susp.system_suspend.other_hart_start",
	                   smp_start_hart((unsigned long)other, b_main, 0).error, SBI_SUCCESS))
		return;
	smp_wait_status((unsigned long)other, SBI_HSM_STARTED, 2000);
	test_check_eq("susp.system_suspend.denied_other_started",
	              susp(SUSP_TO_RAM, ra, SUSP_OPAQUE).error, SBI_ERR_DENIED);
	b_go = 2;
	if (test_check(smp_wait_status((unsigned long)other, SBI_HSM_SUSPENDED, 2000),
	               "susp.system_suspend.other_hart_suspended"))
		test_check_eq("susp.system_suspend.denied_other_suspended",
		              susp(SUSP_TO_RAM, ra, SUSP_OPAQUE).error, SBI_ERR_DENIED);
	sbi_send_ipi(1, (unsigned long)other);
	test_check(smp_wait_status((unsigned long)other, SBI_HSM_STOPPED, 2000),
	           "susp.system_suspend.other_hart_stopped");
}

/*
 * Suspend the VM with the timer armed `ms` ahead (0: no timer, only STIE kept off) and
 * a0 = type; returns the time asleep in ticks, or 0 if the call returned instead.
 */
static uint64_t suspend_once(const char *tag, unsigned long type, unsigned long ms,
                             unsigned long opaque)
{
	struct resume_state *st = &resume_seen[self];
	volatile int before = st->landed;
	volatile long err = 0;
	volatile uint64_t t0;
	unsigned long old_sie = csr_read(sie);
	char name[80];

	irq_disable();
	csr_write(sie, SIE_STIE);
	t0 = rdtime();
	sbi_set_timer(t0 + plat_ms_to_ticks(ms));
	if (resume_arm(st) == 0) {
		struct sbiret r = susp(type, (unsigned long)resume_entry, opaque);
		/* A return is a failure (success resumes at resume_addr). */
		err = r.error ? r.error : SBI_ERR_FAILED;
	}
	uint64_t slept = rdtime() - t0;
	bool timer_pending = csr_read(sip) & SIP_STIP;

	sbi_set_timer(UINT64_MAX);
	csr_write(sie, old_sie);
	irq_enable();
	snprintf(name, sizeof(name), "susp.system_suspend.%s_resumed", tag);
	if (!test_checkf(st->landed == before + 1, name, "returned %ld (%s)", (long)err,
	                 sbi_err_name(err)))
		return 0;
	snprintf(name, sizeof(name), "susp.system_suspend.%s_a0_hartid", tag);
	test_check_eq(name, (long)st->hartid, (long)self);
	snprintf(name, sizeof(name), "susp.system_suspend.%s_a1_opaque", tag);
	test_check_eq(name, (long)st->opaque, (long)opaque);
	snprintf(name, sizeof(name), "susp.system_suspend.%s_sie_clear", tag);
	test_check(!(st->sstatus & SSTATUS_SIE), name);
	snprintf(name, sizeof(name), "susp.system_suspend.%s_satp_zero", tag);
	test_check_eq(name, (long)st->satp, 0);
	(void)timer_pending;
	return slept;
}

static void suspend_resume(void)
{
	uint64_t want = plat_ms_to_ticks(SUSP_SLEEP_MS);
	uint64_t slept = suspend_once("timer", SUSP_TO_RAM, SUSP_SLEEP_MS, SUSP_OPAQUE);

	if (slept)
		test_checkf(slept >= want, "susp.system_suspend.timer_woke_not_early",
		            "slept %lu us, timer %lu us", (unsigned long)plat_ticks_to_us(slept),
		            (unsigned long)plat_ticks_to_us(want));
	/* sleep_type is 32 bits: garbage in the upper half of a0 still means SUSPEND_TO_RAM. */
	suspend_once("upper_bits", 0xabcdef0100000000UL | SUSP_TO_RAM, SUSP_SLEEP_MS, ~0UL);
	struct sbiret r = sbi_hart_get_status(self);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STARTED,
	            "susp.system_suspend.started_after_resume", "error %ld value %ld", r.error,
	            r.value);

	/* The operator may wake this one early with `vm resume` (integration test). */
	printf("sbi_test: susp waiting up to %u s for a wake\n", SUSP_OPERATOR_WAIT_S);
	slept = suspend_once("operator", SUSP_TO_RAM, SUSP_OPERATOR_WAIT_S * 1000UL, 42);
	printf("sbi_test: susp resumed after %lu ms\n",
	       (unsigned long)(plat_ticks_to_us(slept) / 1000));
}

void sbi_suite_susp(void)
{
	struct sbiret r = sbi_probe_extension(SBI_EXT_SUSP);
	bool present = r.error == SBI_SUCCESS && r.value != 0;

	self = smp_hartid();
	if (!present && !suite_under_ferrovisor()) {
		suite_skip("susp.probe", "extension absent (native SBI)");
		return;
	}
	if (!test_checkf(present, "susp.probe", "error %ld value %ld", r.error, r.value))
		return;
	bad_args();
	denied();
	suspend_resume();
}
