// SPDX-License-Identifier: MIT
/*
 * SBI PMU extension checks (SBI spec v3.0, chapter "Performance Monitoring Unit"):
 * num_counters, counter_get_info, counter_config_matching, counter_start/stop (init
 * value, snapshot), counter_fw_read(_hi), snapshot_set_shmem, event_get_info, their
 * error codes, counter CSR reads, and that counters are per hart. Natively (OpenSBI
 * 1.5.1, SBI 2.0) snapshot and event_get_info are absent: those checks print SKIP there.
 * Under Ferrovisor (impl id "FV") every function must be present.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "suite.h"
#include "test.h"
#include "trap.h"

#define FID_NUM_COUNTERS 0
#define FID_GET_INFO     1
#define FID_CFG_MATCH    2
#define FID_START        3
#define FID_STOP         4
#define FID_FW_READ      5
#define FID_FW_READ_HI   6
#define FID_SNAPSHOT     7
#define FID_EVENT_INFO   8

#define CFG_SKIP_MATCH  (1UL << 0)
#define CFG_CLEAR_VALUE (1UL << 1)
#define CFG_AUTO_START  (1UL << 2)
#define START_SET_INIT  (1UL << 0)
#define START_INIT_SNAP (1UL << 1)
#define STOP_RESET      (1UL << 0)
#define STOP_TAKE_SNAP  (1UL << 1)

#define EV_CYCLES         1UL
#define EV_INSTRUCTIONS   2UL
#define EV_REF_CPU_CYCLES 10UL
#define EV_FW(code)       ((15UL << 16) | (code))
#define FW_SET_TIMER      5UL
#define FW_IPI_SENT       6UL

#define IMPL_ID_FV 0x4656
#define LOOP_ITERS 100000UL
#define NO_COUNTER (~0UL)

static struct {
	unsigned long n, mask, cycle, instret, fw;
	bool under_fv;
} pmu;

/* The snapshot page and event-info entries (guest-physical = virtual here). */
static uint64_t snap_page[512] __attribute__((aligned(4096)));
static uint64_t info_entries[8][2] __attribute__((aligned(16)));

static volatile unsigned long b_done;
static volatile long b_err;
static volatile unsigned long b_idx;

static struct sbiret pmu_call(unsigned long fid, unsigned long a0, unsigned long a1,
                              unsigned long a2, unsigned long a3, unsigned long a4)
{
	return sbi_ecall(SBI_EXT_PMU, fid, a0, a1, a2, a3, a4, 0);
}

static void skip(const char *name, const char *why)
{
	printf("FV-CHECK SKIP %s %s\n", name, why);
}

/*
 * A check where OpenSBI 1.5.1 deviates from the spec: exact under Ferrovisor; natively a
 * mismatch prints SKIP with the reason, so the native run shows the difference.
 */
static void check_spec(const char *name, long got, long expected, const char *native_why)
{
	if (pmu.under_fv || got == expected) {
		test_check_eq(name, got, expected);
		return;
	}
	printf("FV-CHECK SKIP %s %s (got %ld, spec %ld)\n", name, native_why, got, expected);
}

static unsigned long rdcycle(void)
{
	unsigned long v;
	__asm__ volatile("rdcycle %0" : "=r"(v));
	return v;
}

