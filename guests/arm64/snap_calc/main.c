// SPDX-License-Identifier: MIT
/*
 * snap_calc on arm64: the twin of guests/snap_calc, the subject of the snapshot tests
 * (tests/integration/test_snapshot.py on arm64). Each vCPU runs its own hash chain over a
 * 64 KiB table in RAM; vCPU 0 prints "progress R/N t=TICKS" after each of N rounds with
 * the guest's virtual count, then waits for vCPU 1 and prints "digest HEX harts 2".
 *
 * FP/SIMD state must survive a snapshot: vCPU 0 keeps a floating-point accumulator in d16
 * (acc = acc * 0.999999 + (x & 0xff), rounded toward zero: FPCR.RMode set, so FPCR
 * matters too) and a 128-bit value in v20 that each round folds x into and rotates (both
 * halves of a Q register). The guests are built -mgeneral-regs-only: the compiler never
 * touches these registers, so they hold their values across all the C code between the
 * asm statements. The digest depends only on the work, never on timing.
 */
#include "guest.h"
#include "printf.h"

#define ROUNDS  40u
#define STEPS   2000000u /* per round */
#define WORDS   8192u    /* 64 KiB table per vCPU */
#define CPU_ON  0xc4000003UL
#define K_DECAY 0x3feffffde7210be9ULL /* 0.999999 */
#define RZ      (3ULL << 22)          /* FPCR.RMode: round toward zero */

extern char _start[]; /* common/start.S: where CPU_ON starts vCPU 1 */

static uint64_t table[2][WORDS];
static volatile uint64_t digest1;
static volatile unsigned done1;

void guest_irq(void)
{
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	return x ^ (x >> 33);
}

static uint64_t chain(uint64_t *t, uint64_t x, unsigned steps, bool fp)
{
	for (unsigned i = 0; i < steps; i++) {
		unsigned idx = (unsigned)(x % WORDS);
		t[idx] ^= x;
		x = mix(x + t[(idx * 7u + 1u) % WORDS]);
		if (fp)
			__asm__ volatile("ucvtf d17, %0\n fmul d16, d16, d18\n fadd d16, d16, d17"
			                 :
			                 : "r"(x & 0xffu)
			                 : "memory");
	}
	return x;
}

static uint64_t calc(unsigned which, uint64_t x)
{
	for (unsigned r = 0; r < ROUNDS; r++) {
		x = chain(table[which], x, STEPS, which == 0);
		if (which == 0) {
			__asm__ volatile("fmov d21, %0\n eor v20.16b, v20.16b, v21.16b\n"
			                 " ext v20.16b, v20.16b, v20.16b, #8"
			                 :
			                 : "r"(x)
			                 : "memory");
			uint64_t t;
			__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t));
			printf("progress %u/%u t=%lu\n", r + 1, ROUNDS, (unsigned long)t);
		}
	}
	return x;
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	digest1 = calc(1, context);
	__sync_synchronize();
	done1 = 1;
	for (;;)
		__asm__ volatile("wfi");
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	printf("snap_calc: start (%u rounds)\n", ROUNDS);
	uint64_t fpcr = RZ, one = 0x3ff0000000000000ULL, k = K_DECAY, zero = 0;
	__asm__ volatile("msr fpcr, %0\n fmov d16, %1\n fmov d18, %2\n fmov d20, %3\n"
	                 " mov v20.d[1], %3"
	                 :
	                 : "r"(fpcr), "r"(one), "r"(k), "r"(zero)
	                 : "memory");
	bool two = psci_call(CPU_ON, 1, (uint64_t)(uintptr_t)_start, 0x5eed1) == 0;
	if (!two)
		printf("snap_calc: one vCPU only\n");
	uint64_t x = calc(0, 0x5eed0);
	if (two)
		while (!done1)
			__asm__ volatile("" ::: "memory");
	else
		digest1 = calc(1, 0x5eed1);
	uint64_t acc, lo, hi, fpcr_now;
	__asm__ volatile("fmov %0, d16\n umov %1, v20.d[0]\n umov %2, v20.d[1]\n mrs %3, fpcr"
	                 : "=r"(acc), "=r"(lo), "=r"(hi), "=r"(fpcr_now));
	uint64_t d = mix(x ^ mix(digest1) ^ mix(acc) ^ mix(lo + 3 * hi) ^ fpcr_now);
	for (unsigned h = 0; h < 2; h++)
		for (unsigned i = 0; i < WORDS; i++)
			d = mix(d ^ table[h][i]);
	printf("digest %016lx harts %u\n", (unsigned long)d, two ? 2u : 1u);
	printf("snap_calc: done\n");
	for (;;)
		__asm__ volatile("wfi");
}
