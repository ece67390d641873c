// SPDX-License-Identifier: MIT
/*
 * hostile: a misbehaving guest for hypervisor robustness tests (meaningful under a hypervisor
 * only; natively some steps hit firmware-protected memory). It survives, counting recorded
 * exceptions, while it:
 *  (a) loads/stores outside its RAM: each must trap into the guest as a load/store access
 *      fault (scause 5/7) with stval = the address, Ferrovisor's policy for a guest access to
 *      a GPA that is neither RAM nor an emulated device (FV-CHECK hostile.unmapped.* lines),
 *  (b) makes garbage SBI calls (every known EID plus random ones, random FIDs, extreme
 *      arguments), never SRST nor anything that would stop or suspend itself,
 *  (c) does unaligned and odd-width MMIO on the UART and vPLIC (must survive), and accesses
 *      unmapped device addresses (must fault exactly as in (a)),
 *  (d) executes HS/M-only instructions (expects illegal instruction traps) and WFI,
 * then prints "hostile: survived <n> faults" and spins forever with interrupts disabled.
 * Every step prints its line before it executes, so a hang shows where.
 */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "test.h"
#include "trap.h"

#define RANDOM_CALLS 600

static unsigned long faults;
static unsigned long steps;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	/* xorshift64 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void step(const char *what, unsigned long addr)
{
	steps++;
	printf("hostile: step %lu: %s 0x%lx\n", steps, what, addr);
}

static void step_plain(const char *what)
{
	steps++;
	printf("hostile: step %lu: %s\n", steps, what);
}

/* Ends an expected-trap window; true and *rec filled if the step trapped. */
static bool outcome_rec(struct trap_record *rec)
{
	if (trap_expect_end(rec)) {
		faults++;
		printf("hostile:   trapped scause %lu (%s) stval 0x%lx\n", rec->scause,
		       trap_cause_name(rec->scause), rec->stval);
		return true;
	}
	printf("hostile:   no trap\n");
	return false;
}

static void outcome(void)
{
	struct trap_record rec;

	outcome_rec(&rec);
}

enum access {
	LB,
	LH,
	LW,
	LD,
	SB,
	SH,
	SW,
	SD,
};

static const char *const access_names[] = {
    "lb", "lh", "lw", "ld", "sb", "sh", "sw", "sd",
};

#define CAUSE_LOAD_ACCESS  5UL
#define CAUSE_STORE_ACCESS 7UL

/*
 * One access of the given width; a store writes zero. strict: addr is neither RAM nor a
 * device of this VM, so the access must trap as an access fault naming addr.
 */