static unsigned long rdinstret(void)
{
	unsigned long v;
	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

/* Exactly 2 * n instructions (addi + bnez per iteration). */
static void spin_loop(unsigned long n)
{
	__asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
}

static void discover(void)
{
	struct sbiret r = pmu_call(FID_NUM_COUNTERS, 0, 0, 0, 0, 0);
	test_check_eq("pmu.num_counters.valid", r.error, SBI_SUCCESS);
	test_checkf(r.value > 0 && r.value <= 64, "pmu.num_counters.range", "got %ld", r.value);
	pmu.n = r.value > 0 && r.value <= 64 ? (unsigned long)r.value : 0;
	pmu.mask = pmu.n >= 64 ? ~0UL : (1UL << pmu.n) - 1;
	pmu.cycle = pmu.instret = pmu.fw = NO_COUNTER;
	for (unsigned long i = 0; i < pmu.n; i++) {
		r = pmu_call(FID_GET_INFO, i, 0, 0, 0, 0);
		if (r.error)
			continue; /* logical counter ids need not be contiguous */
		unsigned long info = (unsigned long)r.value;
		if (info >> 63) {
			if (pmu.fw == NO_COUNTER)
				pmu.fw = i;
		} else if ((info & 0xfff) == 0xc00) {
			pmu.cycle = i;
			test_checkf(((info >> 12) & 0x3f) >= 31, "pmu.counter_get_info.cycle_width",
			            "info 0x%lx", info);
		} else if ((info & 0xfff) == 0xc02) {
			pmu.instret = i;
		}
	}
	test_check(pmu.cycle != NO_COUNTER, "pmu.counter_get_info.cycle");
	test_check(pmu.instret != NO_COUNTER, "pmu.counter_get_info.instret");
	test_check(pmu.fw != NO_COUNTER, "pmu.counter_get_info.firmware");
	r = pmu_call(FID_GET_INFO, pmu.n, 0, 0, 0, 0);
	test_check_eq("pmu.counter_get_info.invalid_idx", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_GET_INFO, (1UL << 63) | pmu.cycle, 0, 0, 0, 0);
	check_spec("pmu.counter_get_info.upper_bits", r.error, SBI_ERR_INVALID_PARAM,
	           "OpenSBI 1.5.1 ignores the upper bits of counter_idx");
}

static void check_cycle(void)
{
	struct sbiret r;
	unsigned long c = pmu.cycle;
	/* Linux's legacy path: SKIP_MATCH on the cycle counter itself. */
	r = pmu_call(FID_CFG_MATCH, c, 1, CFG_SKIP_MATCH | CFG_CLEAR_VALUE | CFG_AUTO_START,
	             EV_CYCLES, 0);
	test_check_eq("pmu.counter_config_matching.cycle_skip_match", r.error, SBI_SUCCESS);
	test_check_eq("pmu.counter_config_matching.cycle_idx", r.value, (long)c);
	unsigned long a = rdcycle();
	spin_loop(LOOP_ITERS);
	unsigned long b = rdcycle();
	test_checkf(b > a, "pmu.counter_start.cycle_counts", "%lu then %lu", a, b);
	r = pmu_call(FID_START, c, 1, 0, 0, 0);
	test_check_eq("pmu.counter_start.already_started", r.error, SBI_ERR_ALREADY_STARTED);
	r = pmu_call(FID_STOP, c, 1, 0, 0, 0);
	test_check_eq("pmu.counter_stop.cycle", r.error, SBI_SUCCESS);
	a = rdcycle();
	spin_loop(LOOP_ITERS);
	b = rdcycle();
	test_checkf(a == b, "pmu.counter_stop.cycle_frozen", "%lu then %lu", a, b);
	r = pmu_call(FID_STOP, c, 1, 0, 0, 0);
	test_check_eq("pmu.counter_stop.already_stopped", r.error, SBI_ERR_ALREADY_STOPPED);
	/* SET_INIT_VALUE: counting resumes from the given value. */
	r = pmu_call(FID_START, c, 1, START_SET_INIT, 1UL << 40, 0);
	test_check_eq("pmu.counter_start.set_init_value", r.error, SBI_SUCCESS);
	a = rdcycle();
	test_checkf(a >= (1UL << 40) && a < (1UL << 40) + (1UL << 36),
	            "pmu.counter_start.set_init_value_read", "read %lu", a);
	r = pmu_call(FID_STOP, c, 1, STOP_RESET, 0, 0);
	test_check_eq("pmu.counter_stop.reset", r.error, SBI_SUCCESS);
	/* Invalid sets: past the last counter, base + bit wrapping. */
	r = pmu_call(FID_START, pmu.n, 1, 0, 0, 0);
	test_check_eq("pmu.counter_start.invalid_set", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_STOP, pmu.n, 1, 0, 0, 0);
	test_check_eq("pmu.counter_stop.invalid_set", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_CFG_MATCH, pmu.n, 1, 0, EV_CYCLES, 0);
	test_check_eq("pmu.counter_config_matching.invalid_set", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_CFG_MATCH, ~0UL, 2, 0, EV_CYCLES, 0);
	check_spec("pmu.counter_config_matching.wrapping_set", r.error, SBI_ERR_INVALID_PARAM,
	           "OpenSBI 1.5.1 reports a wrapping set as NOT_SUPPORTED");
	/* A valid generic event this platform cannot count. */
	r = pmu_call(FID_CFG_MATCH, 0, pmu.mask, 0, EV_REF_CPU_CYCLES, 0);
	test_check_eq("pmu.counter_config_matching.unsupported_event", r.error,
	              SBI_ERR_NOT_SUPPORTED);
}

static void check_instret(void)
{
	unsigned long i = pmu.instret;
	struct sbiret r =
	    pmu_call(FID_CFG_MATCH, i, 1, CFG_SKIP_MATCH | CFG_CLEAR_VALUE | CFG_AUTO_START,
	             EV_INSTRUCTIONS, 0);
	test_check_eq("pmu.counter_config_matching.instret", r.error, SBI_SUCCESS);
	unsigned long a = rdinstret();
	spin_loop(LOOP_ITERS);
	unsigned long b = rdinstret();
	/*
	 * Exact only under QEMU -icount: plain TCG makes instret (and cycle) count host
	 * ticks, measured here from 0.7x the loop's instructions upwards. So: the same
	 * order of magnitude as the loop's 2 * LOOP_ITERS instructions.
	 */
	test_checkf(b - a >= 2 * LOOP_ITERS / 16 && b - a < 1000 * 2 * LOOP_ITERS,
	            "pmu.counter_start.instret_plausible", "loop of %lu insns read %lu",
	            2 * LOOP_ITERS, b - a);
	pmu_call(FID_STOP, i, 1, STOP_RESET, 0, 0);
}

/*
 * A vCPU's counters stand still while it is off its CPU. Observable here as: cycles counted
 * across a 20 ms HSM suspend (Ferrovisor blocks the vCPU and takes it off the CPU) are far
 * fewer than across 20 ms of busy waiting. On hardware (and natively under QEMU) the cycle
 * counter keeps running while the hart waits, so there the check only prints SKIP.
 */
static void check_not_counting_while_off_cpu(void)
{
	unsigned long c = pmu.cycle;
	struct trap_hart *h = trap_hart_state();
	struct sbiret r = pmu_call(FID_CFG_MATCH, c, 1,
	                           CFG_SKIP_MATCH | CFG_CLEAR_VALUE | CFG_AUTO_START, EV_CYCLES, 0);
	if (r.error)
		return;
	uint64_t t0 = rdtime(), wait = plat_ms_to_ticks(20);
	unsigned long a0 = rdcycle();
	while (rdtime() - t0 < wait)
		;
	unsigned long busy = rdcycle() - a0;

	uint64_t before = h->timer_count;
	irq_disable();
	csr_set(sie, SIE_STIE);
	t0 = rdtime();
	sbi_set_timer(t0 + wait);
	a0 = rdcycle();
	r = sbi_hart_suspend(SBI_HSM_SUSPEND_RET_DEFAULT, 0, 0);
	unsigned long suspended = rdcycle() - a0;
	uint64_t elapsed = rdtime() - t0;
	irq_enable();
	for (unsigned long spins = 0; h->timer_count == before && spins < 100000000UL; spins++)
		__asm__ volatile("nop");
	pmu_call(FID_STOP, c, 1, STOP_RESET, 0, 0);
	printf("sbi_test: cycles over 20 ms busy %lu, over a %lu us suspend %lu\n", busy,
	       (unsigned long)plat_ticks_to_us(elapsed), suspended);
	if (r.error || elapsed < wait) {
		test_checkf(false, "pmu.counter.off_cpu_suspend", "suspend error %ld, %lu ticks",
		            r.error, (unsigned long)elapsed);
		return;
	}
	if (!pmu.under_fv && suspended >= busy / 2) {
		skip("pmu.counter.not_counting_off_cpu",
		     "the hardware counter runs while harts wait");
		return;
	}
	test_checkf(suspended < busy / 2, "pmu.counter.not_counting_off_cpu",
	            "busy %lu, suspended %lu", busy, suspended);
}

#define HPM_CASE(n)                                                                                \
	case 0xc00 + (n):                                                                          \
		__asm__ volatile("csrr %0, hpmcounter" #n : "=r"(v));                              \
		break

/* Read hpmcounter3..31 by CSR number (0 for any other number). */
static unsigned long read_hpm(unsigned long csr)
{
	unsigned long v = 0;
	switch (csr) {
		HPM_CASE(3);
		HPM_CASE(4);
		HPM_CASE(5);
		HPM_CASE(6);
		HPM_CASE(7);
		HPM_CASE(8);
		HPM_CASE(9);
		HPM_CASE(10);
		HPM_CASE(11);
		HPM_CASE(12);
		HPM_CASE(13);
		HPM_CASE(14);
		HPM_CASE(15);
		HPM_CASE(16);
		HPM_CASE(17);
		HPM_CASE(18);
		HPM_CASE(19);
		HPM_CASE(20);
		HPM_CASE(21);
		HPM_CASE(22);
		HPM_CASE(23);
		HPM_CASE(24);
		HPM_CASE(25);
		HPM_CASE(26);
		HPM_CASE(27);
		HPM_CASE(28);
		HPM_CASE(29);
		HPM_CASE(30);
		HPM_CASE(31);
	default:
		break;
	}
	return v;
}

/*
 * A hardware event beyond cycle/instret that the platform lists (QEMU virt: DTLB read
 * miss, cache event 0x10019) gets a programmable counter with an hpmcounter CSR (under
 * Ferrovisor backed by a host SBI PMU counter), readable, and frozen once stopped. Whether
 * it moves is printed, not checked: QEMU 10 with OpenSBI 1.5.1 does not count it here,
 * natively neither.
 */
static void check_host_event(void)
{
	static volatile uint8_t pages[16][4096] __attribute__((aligned(4096)));
	const unsigned long ev = (1UL << 16) | (3UL << 3) | 1; /* DTLB, read, miss */
	struct sbiret r =
	    pmu_call(FID_CFG_MATCH, 0, pmu.mask, CFG_CLEAR_VALUE | CFG_AUTO_START, ev, 0);
	test_check_eq("pmu.counter_config_matching.dtlb_read_miss", r.error, SBI_SUCCESS);
	if (r.error)
		return;
	unsigned long idx = (unsigned long)r.value;
	r = pmu_call(FID_GET_INFO, idx, 0, 0, 0, 0);
	unsigned long csr = (unsigned long)r.value & 0xfff;
	test_checkf(r.error == 0 && !((unsigned long)r.value >> 63) && csr >= 0xc03 && csr <= 0xc1f,
	            "pmu.counter_get_info.dtlb_counter_is_hpm", "idx %lu info 0x%lx", idx,
	            (unsigned long)r.value);
	unsigned long a = read_hpm(csr), sum = 0;
	for (int round = 0; round < 50; round++)
		for (int p = 0; p < 16; p++)
			sum += pages[p][round * 64];
	unsigned long b = read_hpm(csr);
	printf("sbi_test: DTLB read misses over 800 loads: %lu (sum %lu)\n", b - a, sum);
	pmu_call(FID_STOP, idx, 1, 0, 0, 0);
	a = read_hpm(csr);
	for (int p = 0; p < 16; p++)
		sum += pages[p][8];
	b = read_hpm(csr);
	test_checkf(a == b, "pmu.counter_stop.dtlb_frozen", "%lu then %lu", a, b);
	r = pmu_call(FID_STOP, idx, 1, STOP_RESET, 0, 0);
	test_checkf(r.error == SBI_SUCCESS || r.error == SBI_ERR_ALREADY_STOPPED,
	            "pmu.counter_stop.dtlb_reset", "error %ld", r.error);
}

static void other_hart_set_timers(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	/* The other hart has its own counters: the same counter index is free there. */
	struct sbiret r = pmu_call(FID_CFG_MATCH, 0, pmu.mask, CFG_CLEAR_VALUE | CFG_AUTO_START,
	                           EV_FW(FW_SET_TIMER), 0);
	b_err = r.error;
	b_idx = (unsigned long)r.value;
	for (int k = 0; k < 5; k++)
		sbi_set_timer(~0UL);
	b_done = 1;
}

static void check_firmware(void)
{
	struct sbiret r;
	r = pmu_call(FID_CFG_MATCH, 0, pmu.mask, CFG_CLEAR_VALUE | CFG_AUTO_START,
	             EV_FW(FW_SET_TIMER), 0);
	test_check_eq("pmu.counter_config_matching.fw_set_timer", r.error, SBI_SUCCESS);
	unsigned long f = (unsigned long)r.value;
	if (r.error)
		return;
	for (int k = 0; k < 3; k++)
		sbi_set_timer(~0UL);
	r = pmu_call(FID_FW_READ, f, 0, 0, 0, 0);
	test_check_eq("pmu.counter_fw_read.valid", r.error, SBI_SUCCESS);
	test_check_eq("pmu.counter_fw_read.set_timer_count", r.value, 3);
	r = pmu_call(FID_FW_READ_HI, f, 0, 0, 0, 0);
	test_check_eq("pmu.counter_fw_read_hi.valid", r.error, SBI_SUCCESS);
	test_check_eq("pmu.counter_fw_read_hi.zero_on_rv64", r.value, 0);
	r = pmu_call(FID_FW_READ, pmu.cycle, 0, 0, 0, 0);
	test_check_eq("pmu.counter_fw_read.hw_counter", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_FW_READ, pmu.n, 0, 0, 0, 0);
	test_check_eq("pmu.counter_fw_read.invalid_idx", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_FW_READ_HI, pmu.n, 0, 0, 0, 0);
	check_spec("pmu.counter_fw_read_hi.invalid_idx", r.error, SBI_ERR_INVALID_PARAM,
	           "OpenSBI 1.5.1 returns success on RV64 for any index");

	/* Per hart: the other hart's set_timer calls are not this hart's events. */
	long other = smp_find_other_hart(smp_hartid());
	if (other >= 0) {
		b_done = 0;
		struct sbiret s = smp_start_hart((unsigned long)other, other_hart_set_timers, 0);
		if (s.error == SBI_SUCCESS) {
			for (unsigned long spins = 0; !b_done && spins < 2000000000UL; spins++)
				__asm__ volatile("nop");
			test_check(b_done, "pmu.counter_fw_read.other_hart_ran");
			test_check_eq("pmu.counter_config_matching.per_hart", b_err, SBI_SUCCESS);
			test_check_eq("pmu.counter_config_matching.per_hart_idx", (long)b_idx,
			              (long)f);
			smp_wait_status((unsigned long)other, SBI_HSM_STOPPED, 1000);
			r = pmu_call(FID_FW_READ, f, 0, 0, 0, 0);
			test_check_eq("pmu.counter_fw_read.other_hart_not_counted", r.value, 3);
		}
	}
	r = pmu_call(FID_STOP, f, 1, 0, 0, 0);
	test_check_eq("pmu.counter_stop.fw", r.error, SBI_SUCCESS);
	sbi_set_timer(~0UL);
	r = pmu_call(FID_FW_READ, f, 0, 0, 0, 0);
	test_check_eq("pmu.counter_fw_read.stopped_keeps_value", r.value, 3);
	pmu_call(FID_STOP, f, 1, STOP_RESET, 0, 0);

	/* IPI sent: one per target hart. */
	r = pmu_call(FID_CFG_MATCH, 0, pmu.mask, CFG_CLEAR_VALUE | CFG_AUTO_START,
	             EV_FW(FW_IPI_SENT), 0);
	test_check_eq("pmu.counter_config_matching.fw_ipi_sent", r.error, SBI_SUCCESS);
	if (r.error == SBI_SUCCESS) {
		f = (unsigned long)r.value;
		struct trap_hart *h = trap_hart_state();
		uint64_t before = h->soft_count;
		__asm__ volatile("csrs sie, %0" ::"r"(1UL << 1));
		sbi_send_ipi(1UL, smp_hartid());
		for (unsigned long spins = 0; h->soft_count == before && spins < 100000000UL;
		     spins++)
			__asm__ volatile("nop");
		r = pmu_call(FID_FW_READ, f, 0, 0, 0, 0);
		check_spec("pmu.counter_fw_read.ipi_sent_count", r.value, 1,
		           "OpenSBI 1.5.1 does not count an IPI to the calling hart");
		pmu_call(FID_STOP, f, 1, STOP_RESET, 0, 0);
	}
}

/* One shared-memory call: lo/hi = physical address halves, flags; other arguments valid. */
typedef struct sbiret (*shmem_call_fn)(unsigned long lo, unsigned long hi, unsigned long flags);

static struct sbiret snapshot_call(unsigned long lo, unsigned long hi, unsigned long flags)
{
	return pmu_call(FID_SNAPSHOT, lo, hi, flags, 0, 0);
}

static struct sbiret event_info_call(unsigned long lo, unsigned long hi, unsigned long flags)
{
	return pmu_call(FID_EVENT_INFO, lo, hi, 1, flags, 0); /* one entry */
}

/*
 * The shared-memory rules snapshot_set_shmem and event_get_info have in common (SBI v3.0
 * PMU chapter): reserved flags and a misaligned address are INVALID_PARAM, an address with
 * high bits set (above RV64's reach) or outside RAM is INVALID_ADDRESS. pa is a valid,
 * aligned address in RAM; checks are named pmu.<fn>.<case>.
 */
static void check_shmem_errors(const char *fn, shmem_call_fn call, unsigned long pa)
{
	char name[80];
	snprintf(name, sizeof(name), "pmu.%s.flags", fn);
	test_check_eq(name, call(pa, 0, 1).error, SBI_ERR_INVALID_PARAM);
	snprintf(name, sizeof(name), "pmu.%s.unaligned", fn);
	test_check_eq(name, call(pa + 8, 0, 0).error, SBI_ERR_INVALID_PARAM);
	snprintf(name, sizeof(name), "pmu.%s.high_bits", fn);
	test_check_eq(name, call(pa, 1, 0).error, SBI_ERR_INVALID_ADDRESS);
	snprintf(name, sizeof(name), "pmu.%s.not_ram", fn);
	test_check_eq(name, call(0x1000, 0, 0).error, SBI_ERR_INVALID_ADDRESS);
}

static void check_snapshot(void)
{
	struct sbiret r = pmu_call(FID_SNAPSHOT, ~0UL, ~0UL, 0, 0, 0);
	if (r.error == SBI_ERR_NOT_SUPPORTED && !pmu.under_fv) {
		skip("pmu.snapshot_set_shmem", "snapshot not offered (SBI < 3.0 firmware)");
		return;
	}
	test_check_eq("pmu.snapshot_set_shmem.disable", r.error, SBI_SUCCESS);
	unsigned long c = pmu.cycle, pa = (unsigned long)snap_page;
	r = pmu_call(FID_CFG_MATCH, c, 1, CFG_SKIP_MATCH | CFG_CLEAR_VALUE, EV_CYCLES, 0);
	test_check_eq("pmu.snapshot_set_shmem.cfg", r.error, SBI_SUCCESS);
	r = pmu_call(FID_START, c, 1, START_INIT_SNAP, 0, 0);
	test_check_eq("pmu.counter_start.init_snapshot_no_shmem", r.error, SBI_ERR_NO_SHMEM);
	r = pmu_call(FID_STOP, c, 1, STOP_TAKE_SNAP, 0, 0);
	test_check_eq("pmu.counter_stop.take_snapshot_no_shmem", r.error, SBI_ERR_NO_SHMEM);
	check_shmem_errors("snapshot_set_shmem", snapshot_call, pa);
	r = pmu_call(FID_SNAPSHOT, pa, 0, 0, 0, 0);
	test_check_eq("pmu.snapshot_set_shmem.valid", r.error, SBI_SUCCESS);
	/* counter_values are relative to counter_idx_base: index 0 here is counter c. */
	snap_page[1] = 5000;
	r = pmu_call(FID_START, c, 1, START_INIT_SNAP, 0, 0);
	test_check_eq("pmu.counter_start.init_snapshot", r.error, SBI_SUCCESS);
	unsigned long v = rdcycle();
	test_checkf(v >= 5000, "pmu.counter_start.init_snapshot_value", "read %lu", v);
	snap_page[0] = ~0UL;
	snap_page[1] = 0;
	snap_page[2] = 0x1234;
	r = pmu_call(FID_STOP, c, 1, STOP_TAKE_SNAP | STOP_RESET, 0, 0);
	test_check_eq("pmu.counter_stop.take_snapshot", r.error, SBI_SUCCESS);
	test_checkf(snap_page[1] >= v, "pmu.counter_stop.take_snapshot_value", "%lu < %lu",
	            (unsigned long)snap_page[1], v);
	test_check_eq("pmu.counter_stop.take_snapshot_no_overflow", (long)snap_page[0], 0);
	test_check_eq("pmu.counter_stop.take_snapshot_others_untouched", (long)snap_page[2],
	              0x1234);
	r = pmu_call(FID_SNAPSHOT, ~0UL, ~0UL, 0, 0, 0);
	test_check_eq("pmu.snapshot_set_shmem.clear", r.error, SBI_SUCCESS);
}

static void set_entry(unsigned i, unsigned long ev, uint64_t data)
{
	info_entries[i][0] = ev | (0xdeadUL << 32); /* output word pre-filled with junk */
	info_entries[i][1] = data;
}

static unsigned long entry_out(unsigned i)
{
	return info_entries[i][0] >> 32;
}

static void check_event_info(void)
{
	unsigned long pa = (unsigned long)info_entries;
	set_entry(0, EV_CYCLES, 0);
	set_entry(1, EV_REF_CPU_CYCLES, 0);
	set_entry(2, EV_FW(FW_SET_TIMER), 0);
	struct sbiret r = pmu_call(FID_EVENT_INFO, pa, 0, 3, 0, 0);
	if (r.error == SBI_ERR_NOT_SUPPORTED && !pmu.under_fv) {
		skip("pmu.event_get_info", "event_get_info is SBI 3.0 (firmware is older)");
		return;
	}
	test_check_eq("pmu.event_get_info.valid", r.error, SBI_SUCCESS);
	test_check_eq("pmu.event_get_info.cycles_supported", (long)entry_out(0), 1);
	test_check_eq("pmu.event_get_info.ref_cycles_unsupported", (long)entry_out(1), 0);
	test_check_eq("pmu.event_get_info.fw_supported", (long)entry_out(2), 1);
	check_shmem_errors("event_get_info", event_info_call, pa);
	set_entry(1, 0x00100001UL, 0); /* reserved event_idx bit 20 */
	r = pmu_call(FID_EVENT_INFO, pa, 0, 2, 0, 0);
	test_check_eq("pmu.event_get_info.bad_encoding", r.error, SBI_ERR_INVALID_PARAM);
	r = pmu_call(FID_EVENT_INFO, pa, 0, 0, 0, 0);
	test_check_eq("pmu.event_get_info.zero_entries", r.error, SBI_SUCCESS);
}

static void check_csr(void)
{
	struct trap_record rec;
	/* Counter CSRs are read-only: a write is an illegal instruction. */
	trap_expect_begin();
	__asm__ volatile("csrw cycle, zero");
	bool trapped = trap_expect_end(&rec);
	test_check(trapped && rec.scause == 2, "pmu.csr.cycle_write_illegal");
	/* An hpmcounter reads without trapping (zero or a count). */
	unsigned long v;
	trap_expect_begin();
	__asm__ volatile("csrr %0, hpmcounter3" : "=r"(v));
	trapped = trap_expect_end(&rec);
	if (trapped && !pmu.under_fv)
		skip("pmu.csr.hpmcounter3_readable", "firmware does not expose hpmcounter3");
	else
		test_check(!trapped, "pmu.csr.hpmcounter3_readable");
}

void sbi_suite_pmu(void)
{
	struct sbiret r = sbi_get_impl_id();
	pmu.under_fv = r.value == IMPL_ID_FV;
	r = sbi_probe_extension(SBI_EXT_PMU);
	if (r.value == 0 && !pmu.under_fv) {
		skip("pmu.probe", "no SBI PMU extension");
		return;
	}
	test_checkf(r.error == SBI_SUCCESS && r.value != 0, "pmu.probe", "error %ld value %ld",
	            r.error, r.value);
	discover();
	if (pmu.cycle == NO_COUNTER || pmu.instret == NO_COUNTER || pmu.fw == NO_COUNTER)
		return;
	r = pmu_call(9, 0, 0, 0, 0, 0);
	test_check_eq("pmu.unknown_fid", r.error, SBI_ERR_NOT_SUPPORTED);
	/* Like Linux at boot: stop and unmap everything first. */
	pmu_call(FID_STOP, 0, pmu.mask, STOP_RESET, 0, 0);
	check_cycle();
	check_instret();
	check_not_counting_while_off_cpu();
	check_host_event();
	check_firmware();
	check_snapshot();
	check_event_info();
	check_csr();
}
