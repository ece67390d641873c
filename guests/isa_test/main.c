// SPDX-License-Identifier: MIT
/*
 * isa_test: the extensions a VM's device tree offers, used in (V)S-mode, where the guest
 * kernel uses them: Zicboz/Zicbom/Zicbop cache-block instructions (need henvcfg.CBZE/CBCFE/
 * CBIE under Ferrovisor, menvcfg natively), Zawrs (wrs.nto traps to the hypervisor under
 * hstatus.VTW and must complete), Zba/Zbb/Zbs and Zicond-free bit manipulation, and that
 * H instructions and CSRs are illegal for the guest. Runs natively on OpenSBI with the same
 * results (QEMU -cpu rv64). U-mode use is checked by guests/linux-userland/fv-cpucheck.c.
 */
#include <stdint.h>

#include "plat.h"
#include "printf.h"
#include "test.h"
#include "trap.h"

#define BLOCK            64 /* riscv,cbo*-block-size on QEMU virt */
#define EXC_ILLEGAL_INST 2

static uint8_t buf[3 * 4096] __attribute__((aligned(4096)));

/* Run one instruction sequence; true if it trapped (the trap handler skips it). */
#define TRAPS(asm_stmt)                                                                            \
	({                                                                                         \
		struct trap_record rec_;                                                           \
		trap_expect_begin();                                                               \
		asm_stmt;                                                                          \
		bool t_ = trap_expect_end(&rec_);                                                  \
		last_cause = rec_.scause;                                                          \
		t_;                                                                                \
	})

static unsigned long last_cause;

static void fill(uint8_t v)
{
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = v;
}

/* Bytes of buf equal to v in [from, to) */
static unsigned count(uint8_t v, unsigned from, unsigned to)
{
	unsigned n = 0;

	for (unsigned i = from; i < to; i++)
		n += buf[i] == v;
	return n;
}

static void check_cbo(void)
{
	uint8_t *blk = buf + 4096;

	fill(0xaa);
	test_check(!TRAPS(__asm__ volatile(".insn i 0x0f, 2, x0, %0, 4"
	                                   :
	                                   : "r"(blk + 8)
	                                   : "memory")),
	           "isa.zicboz.cbo_zero.no_trap");
	test_checkf(count(0, 4096, 4096 + BLOCK) == BLOCK && count(0xaa, 0, 4096) == 4096 &&
	                count(0xaa, 4096 + BLOCK, sizeof(buf)) == sizeof(buf) - 4096 - BLOCK,
	            "isa.zicboz.cbo_zero.one_block", "zeroed %u of the block, %u outside",
	            count(0, 4096, 4096 + BLOCK),
	            count(0, 0, sizeof(buf)) - count(0, 4096, 4096 + BLOCK));
	test_check(!TRAPS(__asm__ volatile(".insn i 0x0f, 2, x0, %0, 1"
	                                   :
	                                   : "r"(blk)
	                                   : "memory")),
	           "isa.zicbom.cbo_clean.no_trap");
	test_check(!TRAPS(__asm__ volatile(".insn i 0x0f, 2, x0, %0, 2"
	                                   :
	                                   : "r"(blk)
	                                   : "memory")),
	           "isa.zicbom.cbo_flush.no_trap");
	blk[0] = 0x5a;
	test_check(!TRAPS(__asm__ volatile(".insn i 0x0f, 2, x0, %0, 0"
	                                   :
	                                   : "r"(blk)
	                                   : "memory")),
	           "isa.zicbom.cbo_inval.no_trap");
	test_check(!TRAPS(__asm__ volatile(".insn i 0x13, 6, x0, %0, 0\n"
	                                   ".insn i 0x13, 6, x0, %0, 1\n"
	                                   ".insn i 0x13, 6, x0, %0, 3"
	                                   :
	                                   : "r"(blk))),
	           "isa.zicbop.prefetch.no_trap");
}

static void check_zawrs(void)
{
	volatile uint64_t word = 7;
	uint64_t t = 0;

	/* Each wrs after a reservation, many times: every one must complete, none may fault. */
	bool trapped = false;
	for (int i = 0; i < 100 && !trapped; i++) {
		trapped = TRAPS(__asm__ volatile("lr.d %0, (%1)\n .4byte 0x00d00073"
		                                 : "=r"(t)
		                                 : "r"(&word)
		                                 : "memory"));
		trapped = trapped || TRAPS(__asm__ volatile("lr.d %0, (%1)\n .4byte 0x01d00073"
		                                            : "=r"(t)
		                                            : "r"(&word)
		                                            : "memory"));
	}
	test_checkf(!trapped, "isa.zawrs.wrs.completes", "trap cause %lu", last_cause);
	test_check_eq("isa.zawrs.wrs.reservation_word", (long)t, 7);
}

static void check_bitmanip(void)
{
	uint64_t a = 0x8000000123456789ULL, b = 0xfffffffdULL, r;

	__asm__ volatile(".option push\n.option arch, +zba\nsh3add %0, %1, %2\n.option pop"
	                 : "=r"(r)
	                 : "r"(a), "r"(b));
	test_checkf(r == 0x0000000a1a2b3c45ULL, "isa.zba.sh3add", "0x%lx", (unsigned long)r);
	__asm__ volatile(".option push\n.option arch, +zbb\nrev8 %0, %1\n.option pop"
	                 : "=r"(r)
	                 : "r"(a));
	test_checkf(r == 0x8967452301000080ULL, "isa.zbb.rev8", "0x%lx", (unsigned long)r);
	__asm__ volatile(".option push\n.option arch, +zbs\nbinv %0, %1, %2\n.option pop"
	                 : "=r"(r)
	                 : "r"(a), "r"(37UL));
	test_checkf(r == 0x8000002123456789ULL, "isa.zbs.binv", "0x%lx", (unsigned long)r);
}

/* What the guest must not have: H. Natively an S-mode kernel may use them, so skip there. */
static void check_no_h(bool native)
{
	unsigned long v = 0;
	bool t = TRAPS(__asm__ volatile("csrr %0, 0x600" : "=r"(v))); /* hstatus */

	if (native) {
		test_skip("isa.h.hstatus.illegal", "native S-mode has H");
		return;
	}
	test_check(t && last_cause == EXC_ILLEGAL_INST, "isa.h.hstatus.illegal");
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t hgatp = 0;

	(void)dtb;
	printf("isa_test on hart %lu\n", hartid);
	/* hgatp (0x680) reads only where S-mode is HS: natively. Under Ferrovisor it traps. */
	bool native = !TRAPS(__asm__ volatile("csrr %0, 0x680" : "=r"(hgatp)));
	printf("isa_test: running %s\n", native ? "natively" : "as a VM");
	check_cbo();
	check_zawrs();
	check_bitmanip();
	check_no_h(native);
}