static void access_checked(enum access kind, unsigned long addr, bool strict)
{
	unsigned long v = 0;

	step(access_names[kind], addr);
	trap_expect_begin();
	switch (kind) {
	case LB:
		__asm__ volatile("lb %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LH:
		__asm__ volatile("lh %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LW:
		__asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case LD:
		__asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
		break;
	case SB:
		__asm__ volatile("sb zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SH:
		__asm__ volatile("sh zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SW:
		__asm__ volatile("sw zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	case SD:
		__asm__ volatile("sd zero, 0(%0)" : : "r"(addr) : "memory");
		break;
	}
	(void)v;
	struct trap_record rec;
	bool trapped = outcome_rec(&rec);
	if (!strict)
		return;
	char name[64];
	unsigned long want = kind >= SB ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
	snprintf(name, sizeof(name), "hostile.unmapped.%s.0x%lx", access_names[kind], addr);
	test_checkf(trapped && rec.scause == want && rec.stval == addr, name,
	            "want scause %lu stval 0x%lx, got %s scause %lu stval 0x%lx", want, addr,
	            trapped ? "trap" : "no trap", trapped ? rec.scause : 0UL,
	            trapped ? rec.stval : 0UL);
}

static void access(enum access kind, unsigned long addr)
{
	access_checked(kind, addr, false);
}

static void step_a_outside_ram(void)
{
	unsigned long ram_end = plat_ram_base() + plat_ram_size();
	const unsigned long addrs[] = {
	    0x0,
	    0x1000,
	    0x7ffff000UL,
	    ram_end + 0x1000,
	    ram_end + (16UL << 20),
	    0x100000000UL,
	    0xfffffffffffff000UL,
	};

	printf("hostile: (a) memory outside RAM (RAM 0x%lx-0x%lx)\n",
	       (unsigned long)plat_ram_base(), ram_end);
	for (unsigned int i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		access_checked(LD, addrs[i], true);
		access_checked(SD, addrs[i], true);
	}
}

static void call(const char *what, unsigned long eid, unsigned long fid, unsigned long a0,
                 unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4)
{
	struct sbiret r;

	steps++;
	printf("hostile: step %lu: sbi %s eid 0x%lx fid %lu a0 0x%lx a1 0x%lx a2 0x%lx\n", steps,
	       what, eid, fid, a0, a1, a2);
	trap_expect_begin();
	r = sbi_ecall(eid, fid, a0, a1, a2, a3, a4, rng());
	if (trap_expect_end(NULL)) {
		faults++;
		printf("hostile:   ecall trapped\n");
	}
	/* Legacy putchar and DBCN write_byte may have printed a byte: end that line. */
	if (eid == 1 || (eid == SBI_EXT_DBCN && fid == SBI_DBCN_WRITE_BYTE))
		printf("\n");
	printf("hostile:   -> error %ld (%s) value 0x%lx\n", r.error, sbi_err_name(r.error),
	       (unsigned long)r.value);
}

/* Arguments most likely to break range checks. */
static unsigned long extreme(void)
{
	unsigned long ram_end = plat_ram_base() + plat_ram_size();
	const unsigned long pool[] = {
	    0,
	    1,
	    -1UL,
	    0x7fffffffffffffffUL,
	    0x8000000000000000UL,
	    0xffffffffUL,
	    0x100000000UL,
	    GUEST_RAM_BASE,
	    ram_end,
	    ram_end - 1,
	    ram_end - 8,
	    0x10000000UL,
	    0x0c000000UL,
	    0x02000000UL,
	    0x10001000UL,
	    0xfffffffffffff000UL,
	    64,
	    4096,
	};
	uint64_t r = rng();

	if ((r & 7) == 0)
		return rng();
	return pool[(r >> 3) % (sizeof(pool) / sizeof(pool[0]))];
}

/* Addresses that are never our RAM (so DBCN/legacy calls cannot echo our own memory). */
static unsigned long bad_addr(void)
{
	const unsigned long pool[] = {
	    0,    0x1000,       0x7ffff000UL, 0x100000000UL,        0xfffffffffffff000UL,
	    -1UL, 0x10000000UL, 0x02000000UL, 0x8000000000000000UL,
	};

	return pool[rng() % (sizeof(pool) / sizeof(pool[0]))];
}

static void step_b_directed(void)
{
	unsigned long ram_end = plat_ram_base() + plat_ram_size();
	const unsigned long bad[] = {
	    0, 0x1000, 0x7ffff000UL, ram_end - 8, ram_end, 0x100000000UL, 0xfffffffffffff000UL,
	};

	printf("hostile: (b) directed bad SBI arguments\n");
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		call("dbcn_write", SBI_EXT_DBCN, SBI_DBCN_WRITE, 16, bad[i], 0, 0, 0);
		call("dbcn_read", SBI_EXT_DBCN, SBI_DBCN_READ, 16, bad[i], 0, 0, 0);
	}
	call("dbcn_write_wrap", SBI_EXT_DBCN, SBI_DBCN_WRITE, -1UL, GUEST_RAM_BASE, 0, 0, 0);
	call("dbcn_write_huge", SBI_EXT_DBCN, SBI_DBCN_WRITE, 1UL << 40, GUEST_RAM_BASE, 0, 0, 0);
	call("dbcn_read_huge", SBI_EXT_DBCN, SBI_DBCN_READ, 1UL << 40, GUEST_RAM_BASE, 0, 0, 0);
	call("dbcn_write_hi", SBI_EXT_DBCN, SBI_DBCN_WRITE, 16, GUEST_RAM_BASE, 0xffffffffUL, 0, 0);
	for (unsigned long hart = 0; hart < 3; hart++) {
		call("hsm_start_entry0", SBI_EXT_HSM, SBI_HSM_HART_START, hart, 0, 0, 0, 0);
		call("hsm_start_entry_high", SBI_EXT_HSM, SBI_HSM_HART_START, hart,
		     0xfffffffffffff000UL, 0, 0, 0);
		call("hsm_start_entry_past_ram", SBI_EXT_HSM, SBI_HSM_HART_START, hart,
		     ram_end + 0x1000, 0, 0, 0);
	}
	call("hsm_start_hart_max", SBI_EXT_HSM, SBI_HSM_HART_START, -1UL, GUEST_RAM_BASE, 0, 0, 0);
	call("hsm_status_max", SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, -1UL, 0, 0, 0, 0);
	call("hsm_suspend_bad_type", SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x12345678, 0, 0, 0, 0);
	call("hsm_suspend_reserved_type", SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0x7fffffff, 0, 0, 0,
	     0);
	call("set_timer_0", SBI_EXT_TIME, 0, 0, 0, 0, 0, 0);
	call("set_timer_max", SBI_EXT_TIME, 0, -1UL, 0, 0, 0, 0);
	call("set_timer_bit63", SBI_EXT_TIME, 0, 1UL << 63, 0, 0, 0, 0);
	call("ipi_all_bits", SBI_EXT_IPI, 0, -1UL, 0, 0, 0, 0);
	call("ipi_all_bits_base_max", SBI_EXT_IPI, 0, -1UL, -1UL, 0, 0, 0);
	call("ipi_base_bit63", SBI_EXT_IPI, 0, 1, 1UL << 63, 0, 0, 0);
	call("ipi_base_63", SBI_EXT_IPI, 0, -1UL, 63, 0, 0, 0);
	call("ipi_base_near_wrap", SBI_EXT_IPI, 0, -1UL, -2UL, 0, 0, 0);
	call("rfence_i_all_bits", SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, -1UL, 0, 0, 0, 0);
	call("rfence_vma_huge", SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, -1UL, 0, 0, -1UL, 0);
	call("rfence_vma_wrap", SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 0, -1UL, -4096UL, 8192, 0);
	call("rfence_vma_asid_max", SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, 0, -1UL, 0, -1UL,
	     -1UL);
	for (unsigned long fid = SBI_RFENCE_HFENCE_GVMA_VMID; fid <= SBI_RFENCE_HFENCE_VVMA; fid++)
		call("rfence_hfence_absurd", SBI_EXT_RFENCE, fid, -1UL, -1UL, -4096UL, -1UL, -1UL);
	/* Legacy v0.1 calls taking pointers to hart masks (EIDs 4-7). */
	for (unsigned long eid = 4; eid <= 7; eid++) {
		call("legacy_mask_ptr_0", eid, 0, 0, 0, 0, 0, 0);
		call("legacy_mask_ptr_high", eid, 0, 0xfffffffffffff000UL, 0, -1UL, 0, 0);
		call("legacy_mask_ptr_past_ram", eid, 0, ram_end, 0, 0, 0, 0);
	}
}

static bool forbidden(unsigned long eid, unsigned long fid)
{
	if (eid == SBI_EXT_SRST || eid == 0x08) /* system reset / legacy shutdown */
		return true;
	if (eid == SBI_EXT_HSM && (fid == SBI_HSM_HART_STOP || fid == SBI_HSM_HART_SUSPEND))
		return true; /* would stop or suspend this hart */
	if (eid == SBI_EXT_SUSP && fid == 0)
		return true; /* system suspend */
	return false;
}

static void step_b_random(void)
{
	static const unsigned long eids[] = {
	    SBI_EXT_BASE,
	    SBI_EXT_TIME,
	    SBI_EXT_IPI,
	    SBI_EXT_RFENCE,
	    SBI_EXT_HSM,
	    SBI_EXT_DBCN,
	    SBI_EXT_PMU,
	    SBI_EXT_SUSP,
	    SBI_EXT_CPPC,
	    SBI_EXT_NACL,
	    SBI_EXT_STA,
	    0,
	    1,
	    2,
	    3,
	    4,
	    5,
	    6,
	    7,
	    0x09000000,
	    0x0A000000,
	    0x0B000000,
	    0x0C000000,
	    0x7fffffff,
	    0xffffffff,
	    -1UL,
	};

	printf("hostile: (b) %d random SBI calls\n", RANDOM_CALLS);
	for (int i = 0; i < RANDOM_CALLS; i++) {
		uint64_t r = rng();
		unsigned long eid =
		    (r & 0xf) == 0 ? rng() : eids[(r >> 4) % (sizeof(eids) / sizeof(eids[0]))];
		unsigned long fid = (r >> 32) & 1 ? rng() : (r >> 40) % 12;
		unsigned long a0 = extreme(), a1 = extreme(), a2 = extreme();

		if (forbidden(eid, fid))
			continue;
		if (eid == SBI_EXT_DBCN || eid == SBI_EXT_PMU || eid == SBI_EXT_STA ||
		    eid == SBI_EXT_NACL || (eid >= 4 && eid <= 7)) {
			/* Calls that read or write memory: never let them hit our own image. */
			a0 = (eid >= 4 && eid <= 7) ? bad_addr() : a0;
			a1 = bad_addr();
		}
		if (eid == 1 || (eid == SBI_EXT_DBCN && fid == SBI_DBCN_WRITE_BYTE))
			a0 = 'a' + rng() % 26; /* console bytes: keep the log printable */
		if (eid == SBI_EXT_HSM && fid == SBI_HSM_HART_START)
			a1 = bad_addr(); /* entry outside RAM */
		call("random", eid, fid, a0, a1, a2, extreme(), extreme());
	}
	sbi_set_timer(UINT64_MAX);
	csr_clear(sip, SIP_SSIP);
}

static void step_c_mmio(void)
{
	const unsigned long uart = GUEST_UART_BASE;
	const unsigned long odd[] = {uart + 1, uart + 3, uart + 7};
	/* Past the UART's 0x100 window, CLINT (not given to VMs), virtio slot 0 (none here). */
	const unsigned long unmapped[] = {uart + 0x100, 0x02000000UL, 0x10001000UL};
	const unsigned long plic =
	    0x0c000000UL; /* the vPLIC: odd widths may fault, must not hang */

	printf("hostile: (c) odd MMIO\n");
	for (unsigned int i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		access(LH, odd[i]);
		access(LW, odd[i]);
		access(LD, odd[i]);
		access(SH, odd[i]);
		access(SW, odd[i]);
		access(SD, odd[i]);
	}
	/* Zero stores clobbered LCR/IER/FCR/MCR: restore 8N1, no interrupts, FIFO on. */
	*(volatile uint8_t *)(uart + 3) = 0x03;
	*(volatile uint8_t *)(uart + 1) = 0x00;
	*(volatile uint8_t *)(uart + 2) = 0x01;
	*(volatile uint8_t *)(uart + 4) = 0x00;
	printf("hostile: uart restored\n");
	for (unsigned int i = 0; i < sizeof(unmapped) / sizeof(unmapped[0]); i++) {
		access_checked(LB, unmapped[i], true);
		access_checked(LW, unmapped[i], true);
		access_checked(LD, unmapped[i], true);
		access_checked(SW, unmapped[i], true);
	}
	access(LB, plic);
	access(LW, plic);
	access(LD, plic);
	access(SW, plic);
}

static volatile uint64_t hlv_target = 0x1122334455667788ULL;

static void priv_insn(const char *what, int which)
{
	unsigned long v = 0, addr = (unsigned long)&hlv_target;

	step_plain(what);
	trap_expect_begin();
	switch (which) {
	case 0: /* csrr hstatus */
		__asm__ volatile(".insn i 0x73, 2, %0, x0, 0x600" : "=r"(v) : : "memory");
		break;
	case 1: /* csrw hgatp, zero */
		__asm__ volatile(".insn i 0x73, 1, x0, x0, 0x680" : : : "memory");
		break;
	case 2: /* hfence.gvma */
		__asm__ volatile(".insn r 0x73, 0, 0x31, x0, x0, x0" : : : "memory");
		break;
	case 3: /* hfence.vvma */
		__asm__ volatile(".insn r 0x73, 0, 0x11, x0, x0, x0" : : : "memory");
		break;
	case 4: /* hlv.d */
		__asm__ volatile(".insn r 0x73, 4, 0x36, %0, %1, x0"
		                 : "=r"(v)
		                 : "r"(addr)
		                 : "memory");
		break;
	case 5: /* hsv.d (stores the same value back) */
		__asm__ volatile(".insn r 0x73, 4, 0x37, x0, %0, %1"
		                 :
		                 : "r"(addr), "r"(hlv_target)
		                 : "memory");
		break;
	case 6: /* csrr hedeleg */
		__asm__ volatile(".insn i 0x73, 2, %0, x0, 0x602" : "=r"(v) : : "memory");
		break;
	case 7: /* csrr vsatp */
		__asm__ volatile(".insn i 0x73, 2, %0, x0, 0x280" : "=r"(v) : : "memory");
		break;
	case 8: /* csrr mstatus */
		__asm__ volatile(".insn i 0x73, 2, %0, x0, 0x300" : "=r"(v) : : "memory");
		break;
	case 9: /* csrr mhartid */
		__asm__ volatile(".insn i 0x73, 2, %0, x0, -236" : "=r"(v) : : "memory");
		break;
	case 10:
		__asm__ volatile("mret" : : : "memory");
		break;
	}
	(void)v;
	outcome();
}

static void step_d_privileged(void)
{
	static const char *const names[] = {
	    "csrr hstatus", "csrw hgatp", "hfence.gvma",  "hfence.vvma",  "hlv.d", "hsv.d",
	    "csrr hedeleg", "csrr vsatp", "csrr mstatus", "csrr mhartid", "mret",
	};

	printf("hostile: (d) HS/M-only instructions\n");
	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		priv_insn(names[i], i);

	/* WFI is legal in (V)S-mode; give it a wake source so it cannot sleep forever. */
	step_plain("wfi with a 10 ms timer");
	csr_set(sie, SIE_STIE);
	sbi_set_timer(rdtime() + plat_ms_to_ticks(10));
	trap_expect_begin();
	cpu_wfi();
	outcome();
	sbi_set_timer(UINT64_MAX);
	csr_write(sie, 0);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	irq_disable();
	csr_write(sie, 0);
	printf("hostile: start on hart %lu\n", hartid);
	step_a_outside_ram();
	step_b_directed();
	step_b_random();
	step_c_mmio();
	step_d_privileged();
	printf("hostile: survived %lu faults, %u unmapped accesses did not fault as required\n",
	       faults, test_failures());
	irq_disable();
	csr_write(sie, 0);
	for (;;)
		__asm__ volatile("" : : : "memory");
}
