// SPDX-License-Identifier: MIT
/*
 * SSE extension (EID "SSE"), SBI spec v3.0 chapter 17: every function with valid and
 * invalid arguments, the event state machine (UNUSED/REGISTERED/ENABLED/RUNNING and the
 * INVALID_STATE errors), attributes (read/write, BAD_RANGE, read-only ones, buffer rules),
 * hart mask/unmask, and real deliveries of the software-injected local (0xffff0000) and
 * global (0xffff8000) events: the handler's entry state (a6 = hart id, a7 = ENTRY_ARG,
 * sstatus.SIE = 0, SPP = S, sepc = the interrupted pc, the INTERRUPTED_* attributes), full
 * register preservation across inject + handler + complete, one-shot events, pending while
 * masked/disabled, priority preemption both ways, and deliveries to and from the other hart.
 * OpenSBI 1.5.1 (SBI 2.0) implements a pre-ratification draft of SSE, which calls some of
 * these cases fatal (an attribute buffer outside RAM faults in M-mode): natively the suite
 * makes no SSE call and every check prints SKIP.
 */
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "sse_entry.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

#define SBI_EXT_SSE     0x535345
#define SSE_READ_ATTRS  0
#define SSE_WRITE_ATTRS 1
#define SSE_REGISTER    2
#define SSE_UNREGISTER  3
#define SSE_ENABLE      4
#define SSE_DISABLE     5
#define SSE_COMPLETE    6
#define SSE_INJECT      7
#define SSE_UNMASK      8
#define SSE_MASK        9

#define EV_LOCAL  0xffff0000UL
#define EV_GLOBAL 0xffff8000UL

#define A_STATUS   0
#define A_PRIORITY 1
#define A_CONFIG   2
#define A_PREF     3
#define A_ENTRY_PC 4
#define A_ARG      5
#define A_I_SEPC   6
#define A_I_FLAGS  7
#define A_I_A6     8
#define A_I_A7     9

#define SBI_ERR_INVALID_STATE (-10)
#define SBI_ERR_BAD_RANGE     (-11)

#define ARG_LOCAL  0x10ca1UL
#define ARG_GLOBAL 0x910ba1UL

/* What one handler invocation saw (per hart; written in the handler only). */
struct sse_seen {
	volatile uint64_t count;
	volatile unsigned long a6, a7, sstatus, sepc;
	volatile unsigned long attrs[10];
	volatile long attrs_err;
};

static struct sse_seen seen_local[GUEST_MAX_HARTS], seen_global[GUEST_MAX_HARTS];
static volatile int nested_inject_global; /* the local handler injects the global event */
/* Order of handler starts/ends: 'L' local start, 'l' local end, 'G' global. */
static volatile char order[16];
static volatile unsigned int n_order;
static volatile uint64_t worker_errors;
static bool present;  /* deliveries can be waited for */
static bool callable; /* SSE calls are made at all */

static struct sbiret sse(unsigned long fid, unsigned long a0, unsigned long a1, unsigned long a2,
                         unsigned long a3, unsigned long a4)
{
	struct sbiret none = {SBI_ERR_NOT_SUPPORTED, 0};

	return callable ? sbi_ecall(SBI_EXT_SSE, fid, a0, a1, a2, a3, a4, 0) : none;
}

static long inject(unsigned long event_id, unsigned long hart_id)
{
	return callable ? suite_sse_inject(event_id, hart_id) : SBI_ERR_NOT_SUPPORTED;
}

static long read_attr(unsigned long ev, unsigned long attr, unsigned long *val)
{
	static unsigned long buf[GUEST_MAX_HARTS][10] __attribute__((aligned(8)));
	unsigned long *b = buf[smp_hartid() % GUEST_MAX_HARTS];
	long err = sse(SSE_READ_ATTRS, ev, attr, 1, (unsigned long)b, 0).error;

	*val = b[0];
	return err;
}

