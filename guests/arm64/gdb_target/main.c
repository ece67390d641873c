// SPDX-License-Identifier: MIT
/*
 * gdb_target for arm64: the guest test_arm64_gdb.py debugs, the twin of guests/gdb_target
 * (built with symbols, build/arm64/guests/gdb_target.elf). Both vCPUs turn the MMU on with
 * tables of their own: TTBR0 maps the first 2 GiB flat (39-bit VA, 1 GiB blocks: devices,
 * then RAM), TTBR1 maps the image's 2 MiB again at GDB_ALIAS (48-bit VA, four levels down
 * to 4 KiB pages), so the debugger's reads by either address go through a stage-1 walk.
 * vCPU 0 starts vCPU 1, which spins counting in gdb_page.second_count; vCPU 0 loops
 * calling gdb_break_here() and
 *  - prints "gdb_target: flag=N maxgap_ms=M" once the debugger set gdb_page.flag, M the
 *    longest stretch of guest time between two rounds (a halt must not show as a jump);
 *  - adds 2 to gdb_page.watched every 100 ms of guest time (the watchpoint target);
 *  - executes its own BRK #0x123 every round and checks its vector got it;
 *  - prints "gdb_target: tick N brks=B" about every 500 ms of guest time.
 * The watched variables share one page with nothing else (no stack, no other data), so
 * the test knows which accesses a watchpoint there traps.
 */
#include "guest.h"

#define PSCI_CPU_ON 0xc4000003UL
#define GDB_ALIAS   0xffff800040200000UL /* TTBR1 alias of 0x40200000.. (2 MiB) */
#define IMAGE_BASE  0x40200000UL

struct gdb_page {
	uint64_t watched; /* += 2 every 100 ms */
	uint64_t flag;    /* set by the debugger */
	uint64_t second_count;
	uint8_t pad[4096 - 24];
};

volatile struct gdb_page gdb_page __attribute__((aligned(4096)));
volatile uint64_t gdb_counter, gdb_round;
volatile uint64_t gdb_magic = 0x1122334455667788ULL;
static volatile uint64_t own_brks;

static uint64_t l1_lo[512] __attribute__((aligned(4096)));
static uint64_t l0_hi[512] __attribute__((aligned(4096)));
static uint64_t l1_hi[512] __attribute__((aligned(4096)));
static uint64_t l2_hi[512] __attribute__((aligned(4096)));
static uint64_t l3_hi[512] __attribute__((aligned(4096)));

extern char gdb_vectors[];
extern char _start[];
void gdb_break_here(uint64_t round);
uint64_t gdb_sync(uint64_t esr, uint64_t elr);

__attribute__((noinline)) void gdb_break_here(uint64_t round)
{
	gdb_round = round;
	__asm__ volatile("" ::: "memory");
}

/* The guest's own BRK #0x123 (EC 0x3c, ISS 0x123): counted and stepped over. */
uint64_t gdb_sync(uint64_t esr, uint64_t elr)
{
	if ((esr >> 26) == 0x3c && (esr & 0xffff) == 0x123) {
		own_brks++;
		return elr + 4;
	}
	guest_unexpected(4, esr, elr);
	for (;;)
		__asm__ volatile("wfi");
}

void guest_irq(void)
{
}

static uint64_t now(void)
{
	uint64_t t;
	__asm__ volatile("isb\n mrs %0, cntvct_el0" : "=r"(t));
	return t;
}

