// SPDX-License-Identifier: MIT
/*
 * Legacy extensions (EIDs 0x00-0x0F), SBI spec v3.0 chapter 5. They are deprecated and an
 * implementation may leave them out: then probe_extension reports them absent and a call
 * returns SBI_ERR_NOT_SUPPORTED in a0 (chapter 3). Where one is offered (OpenSBI natively)
 * the call must work with the legacy convention (result in a0 only). Each function gets one
 * `legacy.<fn>.probe` and one `legacy.<fn>.consistent_with_probe` check, so the native and
 * the Ferrovisor run (which omits them) compare by name. 0x09-0x0F are reserved: always
 * absent. sbi_shutdown (0x08) would end the run: only probed.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"
#include "trap.h"

#define LEGACY_SET_TIMER     0x00
#define LEGACY_PUTCHAR       0x01
#define LEGACY_GETCHAR       0x02
#define LEGACY_CLEAR_IPI     0x03
#define LEGACY_SEND_IPI      0x04
#define LEGACY_REMOTE_FENCEI 0x05
#define LEGACY_REMOTE_SFENCE 0x06
#define LEGACY_REMOTE_SFASID 0x07
#define LEGACY_SHUTDOWN      0x08

static unsigned long self_mask;

static long legacy_call(unsigned long eid, unsigned long a0, unsigned long a1, unsigned long a2,
                        unsigned long a3)
{
	return sbi_ecall(eid, 0, a0, a1, a2, a3, 0, 0).error;
}

/* Probe `eid`; print the probe check and return whether it is offered. */
static bool legacy_probe(unsigned long eid, const char *fn)
{
	struct sbiret r = sbi_probe_extension((long)eid);
	char name[80];

	snprintf(name, sizeof(name), "legacy.%s.probe", fn);
	test_checkf(r.error == SBI_SUCCESS && (r.value == 0 || r.value == 1), name,
	            "error %ld value %ld", r.error, r.value);
	printf("sbi_test: legacy %s %s\n", fn, r.value ? "offered" : "absent");
	return r.error == SBI_SUCCESS && r.value != 0;
}

static bool call_set_timer(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before = h->timer_count;

	csr_set(sie, SIE_STIE);
	irq_enable();
	if (legacy_call(LEGACY_SET_TIMER, rdtime() + plat_ms_to_ticks(5), 0, 0, 0) != 0)
		return false;
	return suite_wait_change(&h->timer_count, before, 2000);
}

static bool call_putchar(void)
{
	/* A newline only, so the console stream stays line-clean. */
	return legacy_call(LEGACY_PUTCHAR, '\n', 0, 0, 0) == 0;
}

static bool call_getchar(void)
{
	long r = legacy_call(LEGACY_GETCHAR, 0, 0, 0, 0);

	return r == -1 || (r >= 0 && r <= 0xff);
}

static bool call_clear_ipi(void)
{
	return legacy_call(LEGACY_CLEAR_IPI, 0, 0, 0, 0) >= 0;
}

static bool call_send_ipi(void)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t before = h->soft_count;

	/* hart_mask is the address of a bit vector (MMU off: physical). */
	csr_set(sie, SIE_SSIE);
	irq_enable();
	if (legacy_call(LEGACY_SEND_IPI, (unsigned long)&self_mask, 0, 0, 0) != 0)
		return false;
	return suite_wait_change(&h->soft_count, before, 1000);
}

static bool call_fence_i(void)
{
	return legacy_call(LEGACY_REMOTE_FENCEI, (unsigned long)&self_mask, 0, 0, 0) == 0;
}

static bool call_sfence_vma(void)
{
	return legacy_call(LEGACY_REMOTE_SFENCE, (unsigned long)&self_mask, 0, 0, 0) == 0;
}

static bool call_sfence_vma_asid(void)
{
	return legacy_call(LEGACY_REMOTE_SFASID, (unsigned long)&self_mask, 0, 0, 0) == 0;
}

void sbi_suite_legacy(void)
{
	static const struct {
		unsigned long eid;
		const char *fn;
		bool (*call)(void);
	} fns[] = {
	    {LEGACY_SET_TIMER, "set_timer", call_set_timer},
	    {LEGACY_PUTCHAR, "console_putchar", call_putchar},
	    {LEGACY_GETCHAR, "console_getchar", call_getchar},
	    {LEGACY_CLEAR_IPI, "clear_ipi", call_clear_ipi},
	    {LEGACY_SEND_IPI, "send_ipi", call_send_ipi},
	    {LEGACY_REMOTE_FENCEI, "remote_fence_i", call_fence_i},
	    {LEGACY_REMOTE_SFENCE, "remote_sfence_vma", call_sfence_vma},
	    {LEGACY_REMOTE_SFASID, "remote_sfence_vma_asid", call_sfence_vma_asid},
	};
	char name[80];
	bool ok;

	self_mask = 1UL << suite_self();
	for (unsigned int i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		snprintf(name, sizeof(name), "legacy.%s.consistent_with_probe", fns[i].fn);
		if (legacy_probe(fns[i].eid, fns[i].fn))
			ok = fns[i].call();
		else
			ok = legacy_call(fns[i].eid, 0, 0, 0, 0) == SBI_ERR_NOT_SUPPORTED;
		test_check(ok, name);
	}
	/* Calling it would end the run either way: only the probe answer is checked. */
	legacy_probe(LEGACY_SHUTDOWN, "shutdown");
	for (unsigned long eid = 0x09; eid <= 0x0F; eid++) {
		snprintf(name, sizeof(name), "legacy.reserved_0x%02lx.probe_absent", eid);
		test_check_eq(name, sbi_probe_extension((long)eid).value, 0);
		snprintf(name, sizeof(name), "legacy.reserved_0x%02lx.not_supported", eid);
		test_check_eq(name, legacy_call(eid, 0, 0, 0, 0), SBI_ERR_NOT_SUPPORTED);
	}
}