static long write_attr(unsigned long ev, unsigned long attr, unsigned long val)
{
	static unsigned long buf[GUEST_MAX_HARTS][2] __attribute__((aligned(8)));
	unsigned long *b = buf[smp_hartid() % GUEST_MAX_HARTS];

	b[0] = val;
	return sse(SSE_WRITE_ATTRS, ev, attr, 1, (unsigned long)b, 0).error;
}

static void mark(char c)
{
	unsigned int n = __atomic_fetch_add(&n_order, 1, __ATOMIC_RELAXED);

	if (n < sizeof(order))
		order[n] = c;
}

void suite_sse_handler(unsigned long hartid, unsigned long arg, unsigned long sp)
{
	bool global = arg == ARG_GLOBAL;
	struct sse_seen *s = &(global ? seen_global : seen_local)[hartid % GUEST_MAX_HARTS];
	unsigned long buf[10] __attribute__((aligned(8)));

	(void)sp;
	s->a6 = hartid;
	s->a7 = arg;
	s->sstatus = csr_read(sstatus);
	s->sepc = csr_read(sepc);
	s->attrs_err =
	    sse(SSE_READ_ATTRS, global ? EV_GLOBAL : EV_LOCAL, 0, 10, (unsigned long)buf, 0).error;
	for (int i = 0; i < 10; i++)
		s->attrs[i] = buf[i];
	mark(global ? 'G' : 'L');
	if (!global && nested_inject_global) {
		nested_inject_global = 0;
		inject(EV_GLOBAL, 0);
	}
	if (!global)
		mark('l');
	__asm__ volatile("fence rw, rw" : : : "memory");
	s->count++;
}

void suite_sse_complete_returned(void)
{
	test_abort("sse: sbi_sse_complete returned to the handler");
}

static bool wait_count(struct sse_seen *s, uint64_t before)
{
	return present && suite_wait_change(&s->count, before, 1000);
}