static uint64_t freq(void)
{
	uint64_t f;
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

#define DESC_TABLE 3ULL
#define DESC_BLOCK 1ULL
#define DESC_PAGE  3ULL
#define DESC_AF    (1ULL << 10)
#define DESC_SH    (3ULL << 8)
#define ATTR_DEV   (1ULL << 2) /* MAIR index 1 */

static void build_tables(void)
{
	l1_lo[0] = 0x0 | ATTR_DEV | DESC_AF | DESC_BLOCK;
	l1_lo[1] = 0x40000000UL | DESC_SH | DESC_AF | DESC_BLOCK;
	l0_hi[(GDB_ALIAS >> 39) & 511] = (uint64_t)l1_hi | DESC_TABLE;
	l1_hi[(GDB_ALIAS >> 30) & 511] = (uint64_t)l2_hi | DESC_TABLE;
	l2_hi[(GDB_ALIAS >> 21) & 511] = (uint64_t)l3_hi | DESC_TABLE;
	for (unsigned i = 0; i < 512; i++)
		l3_hi[i] = (IMAGE_BASE + i * 4096UL) | DESC_SH | DESC_AF | DESC_PAGE;
	__asm__ volatile("dsb ish" ::: "memory");
}

static void mmu_on(void)
{
	/* T0SZ 25 (39-bit, 4 KiB), T1SZ 16 (48-bit, TG1 4 KiB), WBWA inner shareable walks,
	 * IPS 40 bits. */
	uint64_t tcr = 25 | (1UL << 8) | (1UL << 10) | (3UL << 12) | (16UL << 16) | (1UL << 24) |
	               (1UL << 26) | (3UL << 28) | (2UL << 30) | (2UL << 32);
	__asm__ volatile("msr mair_el1, %0\n msr tcr_el1, %1\n msr ttbr0_el1, %2\n"
	                 "msr ttbr1_el1, %3\n msr vbar_el1, %4\n isb\n tlbi vmalle1\n dsb nsh\n isb"
	                 :
	                 : "r"(0x00ffUL), "r"(tcr), "r"(l1_lo), "r"(l0_hi), "r"(gdb_vectors)
	                 : "memory");
	uint64_t sctlr;
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr |= 1UL | (1UL << 2) | (1UL << 12); /* M, C, I */
	__asm__ volatile("msr sctlr_el1, %0\n isb" : : "r"(sctlr) : "memory");
}

void guest_secondary(uint64_t cpu, uint64_t context)
{
	(void)cpu;
	(void)context;
	mmu_on();
	for (;;)
		gdb_page.second_count++;
}

void guest_main(uint64_t dtb)
{
	(void)dtb;
	build_tables();
	mmu_on();
	if (psci_call(PSCI_CPU_ON, 1, (uint64_t)_start, 0) != 0)
		con_puts("gdb_target: no second vCPU\n");
	con_puts(gdb_magic == 0x1122334455667788ULL ? "gdb_target: ready, MMU on\n"
	                                            : "gdb_target: magic damaged\n");
	uint64_t hz = freq(), last = now(), next_tick = last + hz / 2, maxgap = 0;
	uint64_t ticks = 0, flag_seen = 0, next_watch = last, brks = 0;
	for (uint64_t round = 0;; round++) {
		gdb_break_here(round);
		gdb_counter++;
		uint64_t before = own_brks;
		__asm__ volatile("brk #0x123" ::: "memory");
		if (own_brks == before + 1)
			brks++;
		else {
			con_puts("gdb_target: own brk NOT delivered in round ");
			con_dec((int64_t)round);
			con_puts("\n");
		}
		uint64_t t = now();
		if (t >= next_watch) {
			gdb_page.watched += 2;
			next_watch = t + hz / 10;
		}
		if (t - last > maxgap)
			maxgap = t - last;
		last = t;
		if (gdb_page.flag != flag_seen) {
			flag_seen = gdb_page.flag;
			con_puts("gdb_target: flag=");
			con_dec((int64_t)flag_seen);
			con_puts(" maxgap_ms=");
			con_dec((int64_t)(maxgap * 1000 / hz));
			con_puts("\n");
		}
		if (t >= next_tick) {
			next_tick = t + hz / 2;
			con_puts("gdb_target: tick ");
			con_dec((int64_t)++ticks);
			con_puts(" brks=");
			con_dec((int64_t)brks);
			con_puts("\n");
		}
	}
}
