// SPDX-License-Identifier: MIT
/*
 * bench_irq: interrupt delivery latencies, for `-icount shift=0,sleep=off`. There instret
 * reads QEMU's raw instruction count (all harts, one count) and `time` is that count plus the
 * time skipped while every hart slept, so each figure is a deterministic path length in
 * emulated ns (= instructions).
 *
 *   timer_sstc       deadline written to stimecmp (Sstc), hart spinning with interrupts on
 *   timer_sstc_idle  the same, hart waiting in wfi
 *   timer_sbi        deadline programmed with SBI set_timer, hart spinning
 *   timer_sbi_idle   the same, hart waiting in wfi
 *   ipi              SBI send_ipi from this hart to a second one that spins
 *   ipi_idle         the same, the second hart waiting in wfi
 *   ipi_send         the sender's send_ipi call alone (ecall to return)
 *
 * Clock: an instret value i maps to guest time ns = i - offset, offset = instret - time in ns
 * read at a tick edge (a few instructions after `time` changed: the same natively and
 * virtualized, see EDGE_LAG_NS). The offset is constant while some hart runs and shrinks
 * while all sleep, so it is taken again right after each measured event.
 * Timer latency: handler-entry ns - expiry ns (see bench_timer()). QEMU expires a timer at
 * arm instant + (deadline - tick at arming) whole ticks, i.e. up to one tick after the
 * deadline's own instant, by the sub-tick phase of the arming write.
 * IPI latency: receiver handler-entry ns - sender ns just before its ecall. QEMU runs the
 * harts of an icount machine one after another and switches only when the running one
 * sleeps, so the sender arms a wake-up timer first and waits in wfi right after the call: the
 * figure is every instruction on the path, sender's return and sleep included.
 *
 * Output: {"bench":"irq_clock",...}, then per figure JSON lines
 * {"bench":NAME,"unit":"ns","samples":[...]} (chunks of 16; timer figures also in "ticks":
 * time at handler entry - deadline), {"bench":NAME,"skipped":WHY} when it cannot run, and
 * {"bench":"irq_done"} before shutting down.
 */
#include <stdint.h>

#include "config.h"
#include "counters.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "test.h"
#include "trap.h"
#include "vec.h"

#define SAMPLES     32
#define CHUNK       16
#define DELAY_TICKS 100 /* 10 us at 10 MHz: longer than any arming path */
#define NAP_TICKS                                                                                  \
	1000 /* 100 us wake-up timer of a hart waiting for the other: far above any                \
	      * measured path, so it never fires inside one */
/*
 * irqb_edge reads instret 2-4 instructions after the time read that saw the new tick, so
 * guest times derived from its offset come out that much early. Latencies between two such
 * times cancel it; one against a deadline's exact instant (the SBI timer figures) adds it.
 */
#define EDGE_LAG_NS 3

struct irqb_record irqb_records[GUEST_MAX_HARTS];

/* IPI handshake, written by one hart and read by the other (fences around every use). */
static volatile uint64_t ipi_ready;
static volatile uint64_t ipi_done;
static volatile uint64_t ipi_stop;

static volatile int64_t ipi_entry_ns;
static uint64_t tb_hz;

static inline uint64_t rdinstret(void)
{
	uint64_t v;

	__asm__ volatile("csrr %0, instret" : "=r"(v) : : "memory");
	return v;
}

static inline void fence(void)
{
	__asm__ volatile("fence rw, rw" : : : "memory");
}

static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * 1000000000ULL / tb_hz;
}

static void print_samples(const char *name, const char *unit, const int64_t *s, unsigned n)
{
	char buf[400];

	for (unsigned c = 0; c < n; c += CHUNK) {
		int len = snprintf(buf, sizeof(buf),
		                   "{\"bench\":\"%s\",\"unit\":\"%s\",\"samples\":[", name, unit);

		for (unsigned i = c; i < n && i < c + CHUNK; i++)
			len += snprintf(buf + len, sizeof(buf) - (unsigned)len, "%s%ld",
			                i == c ? "" : ",", (long)s[i]);
		printf("%s]}\n", buf);
	}
}

static void skipped(const char *name, const char *why)
{
	printf("{\"bench\":\"%s\",\"skipped\":\"%s\"}\n", name, why);
}

