// SPDX-License-Identifier: MIT
/* Verdicts, recovery after an attack, data patterns and small helpers of virtio_hostile. */
#include <stdarg.h>
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "gstring.h"
#include "printf.h"
#include "sbi.h"
#include "test.h"
#include "vh.h"

static unsigned cur_round;
static unsigned long faults;
static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

void vh_set_round(unsigned round)
{
	cur_round = round;
}

unsigned vh_round(void)
{
	return cur_round;
}

bool vh_check(bool cond, const char *name, const char *fmt, ...)
{
	char full[96], detail[200];
	va_list ap;

	/* Soak rounds stay quiet unless something fails. */
	if (cond && cur_round > 0)
		return true;
	if (cur_round > 0)
		snprintf(full, sizeof(full), "soak%u.%s", cur_round, name);
	else
		snprintf(full, sizeof(full), "%s", name);
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return test_checkf(cond, full, "%s", detail);
}

bool vh_expect(const char *name, enum vh_outcome got, unsigned allowed)
{
	return vh_check((got & allowed) != 0, name, "outcome %s (allowed mask 0x%x)",
	                vh_outcome_name(got), allowed);
}

bool vh_recover(const char *name)
{
	char n[80];
	uint32_t st, qr, isr;
	uint8_t s = 0xff;
	enum vh_outcome o = VH_DROPPED;
	bool ok;

	st = vh_reset();
	vh_wr(R_QUEUE_SEL, 0);
	qr = vh_rd(R_QUEUE_READY);
	isr = vh_rd(R_ISR);
	ok = st == 0 && qr == 0 && isr == 0 && vh_init(VH_FEATURES, VH_QDEF);
	if (ok) {
		memset(vh_mem.data[3], 0, SECTOR);
		o = vh_rw(T_IN, VH_REF_SECTOR, vh_mem.data[3], SECTOR, &s);
		ok = o == VH_OK && vh_matches(vh_mem.data[3], VH_REF_SECTOR, SECTOR);
	}
	snprintf(n, sizeof(n), "%s.recover", name);
	return vh_check(ok, n, "after reset status 0x%x ready %u isr 0x%x; read %s status %u", st,
	                qr, isr, vh_outcome_name(o), s);
}

void vh_expect_stopped(const char *name)
{
	char n[80];
	uint32_t st = vh_rd(R_STATUS), isr = vh_rd(R_ISR);
	uint16_t used = vh_q.used->idx;
	uint16_t head;

	snprintf(n, sizeof(n), "%s.broken", name);
	/* spec §2.1.2: DEVICE_NEEDS_RESET, and with DRIVER_OK a configuration change notice. */
	vh_check((st & ST_NEEDS_RESET) && (isr & ISR_CONFIG), n, "status 0x%x isr 0x%x", st, isr);
	vh_wr(R_ISR_ACK, isr);
	/* A valid request made available now must not be consumed until the reset. */
	head =
	    vh_build(VH_QDEF - 3, 1, T_IN, VH_REF_SECTOR, (uintptr_t)vh_mem.data[2], SECTOR, true);
	vh_publish(head);
	vh_kick();
	for (int i = 0; i < 8; i++)
		(void)vh_rd(R_MAGIC);
	/* Completions are asynchronous: give a wrongly accepted request time to show. */
	vh_sleep_ms(20);
	snprintf(n, sizeof(n), "%s.stopped", name);
	vh_check(vh_q.used->idx == used && vh_mem.status[1] == VH_UNTOUCH, n,
	         "used idx %u -> %u, status byte 0x%x", used, vh_q.used->idx, vh_mem.status[1]);
}

uint8_t vh_pattern(uint64_t sector, unsigned i)
{
	/* Differs per sector, per byte and per round, so stale data never matches. */
	uint64_t x = sector * 0x9e3779b97f4a7c15ULL + (uint64_t)(i >> 3) * 0x100000001b3ULL +
	             cur_round * 0x5851f42d4c957f2dULL;
	x ^= x >> 29;
	return (uint8_t)((x >> (8 * (i & 7))) ^ (uint8_t)i);
}

void vh_fill(void *buf, uint64_t sector, uint32_t len)
{
	uint8_t *p = buf;

	for (uint32_t i = 0; i < len; i++)
		p[i] = vh_pattern(sector + i / SECTOR, i % SECTOR);
}

bool vh_matches(const void *buf, uint64_t sector, uint32_t len)
{
	const uint8_t *p = buf;

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != vh_pattern(sector + i / SECTOR, i % SECTOR))
			return false;
	return true;
}

bool vh_all(const void *buf, uint8_t v, uint32_t len)
{
	const volatile uint8_t *p = buf;

	for (uint32_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

void vh_sleep_ms(uint32_t ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);

	/* WFI wakes on a pending enabled interrupt even with sstatus.SIE clear. */
	csr_set(sie, SIE_STIE);
	sbi_set_timer(end);
	while (rdtime() < end)
		cpu_wfi();
	sbi_set_timer(UINT64_MAX);
	csr_clear(sie, SIE_STIE);
}

uint64_t vh_ram_end(void)
{
	return plat_ram_base() + plat_ram_size();
}

uint64_t vh_rng(void)
{
	/* xorshift64 */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

void vh_count_fault(void)
{
	faults++;
}

unsigned long vh_faults(void)
{
	return faults;
}
