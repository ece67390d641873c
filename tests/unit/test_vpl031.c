/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/vdev/vpl031.c, the emulated PL031 RTC of arm64
 * VMs: the counter follows host time plus the VM's offset, a load moves
 * only the offset, the match interrupt fires at the matching second (not
 * before, once per match), masks and clears as the TRM says, the ids are
 * the PL031's, and bad accesses are refused without effect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/fv_err.h"
#include "vdev/vpl031.h"

#define S(x) ((uint64_t)(x)*1000000000ULL)

static uint32_t rd(struct vpl031 *r, uint64_t now, uint64_t off)
{
	uint64_t v = 0xdeadbeef;
	assert_int_equal(vpl031_read(r, now, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct vpl031 *r, uint64_t now, uint64_t off, uint32_t v)
{
	assert_int_equal(vpl031_write(r, now, off, 4, v), 0);
}

static void test_counter_and_load(void **state)
{
	(void)state;
	struct vpl031 r;
	vpl031_init(&r, S(1000));
	assert_int_equal(rd(&r, S(1000) + 5, VPL031_DR), 1000);
	assert_int_equal(rd(&r, S(1001) - 1, VPL031_DR), 1000);
	assert_int_equal(rd(&r, S(1001), VPL031_DR), 1001);
	assert_int_equal(rd(&r, S(1001), VPL031_CR), 1); /* running from reset */
	wr(&r, S(1001), VPL031_CR, 0);                   /* no effect once started */
	assert_int_equal(rd(&r, S(1002), VPL031_CR), 1);
	assert_int_equal(rd(&r, S(1002), VPL031_DR), 1002);
	/* A load moves the VM's clock only; LR reads back what was written. */
	wr(&r, S(1002), VPL031_LR, 5);
	assert_int_equal(rd(&r, S(1002), VPL031_LR), 5);
	assert_int_equal(rd(&r, S(1012), VPL031_DR), 15);
	/* The counter wraps modulo 2^32. */
	wr(&r, S(1012), VPL031_LR, 0xffffffffU);
	assert_int_equal(rd(&r, S(1013), VPL031_DR), 0);
	/* A VM reboot keeps the time. */
	vpl031_reset(&r, S(1013));
	assert_int_equal(rd(&r, S(1014), VPL031_DR), 1);
}

static void test_match_interrupt(void **state)
{
	(void)state;
	struct vpl031 r;
	uint64_t due;
	vpl031_init(&r, S(100));
	assert_false(vpl031_irq_level(&r));
	wr(&r, S(100), VPL031_MR, 103);
	wr(&r, S(100), VPL031_IMSC, 1);
	assert_int_equal(rd(&r, S(100), VPL031_MR), 103);
	assert_true(vpl031_alarm_due(&r, S(100), &due));
	assert_int_equal(due, S(103));
	assert_false(vpl031_poll(&r, S(103) - 1));
	assert_int_equal(rd(&r, S(103) - 1, VPL031_RIS), 0);
	assert_true(vpl031_poll(&r, S(103)));
	assert_true(vpl031_irq_level(&r));
	assert_int_equal(rd(&r, S(103), VPL031_RIS), 1);
	assert_int_equal(rd(&r, S(103), VPL031_MIS), 1);
	/* Once per match: cleared, it does not come back within the second or after it. */
	wr(&r, S(103), VPL031_ICR, 1);
	assert_false(vpl031_irq_level(&r));
	assert_false(vpl031_poll(&r, S(103) + 500000000ULL));
	assert_false(vpl031_poll(&r, S(200)));
	assert_true(vpl031_alarm_due(&r, S(200), &due));
	assert_int_equal(due, S(103 + (1ULL << 32)));
	/* Masked: raw status set, the line stays low; unmasking raises it. */
	wr(&r, S(200), VPL031_IMSC, 0);
	wr(&r, S(200), VPL031_MR, 201);
	assert_true(vpl031_poll(&r, S(201)));
	assert_int_equal(rd(&r, S(201), VPL031_RIS), 1);
	assert_int_equal(rd(&r, S(201), VPL031_MIS), 0);
	assert_false(vpl031_irq_level(&r));
	wr(&r, S(201), VPL031_IMSC, 1);
	assert_true(vpl031_irq_level(&r));
	/* ICR without bit 0 clears nothing. */
	wr(&r, S(201), VPL031_ICR, 2);
	assert_true(vpl031_irq_level(&r));
	wr(&r, S(201), VPL031_ICR, 1);
	/* A match set to the present second fires at once (Linux sets alarms to "now"). */
	wr(&r, S(300), VPL031_MR, 300);
	assert_int_equal(rd(&r, S(300), VPL031_RIS), 1);
	/* A load that moves the counter onto the match value fires too. */
	wr(&r, S(300), VPL031_ICR, 1);
	wr(&r, S(300), VPL031_MR, 7);
	assert_int_equal(rd(&r, S(300), VPL031_RIS), 0);
	wr(&r, S(300), VPL031_LR, 7);
	assert_int_equal(rd(&r, S(300), VPL031_RIS), 1);
	/* Reset: interrupt off and cleared, no stale match at the boot second. */
	vpl031_reset(&r, S(300));
	assert_false(vpl031_irq_level(&r));
	assert_int_equal(rd(&r, S(300), VPL031_RIS), 0);
	assert_int_equal(rd(&r, S(300), VPL031_IMSC), 0);
	/* A host far past the match (an hour-long sleep missed nothing): it fires once. */
	wr(&r, S(300), VPL031_MR, rd(&r, S(300), VPL031_DR) + 10);
	assert_true(vpl031_poll(&r, S(5000)));
	assert_false(vpl031_poll(&r, S(5001)));
}

/* A snapshot's state, loaded on another host whose clock reads differently: the guest's time
 * (offset), its alarm (MR, next match derived), LR and the interrupt bits come back. */
static void test_load_saved_state(void **state)
{
	(void)state;
	struct vpl031 r;
	uint64_t due;
	vpl031_init(&r, S(1));
	/* Saved at host second 1000 with the guest 500 s ahead, alarm at guest second 1520. */
	vpl031_load(&r, 500, 1520, 77, true, false, S(5000));
	assert_int_equal(rd(&r, S(5000), VPL031_DR), 5500);
	assert_int_equal(rd(&r, S(5000), VPL031_LR), 77);
	assert_int_equal(rd(&r, S(5000), VPL031_MR), 1520);
	/* 1520 is behind 5500: the counter matches it again after wrapping, not now. */
	assert_true(vpl031_alarm_due(&r, S(5000), &due));
	assert_true(due > S(5000));
	assert_false(vpl031_irq_level(&r));
	/* An alarm ahead of the loaded time fires at its second. */
	vpl031_load(&r, 500, 5510, 0, true, false, S(5000));
	assert_true(vpl031_alarm_due(&r, S(5000), &due));
	assert_true(due == S(5010));
	assert_false(vpl031_poll(&r, S(5009)));
	assert_true(vpl031_poll(&r, S(5010)));
	assert_true(vpl031_irq_level(&r));
	/* A raw interrupt saved pending stays pending, masked or not. */
	vpl031_load(&r, 0, 0, 0, false, true, S(5000));
	assert_false(vpl031_irq_level(&r));
	assert_int_equal(rd(&r, S(5000), VPL031_RIS), 1);
}

static void test_ids_and_reserved(void **state)
{
	(void)state;
	struct vpl031 r;
	vpl031_init(&r, 0);
	static const uint32_t want[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(rd(&r, 0, VPL031_ID + 4 * i), want[i]);
	assert_int_equal(rd(&r, 0, 0x020), 0);
	assert_int_equal(rd(&r, 0, 0xfdc), 0);
	wr(&r, 0, 0x800, 0xffffffffU); /* reserved: ignored */
	wr(&r, 0, VPL031_RIS, 1);      /* read-only */
	assert_int_equal(rd(&r, 0, VPL031_RIS), 0);
	wr(&r, 0, VPL031_DR, 1234); /* read-only: the counter is loaded through LR */
	assert_int_equal(rd(&r, 0, VPL031_DR), 0);
}

static void test_bad_accesses(void **state)
{
	(void)state;
	struct vpl031 r;
	uint64_t v = 0;
	vpl031_init(&r, S(10));
	struct vpl031 before = r;
	assert_int_equal(vpl031_read(&r, S(10), VPL031_DR, 2, &v), -FV_EINVAL);
	assert_int_equal(vpl031_read(&r, S(10), VPL031_DR, 8, &v), -FV_EINVAL);
	assert_int_equal(vpl031_read(&r, S(10), 0x2, 4, &v), -FV_EINVAL);
	assert_int_equal(vpl031_read(&r, S(10), VPL031_MMIO_SIZE, 4, &v), -FV_EINVAL);
	assert_int_equal(vpl031_read(&r, S(10), ~0ULL - 3, 4, &v), -FV_EINVAL);
	assert_int_equal(vpl031_write(&r, S(10), VPL031_LR, 1, 5), -FV_EINVAL);
	assert_int_equal(vpl031_write(&r, S(10), VPL031_MR + 1, 4, 5), -FV_EINVAL);
	assert_int_equal(vpl031_write(&r, S(10), 0x1000, 4, 5), -FV_EINVAL);
	assert_memory_equal(&before, &r, sizeof(r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_and_load), cmocka_unit_test(test_match_interrupt),
	    cmocka_unit_test(test_load_saved_state), cmocka_unit_test(test_ids_and_reserved),
	    cmocka_unit_test(test_bad_accesses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
