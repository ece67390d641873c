// SPDX-License-Identifier: MIT
/*
 * fpu_test: FP register integrity across whatever the hypervisor does while a vCPU runs
 * (context switches, trap handling, interrupt injection). Each hart fills f0-f31 with
 * hart-specific values and fcsr with a hart-specific rounding mode, then for ~3 s runs exact
 * FP arithmetic (results known: every register returns to its value) and periodically checks
 * all 32 registers bit for bit plus fcsr. A 10 ms guest timer keeps traps coming meanwhile.
 * A self-check first proves the checker detects a changed register and changed fflags.
 * This C file never uses floating point; the FP work and checks are in fpu.S.
 */
#include <stdint.h>

#include "csr.h"
#include "fpu.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "test.h"
#include "trap.h"

#define RUN_MS      3000
#define TICK_MS     10
#define REPORT_MS   500
#define WORK_ROUNDS 64

struct fpu_result {
	volatile uint64_t done;
	volatile uint64_t iterations;
	volatile uint64_t bad_mask;
	volatile uint64_t bad_fcsr;
	volatile uint64_t timer_irqs;
	volatile uint64_t selfcheck_ok;
};

static struct fpu_result results[2];

/* IEEE-754 double bits of n/4 for 0 < n < 2^52 (integer arithmetic only). */
static uint64_t double_quarters(uint64_t n)
{
	int msb = 63 - __builtin_clzll(n);
	uint64_t exp = (uint64_t)(1023 + msb - 2);
	uint64_t mant = (n << (52 - msb)) & ((1ULL << 52) - 1);

	return (exp << 52) | mant;
}

static void on_tick(void)
{
	sbi_set_timer(rdtime() + plat_ms_to_ticks(TICK_MS));
}

static void fpu_run(unsigned long hartid, struct fpu_result *res)
{
	uint64_t pat[32];
	struct trap_hart *h = trap_hart_state();
	/* Rounding mode 1..4 (RTZ, RDN, RUP, RMM) by hart; fflags must stay 0. */
	unsigned long want_fcsr = ((hartid % 4) + 1) << 5;
	uint64_t irq0, end, next_report, it = 0, mask = 0;
	unsigned long fcsr = want_fcsr;

	for (unsigned int i = 0; i < 32; i++)
		pat[i] = double_quarters(4 * (1000 * (hartid + 1) + 37 * i) + 1 + (i % 3));

	/* Self-check: the checker must see a changed register and a changed fcsr. */
	fpu_load(pat);
	fpu_write_fcsr(want_fcsr);
	bool ok = fpu_verify(pat) == 0 && fpu_read_fcsr() == want_fcsr;
	fpu_corrupt(7);
	ok = ok && fpu_verify(pat) == (1ULL << 7);
	fpu_load(pat);
	fpu_corrupt(31);
	ok = ok && fpu_verify(pat) == (1ULL << 31);
	fpu_load(pat);
	fpu_write_fcsr(want_fcsr | 1); /* NX */
	ok = ok && fpu_read_fcsr() != want_fcsr;
	fpu_write_fcsr(want_fcsr);
	fpu_work(1);
	ok = ok && fpu_verify(pat) == 0 && fpu_read_fcsr() == want_fcsr;
	res->selfcheck_ok = ok;
	printf("fpu_test: hart %lu self-check %s\n", hartid, ok ? "ok" : "BROKEN");

	irq0 = h->timer_count;
	csr_set(sie, SIE_STIE);
	sbi_set_timer(rdtime() + plat_ms_to_ticks(TICK_MS));
	irq_enable();

	end = rdtime() + plat_ms_to_ticks(RUN_MS);
	next_report = rdtime() + plat_ms_to_ticks(REPORT_MS);
	while (rdtime() < end) {
		fpu_work(WORK_ROUNDS);
		mask = fpu_verify(pat);
		fcsr = fpu_read_fcsr();
		it++;
		if (mask || fcsr != want_fcsr)
			break;
		if (rdtime() >= next_report) {
			printf("fpu_test: hart %lu iteration %lu ok, %lu timer irqs\n", hartid,
			       (unsigned long)it, (unsigned long)(h->timer_count - irq0));
			next_report += plat_ms_to_ticks(REPORT_MS);
		}
	}
	irq_disable();
	sbi_set_timer(UINT64_MAX);
	res->iterations = it;
	res->bad_mask = mask;
	res->bad_fcsr = fcsr != want_fcsr ? fcsr : 0;
	res->timer_irqs = h->timer_count - irq0;
	if (mask || fcsr != want_fcsr)
		printf("fpu_test: hart %lu CORRUPTION at iteration %lu: reg mask 0x%lx fcsr 0x%lx "
		       "(want 0x%lx)\n",
		       hartid, (unsigned long)it, (unsigned long)mask, fcsr, want_fcsr);
	__asm__ volatile("fence rw, rw" : : : "memory");
	res->done = 1;
}

static void b_main(unsigned long hartid, unsigned long opaque)
{
	(void)opaque;
	fpu_run(hartid, &results[1]);
}

static void report(const char *who, struct fpu_result *r)
{
	char name[64];

	snprintf(name, sizeof(name), "fpu_selfcheck_%s", who);
	test_check(r->selfcheck_ok, name);
	snprintf(name, sizeof(name), "fpu_regs_intact_%s", who);
	test_checkf(r->bad_mask == 0, name, "corrupted register mask 0x%lx at iteration %lu",
	            (unsigned long)r->bad_mask, (unsigned long)r->iterations);
	snprintf(name, sizeof(name), "fpu_fcsr_intact_%s", who);
	test_checkf(r->bad_fcsr == 0, name, "fcsr 0x%lx", (unsigned long)r->bad_fcsr);
	snprintf(name, sizeof(name), "fpu_timer_irqs_during_run_%s", who);
	test_checkf(r->timer_irqs >= 10, name, "only %lu", (unsigned long)r->timer_irqs);
	printf("fpu_test: %s: %lu iterations, %lu timer irqs\n", who, (unsigned long)r->iterations,
	       (unsigned long)r->timer_irqs);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	long other;
	uint64_t deadline;

	(void)dtb;
	trap_set_timer_hook(on_tick);
	other = smp_find_other_hart(hartid);
	if (other >= 0) {
		struct sbiret r = smp_start_hart((unsigned long)other, b_main, 0);
		test_check_eq("fpu_start_other_hart", r.error, SBI_SUCCESS);
	} else {
		printf("fpu_test: single hart\n");
	}
	fpu_run(hartid, &results[0]);
	report("boot_hart", &results[0]);
	if (other >= 0) {
		deadline = rdtime() + plat_ms_to_ticks(20000);
		while (!results[1].done && rdtime() < deadline)
			cpu_relax();
		__asm__ volatile("fence rw, rw" : : : "memory");
		if (test_check(results[1].done, "fpu_other_hart_finished"))
			report("other_hart", &results[1]);
	}
	test_finish();
}
