// SPDX-License-Identifier: MIT
/*
 * rtc_test: the VM's goldfish RTC under Ferrovisor (tests/integration/test_rtc.py).
 *
 * /chosen bootargs "rtc_test role=R" picks what this VM does:
 *  - watch: reads the clock (twice, it advances by about the time waited), prints it for
 *    the host to compare with its own clock, waits 3 s (the "set" VM has set its clock by
 *    then) and checks and prints it again: another VM's setting did not reach this one;
 *  - set: sets its clock to 1970 + 1000 s and reads its own time back;
 *  - none (configured with rtc: false): no RTC node, and the window faults.
 * watch and set also check malformed accesses (they fault) and the alarm interrupt on
 * the VM's PLIC (source 11, context 0 = hart 0 S-mode as in Ferrovisor's device tree).
 */
#include <stdint.h>

#include "csr.h"
#include "entry.h"
#include "fdt.h"
#include "gstring.h"
#include "plat.h"
#include "printf.h"
#include "test.h"
#include "trap.h"

#define RTC_BASE        0x101000UL
#define RTC_TIME_LOW    0x00
#define RTC_TIME_HIGH   0x04
#define RTC_ALARM_LOW   0x08
#define RTC_ALARM_HIGH  0x0c
#define RTC_IRQ_ENABLED 0x10
#define RTC_CLEAR_ALARM 0x14
#define RTC_ALARM_STAT  0x18
#define RTC_CLEAR_INT   0x1c
#define RTC_IRQ         11

#define PLIC_BASE      0x0c000000UL
#define PLIC_PRIO(i)   (PLIC_BASE + 4UL * (i))
#define PLIC_PENDING   (PLIC_BASE + 0x1000UL)
#define PLIC_ENABLE0   (PLIC_BASE + 0x2000UL)
#define PLIC_THRESHOLD (PLIC_BASE + 0x200000UL)
#define PLIC_CLAIM     (PLIC_BASE + 0x200004UL)

#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL
/* 2024-01-01T00:00:00Z: any real clock of this test's runs is later. */
#define Y2024_NS (1704067200ULL * NS_PER_S)
#define SET_NS   (1000ULL * NS_PER_S)

static inline uint32_t mmio_r32(unsigned long a)
{
	return *(volatile uint32_t *)a;
}

