// SPDX-License-Identifier: MIT
/*
 * bench_sbi: cost of a null SBI call (BASE get_spec_version), meant to run under
 * `-icount shift=0` so instret/cycles are deterministic path lengths. Prints two JSON lines,
 * the bare loop and the ecall loop of the same iteration count, each with instret, cycles and
 * time deltas (-1 where a counter is not readable), then shuts down.
 */
#include <stdint.h>

#include "counters.h"
#include "loops.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "test.h"

#define ITERS 10000UL

struct sample {
	int64_t instret;
	int64_t cycles;
	int64_t time;
};

static struct sample now(void)
{
	struct sample s;

	s.time = counter_time();
	s.cycles = counter_cycle();
	s.instret = counter_instret();
	return s;
}

static int64_t delta(int64_t a, int64_t b)
{
	return a < 0 || b < 0 ? -1 : b - a;
}

static void measure(const char *name, void (*loop)(unsigned long))
{
	struct sample a, b;

	a = now();
	loop(ITERS);
	b = now();
	printf("{\"bench\":\"%s\",\"iters\":%lu,\"instret\":%ld,\"cycles\":%ld,"
	       "\"time_ticks\":%ld,\"timebase_hz\":%lu}\n",
	       name, ITERS, (long)delta(a.instret, b.instret), (long)delta(a.cycles, b.cycles),
	       (long)delta(a.time, b.time), (unsigned long)plat_timebase_hz());
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("bench_sbi: hart %lu, %lu iterations\n", hartid, ITERS);
	/* Warm up (first-touch effects in QEMU's translation cache and in the hypervisor). */
	bench_bare_loop(100);
	bench_ecall_loop(100);
	measure("sbi_null_loop", bench_bare_loop);
	measure("sbi_null", bench_ecall_loop);
	test_shutdown(false);
}
