/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hyp/arch/riscv/sbi/sse_core.c: the SSE event state machine, attribute
 * reads/writes with their error precedence, priority order, and the register changes of
 * injection and completion (RISC-V SBI v3.0 chapter 17).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/riscv/csr.h"
#include "arch/riscv/sbi/sse_core.h"

static void test_supported(void **state)
{
	bool g = true;
	(void)state;
	assert_true(sse_event_supported(SSE_EVENT_LOCAL_SW, &g));
	assert_false(g);
	assert_true(sse_event_supported(SSE_EVENT_GLOBAL_SW, &g));
	assert_true(g);
	/* RAS, double trap, PMU, reserved and platform ids have no source here. */
	assert_false(sse_event_supported(0x0, &g));
	assert_false(sse_event_supported(0x1, &g));
	assert_false(sse_event_supported(0x8000, &g));
	assert_false(sse_event_supported(0x10000, &g));
	assert_false(sse_event_supported(0xffff0001, &g));
	assert_false(sse_event_supported(0xffffc000, &g));
}

static void test_urgency(void **state)
{
	(void)state;
	assert_true(sse_more_urgent(0, 5, 1, 0)); /* lower priority value wins */
	assert_false(sse_more_urgent(2, 0, 1, 9));
	assert_true(sse_more_urgent(3, 0xffff0000, 3, 0xffff8000)); /* tie: lower id */
	assert_false(sse_more_urgent(3, 0xffff8000, 3, 0xffff0000));
	assert_false(sse_more_urgent(3, 7, 3, 7)); /* not more urgent than itself */
}

static void test_state_machine(void **state)
{
	struct sse_event e;
	(void)state;
	sse_reset(&e, 0);
	assert_int_equal(sse_enable(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_disable(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_unregister(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_register(&e, 0x80001001, 7), SBI_ERR_INVALID_PARAM); /* odd pc */
	assert_int_equal(e.state, SSE_STATE_UNUSED);
	assert_int_equal(sse_register(&e, 0x80001002, 7), SBI_SUCCESS);
	assert_int_equal(e.state, SSE_STATE_REGISTERED);
	assert_int_equal(sse_register(&e, 0x80001000, 7), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_disable(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_enable(&e), SBI_SUCCESS);
	assert_int_equal(sse_enable(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_unregister(&e), SBI_ERR_INVALID_STATE);
	assert_int_equal(sse_disable(&e), SBI_SUCCESS);
	assert_int_equal(sse_unregister(&e), SBI_SUCCESS);
	assert_int_equal(e.state, SSE_STATE_UNUSED);
}

static void test_attrs(void **state)
{
	struct sse_event e;
	uint64_t out[SSE_NR_ATTRS], in[SSE_NR_ATTRS] = {0};
	(void)state;
	sse_reset(&e, 3);
	assert_int_equal(sse_attrs_read(&e, 0, 0, false, out), SBI_ERR_INVALID_PARAM);
	assert_int_equal(sse_attrs_read(&e, 9, 2, false, out), SBI_ERR_BAD_RANGE);
	assert_int_equal(sse_attrs_read(&e, 10, 1, false, out), SBI_ERR_BAD_RANGE);
	assert_int_equal(sse_attrs_read(&e, 1, UINT32_MAX, false, out), SBI_ERR_BAD_RANGE);
	assert_int_equal(sse_attrs_read(&e, 0, SSE_NR_ATTRS, true, out), SBI_SUCCESS);
	assert_int_equal(out[SSE_ATTR_STATUS], SSE_STATUS_PENDING | SSE_STATUS_INJECTABLE);
	assert_int_equal(out[SSE_ATTR_PREFERRED_HART], 3);

	/* Read-only ids make the whole write fail, and nothing changes. */
	in[0] = 9;  /* PRIORITY */
	in[1] = 1;  /* CONFIG */
	in[2] = 0;  /* PREFERRED_HART */
	in[3] = 42; /* ENTRY_PC: read-only */
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_PRIORITY, 4, in, true, 4), SBI_ERR_BAD_RANGE);
	assert_int_equal(e.priority, 0);
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_STATUS, 1, in, true, 4), SBI_ERR_BAD_RANGE);
	/* PREFERRED_HART: read-only for local events, a valid hart for global ones. */
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_PREFERRED_HART, 1, in, false, 4),
	                 SBI_ERR_BAD_RANGE);
	in[0] = 4;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_PREFERRED_HART, 1, in, true, 4),
	                 SBI_ERR_INVALID_PARAM);
	/* CONFIG: only bit 0. */
	in[0] = 2;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_CONFIG, 1, in, true, 4),
	                 SBI_ERR_INVALID_PARAM);
	/* PRIORITY keeps the lower 32 bits only. */
	in[0] = 0x1234567800000009ULL;
	in[1] = 1;
	in[2] = 2;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_PRIORITY, 3, in, true, 4), SBI_SUCCESS);
	assert_int_equal(e.priority, 9);
	assert_int_equal(e.config, 1);
	assert_int_equal(e.preferred_hart, 2);
	/* Interrupted state only while RUNNING; priority only while UNUSED/REGISTERED. */
	in[0] = 0x1000;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_INTERRUPTED_SEPC, 1, in, true, 4),
	                 SBI_ERR_INVALID_STATE);
	e.state = SSE_STATE_RUNNING;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_INTERRUPTED_SEPC, 1, in, true, 4),
	                 SBI_SUCCESS);
	assert_int_equal(e.int_sepc, 0x1000);
	in[0] = 4; /* hstatus.SPV: guests have no H extension */
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_INTERRUPTED_FLAGS, 1, in, true, 4),
	                 SBI_ERR_INVALID_PARAM);
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_PRIORITY, 1, in, true, 4),
	                 SBI_ERR_INVALID_STATE);
	e.state = SSE_STATE_ENABLED;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_CONFIG, 1, in, true, 4),
	                 SBI_ERR_INVALID_PARAM);
	in[0] = 0;
	assert_int_equal(sse_attrs_write(&e, SSE_ATTR_CONFIG, 1, in, true, 4),
	                 SBI_ERR_INVALID_STATE);
}