static inline void mmio_w32(unsigned long a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static uint64_t rtc_now(void)
{
	uint32_t lo = mmio_r32(RTC_BASE + RTC_TIME_LOW); /* latches TIME_HIGH */
	uint32_t hi = mmio_r32(RTC_BASE + RTC_TIME_HIGH);
	return ((uint64_t)hi << 32) | lo;
}

static void rtc_set(uint64_t ns)
{
	/* As Linux does: high half first, then the low half. */
	mmio_w32(RTC_BASE + RTC_TIME_HIGH, (uint32_t)(ns >> 32));
	mmio_w32(RTC_BASE + RTC_TIME_LOW, (uint32_t)ns);
}

/* Value of key=... in the bootargs, copied into out. */
static bool bootarg(const char *key, char *out, size_t size)
{
	uint32_t len;
	const char *args =
	    plat_has_dtb() ? fdt_get_prop(plat_dtb(), "chosen", "bootargs", &len) : NULL;
	if (!args)
		return false;
	size_t kl = strlen(key);
	for (const char *p = args; *p; p++) {
		if ((p != args && p[-1] != ' ') || memcmp(p, key, kl) || p[kl] != '=')
			continue;
		p += kl + 1;
		size_t n = 0;
		while (p[n] && p[n] != ' ')
			n++;
		if (n == 0 || n >= size)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/* A load of width bytes at addr; true if it faulted with a load access fault. */
static bool load_faults(unsigned long addr, unsigned width, unsigned long *cause)
{
	struct trap_record rec;
	trap_expect_begin();
	if (width == 1)
		(void)*(volatile uint8_t *)addr;
	else if (width == 2)
		(void)*(volatile uint16_t *)addr;
	else if (width == 8)
		(void)*(volatile uint64_t *)addr;
	else
		(void)*(volatile uint32_t *)addr;
	bool faulted = trap_expect_end(&rec);
	*cause = faulted ? rec.scause : 0;
	return faulted && rec.scause == 5;
}

static bool store_faults(unsigned long addr, unsigned width)
{
	struct trap_record rec;
	trap_expect_begin();
	if (width == 1)
		*(volatile uint8_t *)addr = 0;
	else
		*(volatile uint64_t *)addr = 0;
	return trap_expect_end(&rec) && rec.scause == 7;
}

static void check_time_advances(void)
{
	uint64_t t1 = rtc_now();
	uint64_t c1 = rdtime();
	plat_delay_ms(200);
	uint64_t t2 = rtc_now();
	uint64_t waited_ns = plat_ticks_to_us(rdtime() - c1) * 1000ULL;
	test_checkf(t2 > t1, "rtc.time.advances", "t1 %lu t2 %lu", (unsigned long)t1,
	            (unsigned long)t2);
	/* Both clocks run at the host's rate: the RTC moves by the time waited, give or take. */
	uint64_t d = t2 - t1;
	test_checkf(d + 50 * NS_PER_MS >= waited_ns && d <= waited_ns + 50 * NS_PER_MS,
	            "rtc.time.rate", "rtc moved %lu ns while %lu ns passed", (unsigned long)d,
	            (unsigned long)waited_ns);
}

static void check_bad_accesses(void)
{
	unsigned long cause;
	test_checkf(load_faults(RTC_BASE + RTC_TIME_LOW, 1, &cause), "rtc.access.byte_read",
	            "scause %lu", cause);
	test_checkf(load_faults(RTC_BASE + RTC_TIME_LOW, 8, &cause), "rtc.access.dword_read",
	            "scause %lu", cause);
	test_checkf(load_faults(RTC_BASE + 0x20, 4, &cause), "rtc.access.past_registers",
	            "scause %lu", cause);
	test_checkf(load_faults(RTC_BASE + 0xffc, 4, &cause), "rtc.access.window_end", "scause %lu",
	            cause);
	test_check(store_faults(RTC_BASE + RTC_TIME_LOW, 1), "rtc.access.byte_write");
	test_check(store_faults(RTC_BASE + RTC_TIME_LOW, 8), "rtc.access.dword_write");
	/* The bad writes changed nothing: the time is still this VM's. */
	uint64_t t = rtc_now();
	test_checkf(t > Y2024_NS || (t >= SET_NS && t < SET_NS + 60 * NS_PER_S),
	            "rtc.access.time_kept", "time %lu", (unsigned long)t);
}

/* Wait up to ms for an external interrupt after count; true if one came. */
static bool wait_ext(uint64_t count, uint64_t ms)
{
	struct trap_hart *h = trap_hart_state();
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);
	while (h->ext_count == count && rdtime() < end)
		cpu_relax();
	return h->ext_count != count;
}

static void arm_alarm(uint64_t at)
{
	mmio_w32(RTC_BASE + RTC_ALARM_HIGH, (uint32_t)(at >> 32));
	mmio_w32(RTC_BASE + RTC_ALARM_LOW, (uint32_t)at);
}

static void check_alarm(void)
{
	struct trap_hart *h = trap_hart_state();
	mmio_w32(PLIC_PRIO(RTC_IRQ), 1);
	mmio_w32(PLIC_ENABLE0, 1U << RTC_IRQ);
	mmio_w32(PLIC_THRESHOLD, 0);
	mmio_w32(RTC_BASE + RTC_IRQ_ENABLED, 1);

	/* An alarm disarmed before it is due never fires. */
	uint64_t n = h->ext_count;
	csr_set(sie, SIE_SEIE);
	irq_enable();
	arm_alarm(rtc_now() + 100 * NS_PER_MS);
	test_check_eq("rtc.alarm.status_armed", (long)mmio_r32(RTC_BASE + RTC_ALARM_STAT), 1);
	mmio_w32(RTC_BASE + RTC_CLEAR_ALARM, 1);
	test_check_eq("rtc.alarm.status_cleared", (long)mmio_r32(RTC_BASE + RTC_ALARM_STAT), 0);
	test_check(!wait_ext(n, 400), "rtc.alarm.cleared_no_irq");

	/* An alarm 50 ms ahead (in this VM's time) raises source 11. */
	uint64_t armed = rdtime();
	arm_alarm(rtc_now() + 50 * NS_PER_MS);
	bool fired = wait_ext(n, 3000);
	uint64_t after_us = plat_ticks_to_us(rdtime() - armed);
	irq_disable();
	test_checkf(fired, "rtc.alarm.irq", "no interrupt within 3 s");
	test_checkf(!fired || after_us >= 40000, "rtc.alarm.not_early", "fired after %lu us",
	            (unsigned long)after_us);
	test_check_eq("rtc.alarm.status_after", (long)mmio_r32(RTC_BASE + RTC_ALARM_STAT), 0);
	uint32_t src = mmio_r32(PLIC_CLAIM);
	test_check_eq("rtc.alarm.claim", (long)src, RTC_IRQ);
	mmio_w32(RTC_BASE + RTC_CLEAR_INT, 1);
	if (src)
		mmio_w32(PLIC_CLAIM, src);
	test_check_eq("rtc.alarm.line_lowered", (long)((mmio_r32(PLIC_PENDING) >> RTC_IRQ) & 1), 0);
	mmio_w32(RTC_BASE + RTC_IRQ_ENABLED, 0);
}

static void role_watch(void)
{
	uint64_t t = rtc_now();
	test_checkf(t > Y2024_NS, "rtc.time.wallclock", "time %lu ns", (unsigned long)t);
	printf("rtc_test: time_ns=%lu\n", (unsigned long)t);
	check_time_advances();
	check_bad_accesses();
	check_alarm();
	plat_delay_ms(3000);
	t = rtc_now();
	test_checkf(t > Y2024_NS, "rtc.other_vm.unaffected", "time %lu ns", (unsigned long)t);
	printf("rtc_test: later time_ns=%lu\n", (unsigned long)t);
}

static void role_set(void)
{
	rtc_set(SET_NS);
	uint64_t t = rtc_now();
	test_checkf(t >= SET_NS && t < SET_NS + 10 * NS_PER_S, "rtc.set.readback", "time %lu ns",
	            (unsigned long)t);
	printf("rtc_test: set done\n");
	check_time_advances();
	check_bad_accesses();
	check_alarm(); /* in this VM's own (1970) time */
	/* Only the low half: the high half stays (as the register contract says). */
	uint64_t before = rtc_now();
	mmio_w32(RTC_BASE + RTC_TIME_LOW, 0);
	t = rtc_now();
	test_checkf(t >> 32 == before >> 32 && (uint32_t)t < 1000 * NS_PER_MS, "rtc.set.low_half",
	            "before %lu ns, after %lu ns", (unsigned long)before, (unsigned long)t);
}

static void role_none(void)
{
	unsigned long cause;
	test_check_eq("rtc.off.no_dt_node", (long)fdt_count_subnodes(plat_dtb(), "soc", "rtc"), 0);
	test_checkf(load_faults(RTC_BASE + RTC_TIME_LOW, 4, &cause), "rtc.off.window_faults",
	            "scause %lu", cause);
}

void guest_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	char role[16];
	if (!bootarg("role", role, sizeof(role)))
		test_abort("no role= in the bootargs");
	printf("rtc_test: role %s\n", role);
	if (strcmp(role, "none") == 0) {
		role_none();
		test_finish();
	}
	test_check_eq("rtc.dt.node", (long)fdt_count_subnodes(plat_dtb(), "soc", "rtc"), 1);
	if (strcmp(role, "set") == 0)
		role_set();
	else if (strcmp(role, "watch") == 0)
		role_watch();
	else
		test_abort("unknown role");
	test_finish();
}
