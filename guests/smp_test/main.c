// SPDX-License-Identifier: MIT
/*
 * smp_test: two harts. The boot hart starts the other with SBI HSM; then
 *  - IPI ping-pong, 100 rounds: each side waits (WFI) for sip.SSIP, clears it, replies;
 *  - a shared counter incremented 100000 times per hart under a spinlock (must be exact);
 *  - 100000 AMOADD and 100000 LR/SC increments per hart on shared counters (exact);
 * and finally the other hart returns (SBI hart_stop) and its status must become STOPPED.
 * A 5 s watchdog timer (pending STIP ends any WFI) turns a lost IPI into a failure line.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "spinlock.h"
#include "test.h"
#include "trap.h"

#define ROUNDS     100
#define INCREMENTS 100000UL

static unsigned long hart_a, hart_b;

/* Handshake words between the two harts (each written by one side only). */
/*
 * Time budget for the whole ping-pong: generous, because beside other VMs on
 * 2 CPUs a round trip waits for scheduling; a lost IPI still fails it.
 */
#define PINGPONG_BUDGET_MS 20000

static volatile uint64_t b_ready;
static volatile uint64_t go_counters;
static volatile uint64_t b_pings;
static volatile uint64_t b_pong_fail;
static volatile uint64_t b_done;

static struct spinlock counter_lock = SPINLOCK_INIT;
static volatile uint64_t locked_counter; /* protected by counter_lock */
static volatile uint64_t amo_counter;
static volatile uint64_t lrsc_counter;

/* Wait for sip.SSIP with interrupts masked (sstatus.SIE = 0, sie.SSIE = 1 so WFI wakes).
 * Returns false if the watchdog deadline passes first. */
static bool wait_ssip(uint64_t deadline)
{
	while (!(csr_read(sip) & SIP_SSIP)) {
		if (rdtime() > deadline)
			return false;
		cpu_wfi();
	}
	csr_clear(sip, SIP_SSIP);
	return true;
}

static void arm_watchdog(uint64_t deadline)
{
	/* Pending STIP (with sie.STIE) wakes WFI even with interrupts masked. */
	csr_set(sie, SIE_STIE | SIE_SSIE);
	sbi_set_timer(deadline);
}

static void lrsc_add(volatile uint64_t *p, uint64_t v)
{
	uint64_t tmp;

	__asm__ volatile("1: lr.d.aq %0, %1\n"
	                 "   add %0, %0, %2\n"
	                 "   sc.d.rl %0, %0, %1\n"
	                 "   bnez %0, 1b\n"
	                 : "=&r"(tmp), "+A"(*p)
	                 : "r"(v)
	                 : "memory");
}

static void do_counters(void)
{
	for (unsigned long i = 0; i < INCREMENTS; i++) {
		spin_lock(&counter_lock);
		locked_counter = locked_counter + 1;
		spin_unlock(&counter_lock);
	}
	for (unsigned long i = 0; i < INCREMENTS; i++)
		atomic_add64(&amo_counter, 1);
	for (unsigned long i = 0; i < INCREMENTS; i++)
		lrsc_add(&lrsc_counter, 1);
}

static void b_main(unsigned long hartid, unsigned long opaque)
{
	uint64_t deadline = rdtime() + plat_ms_to_ticks(PINGPONG_BUDGET_MS);

	(void)opaque;
	irq_disable();
	arm_watchdog(deadline);
	printf("smp_test: hart %lu up\n", hartid);
	b_ready = 1;
	for (int i = 0; i < ROUNDS; i++) {
		if (!wait_ssip(deadline)) {
			b_pong_fail = 1;
			break;
		}
		b_pings++;
		sbi_send_ipi(1, hart_a);
	}
	sbi_set_timer(UINT64_MAX);
	while (!go_counters)
		cpu_relax();
	do_counters();
	__asm__ volatile("fence rw, rw" : : : "memory");
	b_done = 1;
	printf("smp_test: hart %lu done\n", hartid);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t deadline, t0, t1;
	struct sbiret r;
	long other;
	int rounds = 0;

	(void)dtb;
	hart_a = hartid;
	irq_disable();
	other = smp_find_other_hart(hartid);
	if (!test_checkf(other >= 0, "smp_other_hart_exists", "need 2 harts"))
		test_finish();
	hart_b = (unsigned long)other;
	printf("smp_test: boot hart %lu starts hart %lu\n", hart_a, hart_b);
	r = smp_start_hart(hart_b, b_main, 0);
	test_check_eq("smp_hart_start", r.error, SBI_SUCCESS);

	deadline = rdtime() + plat_ms_to_ticks(PINGPONG_BUDGET_MS);
	while (!b_ready && rdtime() < deadline)
		cpu_relax();
	if (!test_check(b_ready, "smp_other_hart_running"))
		test_finish();

	arm_watchdog(deadline + plat_ms_to_ticks(PINGPONG_BUDGET_MS));
	t0 = rdtime();
	for (rounds = 0; rounds < ROUNDS; rounds++) {
		sbi_send_ipi(1, hart_b);
		if (!wait_ssip(deadline + plat_ms_to_ticks(PINGPONG_BUDGET_MS)))
			break;
	}
	t1 = rdtime();
	sbi_set_timer(UINT64_MAX);
	test_check_eq("smp_ipi_pingpong_rounds", rounds, ROUNDS);
	test_check_eq("smp_ipi_pingpong_other_saw", (long)b_pings, ROUNDS);
	test_check_eq("smp_ipi_pingpong_other_ok", (long)b_pong_fail, 0);
	if (rounds)
		printf("smp_test: ipi round trip %lu us average\n",
		       (unsigned long)(plat_ticks_to_us(t1 - t0) / (unsigned long)rounds));

	go_counters = 1;
	do_counters();
	deadline = rdtime() + plat_ms_to_ticks(30000);
	while (!b_done && rdtime() < deadline)
		cpu_relax();
	__asm__ volatile("fence rw, rw" : : : "memory");
	test_check(b_done, "smp_other_hart_finished");
	test_check_eq("smp_spinlock_counter", (long)locked_counter, (long)(2 * INCREMENTS));
	test_check_eq("smp_amoadd_counter", (long)amo_counter, (long)(2 * INCREMENTS));
	test_check_eq("smp_lrsc_counter", (long)lrsc_counter, (long)(2 * INCREMENTS));
	test_check(smp_wait_status(hart_b, SBI_HSM_STOPPED, 2000), "smp_other_hart_stopped");
	test_finish();
}