static void test_inject_complete(void **state)
{
	struct sse_event e;
	struct sse_regs r = {
	    .pc = 0x80201000,
	    .smode = false,                       /* interrupted in U-mode */
	    .sstatus = SSTATUS_SIE | SSTATUS_SPP, /* SPP from an earlier trap, SPIE clear */
	    .sepc = 0x80300000,
	    .a6 = 0x66,
	    .a7 = 0x77,
	};
	(void)state;
	sse_reset(&e, 0);
	sse_register(&e, 0x80400000, 0xabc);
	sse_enable(&e);
	sse_inject(&e, &r, 5);
	assert_int_equal(e.state, SSE_STATE_RUNNING);
	assert_int_equal(e.int_sepc, 0x80300000);
	assert_int_equal(e.int_flags, SSE_FLAG_SPP); /* old SPP = 1, old SPIE = 0 */
	assert_int_equal(e.int_a6, 0x66);
	assert_int_equal(e.int_a7, 0x77);
	assert_int_equal(r.pc, 0x80400000);
	assert_true(r.smode);
	assert_int_equal(r.a6, 5);
	assert_int_equal(r.a7, 0xabc);
	assert_int_equal(r.sepc, 0x80201000);
	assert_int_equal(r.sstatus & SSTATUS_SIE, 0);
	assert_int_equal(r.sstatus & SSTATUS_SPIE, SSTATUS_SPIE); /* was SIE */
	assert_int_equal(r.sstatus & SSTATUS_SPP, 0);             /* interrupted U-mode */

	/* The handler returns through complete: everything comes back. */
	sse_complete(&e, &r);
	assert_int_equal(e.state, SSE_STATE_ENABLED);
	assert_int_equal(r.pc, 0x80201000);
	assert_false(r.smode);
	assert_int_equal(r.sstatus & (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP),
	                 SSTATUS_SIE | SSTATUS_SPP);
	assert_int_equal(r.sepc, 0x80300000);
	assert_int_equal(r.a6, 0x66);
	assert_int_equal(r.a7, 0x77);

	/* One-shot: back to REGISTERED. */
	e.config = SSE_CONFIG_ONESHOT;
	sse_inject(&e, &r, 5);
	sse_complete(&e, &r);
	assert_int_equal(e.state, SSE_STATE_REGISTERED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_supported),       cmocka_unit_test(test_urgency),
	    cmocka_unit_test(test_state_machine),   cmocka_unit_test(test_attrs),
	    cmocka_unit_test(test_inject_complete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
