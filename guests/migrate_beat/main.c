// SPDX-License-Identifier: MIT
/*
 * migrate_beat: the subject of the live-migration tests (tests/integration/test_migrate.py).
 * Two harts compute deterministic hash chains over 1 MiB tables each (so the VM keeps
 * dirtying memory while it is copied); hart 0 prints "beat N t=TICKS" with its own clock
 * every two milliseconds or so of guest time and "progress R/N" after each round of its fixed
 * work, then waits for hart 1 and prints "digest HEX". A ballast of non-zero pages written
 * once at the start makes the VM's RAM worth copying. The digest depends only on the work:
 * a VM migrated mid-way prints the digest of one that ran straight through.
 */
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"

#define ROUNDS  40u
#define STEPS   1500000u /* per round, in slices of SLICE */
#define SLICE   250u
#define WORDS   (128u * 1024u) /* 1 MiB table per hart */
#define BALLAST (24u << 20)    /* bytes written once */

static uint64_t table[2][WORDS];
static uint64_t ballast[BALLAST / 8];
static volatile uint64_t digest1;
static volatile unsigned done1;

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
	for (unsigned r = 0; r < ROUNDS; r++)
		x = chain(table[1], x, STEPS);
	digest1 = x;
	__sync_synchronize();
	done1 = 1;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("migrate_beat: start (%u rounds)\n", ROUNDS);
	/* One non-zero word per 4 KiB page, all of them distinct. */
	for (unsigned long i = 0; i < BALLAST / 8; i += 512)
		ballast[i] = mix(i + 1);
	long other = smp_find_other_hart(hartid);
	bool two = other >= 0 && smp_start_hart((unsigned long)other, hart1, 0xbea71).error == 0;
	if (!two)
		printf("migrate_beat: one hart only\n");
	/* The heartbeat: about every 2 ms of guest time (the timebase is 10 MHz). */
	const uint64_t period = 20000;
	uint64_t x = 0xbea70, next = rdtime() + period, beats = 0;
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned s = 0; s < STEPS; s += SLICE) {
			x = chain(table[0], x, SLICE);
			uint64_t now = rdtime();
			if (now >= next) {
				printf("beat %lu t=%lu\n", (unsigned long)++beats, (unsigned long)now);
				next = now + period;
			}
		}
		printf("progress %u/%u t=%lu\n", r + 1, ROUNDS, (unsigned long)rdtime());
	}
	if (two)
		while (!done1)
			__asm__ volatile("" ::: "memory");
	else
		hart1(hartid, 0xbea71);
	uint64_t d = mix(x ^ mix(digest1));
	for (unsigned h = 0; h < 2; h++)
		for (unsigned i = 0; i < WORDS; i++)
			d = mix(d ^ table[h][i]);
	for (unsigned long i = 0; i < BALLAST / 8; i += 512)
		d = mix(d ^ ballast[i]);
	printf("digest %016lx harts %u\n", (unsigned long)d, two ? 2u : 1u);
	printf("migrate_beat: done\n");
	for (;;)
		__asm__ volatile("wfi");
}