/* instret - guest time in ns, at the next tick edge. */
static int64_t clock_offset(void)
{
	uint64_t ins, t = irqb_edge(&ins);

	return (int64_t)(ins - ticks_to_ns(t));
}

/* Check that instret advances like time while a hart runs (else the figures are void). */
static void check_clock(void)
{
	uint64_t i0, i1, t0, t1;

	t0 = irqb_edge(&i0);
	while (rdtime() < t0 + 1000)
		cpu_relax();
	t1 = irqb_edge(&i1);
	printf("{\"bench\":\"irq_clock\",\"timebase_hz\":%lu,\"ns_per_tick\":%lu,"
	       "\"drift_ns\":%ld}\n",
	       (unsigned long)tb_hz, (unsigned long)ticks_to_ns(1),
	       (long)((int64_t)(i1 - i0) - (int64_t)ticks_to_ns(t1 - t0)));
}

enum timer_arm { ARM_SSTC, ARM_SBI };

static void timer_disarm(enum timer_arm how)
{
	if (how == ARM_SSTC)
		csr_write(stimecmp, UINT64_MAX);
	else
		sbi_set_timer(UINT64_MAX);
}

/*
 * One timer figure. ARM_SSTC: the guest writes stimecmp itself and knows the write's instant,
 * so the expiry QEMU schedules (see the top comment) is computed exactly and the latency is
 * handler entry - that expiry. ARM_SBI: the write happens somewhere inside the firmware or
 * hypervisor; the sample is handler entry - deadline, with the arming instant dithered over a
 * tick (0-125 ns after a tick edge), so the minimum is the latency and the spread is QEMU's
 * rounding to whole ticks.
 */
static void bench_timer(const char *name, enum timer_arm how, bool idle)
{
	struct irqb_record *r = &irqb_records[smp_hartid()];
	unsigned long old_stvec = csr_read(stvec);
	volatile uint64_t dummy;
	int64_t lat[SAMPLES], ticks[SAMPLES];

	timer_disarm(how);
	csr_write(stvec, (unsigned long)irqb_vector);
	for (unsigned i = 0; i < SAMPLES; i++) {
		uint64_t ins, tick, deadline;
		int64_t off0, fire;

		r->flag = 0;
		tick = irqb_edge(&ins);
		off0 = (int64_t)(ins - ticks_to_ns(tick));
		deadline = tick + DELAY_TICKS;
		if (how == ARM_SSTC) {
			int64_t arm = (int64_t)irqb_arm_sstc(deadline) + 1 - off0;

			fire = arm + (int64_t)ticks_to_ns(deadline) -
			       (int64_t)ticks_to_ns((uint64_t)arm * tb_hz / 1000000000ULL);
		} else {
			irqb_spin(2 * i);
			sbi_set_timer(deadline);
			fire = (int64_t)ticks_to_ns(deadline) - EDGE_LAG_NS;
		}
		csr_set(sie, SIE_STIE);
		if (idle)
			irqb_wait_idle(&r->flag, &dummy);
		else
			irqb_wait(&r->flag, &dummy);
		lat[i] = (int64_t)r->instret - clock_offset() - fire;
		ticks[i] = (int64_t)(r->time - deadline);
		timer_disarm(how);
		if (r->flag != 1 || r->scause != (SCAUSE_INTERRUPT | IRQ_S_TIMER)) {
			csr_write(stvec, old_stvec);
			printf("{\"bench\":\"%s\",\"error\":\"scause 0x%lx flag %lu\"}\n", name,
			       (unsigned long)r->scause, (unsigned long)r->flag);
			return;
		}
	}
	csr_clear(sie, SIE_STIE);
	csr_write(stvec, old_stvec);
	print_samples(name, "ns", lat, SAMPLES);
	print_samples(name, "ticks", ticks, SAMPLES);
}

/* Wait until *p >= want, sleeping in wfi with a wake-up timer of `ticks` (interrupts stay off:
 * wfi wakes on sie.STIE alone) so that QEMU runs the other hart meanwhile. */
static void nap_arm(uint64_t ticks)
{
	csr_set(sie, SIE_STIE);
	sbi_set_timer(rdtime() + ticks);
}