static void errors_before_register(void)
{
	unsigned long v = 0, pc = (unsigned long)suite_sse_entry;
	static unsigned long buf[4] __attribute__((aligned(8)));

	test_check_eq("sse.register.invalid_event", sse(SSE_REGISTER, 0x12345, pc, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.register.ras_not_offered", sse(SSE_REGISTER, 0, pc, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.register.misaligned_pc",
	              sse(SSE_REGISTER, EV_LOCAL, pc | 1, 0, 0, 0).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.enable.unused", sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.disable.unused", sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.unregister.unused", sse(SSE_UNREGISTER, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.enable.invalid_event", sse(SSE_ENABLE, 0x4000, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);

	long err = read_attr(EV_LOCAL, A_STATUS, &v);
	test_checkf(err == SBI_SUCCESS && (v & 3) == 0, "sse.read_attrs.status_unused",
	            "error %ld status 0x%lx", err, v);
	test_check_eq("sse.read_attrs.zero_count",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 0, 0, (unsigned long)buf, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.read_attrs.range_past_last",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 9, 2, (unsigned long)buf, 0).error,
	              SBI_ERR_BAD_RANGE);
	test_check_eq("sse.read_attrs.base_past_last",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 10, 1, (unsigned long)buf, 0).error,
	              SBI_ERR_BAD_RANGE);
	test_check_eq("sse.read_attrs.count_wraps",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 2, 0xffffffffUL, (unsigned long)buf, 0).error,
	              SBI_ERR_BAD_RANGE);
	test_check_eq("sse.read_attrs.misaligned_buffer",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 0, 1, (unsigned long)buf + 4, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sse.read_attrs.addr_hi",
	              sse(SSE_READ_ATTRS, EV_LOCAL, 0, 1, (unsigned long)buf, 1).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq(
	    "sse.read_attrs.outside_ram",
	    sse(SSE_READ_ATTRS, EV_LOCAL, 0, 2, plat_ram_base() + plat_ram_size() - 8, 0).error,
	    SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sse.read_attrs.invalid_event",
	              sse(SSE_READ_ATTRS, 0x12345, 0, 1, (unsigned long)buf, 0).error,
	              SBI_ERR_INVALID_PARAM);
	/* event_id, base_attr_id and attr_count are uint32_t: upper bits are ignored. */
	test_check_eq("sse.read_attrs.upper_bits_ignored",
	              sse(SSE_READ_ATTRS, suite_hi_garbage(EV_LOCAL), suite_hi_garbage(A_STATUS),
	                  suite_hi_garbage(1), (unsigned long)buf, 0)
	                  .error,
	              SBI_SUCCESS);
	test_check_eq("sse.hart_mask.already_masked", sse(SSE_MASK, 0, 0, 0, 0, 0).error,
	              SBI_ERR_ALREADY_STOPPED);
}

static void register_local(void)
{
	unsigned long v = 0, pc = (unsigned long)suite_sse_entry;

	test_check_eq("sse.register.local", sse(SSE_REGISTER, EV_LOCAL, pc, ARG_LOCAL, 0, 0).error,
	              SBI_SUCCESS);
	test_check_eq("sse.register.twice", sse(SSE_REGISTER, EV_LOCAL, pc, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_checkf(read_attr(EV_LOCAL, A_STATUS, &v) == SBI_SUCCESS && (v & 3) == 1,
	            "sse.read_attrs.status_registered", "status 0x%lx", v);
	test_checkf(read_attr(EV_LOCAL, A_ENTRY_PC, &v) == SBI_SUCCESS && v == pc,
	            "sse.read_attrs.entry_pc", "0x%lx", v);
	test_checkf(read_attr(EV_LOCAL, A_ARG, &v) == SBI_SUCCESS && v == ARG_LOCAL,
	            "sse.read_attrs.entry_arg", "0x%lx", v);
	test_checkf(read_attr(EV_LOCAL, A_PREF, &v) == SBI_SUCCESS && v == suite_self(),
	            "sse.read_attrs.local_preferred_hart_is_self", "0x%lx", v);
	test_check_eq("sse.write_attrs.status_read_only", write_attr(EV_LOCAL, A_STATUS, 0),
	              SBI_ERR_BAD_RANGE);
	test_check_eq("sse.write_attrs.entry_pc_read_only", write_attr(EV_LOCAL, A_ENTRY_PC, pc),
	              SBI_ERR_BAD_RANGE);
	test_check_eq("sse.write_attrs.local_preferred_hart_read_only",
	              write_attr(EV_LOCAL, A_PREF, 0), SBI_ERR_BAD_RANGE);
	test_check_eq("sse.write_attrs.config_reserved_bits", write_attr(EV_LOCAL, A_CONFIG, 2),
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.write_attrs.interrupted_not_running",
	              write_attr(EV_LOCAL, A_I_SEPC, 0x1000), SBI_ERR_INVALID_STATE);
	test_check_eq("sse.write_attrs.priority_registered", write_attr(EV_LOCAL, A_PRIORITY, 5),
	              SBI_SUCCESS);
	test_checkf(read_attr(EV_LOCAL, A_PRIORITY, &v) == SBI_SUCCESS && v == 5,
	            "sse.read_attrs.priority", "%lu", v);
	test_check_eq("sse.disable.registered", sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.enable.registered", sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	test_check_eq("sse.enable.twice", sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.write_attrs.priority_enabled", write_attr(EV_LOCAL, A_PRIORITY, 6),
	              SBI_ERR_INVALID_STATE);
	test_check_eq("sse.unregister.enabled", sse(SSE_UNREGISTER, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_ERR_INVALID_STATE);
}

static void local_delivery(void)
{
	struct sse_seen *s = &seen_local[suite_self() % GUEST_MAX_HARTS];
	unsigned long v = 0;
	uint64_t before;

	/* Masked: the injection stays pending. */
	before = s->count;
	test_check_eq("sse.inject.local_masked", inject(EV_LOCAL, suite_self()), SBI_SUCCESS);
	test_check_eq("sse.inject.masked_not_delivered", (long)(s->count - before), 0);
	test_checkf(read_attr(EV_LOCAL, A_STATUS, &v) == SBI_SUCCESS && (v & 4),
	            "sse.read_attrs.status_pending", "status 0x%lx", v);
	/* Unmask: delivered right after the call returns. */
	test_check_eq("sse.hart_unmask.success", sse(SSE_UNMASK, 0, 0, 0, 0, 0).error, SBI_SUCCESS);
	test_check(wait_count(s, before), "sse.hart_unmask.pending_delivered");
	test_check_eq("sse.hart_unmask.again", sse(SSE_UNMASK, 0, 0, 0, 0, 0).error,
	              SBI_ERR_ALREADY_STARTED);

	/* Inject on this hart: the handler runs before the instruction after the ECALL. */
	before = s->count;
	irq_disable(); /* SSE does not wait for sstatus.SIE */
	long err = inject(EV_LOCAL, suite_self());
	uint64_t after = s->count;
	irq_enable();
	test_check_eq("sse.inject.local_self", err, SBI_SUCCESS);
	test_check_eq("sse.inject.local_self_delivered_at_once", (long)(after - before), 1);
	test_check_eq("sse.handler.a6_hartid", (long)s->a6, (long)suite_self());
	test_check_eq("sse.handler.a7_entry_arg", (long)s->a7, (long)ARG_LOCAL);
	test_checkf(!(s->sstatus & SSTATUS_SIE), "sse.handler.sie_clear", "sstatus 0x%lx",
	            s->sstatus);
	test_checkf(s->sstatus & SSTATUS_SPP, "sse.handler.spp_supervisor", "sstatus 0x%lx",
	            s->sstatus);
	test_check_eq("sse.handler.sepc_interrupted_pc", (long)s->sepc,
	              (long)(unsigned long)suite_sse_inject_ret);
	test_check_eq("sse.handler.read_attrs", s->attrs_err, SBI_SUCCESS);
	test_check_eq("sse.handler.status_running", (long)(s->attrs[A_STATUS] & 3), 3);
	test_check_eq("sse.handler.interrupted_a6", (long)s->attrs[A_I_A6], SSE_INJECT);
	test_check_eq("sse.handler.interrupted_a7", (long)s->attrs[A_I_A7], SBI_EXT_SSE);
	test_checkf(!(s->attrs[A_I_FLAGS] & ~3UL), "sse.handler.interrupted_flags_no_h", "0x%lx",
	            s->attrs[A_I_FLAGS]);
	test_checkf(read_attr(EV_LOCAL, A_STATUS, &v) == SBI_SUCCESS && v == (2 | 8),
	            "sse.complete.back_to_enabled", "status 0x%lx", v);

	/* Every register survives inject + handler + complete. */
	const unsigned long args[6] = {EV_LOCAL, suite_self(), 0x2222, 0x3333, 0x4444, 0x5555};
	before = s->count;
	if (callable)
		suite_check_regs_preserved("sse.inject.regs_preserved_across_handler", SBI_EXT_SSE,
		                           SSE_INJECT, args, NULL);
	else
		test_check(false, "sse.inject.regs_preserved_across_handler");
	test_check_eq("sse.inject.regs_preserved_handler_ran", (long)(s->count - before), 1);

	test_check_eq("sse.complete.nothing_running", sse(SSE_COMPLETE, 0, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	test_check_eq("sse.inject.invalid_hart", inject(EV_LOCAL, SUITE_INVALID_HART),
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.inject.invalid_event", inject(0x12345, suite_self()),
	              SBI_ERR_INVALID_PARAM);

	/* Disabled: pending until enabled again. */
	sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0);
	before = s->count;
	inject(EV_LOCAL, suite_self());
	test_check_eq("sse.inject.disabled_not_delivered", (long)(s->count - before), 0);
	test_check_eq("sse.enable.pending", sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	test_check(wait_count(s, before), "sse.enable.pending_delivered");

	/* One-shot: back to REGISTERED after complete. */
	sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0);
	test_check_eq("sse.write_attrs.config_oneshot", write_attr(EV_LOCAL, A_CONFIG, 1),
	              SBI_SUCCESS);
	sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0);
	before = s->count;
	inject(EV_LOCAL, suite_self());
	test_check_eq("sse.complete.oneshot_delivered", (long)(s->count - before), 1);
	test_checkf(read_attr(EV_LOCAL, A_STATUS, &v) == SBI_SUCCESS && (v & 3) == 1,
	            "sse.complete.oneshot_registered", "status 0x%lx", v);
	write_attr(EV_LOCAL, A_CONFIG, 0);
	sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0);
}

static void global_and_priority(void)
{
	struct sse_seen *g = &seen_global[suite_self() % GUEST_MAX_HARTS];
	unsigned long pc = (unsigned long)suite_sse_entry;
	uint64_t before;

	test_check_eq("sse.register.global",
	              sse(SSE_REGISTER, EV_GLOBAL, pc, ARG_GLOBAL, 0, 0).error, SBI_SUCCESS);
	test_check_eq("sse.write_attrs.preferred_hart_invalid",
	              write_attr(EV_GLOBAL, A_PREF, SUITE_INVALID_HART), SBI_ERR_INVALID_PARAM);
	test_check_eq("sse.write_attrs.preferred_hart_self",
	              write_attr(EV_GLOBAL, A_PREF, suite_self()), SBI_SUCCESS);
	write_attr(EV_GLOBAL, A_PRIORITY, 1); /* more urgent than the local event (5) */
	test_check_eq("sse.enable.global", sse(SSE_ENABLE, EV_GLOBAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	before = g->count;
	/* hart_id is ignored for a global event. */
	test_check_eq("sse.inject.global", inject(EV_GLOBAL, SUITE_INVALID_HART), SBI_SUCCESS);
	test_check(wait_count(g, before), "sse.inject.global_delivered");
	test_check_eq("sse.handler.global_a6_hartid", (long)g->a6, (long)suite_self());
	test_check_eq("sse.handler.global_a7_entry_arg", (long)g->a7, (long)ARG_GLOBAL);

	/* A more urgent event preempts a running handler: L, G, l. */
	n_order = 0;
	nested_inject_global = 1;
	inject(EV_LOCAL, suite_self());
	test_checkf(present && n_order == 3 && order[0] == 'L' && order[1] == 'G' &&
	                order[2] == 'l',
	            "sse.priority.urgent_preempts", "order %c%c%c (%u)", order[0], order[1],
	            order[2], n_order);

	/* A less urgent one waits for the running handler: L, l, G. */
	sse(SSE_DISABLE, EV_GLOBAL, 0, 0, 0, 0);
	write_attr(EV_GLOBAL, A_PRIORITY, 9);
	sse(SSE_ENABLE, EV_GLOBAL, 0, 0, 0, 0);
	n_order = 0;
	nested_inject_global = 1;
	inject(EV_LOCAL, suite_self());
	suite_wait_change(&g->count, g->count, present ? 100 : 0);
	test_checkf(present && n_order == 3 && order[0] == 'L' && order[1] == 'l' &&
	                order[2] == 'G',
	            "sse.priority.less_urgent_waits", "order %c%c%c (%u)", order[0], order[1],
	            order[2], n_order);
}

/* Worker side: its own local event, unmasked. */
static void worker_setup(unsigned long unused)
{
	(void)unused;
	if (sse(SSE_REGISTER, EV_LOCAL, (unsigned long)suite_sse_entry, ARG_LOCAL, 0, 0).error ||
	    sse(SSE_ENABLE, EV_LOCAL, 0, 0, 0, 0).error || sse(SSE_UNMASK, 0, 0, 0, 0, 0).error)
		worker_errors++;
}

static void worker_teardown(unsigned long unused)
{
	(void)unused;
	if (sse(SSE_MASK, 0, 0, 0, 0, 0).error || sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0).error ||
	    sse(SSE_UNREGISTER, EV_LOCAL, 0, 0, 0, 0).error)
		worker_errors++;
}

/* Both harts inject the other's local event. */
static void hammer(unsigned long target)
{
	for (int i = 0; i < 50; i++)
		if (inject(EV_LOCAL, target) != SBI_SUCCESS)
			__atomic_fetch_add(&worker_errors, 1, __ATOMIC_RELAXED);
}

static void two_harts(void)
{
	unsigned long other;
	struct sse_seen *so, *sg, *sl;
	uint64_t before, mine;

	if (!callable)
		return; /* the worker would only be started to be stopped again */
	if (suite_other() < 0 || !test_check(suite_worker_start(), "sse.inject.worker_up"))
		return;
	other = (unsigned long)suite_other();
	so = &seen_local[other % GUEST_MAX_HARTS];
	sg = &seen_global[other % GUEST_MAX_HARTS];
	sl = &seen_local[suite_self() % GUEST_MAX_HARTS];
	worker_errors = 0;
	test_check(suite_worker_call(worker_setup, 0, 2000) && worker_errors == 0,
	           "sse.register.other_hart");

	/* The other hart sleeps in WFI: the event must wake it. */
	before = so->count;
	test_check_eq("sse.inject.local_other", inject(EV_LOCAL, other), SBI_SUCCESS);
	test_check(wait_count(so, before), "sse.inject.local_other_delivered");
	test_check_eq("sse.handler.other_a6_hartid", (long)so->a6, (long)other);

	/* Global event routed to its preferred hart. */
	sse(SSE_DISABLE, EV_GLOBAL, 0, 0, 0, 0);
	test_check_eq("sse.write_attrs.preferred_hart_other", write_attr(EV_GLOBAL, A_PREF, other),
	              SBI_SUCCESS);
	sse(SSE_ENABLE, EV_GLOBAL, 0, 0, 0, 0);
	before = sg->count;
	test_check_eq("sse.inject.global_to_other", inject(EV_GLOBAL, 0), SBI_SUCCESS);
	test_check(wait_count(sg, before), "sse.inject.global_other_delivered");

	/* Both harts inject into each other at once. */
	worker_errors = 0;
	before = so->count;
	mine = sl->count;
	bool posted = suite_worker_post(hammer, suite_self());
	hammer(other);
	test_check(posted && suite_worker_wait(10000), "sse.inject.concurrent_finishes");
	test_check_eq("sse.inject.concurrent_errors", (long)worker_errors, 0);
	test_check(wait_count(so, before) && wait_count(sl, mine),
	           "sse.inject.concurrent_delivered");
	printf("sbi_test: sse concurrent: %lu deliveries here, %lu on the other hart\n",
	       (unsigned long)(sl->count - mine), (unsigned long)(so->count - before));

	worker_errors = 0;
	test_check(suite_worker_call(worker_teardown, 0, 2000) && worker_errors == 0,
	           "sse.unregister.other_hart");
	test_check(suite_worker_stop(), "sse.inject.worker_stopped");
}

static void teardown(void)
{
	unsigned long v = 0;

	test_check_eq("sse.hart_mask.success", sse(SSE_MASK, 0, 0, 0, 0, 0).error, SBI_SUCCESS);
	test_check_eq("sse.disable.enabled", sse(SSE_DISABLE, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	test_check_eq("sse.unregister.registered", sse(SSE_UNREGISTER, EV_LOCAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	sse(SSE_DISABLE, EV_GLOBAL, 0, 0, 0, 0);
	test_check_eq("sse.unregister.global", sse(SSE_UNREGISTER, EV_GLOBAL, 0, 0, 0, 0).error,
	              SBI_SUCCESS);
	test_checkf(read_attr(EV_LOCAL, A_STATUS, &v) == SBI_SUCCESS && (v & 3) == 0,
	            "sse.unregister.status_unused", "status 0x%lx", v);
}

void sbi_suite_sse(void)
{
	struct sbiret v = sbi_get_spec_version();

	present = suite_ext_begin(SBI_EXT_SSE, "sse");
	if (present && !suite_under_ferrovisor() && ((v.value >> 24) & 0x7f) < 3) {
		test_skip_all("SSE of an SBI 2.0 implementation is a pre-v3.0 draft");
		present = false;
	}
	callable = present;
	errors_before_register();
	register_local();
	local_delivery();
	global_and_priority();
	two_harts();
	teardown();
	suite_ext_end();
}
