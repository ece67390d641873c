// SPDX-License-Identifier: MIT
/*
 * sbi_test: exercises every function of the SBI v2.0 extensions BASE, TIME, IPI, RFENCE,
 * HSM, SRST (the final shutdown) and DBCN, plus error paths (unknown EID/FID, invalid hart
 * ids and masks, bad DBCN buffers). Needs two harts. Where the spec allows several outcomes
 * (e.g. HFENCE on a hart without the H extension) every allowed outcome is accepted.
 */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "suite.h"
#include "test.h"
#include "trap.h"
#include "uart.h"

#define INVALID_HART 1000UL
#define OPAQUE_1     0x5a5a1234deadbeefUL
#define OPAQUE_2     0x0123456789abcdefUL

#define CMD_RUN  0
#define CMD_STOP 1

static unsigned long self;

/* Shared with the second hart; written by one side, polled by the other. */
static volatile uint64_t b_runs;
static volatile unsigned long b_expected_hartid;
static volatile unsigned long b_seen_hartid;
static volatile unsigned long b_seen_opaque;
static volatile unsigned long b_seen_tp;
static volatile int b_cmd;

static bool wait_change(const volatile uint64_t *p, uint64_t old, unsigned long ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);

	while (*p == old) {
		if (rdtime() > end)
			return false;
		cpu_relax();
	}
	return true;
}

static bool is_one_of(long v, long a, long b)
{
	return v == a || v == b;
}

static void test_base(void)
{
	static const struct {
		long eid;
		const char *name;
	} present[] = {
	    {SBI_EXT_BASE, "base"},     {SBI_EXT_TIME, "time"}, {SBI_EXT_IPI, "ipi"},
	    {SBI_EXT_RFENCE, "rfence"}, {SBI_EXT_HSM, "hsm"},   {SBI_EXT_SRST, "srst"},
	    {SBI_EXT_DBCN, "dbcn"},
	};
	struct sbiret r;
	char name[64];

	r = sbi_get_spec_version();
	test_check_eq("base_spec_version_error", r.error, SBI_SUCCESS);
	printf("sbi_test: spec version 0x%lx (%ld.%ld)\n", r.value, (r.value >> 24) & 0x7f,
	       r.value & 0xffffff);
	test_checkf(((r.value >> 24) & 0x7f) == 2 && (r.value & 0xffffff) == 0,
	            "base_spec_version_2_0", "got 0x%lx", r.value);
	test_checkf(!(r.value & (1L << 31)), "base_spec_version_bit31_zero", "got 0x%lx", r.value);

	r = sbi_get_impl_id();
	test_check_eq("base_impl_id", r.error, SBI_SUCCESS);
	printf("sbi_test: impl id %ld\n", r.value);
	r = sbi_get_impl_version();
	test_check_eq("base_impl_version", r.error, SBI_SUCCESS);
	printf("sbi_test: impl version 0x%lx\n", r.value);

	for (unsigned int i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		r = sbi_probe_extension(present[i].eid);
		snprintf(name, sizeof(name), "base_probe_%s", present[i].name);
		test_checkf(r.error == SBI_SUCCESS && r.value != 0, name, "error %ld value %ld",
		            r.error, r.value);
	}
	r = sbi_probe_extension(0x12345678);
	test_checkf(r.error == SBI_SUCCESS && r.value == 0, "base_probe_absent",
	            "error %ld value %ld", r.error, r.value);

	r = sbi_get_mvendorid();
	test_check_eq("base_mvendorid", r.error, SBI_SUCCESS);
	r = sbi_get_marchid();
	test_check_eq("base_marchid", r.error, SBI_SUCCESS);
	r = sbi_get_mimpid();
	test_check_eq("base_mimpid", r.error, SBI_SUCCESS);
}

