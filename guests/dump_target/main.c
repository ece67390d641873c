// SPDX-License-Identifier: MIT
/*
 * dump_target: the guest the crash-dump test dumps (built with symbols,
 * build/guests/dump_target.elf). The boot hart starts the second hart and spins
 * in dump_spin() counting in dump_spins; the second hart (the boot hart itself
 * when there is no other) stores DUMP_MAGIC in dump_magic, prints
 * "dump_target: magic 0x... at 0x...", and panics three calls deep:
 * dump_crasher -> dump_level1 -> dump_level2 -> dump_level3 -> dump_panic (with
 * Sv39 paging on, see dump_paging_on),
 * which asks SBI SRST for a shutdown with reason "system failure". Ferrovisor
 * keeps the VM as crashed, with its RAM and registers, for a dump; the test opens
 * the dump with gdb and expects that call chain and the magic value.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"

#define DUMP_MAGIC 0xfe77d0c5c0ffee42ull

volatile uint64_t dump_magic;
/*
 * Hostile RAM for the dump to the host (tests/integration/test_hostdump.py): a complete
 * dump-stream END frame (hyp/core/dump_frame.h: FLAG, type 3, seq 1, status OK, 0 RAM
 * frames, a valid CRC-32C, FLAG), a short BEGIN, and stray ESC/FLAG bytes. Were the guest
 * able to shape the stream, the host would end the dump right after its BEGIN, with no RAM;
 * the test finds these bytes in the core instead, as data.
 */
volatile const uint8_t dump_forged[48] = {
    0x7e, 0x03, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x28, 0xd3, 0x77, 0x07, 0x7e, 0x7e, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x8a, 0xbd, 0x8b, 0x43, 0x7e, 0x7d, 0x7e, 0x7d, 0x7d,
};
volatile uint64_t dump_spins;
/* Never set: the panic does not return, yet may (for the compiler: no tail calls). */
volatile uint64_t dump_release;

/*
 * The crashing hart turns on Sv39 paging first, as a kernel would: identity gigapages for
 * the devices (0..1 GiB) and RAM (2..3 GiB), and RAM again in the upper half at
 * DUMP_KERNEL_VA (root entry 258), so the dump gets kernel-virtual segments to check.
 */
#define DUMP_KERNEL_VA 0xffffffc080000000ull
#define DUMP_PTE_LEAF  0xcfull /* V R W X A D */
static uint64_t dump_root[512] __attribute__((aligned(4096)));

static void dump_paging_on(void)
{
	dump_root[0] = ((0x00000000ull >> 12) << 10) | DUMP_PTE_LEAF;
	dump_root[2] = ((0x80000000ull >> 12) << 10) | DUMP_PTE_LEAF;
	dump_root[258] = ((0x80000000ull >> 12) << 10) | DUMP_PTE_LEAF;
	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, (8ull << 60) | ((uint64_t)(uintptr_t)dump_root >> 12));
	__asm__ volatile("sfence.vma" ::: "memory");
}

void dump_spin(unsigned long hartid, unsigned long opaque);
void dump_crasher(unsigned long hartid, unsigned long opaque);
void dump_panic(const char *why);
void dump_level1(uint64_t v);
void dump_level2(uint64_t v);
void dump_level3(uint64_t v);

__attribute__((noinline)) void dump_spin(unsigned long hartid, unsigned long opaque)
{
	(void)hartid;
	(void)opaque;
	for (;;)
		dump_spins++;
}

__attribute__((noinline)) void dump_panic(const char *why)
{
	printf("dump_target: panic: %s\n", why);
	sbi_ecall(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0, 0, 0, 0);
	printf("dump_target: still alive after the shutdown call\n");
	while (!dump_release)
		;
}

/* The empty asm after each call keeps it a call (no tail call): every level has a frame. */
__attribute__((noinline)) void dump_level3(uint64_t v)
{
	dump_magic = v;
	printf("dump_target: magic 0x%lx at 0x%lx\n", (unsigned long)dump_magic,
	       (unsigned long)(uintptr_t)&dump_magic);
	dump_panic("level 3 reached");
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void dump_level2(uint64_t v)
{
	dump_level3(v ^ 0x1111);
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void dump_level1(uint64_t v)
{
	dump_level2(v ^ 0x2222);
	__asm__ volatile("" ::: "memory");
}

void dump_crasher(unsigned long hartid, unsigned long opaque)
{
	(void)opaque;
	/* The other hart counts first: its frame is dump_spin in the dump. */
	while (dump_spins < 1000)
		;
	dump_paging_on();
	printf("dump_target: hart %lu crashing three calls deep (Sv39 on, RAM also at 0x%llx)\n",
	       hartid, DUMP_KERNEL_VA);
	dump_level1(DUMP_MAGIC ^ 0x1111 ^ 0x2222);
	__asm__ volatile("" ::: "memory");
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	(void)dump_forged[0]; /* kept by the linker (--gc-sections) */
	long other = smp_find_other_hart(hartid);
	if (other >= 0) {
		smp_start_hart((unsigned long)other, dump_crasher, 0);
		dump_spin(hartid, 0);
	}
	dump_spins = 1000;
	dump_crasher(hartid, 0);
}
