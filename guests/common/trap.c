// SPDX-License-Identifier: MIT
/* S-mode trap handling of the test guests (RISC-V privileged spec §12.1.8, scause codes). */
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "test.h"
#include "trap.h"
#include "uart.h"

static struct trap_hart harts[GUEST_MAX_HARTS];
static void (*volatile timer_hook)(void);
static void (*volatile soft_hook)(void);

struct trap_hart *trap_hart_state_of(unsigned long hartid)
{
	return &harts[hartid % GUEST_MAX_HARTS];
}

struct trap_hart *trap_hart_state(void)
{
	return trap_hart_state_of(smp_hartid());
}

void trap_set_timer_hook(void (*fn)(void))
{
	timer_hook = fn;
}

void trap_set_soft_hook(void (*fn)(void))
{
	soft_hook = fn;
}

void trap_expect_begin(void)
{
	struct trap_hart *h = trap_hart_state();

	h->expect_start = h->exc_count;
	h->expect = true;
	__asm__ volatile("" : : : "memory");
}

bool trap_expect_end(struct trap_record *rec)
{
	struct trap_hart *h = trap_hart_state();
	bool hit;

	__asm__ volatile("" : : : "memory");
	h->expect = false;
	hit = h->exc_count != h->expect_start;
	if (hit && rec) {
		rec->scause = h->last.scause;
		rec->stval = h->last.stval;
		rec->sepc = h->last.sepc;
		rec->insn_len = h->last.insn_len;
	}
	return hit;
}

const char *trap_cause_name(unsigned long scause)
{
	static const char *const exc[] = {
	    "insn misaligned", "insn access fault", "illegal insn",     "breakpoint",
	    "load misaligned", "load access fault", "store misaligned", "store access fault",
	    "ecall U",         "ecall S",           "ecall VS",         "ecall M",
	    "insn page fault", "load page fault",   "reserved",         "store page fault",
	};

	if (scause & SCAUSE_INTERRUPT)
		return "interrupt";
	if (scause < sizeof(exc) / sizeof(exc[0]))
		return exc[scause];
	return "unknown";
}

static void handle_interrupt(struct trap_hart *h, unsigned long code)
{
	void (*fn)(void);

	switch (code) {
	case IRQ_S_TIMER:
		h->timer_time = rdtime();
		h->timer_count++;
		sbi_set_timer(UINT64_MAX);
		fn = timer_hook;
		if (fn)
			fn();
		break;
	case IRQ_S_SOFT:
		h->soft_time = rdtime();
		csr_clear(sip, SIP_SSIP);
		h->soft_count++;
		fn = soft_hook;
		if (fn)
			fn();
		break;
	case IRQ_S_EXT:
		h->ext_count++;
		csr_clear(sie, SIE_SEIE);
		break;
	default:
		h->other_irq_count++;
		if (code < 64)
			csr_clear(sie, 1UL << code);
		break;
	}
}

static void __attribute__((noreturn))
fatal_trap(struct trap_frame *tf, unsigned long scause, unsigned long stval)
{
	char line[200];
	int n;

	/* The console lock may be held by this very hart (fault inside printf): bypass it. */
	n = snprintf(line, sizeof(line),
	             "FV-CHECK FAIL unexpected_trap hart=%lu scause=0x%lx (%s) sepc=0x%lx "
	             "stval=0x%lx ra=0x%lx\n",
	             smp_hartid(), scause, trap_cause_name(scause), tf->sepc, stval, tf->x[1]);
	uart_write_unlocked(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	test_abort("unexpected trap");
}

void trap_handle(struct trap_frame *tf)
{
	unsigned long scause = csr_read(scause);
	unsigned long stval = csr_read(stval);
	struct trap_hart *h = trap_hart_state();

	if (scause & SCAUSE_INTERRUPT) {
		handle_interrupt(h, scause & ~SCAUSE_INTERRUPT);
		return;
	}

	if (!h->expect)
		fatal_trap(tf, scause, stval);

	/* A fetch fault has no instruction to skip (sepc is the bad target): not recoverable. */
	if (scause == EXC_INSN_ACCESS || scause == EXC_INSN_PAGE_FAULT ||
	    scause == EXC_INSN_MISALIGNED)
		fatal_trap(tf, scause, stval);

	uint16_t parcel = *(volatile uint16_t *)tf->sepc;
	unsigned long len = (parcel & 3) == 3 ? 4 : 2;

	h->last.scause = scause;
	h->last.stval = stval;
	h->last.sepc = tf->sepc;
	h->last.insn_len = len;
	h->exc_count++;
	tf->sepc += len;
}