static void test_unknown(void)
{
	test_check_eq("unknown_eid", sbi_ecall(0x12345678, 0, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_eid_experimental", sbi_ecall(0x08000000, 0, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_base", sbi_ecall(SBI_EXT_BASE, 100, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_time", sbi_ecall(SBI_EXT_TIME, 1, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_ipi", sbi_ecall(SBI_EXT_IPI, 1, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_rfence", sbi_ecall(SBI_EXT_RFENCE, 7, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_hsm", sbi_ecall(SBI_EXT_HSM, 4, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_srst", sbi_ecall(SBI_EXT_SRST, 1, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
	test_check_eq("unknown_fid_dbcn", sbi_ecall(SBI_EXT_DBCN, 3, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
}

static void test_dbcn(void)
{
	static const char msg[] = "sbi_test: dbcn console_write line\n";
	static const char bytes[] = "sbi_test: dbcn write_byte line\n";
	static char rbuf[16];
	unsigned long done = 0, flags;
	long werr = SBI_SUCCESS, berr = SBI_SUCCESS;
	struct sbiret r;

	/* Hold the console lock so the DBCN lines stay whole. The spec allows partial writes:
	 * continue from where the previous call stopped. */
	flags = uart_lock();
	for (int tries = 0; done < sizeof(msg) - 1 && tries < 100; tries++) {
		r = sbi_debug_console_write(sizeof(msg) - 1 - done, (unsigned long)msg + done, 0);
		if (r.error != SBI_SUCCESS) {
			werr = r.error;
			break;
		}
		done += (unsigned long)r.value;
	}
	for (unsigned int i = 0; i < sizeof(bytes) - 1; i++) {
		r = sbi_debug_console_write_byte((uint8_t)bytes[i]);
		if (r.error != SBI_SUCCESS)
			berr = r.error;
	}
	uart_unlock(flags);
	test_check_eq("dbcn_write_error", werr, SBI_SUCCESS);
	test_check_eq("dbcn_write_count", (long)done, (long)sizeof(msg) - 1);
	test_check_eq("dbcn_write_byte", berr, SBI_SUCCESS);

	r = sbi_debug_console_read(sizeof(rbuf), (unsigned long)rbuf, 0);
	test_checkf(r.error == SBI_SUCCESS && r.value >= 0 && r.value <= (long)sizeof(rbuf),
	            "dbcn_read", "error %ld value %ld", r.error, r.value);

	/* A buffer that runs far past RAM (and natively starts in firmware memory). */
	r = sbi_debug_console_write(1UL << 40, GUEST_RAM_BASE, 0);
	test_checkf(is_one_of(r.error, SBI_ERR_INVALID_PARAM, SBI_ERR_INVALID_ADDRESS),
	            "dbcn_write_huge", "error %ld (%s)", r.error, sbi_err_name(r.error));
	r = sbi_debug_console_read(1UL << 40, GUEST_RAM_BASE, 0);
	test_checkf(is_one_of(r.error, SBI_ERR_INVALID_PARAM, SBI_ERR_INVALID_ADDRESS),
	            "dbcn_read_huge", "error %ld (%s)", r.error, sbi_err_name(r.error));
	/* Physical address >= 2^64: OpenSBI says FAILED, others INVALID_PARAM: any error. */
	r = sbi_debug_console_write(4, (unsigned long)msg, 1);
	test_checkf(r.error < 0, "dbcn_write_addr_hi", "error %ld", r.error);
}

static void test_time(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, deadline, t;
	struct sbiret r;

	csr_set(sie, SIE_STIE);
	irq_enable();
	before = h->timer_count;
	deadline = rdtime() + plat_ms_to_ticks(20);
	r = sbi_set_timer(deadline);
	test_check_eq("time_set_timer", r.error, SBI_SUCCESS);
	bool arrived = wait_change(&h->timer_count, before, 2000);
	test_check(arrived, "time_interrupt_arrives");
	if (arrived) {
		t = h->timer_time;
		printf("sbi_test: timer requested %lu got %lu (late %ld ticks)\n",
		       (unsigned long)deadline, (unsigned long)t, (long)(t - deadline));
		test_checkf(t >= deadline, "time_not_early", "early by %lu ticks",
		            (unsigned long)(deadline - t));
	}

	/* A deadline in the past makes STIP pending; UINT64_MAX must clear it. */
	irq_disable();
	sbi_set_timer(rdtime());
	uint64_t end = rdtime() + plat_ms_to_ticks(500);
	while (!(csr_read(sip) & SIP_STIP) && rdtime() < end)
		cpu_relax();
	test_check(csr_read(sip) & SIP_STIP, "time_past_deadline_pends_stip");
	r = sbi_set_timer(UINT64_MAX);
	test_check_eq("time_set_timer_max", r.error, SBI_SUCCESS);
	test_check(!(csr_read(sip) & SIP_STIP), "time_max_clears_stip");
	before = h->timer_count;
	irq_enable();
	plat_delay_ms(10);
	test_check_eq("time_no_interrupt_after_clear", (long)(h->timer_count - before), 0);
}

static void test_ipi_self(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before;
	struct sbiret r;

	csr_set(sie, SIE_SSIE);
	irq_enable();
	before = h->soft_count;
	r = sbi_send_ipi(1, self);
	test_check_eq("ipi_self", r.error, SBI_SUCCESS);
	test_check(wait_change(&h->soft_count, before, 1000), "ipi_self_ssip_taken");

	before = h->soft_count;
	r = sbi_send_ipi(0, -1UL);
	test_check_eq("ipi_all_base_minus1", r.error, SBI_SUCCESS);
	test_check(wait_change(&h->soft_count, before, 1000), "ipi_all_reaches_self");

	r = sbi_send_ipi(1, INVALID_HART);
	test_check_eq("ipi_invalid_base", r.error, SBI_ERR_INVALID_PARAM);
}

static void b_entry(unsigned long hartid, unsigned long opaque)
{
	unsigned long tp = smp_hartid();

	printf("sbi_test: hart %lu started with opaque 0x%lx\n", hartid, opaque);
	b_seen_hartid = hartid;
	b_seen_opaque = opaque;
	b_seen_tp = tp;
	csr_set(sie, SIE_SSIE);
	irq_enable();
	__asm__ volatile("fence rw, rw" : : : "memory");
	b_runs++;
	/* Wait for the stop command; hart 0 sends an IPI after setting it. */
	while (b_cmd != CMD_STOP)
		cpu_wfi();
	printf("sbi_test: hart %lu stopping\n", hartid);
}

static bool start_b(unsigned long other, unsigned long opaque, const char *tag)
{
	uint64_t runs = b_runs;
	struct sbiret r;
	char name[64];

	b_cmd = CMD_RUN;
	b_expected_hartid = other;
	r = smp_start_hart(other, b_entry, opaque);
	snprintf(name, sizeof(name), "hsm_start_%s", tag);
	if (!test_checkf(r.error == SBI_SUCCESS, name, "error %ld (%s)", r.error,
	                 sbi_err_name(r.error)))
		return false;
	snprintf(name, sizeof(name), "hsm_started_runs_%s", tag);
	if (!test_check(wait_change(&b_runs, runs, 2000), name))
		return false;
	snprintf(name, sizeof(name), "hsm_entry_a0_hartid_%s", tag);
	test_check_eq(name, (long)b_seen_hartid, (long)other);
	snprintf(name, sizeof(name), "hsm_entry_a1_opaque_%s", tag);
	test_check_eq(name, (long)b_seen_opaque, (long)opaque);
	return true;
}

static void stop_b(unsigned long other, const char *tag)
{
	char name[64];

	b_cmd = CMD_STOP;
	__asm__ volatile("fence rw, rw" : : : "memory");
	sbi_send_ipi(1, other);
	snprintf(name, sizeof(name), "hsm_status_stopped_after_stop_%s", tag);
	test_check(smp_wait_status(other, SBI_HSM_STOPPED, 2000), name);
}

static void test_rfence(unsigned long other)
{
	unsigned long base = self < other ? self : other;
	unsigned long mask = (1UL << (self - base)) | (1UL << (other - base));
	struct sbiret r;

	r = sbi_remote_fence_i(mask, base);
	test_check_eq("rfence_fence_i", r.error, SBI_SUCCESS);
	r = sbi_remote_fence_i(0, -1UL);
	test_check_eq("rfence_fence_i_all", r.error, SBI_SUCCESS);
	r = sbi_remote_sfence_vma(mask, base, 0, 0);
	test_check_eq("rfence_sfence_vma_all", r.error, SBI_SUCCESS);
	r = sbi_remote_sfence_vma(mask, base, GUEST_RAM_BASE, 0x2000);
	test_check_eq("rfence_sfence_vma_range", r.error, SBI_SUCCESS);
	r = sbi_remote_sfence_vma(mask, base, 0, -1UL);
	test_check_eq("rfence_sfence_vma_size_max", r.error, SBI_SUCCESS);
	r = sbi_remote_sfence_vma_asid(mask, base, 0, 0, 0);
	test_check_eq("rfence_sfence_vma_asid", r.error, SBI_SUCCESS);
	r = sbi_remote_sfence_vma_asid(0, -1UL, GUEST_RAM_BASE, 0x1000, 1);
	test_check_eq("rfence_sfence_vma_asid_all", r.error, SBI_SUCCESS);

	test_check_eq("rfence_fence_i_invalid_base", sbi_remote_fence_i(1, INVALID_HART).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("rfence_sfence_vma_invalid_base",
	              sbi_remote_sfence_vma(1, INVALID_HART, 0, 0).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("rfence_sfence_vma_asid_invalid_base",
	              sbi_remote_sfence_vma_asid(1, INVALID_HART, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);

	/* HFENCE (FIDs 3-6): SUCCESS if the harts implement H, else NOT_SUPPORTED (§8.4-8.7).
	 * Natively on QEMU they have H; a guest under a hypervisor normally does not. */
	r = sbi_remote_hfence_gvma_vmid(mask, base, 0, 0, 0);
	test_checkf(is_one_of(r.error, SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED),
	            "rfence_hfence_gvma_vmid", "error %ld", r.error);
	r = sbi_remote_hfence_gvma(mask, base, 0, 0);
	test_checkf(is_one_of(r.error, SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED), "rfence_hfence_gvma",
	            "error %ld", r.error);
	r = sbi_remote_hfence_vvma_asid(mask, base, 0, 0, 0);
	test_checkf(is_one_of(r.error, SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED),
	            "rfence_hfence_vvma_asid", "error %ld", r.error);
	r = sbi_remote_hfence_vvma(mask, base, 0, 0);
	test_checkf(is_one_of(r.error, SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED), "rfence_hfence_vvma",
	            "error %ld", r.error);
	printf("sbi_test: hfence returns %ld (%s)\n", r.error, sbi_err_name(r.error));
}

static void test_hsm_and_remote(void)
{
	struct sbiret r;
	long other_id;
	unsigned long other;

	r = sbi_hart_get_status(self);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STARTED, "hsm_status_self",
	            "error %ld value %ld", r.error, r.value);
	test_check_eq("hsm_status_invalid_hart", sbi_hart_get_status(INVALID_HART).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm_start_invalid_hart",
	              sbi_hart_start(INVALID_HART, GUEST_RAM_BASE + 0x200000, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("hsm_start_self_already",
	              sbi_hart_start(self, GUEST_RAM_BASE + 0x200000, 0).error,
	              SBI_ERR_ALREADY_AVAILABLE);

	other_id = smp_find_other_hart(self);
	if (!test_checkf(other_id >= 0, "hsm_other_hart_exists", "need 2 harts"))
		return;
	other = (unsigned long)other_id;
	printf("sbi_test: boot hart %lu, other hart %lu\n", self, other);
	r = sbi_hart_get_status(other);
	test_checkf(r.error == SBI_SUCCESS && r.value == SBI_HSM_STOPPED,
	            "hsm_status_other_stopped", "error %ld value %ld", r.error, r.value);

	if (!start_b(other, OPAQUE_1, "1"))
		return;
	test_check(smp_wait_status(other, SBI_HSM_STARTED, 1000), "hsm_status_other_started");
	test_check_eq("hsm_entry_tp", (long)b_seen_tp, (long)other);
	r = smp_start_hart(other, b_entry, 0);
	test_check_eq("hsm_start_already_available", r.error, SBI_ERR_ALREADY_AVAILABLE);

	/* IPIs to the running other hart. */
	struct trap_hart *hb = trap_hart_state_of(other);
	struct trap_hart *ha = trap_hart_state();
	uint64_t bc = hb->soft_count, ac;

	r = sbi_send_ipi(1, other);
	test_check_eq("ipi_other", r.error, SBI_SUCCESS);
	test_check(wait_change(&hb->soft_count, bc, 1000), "ipi_other_received");
	bc = hb->soft_count;
	ac = ha->soft_count;
	r = sbi_send_ipi(0, -1UL);
	test_check_eq("ipi_all_two_harts", r.error, SBI_SUCCESS);
	test_check(wait_change(&hb->soft_count, bc, 1000), "ipi_all_reaches_other");
	test_check(wait_change(&ha->soft_count, ac, 1000), "ipi_all_reaches_self_2");
	bc = hb->soft_count;
	r = sbi_send_ipi(1UL << other, 0);
	test_check_eq("ipi_other_base0", r.error, SBI_SUCCESS);
	test_check(wait_change(&hb->soft_count, bc, 1000), "ipi_other_base0_received");

	test_rfence(other);

	stop_b(other, "1");
	test_check_eq("hsm_runs_once", (long)b_runs, 1);

	/* A stopped hart must be startable again, with fresh a0/a1. */
	if (start_b(other, OPAQUE_2, "2")) {
		test_check(smp_wait_status(other, SBI_HSM_STARTED, 1000),
		           "hsm_status_other_restarted");
		stop_b(other, "2");
	}
}

static void test_suspend(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before, deadline, t0, t1;
	struct sbiret r;

	r = sbi_hart_suspend(0x00000001, 0, 0);
	test_check_eq("hsm_suspend_reserved_type", r.error, SBI_ERR_INVALID_PARAM);

	/* Default retentive suspend with interrupts globally off: the pending-and-enabled timer
	 * interrupt must wake the hart, and the call returns like WFI would. */
	irq_disable();
	csr_set(sie, SIE_STIE);
	before = h->timer_count;
	t0 = rdtime();
	deadline = t0 + plat_ms_to_ticks(10);
	sbi_set_timer(deadline);
	r = sbi_hart_suspend(SBI_HSM_SUSPEND_RET_DEFAULT, 0, 0);
	t1 = rdtime();
	test_check_eq("hsm_suspend_retentive", r.error, SBI_SUCCESS);
	printf("sbi_test: retentive suspend returned after %lu us\n",
	       (unsigned long)plat_ticks_to_us(t1 - t0));
	irq_enable();
	test_check(wait_change(&h->timer_count, before, 1000), "hsm_suspend_timer_delivered");
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	self = hartid;
	printf("sbi_test: start on hart %lu dtb 0x%lx timebase %lu\n", hartid, dtb,
	       (unsigned long)plat_timebase_hz());
	test_base();
	test_unknown();
	test_dbcn();
	test_time();
	test_ipi_self();
	test_hsm_and_remote();
	test_suspend();
	sbi_suite_pmu();
	test_finish();
}
