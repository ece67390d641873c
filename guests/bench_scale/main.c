// SPDX-License-Identifier: MIT
/*
 * bench_scale: a fixed amount of CPU-bound work (no traps, no I/O while timed) for the
 * scaling benchmark, where 1 to 8 copies run as equal-weight VMs on 2 physical CPUs. The
 * work is ROUNDS passes of a multiply/xorshift hash chain over a 16 KiB table per hart that
 * fits the cache; each pass depends on the previous one. Every hart the SBI reports runs one
 * copy (natively: each QEMU hart, the machine's full throughput; in a one-vCPU VM: one copy),
 * and each prints
 *   {"bench":"scale","hart":H,"rounds":R,"result":X,"t0":T0,"t1":T1,"ticks":T1-T0,
 *    "timebase_hz":F}
 * with `time` at the start and end of its work (guest time: each VM's clock starts at its own
 * creation, so only differences are comparable across VMs). The boot hart shuts down once
 * every copy has reported.
 */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "spinlock.h"
#include "test.h"

#define TABLE_WORDS 2048
#define ROUNDS      120000

/*
 * Page-aligned, so no table shares a page with code: QEMU's TCG treats stores to a page that
 * holds translated code as possible self-modification and slows them down, which made the
 * copy whose table followed .text several times slower than the others.
 */
static uint64_t tables[GUEST_MAX_HARTS][TABLE_WORDS] __attribute__((aligned(4096)));
static volatile uint32_t finished;

static uint64_t pass(uint64_t *table, uint64_t h)
{
	for (unsigned i = 0; i < TABLE_WORDS; i++) {
		uint64_t x = table[(h ^ i) & (TABLE_WORDS - 1)] + h;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		h = x * 0x9E3779B97F4A7C15ULL + i;
		table[i] = x;
	}
	return h;
}

static void work(unsigned long hartid, unsigned long unused)
{
	uint64_t *table = tables[hartid % GUEST_MAX_HARTS];
	uint64_t h = 0x243F6A8885A308D3ULL, t0, t1;

	(void)unused;
	for (unsigned i = 0; i < TABLE_WORDS; i++)
		table[i] = (uint64_t)i * 0x2545F4914F6CDD1DULL;
	t0 = rdtime();
	for (unsigned r = 0; r < ROUNDS; r++)
		h = pass(table, h);
	t1 = rdtime();
	/* 32-bit so every JSON reader keeps it exact. */
	printf("{\"bench\":\"scale\",\"hart\":%lu,\"rounds\":%u,\"result\":%u,\"t0\":%lu,"
	       "\"t1\":%lu,\"ticks\":%lu,\"timebase_hz\":%lu}\n",
	       hartid, ROUNDS, (uint32_t)(h ^ (h >> 32)), (unsigned long)t0, (unsigned long)t1,
	       (unsigned long)(t1 - t0), (unsigned long)plat_timebase_hz());
	atomic_add32(&finished, 1);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	uint32_t copies = 1;

	(void)dtb;
	for (unsigned long id = 0; id < GUEST_MAX_HARTS; id++)
		if (id != hartid && sbi_hart_get_status(id).error == SBI_SUCCESS &&
		    smp_start_hart(id, work, 0).error == SBI_SUCCESS)
			copies++;
	printf("bench_scale: hart %lu, %u copies of %u rounds\n", hartid, copies, ROUNDS);
	work(hartid, 0);
	while (finished < copies)
		cpu_relax();
	test_shutdown(false);
}
