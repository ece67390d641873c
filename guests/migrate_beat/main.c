// SPDX-License-Identifier: MIT
/*
 * migrate_beat: the subject of the live-migration tests (tests/integration/test_migrate.py)
 * and benchmark (bench/fvbench/migrate.py). Two harts compute deterministic hash chains over
 * 1 MiB tables each (so the VM keeps dirtying memory while it is copied), in rounds they
 * finish together; after each round hart 0 prints "progress R/N t=TICKS d=HEX", where d is
 * a digest of everything computed so far (both chains, both tables, the ballast). Meanwhile
 * it prints "beat N t=TICKS" with its own clock every 10 ms or so of guest time. A ballast of
 * non-zero pages written once at the start makes the VM's RAM worth copying. The digests
 * depend only on the work: a VM migrated mid-way prints, for every round, the digest an
 * uninterrupted run prints for it. N is large: the tests compare a few rounds and stop.
 */
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"

#define ROUNDS  1000u
#define STEPS   2000000u /* per round and hart, in slices of SLICE */
#define SLICE   250u
#define WORDS   (128u * 1024u) /* 1 MiB table per hart */
#define BALLAST (4u << 20)     /* bytes written once */

static uint64_t table[2][WORDS];
static uint64_t ballast[BALLAST / 8];
static volatile uint64_t x1;           /* hart 1's chain after its last round */
static volatile unsigned rounds1, go1; /* hart 1 finished / may start round go1 */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static uint64_t chain(uint64_t *t, uint64_t x, unsigned steps)
{
	for (unsigned i = 0; i < steps; i++) {
		unsigned idx = (unsigned)(x % WORDS);
		t[idx] ^= x;
		x = mix(x + t[(idx * 7u + 1u) % WORDS]);
	}
	return x;
}

static void hart1(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	uint64_t x = opaque;
	for (unsigned r = 0; r < ROUNDS; r++) {
		while (go1 < r + 1)
			__asm__ volatile("" ::: "memory");
		x = chain(table[1], x, STEPS);
		x1 = x;
		__sync_synchronize();
		rounds1 = r + 1;
	}
	for (;;)
		__asm__ volatile("wfi");
}

static uint64_t digest(uint64_t x0)
{
	uint64_t d = mix(x0 ^ mix(x1));
	for (unsigned h = 0; h < 2; h++)
		for (unsigned i = 0; i < WORDS; i++)
			d = mix(d ^ table[h][i]);
	for (unsigned long i = 0; i < BALLAST / 8; i += 512)
		d = mix(d ^ ballast[i]);
	return d;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("migrate_beat: start (%u rounds)\n", ROUNDS);
	/* One non-zero word per 4 KiB page, all of them distinct. */
	for (unsigned long i = 0; i < BALLAST / 8; i += 512)
		ballast[i] = mix(i + 1);
	long other = smp_find_other_hart(hartid);
	if (other < 0 || smp_start_hart((unsigned long)other, hart1, 0xbea71).error != 0) {
		printf("migrate_beat: needs two harts\n");
		for (;;)
			__asm__ volatile("wfi");
	}
	/* The heartbeat: about every 10 ms of guest time (printing is an exit per byte: more would
	 * slow the host more than the guest) (the timebase is 10 MHz). */
	const uint64_t period = 100000;
	uint64_t x = 0xbea70, next = rdtime() + period, beats = 0;
	for (unsigned r = 0; r < ROUNDS; r++) {
		go1 = r + 1;
		for (unsigned s = 0; s < STEPS; s += SLICE) {
			x = chain(table[0], x, SLICE);
			uint64_t now = rdtime();
			if (now >= next) {
				printf("beat %lu t=%lu\n", (unsigned long)++beats,
				       (unsigned long)now);
				next = now + period;
			}
		}
		while (rounds1 < r + 1)
			__asm__ volatile("" ::: "memory");
		__sync_synchronize();
		printf("progress %u/%u t=%lu d=%016lx\n", r + 1, ROUNDS, (unsigned long)rdtime(),
		       (unsigned long)digest(x));
	}
	printf("migrate_beat: done\n");
	for (;;)
		__asm__ volatile("wfi");
}
