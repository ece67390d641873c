// SPDX-License-Identifier: MIT
/*
 * gdb_target: the guest the gdb integration test debugs (built with symbols,
 * build/guests/gdb_target.elf). The boot hart starts the second hart, which
 * spins counting in second_spin(); the boot hart loops calling
 * gdb_break_here(), counting in gdb_counter, and
 *  - prints "gdb_target: flag=N maxgap_ms=M" once the debugger set
 *    gdb_flag (`set var gdb_flag = N`), M being the longest stretch of guest
 *    time between two loop rounds seen so far (a halt must not show as a
 *    jump of the guest clock);
 *  - adds 2 to gdb_watched every 100 ms of guest time (the watchpoint target);
 *  - executes its own ebreak every round and checks that it got the
 *    breakpoint exception itself (with or without a debugger attached);
 *  - prints "gdb_target: tick N ebreaks=E" about every 500 ms of guest time.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "trap.h"

volatile uint64_t gdb_counter;
volatile uint64_t gdb_flag;
volatile uint64_t gdb_second_count;
volatile uint64_t gdb_watched; /* += 2 every 100 ms: the test's watchpoint target */
volatile uint64_t gdb_round;

void gdb_break_here(uint64_t round);
void second_spin(unsigned long hartid, unsigned long opaque);

__attribute__((noinline)) void gdb_break_here(uint64_t round)
{
	gdb_round = round;
	__asm__ volatile("" ::: "memory");
}

void second_spin(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	for (;;)
		gdb_second_count++;
}

/* The guest's own ebreak: its handler must see scause 3, wherever a debugger is. */
static bool own_ebreak(void)
{
	struct trap_record rec;
	trap_expect_begin();
	__asm__ volatile("ebreak" ::: "memory");
	return trap_expect_end(&rec) && rec.scause == 3;
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	long other = smp_find_other_hart(hartid);
	if (other >= 0)
		smp_start_hart((unsigned long)other, second_spin, 0);
	printf("gdb_target: ready on hart %lu\n", hartid);
	uint64_t last = rdtime(), next_tick = last + plat_ms_to_ticks(500), maxgap = 0;
	uint64_t ebreaks = 0, ticks = 0, flag_seen = 0, next_watch = last;
	for (uint64_t round = 0;; round++) {
		gdb_break_here(round);
		gdb_counter++;
		if (own_ebreak())
			ebreaks++;
		else
			printf("gdb_target: own ebreak NOT delivered in round %lu\n",
			       (unsigned long)round);
		uint64_t now = rdtime();
		/*
		 * Rarely, so that a watchpoint on it leaves the guest running a while
		 * (hart 1 meanwhile writes the same page all the time).
		 */
		if (now >= next_watch) {
			gdb_watched += 2;
			next_watch = now + plat_ms_to_ticks(100);
		}
		if (now - last > maxgap)
			maxgap = now - last;
		last = now;
		if (gdb_flag != flag_seen) {
			flag_seen = gdb_flag;
			printf("gdb_target: flag=%lu maxgap_ms=%lu\n", (unsigned long)flag_seen,
			       (unsigned long)(maxgap * 1000 / plat_timebase_hz()));
		}
		if (now >= next_tick) {
			next_tick = now + plat_ms_to_ticks(500);
			printf("gdb_target: tick %lu ebreaks=%lu\n", (unsigned long)++ticks,
			       (unsigned long)ebreaks);
		}
	}
}
