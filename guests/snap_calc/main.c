// SPDX-License-Identifier: MIT
/*
 * snap_calc: a long deterministic computation on two harts, the subject of
 * the snapshot tests (tests/integration/test_snapshot.py). Each hart runs its
 * own hash chain over a 64 KiB table in RAM (hart 0 also folds the chain into
 * a floating-point accumulator, so FP state matters); hart 0 prints
 * "progress R/N t=TICKS" after each of N rounds with the guest clock, then
 * waits for hart 1 and prints "digest HEX". The digest depends only on the
 * work, never on timing: a VM saved mid-way and restored must print the same
 * digest as one that ran straight through, and its clock must continue.
 */
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"

#define ROUNDS 40u
#define STEPS  2000000u /* per round */
#define WORDS  8192u    /* 64 KiB table per hart */

static uint64_t table[2][WORDS];
static volatile uint64_t digest1;
static volatile unsigned done1;
static volatile unsigned rounds1;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static uint64_t chain(uint64_t *t, uint64_t x, unsigned steps, double *acc)
{
	for (unsigned i = 0; i < steps; i++) {
		unsigned idx = (unsigned)(x % WORDS);
		t[idx] ^= x;
		x = mix(x + t[(idx * 7u + 1u) % WORDS]);
		if (acc)
			*acc = *acc * 0.999999 + (double)(x & 0xffu);
	}
	return x;
}

static void hart1(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	uint64_t x = opaque;
	for (unsigned r = 0; r < ROUNDS; r++) {
		x = chain(table[1], x, STEPS, NULL);
		rounds1 = r + 1;
	}
	digest1 = x;
	__sync_synchronize();
	done1 = 1;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	printf("snap_calc: start (%u rounds)\n", ROUNDS);
	long other = smp_find_other_hart(hartid);
	bool two = other >= 0 && smp_start_hart((unsigned long)other, hart1, 0x5eed1).error == 0;
	if (!two)
		printf("snap_calc: one hart only\n");
	uint64_t x = 0x5eed0;
	double acc = 1.0;
	for (unsigned r = 0; r < ROUNDS; r++) {
		x = chain(table[0], x, STEPS, &acc);
		printf("progress %u/%u t=%lu\n", r + 1, ROUNDS, (unsigned long)rdtime());
	}
	if (two)
		while (!done1)
			__asm__ volatile("" ::: "memory");
	else
		hart1(hartid, 0x5eed1);
	union {
		double d;
		uint64_t u;
	} a = {.d = acc};
	uint64_t d = mix(x ^ mix(digest1) ^ mix(a.u));
	for (unsigned h = 0; h < 2; h++)
		for (unsigned i = 0; i < WORDS; i++)
			d = mix(d ^ table[h][i]);
	printf("digest %016lx harts %u\n", (unsigned long)d, two ? 2u : 1u);
	printf("snap_calc: done\n");
	for (;;)
		__asm__ volatile("wfi");
}