static void nap_until(volatile uint64_t *p, uint64_t want, uint64_t ticks)
{
	while (*p < want) {
		if (!(csr_read(sip) & SIP_STIP)) {
			cpu_wfi();
			continue;
		}
		nap_arm(ticks);
	}
	sbi_set_timer(UINT64_MAX);
	csr_clear(sie, SIE_STIE);
}

/* Second hart: take IPIs (opaque = 1: wait in wfi) until told to stop. After each one it
 * publishes the handler-entry time in guest ns, then signals the sender. */
static void ipi_receiver(unsigned long hartid, unsigned long idle)
{
	struct irqb_record *r = &irqb_records[hartid];
	unsigned long old_stvec = csr_read(stvec);

	csr_write(stvec, (unsigned long)irqb_vector);
	csr_set(sie, SIE_SSIE);
	for (;;) {
		r->flag = 0;
		if (idle)
			irqb_wait_idle(&r->flag, &ipi_ready);
		else
			irqb_wait(&r->flag, &ipi_ready);
		fence();
		if (ipi_stop)
			break;
		ipi_entry_ns = (int64_t)r->instret - clock_offset();
		ipi_done = ipi_done + 1;
		fence();
	}
	csr_clear(sie, SIE_SSIE);
	csr_write(stvec, old_stvec);
}

static void bench_ipi(const char *name, bool idle, bool report_send)
{
	long other = smp_find_other_hart(smp_hartid());
	int64_t lat[SAMPLES], send[SAMPLES];

	if (other < 0 || other >= GUEST_MAX_HARTS) {
		skipped(name, "needs a second hart");
		return;
	}
	ipi_ready = ipi_done = ipi_stop = 0;
	fence();
	if (smp_start_hart((unsigned long)other, ipi_receiver, idle).error != SBI_SUCCESS) {
		skipped(name, "hart_start failed");
		return;
	}
	for (unsigned i = 0; i < SAMPLES; i++) {
		int64_t off;
		uint64_t t0, t1;

		nap_arm(NAP_TICKS);
		nap_until(&ipi_ready, 1, NAP_TICKS);
		ipi_ready = 0;
		fence();
		off = clock_offset();
		nap_arm(NAP_TICKS);
		t0 = rdinstret();
		sbi_send_ipi(1UL << other, 0);
		t1 = rdinstret();
		nap_until(&ipi_done, i + 1, NAP_TICKS);
		fence();
		send[i] = (int64_t)(t1 - t0);
		lat[i] = ipi_entry_ns - ((int64_t)t0 - off);
	}
	nap_arm(NAP_TICKS);
	nap_until(&ipi_ready, 1, NAP_TICKS);
	ipi_stop = 1;
	fence();
	sbi_send_ipi(1UL << other, 0);
	if (!smp_wait_status((unsigned long)other, SBI_HSM_STOPPED, 5000))
		printf("bench_irq: hart %ld did not stop\n", other);
	print_samples(name, "ns", lat, SAMPLES);
	if (report_send)
		print_samples("ipi_send", "ns", send, SAMPLES);
}

static bool has_sstc(void)
{
	trap_expect_begin();
	(void)csr_read(stimecmp);
	return !trap_expect_end(0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	tb_hz = plat_timebase_hz();
	printf("bench_irq: hart %lu, timebase %lu Hz, %u samples per figure\n", hartid,
	       (unsigned long)tb_hz, SAMPLES);
	if (counter_instret() < 0) {
		printf("{\"bench\":\"irq_error\",\"error\":\"instret not readable\"}\n");
		test_shutdown(true);
	}
	check_clock();
	if (has_sstc()) {
		bench_timer("timer_sstc", ARM_SSTC, false);
		bench_timer("timer_sstc_idle", ARM_SSTC, true);
	} else {
		skipped("timer_sstc", "no Sstc");
		skipped("timer_sstc_idle", "no Sstc");
	}
	bench_timer("timer_sbi", ARM_SBI, false);
	bench_timer("timer_sbi_idle", ARM_SBI, true);
	bench_ipi("ipi", false, true);
	bench_ipi("ipi_idle", true, false);
	printf("{\"bench\":\"irq_done\"}\n");
	test_shutdown(false);
}
