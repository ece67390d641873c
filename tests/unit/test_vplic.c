/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the PLIC model (hyp/arch/riscv/vplic.c): priorities and
 * thresholds, claim ordering, level-sensitive gateways, completion rules,
 * per-context independence, notify transitions, source 0 and absent
 * sources/contexts, access widths, Linux irq-sifive-plic access sequences,
 * and a 1M-operation hostile sweep checked against an independent shadow
 * model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/riscv/vplic.h"

#define PRIO(s)      (VPLIC_PRIORITY_BASE + 4u * (s))
#define PENDING(w)   (VPLIC_PENDING_BASE + 4u * (w))
#define ENABLE(c, w) (VPLIC_ENABLE_BASE + VPLIC_ENABLE_STRIDE * (c) + 4u * (w))
#define THRESHOLD(c) (VPLIC_CONTEXT_BASE + VPLIC_CONTEXT_STRIDE * (c))
#define CLAIM(c)     (THRESHOLD(c) + VPLIC_CONTEXT_CLAIM)

/* ---- fake host side: records every notify ---- */

#define LOG_MAX 64

struct event {
	unsigned context;
	bool level;
};

struct host {
	struct vplic *p;
	bool level[VPLIC_MAX_CONTEXTS];
	unsigned long calls;
	struct event log[LOG_MAX];
	unsigned nlog;
};

static void host_notify(void *ctx, unsigned context, bool level)
{
	struct host *h = ctx;

	assert_true(context < h->p->ncontexts);
	/* only called on a real change, and consistent with the query */
	assert_int_not_equal(level, h->level[context]);
	assert_int_equal(level, vplic_context_pending(h->p, context));
	h->level[context] = level;
	h->calls++;
	if (h->nlog < LOG_MAX)
		h->log[h->nlog] = (struct event){context, level};
	h->nlog++;
}

static const struct vplic_ops host_ops = {host_notify};

struct fixture {
	struct vplic p;
	struct host h;
};

static void fixture_init(struct fixture *f, unsigned nsources, unsigned ncontexts)
{
	memset(f, 0, sizeof(*f));
	f->h.p = &f->p;
	assert_int_equal(vplic_init(&f->p, nsources, ncontexts, &host_ops, &f->h), 0);
}

/* Default geometry: 64 sources (ndev 63), 4 contexts. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	fixture_init(f, VPLIC_MAX_SOURCES, 4);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void log_clear(struct host *h)
{
	h->nlog = 0;
}

static void log_expect(struct host *h, unsigned i, unsigned context, bool level)
{
	assert_true(i < h->nlog);
	assert_int_equal(h->log[i].context, context);
	assert_int_equal(h->log[i].level, level);
}

/* ---- register helpers (aligned 4-byte accesses only) ---- */

static uint32_t rd(struct vplic *p, uint64_t off)
{
	uint64_t v = 0xdeadbeefcafef00dull;

	assert_int_equal(vplic_read(p, off, 4, &v), 0);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static void wr(struct vplic *p, uint64_t off, uint32_t v)
{
	assert_int_equal(vplic_write(p, off, 4, v), 0);
}

static void set_prio(struct vplic *p, unsigned src, uint32_t prio)
{
	wr(p, PRIO(src), prio);
}

/* Read-modify-write of one enable bit, as drivers do. */
static void set_enable(struct vplic *p, unsigned c, unsigned src, bool on)
{
	uint32_t v = rd(p, ENABLE(c, src / 32));

	v = on ? v | (1u << (src % 32)) : v & ~(1u << (src % 32));
	wr(p, ENABLE(c, src / 32), v);
}

static uint32_t claim(struct vplic *p, unsigned c)
{
	return rd(p, CLAIM(c));
}

static void complete(struct vplic *p, unsigned c, uint32_t id)
{
	wr(p, CLAIM(c), id);
}

static bool is_pending(struct vplic *p, unsigned src)
{
	return (rd(p, PENDING(src / 32)) >> (src % 32)) & 1u;
}

/* ---- tests ---- */

static void test_init_geometry(void **state)
{
	struct fixture *f = *state;
	struct vplic q;

	assert_int_equal(vplic_init(&q, 0, 1, NULL, NULL), -FV_EINVAL);
	assert_int_equal(vplic_init(&q, VPLIC_MAX_SOURCES + 1, 1, NULL, NULL), -FV_EINVAL);
	assert_int_equal(vplic_init(&q, 8, 0, NULL, NULL), -FV_EINVAL);
	assert_int_equal(vplic_init(&q, 8, VPLIC_MAX_CONTEXTS + 1, NULL, NULL), -FV_EINVAL);
	/* a failed init leaves an inert device: everything reads 0, nothing crashes */
	vplic_set_level(&q, 1, true);
	assert_int_equal(rd(&q, CLAIM(0)), 0);
	wr(&q, PRIO(1), 7);
	assert_int_equal(rd(&q, PRIO(1)), 0);
	assert_false(vplic_context_pending(&q, 0));
	assert_int_equal(vplic_ndev(&q), 0);

	assert_int_equal(vplic_init(&q, 1, 1, NULL, NULL), 0);
	assert_int_equal(vplic_ndev(&q), 0);
	assert_int_equal(vplic_init(&q, VPLIC_MAX_SOURCES, VPLIC_MAX_CONTEXTS, NULL, NULL), 0);
	assert_int_equal(vplic_ndev(&q), 63);

	/* power-on state of the fixture: all zero, outputs low */
	for (unsigned s = 0; s < VPLIC_MAX_SOURCES; s++)
		assert_int_equal(rd(&f->p, PRIO(s)), 0);
	for (unsigned c = 0; c < 4; c++) {
		assert_int_equal(rd(&f->p, THRESHOLD(c)), 0);
		assert_int_equal(rd(&f->p, ENABLE(c, 0)), 0);
		assert_int_equal(rd(&f->p, ENABLE(c, 1)), 0);
		assert_int_equal(claim(&f->p, c), 0);
		assert_false(vplic_context_pending(&f->p, c));
	}
	assert_int_equal(rd(&f->p, PENDING(0)), 0);
	assert_int_equal(f->h.calls, 0);
}

static void test_source0_and_absent(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	struct fixture g;

	/* source 0: priority reserved, enable and pending bits hardwired 0 */
	set_prio(p, 0, 7);
	assert_int_equal(rd(p, PRIO(0)), 0);
	wr(p, ENABLE(0, 0), UINT32_MAX);
	assert_int_equal(rd(p, ENABLE(0, 0)), 0xfffffffeu);
	vplic_set_level(p, 0, true);
	assert_int_equal(rd(p, PENDING(0)), 0);
	complete(p, 0, 0);
	assert_int_equal(claim(p, 0), 0);
	assert_int_equal(f->h.calls, 0);

	/* a smaller geometry: 20 sources (ndev 19), 2 contexts */
	fixture_init(&g, 20, 2);
	wr(&g.p, ENABLE(0, 0), UINT32_MAX);
	wr(&g.p, ENABLE(0, 1), UINT32_MAX);
	assert_int_equal(rd(&g.p, ENABLE(0, 0)), 0x000ffffeu);
	assert_int_equal(rd(&g.p, ENABLE(0, 1)), 0);
	set_prio(&g.p, 19, 5);
	set_prio(&g.p, 20, 5);
	set_prio(&g.p, 1023, 5);
	assert_int_equal(rd(&g.p, PRIO(19)), 5);
	assert_int_equal(rd(&g.p, PRIO(20)), 0);
	assert_int_equal(rd(&g.p, PRIO(1023)), 0);
	vplic_set_level(&g.p, 20, true);
	vplic_set_level(&g.p, 63, true);
	vplic_set_level(&g.p, 64, true);
	vplic_set_level(&g.p, 1000, true);
	vplic_set_level(&g.p, UINT32_MAX, true);
	assert_int_equal(rd(&g.p, PENDING(0)), 0);
	assert_int_equal(rd(&g.p, PENDING(1)), 0);
	complete(&g.p, 0, 20);
	complete(&g.p, 0, UINT32_MAX);
	assert_int_equal(claim(&g.p, 0), 0);
	/* absent contexts: reserved, read 0, writes ignored, no notify */
	wr(&g.p, ENABLE(2, 0), UINT32_MAX);
	wr(&g.p, THRESHOLD(2), 3);
	assert_int_equal(rd(&g.p, ENABLE(2, 0)), 0);
	assert_int_equal(rd(&g.p, THRESHOLD(2)), 0);
	assert_false(vplic_context_pending(&g.p, 2));
	assert_false(vplic_context_pending(&g.p, UINT32_MAX));
	vplic_set_level(&g.p, 19, true);
	assert_true(vplic_context_pending(&g.p, 0));
	assert_int_equal(claim(&g.p, 2), 0);
	assert_int_equal(claim(&g.p, 15871), 0);
	assert_true(is_pending(&g.p, 19));
	assert_int_equal(claim(&g.p, 0), 19);
	assert_int_equal(g.h.calls, 2);
}

static void test_priority_threshold(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	/* WARL: 3 bits */
	set_prio(p, 5, 0xffffffffu);
	assert_int_equal(rd(p, PRIO(5)), 7);
	set_prio(p, 5, 0x9);
	assert_int_equal(rd(p, PRIO(5)), 1);
	wr(p, THRESHOLD(0), 0xfffffff8u | 2);
	assert_int_equal(rd(p, THRESHOLD(0)), 2);

	set_enable(p, 0, 5, true);
	set_prio(p, 5, 0);
	vplic_set_level(p, 5, true);
	assert_true(is_pending(p, 5));
	/* priority 0 never interrupts, and is never claimed */
	assert_false(vplic_context_pending(p, 0));
	wr(p, THRESHOLD(0), 0);
	assert_false(vplic_context_pending(p, 0));

	/* output requires priority > threshold */
	wr(p, THRESHOLD(0), 2);
	set_prio(p, 5, 2);
	assert_false(vplic_context_pending(p, 0));
	set_prio(p, 5, 3);
	assert_true(vplic_context_pending(p, 0));
	wr(p, THRESHOLD(0), 3);
	assert_false(vplic_context_pending(p, 0));
	wr(p, THRESHOLD(0), 7);
	set_prio(p, 5, 7);
	assert_false(vplic_context_pending(p, 0));
	wr(p, THRESHOLD(0), 6);
	assert_true(vplic_context_pending(p, 0));

	/* claims ignore the threshold (PLIC spec "Interrupt Claim Process") */
	wr(p, THRESHOLD(0), 7);
	assert_false(vplic_context_pending(p, 0));
	assert_int_equal(claim(p, 0), 5);
	assert_false(is_pending(p, 5));
	/* ... but never return a priority-0 source */
	vplic_set_level(p, 5, false);
	complete(p, 0, 5);
	set_prio(p, 6, 0);
	set_enable(p, 0, 6, true);
	vplic_set_level(p, 6, true);
	assert_int_equal(claim(p, 0), 0);
	assert_true(is_pending(p, 6));
}

static void test_claim_order(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	/* source, priority: highest priority first, ties by lowest id */
	static const unsigned srcs[][2] = {{40, 3}, {7, 3}, {63, 7}, {33, 1},
	                                   {2, 3},  {9, 6}, {1, 1}};
	static const unsigned order[] = {63, 9, 2, 7, 40, 1, 33};

	for (unsigned i = 0; i < ARRAY_SIZE(srcs); i++) {
		set_prio(p, srcs[i][0], srcs[i][1]);
		set_enable(p, 0, srcs[i][0], true);
		vplic_set_level(p, srcs[i][0], true);
	}
	assert_int_equal(rd(p, PENDING(0)), (1u << 1) | (1u << 2) | (1u << 7) | (1u << 9));
	assert_int_equal(rd(p, PENDING(1)), (1u << 1) | (1u << 8) | (1u << 31));
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
		assert_true(vplic_context_pending(p, 0));
		assert_int_equal(claim(p, 0), order[i]);
		/* the claim cleared the pending bit, the level is still high */
		assert_false(is_pending(p, order[i]));
	}
	assert_false(vplic_context_pending(p, 0));
	assert_int_equal(claim(p, 0), 0);
	assert_int_equal(rd(p, PENDING(0)), 0);
	assert_int_equal(rd(p, PENDING(1)), 0);

	/* priority changes while pending reorder the next claim */
	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		complete(p, 0, order[i]);
	set_prio(p, 33, 7);
	set_prio(p, 63, 1);
	assert_int_equal(claim(p, 0), 33);
}

static void test_gateway_levels(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	set_prio(p, 3, 1);
	set_enable(p, 0, 3, true);

	/* complete re-pends a source whose level is still high */
	vplic_set_level(p, 3, true);
	assert_int_equal(claim(p, 0), 3);
	assert_false(vplic_context_pending(p, 0));
	complete(p, 0, 3);
	assert_true(is_pending(p, 3));
	assert_true(vplic_context_pending(p, 0));

	/* in service: level changes do not pend; completion after drop does not */
	assert_int_equal(claim(p, 0), 3);
	vplic_set_level(p, 3, false);
	vplic_set_level(p, 3, true);
	vplic_set_level(p, 3, false);
	assert_false(is_pending(p, 3));
	complete(p, 0, 3);
	assert_false(is_pending(p, 3));
	assert_false(vplic_context_pending(p, 0));
	assert_int_equal(claim(p, 0), 0);

	/* a forwarded request is not retracted when the level drops */
	vplic_set_level(p, 3, true);
	vplic_set_level(p, 3, false);
	assert_true(is_pending(p, 3));
	assert_true(vplic_context_pending(p, 0));
	assert_int_equal(claim(p, 0), 3);
	complete(p, 0, 3);
	assert_false(is_pending(p, 3));

	/* repeated high levels are one request */
	vplic_set_level(p, 3, true);
	vplic_set_level(p, 3, true);
	assert_int_equal(claim(p, 0), 3);
	assert_int_equal(claim(p, 0), 0);

	/* completing an id that is not in service is harmless */
	complete(p, 0, 4);
	set_enable(p, 0, 4, true);
	complete(p, 0, 4);
	assert_false(is_pending(p, 4));
	complete(p, 0, 3);
	assert_true(is_pending(p, 3));
	complete(p, 0, 3); /* twice: nothing more */
	assert_int_equal(claim(p, 0), 3);
	assert_int_equal(claim(p, 0), 0);
}

static void test_complete_not_enabled(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	set_prio(p, 12, 2);
	set_enable(p, 0, 12, true);
	vplic_set_level(p, 12, true);
	assert_int_equal(claim(p, 0), 12);

	/* disabled on the completing context: ignored, still in service */
	set_enable(p, 0, 12, false);
	complete(p, 0, 12);
	complete(p, 1, 12);
	assert_false(is_pending(p, 12));
	vplic_set_level(p, 12, false);
	vplic_set_level(p, 12, true);
	assert_false(is_pending(p, 12));

	/* enabled on another context: that context may complete it (ids not checked) */
	set_enable(p, 1, 12, true);
	complete(p, 1, 12);
	assert_true(is_pending(p, 12));
	assert_true(vplic_context_pending(p, 1));
	assert_false(vplic_context_pending(p, 0));
	assert_int_equal(claim(p, 1), 12);

	/* re-enabled on the claiming context: completion now takes effect */
	set_enable(p, 1, 12, false);
	set_enable(p, 0, 12, true);
	complete(p, 0, 12);
	assert_true(is_pending(p, 12));
	assert_int_equal(claim(p, 0), 12);
}

static void test_disabled_never_delivered(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	for (unsigned s = 1; s < VPLIC_MAX_SOURCES; s++) {
		set_prio(p, s, 7);
		vplic_set_level(p, s, true);
	}
	assert_int_equal(rd(p, PENDING(0)), 0xfffffffeu);
	assert_int_equal(rd(p, PENDING(1)), UINT32_MAX);
	for (unsigned c = 0; c < 4; c++) {
		assert_false(vplic_context_pending(p, c));
		assert_int_equal(claim(p, c), 0);
	}
	assert_int_equal(f->h.calls, 0);

	/* enabling one source on one context delivers exactly that one */
	set_enable(p, 2, 50, true);
	assert_true(vplic_context_pending(p, 2));
	assert_int_equal(claim(p, 2), 50);
	assert_int_equal(claim(p, 2), 0);
	/* disabling a pending source lowers the output */
	set_enable(p, 3, 1, true);
	assert_true(vplic_context_pending(p, 3));
	set_enable(p, 3, 1, false);
	assert_false(vplic_context_pending(p, 3));
	assert_int_equal(claim(p, 3), 0);
	assert_true(is_pending(p, 1));
}

static void test_per_context(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	set_prio(p, 10, 4);
	set_enable(p, 0, 10, true);
	set_enable(p, 1, 10, true);
	wr(p, THRESHOLD(1), 1);
	wr(p, THRESHOLD(2), 7);
	vplic_set_level(p, 10, true);
	/* multicast notification, a single winner */
	assert_true(vplic_context_pending(p, 0));
	assert_true(vplic_context_pending(p, 1));
	assert_false(vplic_context_pending(p, 2));
	assert_int_equal(claim(p, 1), 10);
	assert_false(vplic_context_pending(p, 0));
	assert_false(vplic_context_pending(p, 1));
	assert_int_equal(claim(p, 0), 0);
	complete(p, 1, 10);
	/* per-context thresholds */
	wr(p, THRESHOLD(0), 4);
	assert_false(vplic_context_pending(p, 0));
	assert_true(vplic_context_pending(p, 1));
	/* per-context enables: independent words */
	set_enable(p, 2, 11, true);
	assert_int_equal(rd(p, ENABLE(0, 0)), 1u << 10);
	assert_int_equal(rd(p, ENABLE(1, 0)), 1u << 10);
	assert_int_equal(rd(p, ENABLE(2, 0)), 1u << 11);
	assert_int_equal(rd(p, ENABLE(3, 0)), 0);
	assert_int_equal(rd(p, THRESHOLD(0)), 4);
	assert_int_equal(rd(p, THRESHOLD(1)), 1);
	assert_int_equal(rd(p, THRESHOLD(2)), 7);
	assert_int_equal(rd(p, THRESHOLD(3)), 0);
}

static void test_notify_transitions(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	struct host *h = &f->h;

	set_prio(p, 4, 2);
	set_prio(p, 5, 3);
	set_enable(p, 0, 4, true);
	set_enable(p, 1, 4, true);
	set_enable(p, 1, 5, true);
	assert_int_equal(h->nlog, 0);

	vplic_set_level(p, 4, true); /* both contexts rise */
	assert_int_equal(h->nlog, 2);
	log_expect(h, 0, 0, true);
	log_expect(h, 1, 1, true);

	log_clear(h);
	vplic_set_level(p, 5, true); /* ctx1 already high: nothing */
	assert_int_equal(h->nlog, 0);
	assert_int_equal(claim(p, 1), 5); /* 4 still pending on ctx1 */
	assert_int_equal(h->nlog, 0);
	assert_int_equal(claim(p, 1), 4); /* nothing left for either */
	assert_int_equal(h->nlog, 2);
	log_expect(h, 0, 0, false);
	log_expect(h, 1, 1, false);

	log_clear(h);
	complete(p, 1, 5); /* level high: re-pends, ctx1 rises */
	assert_int_equal(h->nlog, 1);
	log_expect(h, 0, 1, true);
	wr(p, THRESHOLD(1), 3); /* masks priority 3 */
	assert_int_equal(h->nlog, 2);
	log_expect(h, 1, 1, false);
	wr(p, THRESHOLD(1), 2);
	assert_int_equal(h->nlog, 3);
	log_expect(h, 2, 1, true);
	set_prio(p, 5, 0);
	assert_int_equal(h->nlog, 4);
	log_expect(h, 3, 1, false);
	set_prio(p, 5, 1);
	assert_int_equal(h->nlog, 4); /* 1 <= threshold 2 */
	wr(p, THRESHOLD(1), 0);
	assert_int_equal(h->nlog, 5);
	log_expect(h, 4, 1, true);
	set_enable(p, 1, 5, false);
	assert_int_equal(h->nlog, 6);
	log_expect(h, 5, 1, false);
	vplic_set_level(p, 5, false); /* stays pending, still disabled */
	assert_int_equal(h->nlog, 6);
	complete(p, 0, 4); /* ctx0 has 4 enabled: re-pends both */
	assert_int_equal(h->nlog, 8);
	log_expect(h, 6, 0, true);
	log_expect(h, 7, 1, true);

	/* reset lowers every high output */
	log_clear(h);
	vplic_reset(p);
	assert_int_equal(h->nlog, 2);
	log_expect(h, 0, 0, false);
	log_expect(h, 1, 1, false);
	assert_int_equal(h->nlog, 2);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;

	set_prio(p, 8, 5);
	set_prio(p, 9, 5);
	set_enable(p, 0, 8, true);
	set_enable(p, 3, 9, true);
	wr(p, THRESHOLD(3), 2);
	vplic_set_level(p, 8, true);
	vplic_set_level(p, 9, true);
	assert_int_equal(claim(p, 0), 8);
	vplic_reset(p);
	for (unsigned c = 0; c < 4; c++) {
		assert_false(vplic_context_pending(p, c));
		assert_false(f->h.level[c]);
		assert_int_equal(rd(p, THRESHOLD(c)), 0);
		assert_int_equal(rd(p, ENABLE(c, 0)), 0);
	}
	assert_int_equal(rd(p, PRIO(8)), 0);
	/* levels survive: both gateways forward again, 8 is no longer in service */
	assert_int_equal(rd(p, PENDING(0)), (1u << 8) | (1u << 9));
	set_prio(p, 8, 1);
	set_enable(p, 1, 8, true);
	assert_true(vplic_context_pending(p, 1));
	assert_int_equal(claim(p, 1), 8);
	assert_int_equal(vplic_ndev(p), 63);
}

static void test_null_ops(void **state)
{
	struct vplic q;

	(void)state;
	assert_int_equal(vplic_init(&q, 16, 2, NULL, NULL), 0);
	set_prio(&q, 1, 1);
	set_enable(&q, 1, 1, true);
	vplic_set_level(&q, 1, true);
	assert_true(vplic_context_pending(&q, 1));
	assert_int_equal(claim(&q, 1), 1);
	complete(&q, 1, 1);
	vplic_reset(&q);
	assert_false(vplic_context_pending(&q, 1));
}

static void test_widths_and_ranges(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	static const unsigned bad_widths[] = {0, 1, 2, 3, 5, 8, 16, UINT32_MAX};
	static const uint64_t reserved[] = {
	    0x1080,    0x1ffc,   0x2000 + 0x80 * 4, 0x2008,   0x207c,   0x1f1ffc,  0x1f2000,
	    0x1ffffc,  0x200008, 0x200ffc,          0x204000, 0x204004, 0x3fff000, 0x3fff004,
	    0x3fffffc, 0x201008, 0x2000 + 0x80 * 8,
	};
	uint64_t v;

	set_prio(p, 1, 1);
	set_enable(p, 0, 1, true);
	vplic_set_level(p, 1, true);

	for (unsigned i = 0; i < ARRAY_SIZE(bad_widths); i++) {
		unsigned w = bad_widths[i];

		/* an 8-byte read over threshold+claim must not claim */
		v = 1;
		assert_int_equal(vplic_read(p, THRESHOLD(0), w, &v), -FV_EINVAL);
		assert_int_equal(v, 0);
		v = 1;
		assert_int_equal(vplic_read(p, CLAIM(0), w, &v), -FV_EINVAL);
		assert_int_equal(v, 0);
		assert_int_equal(vplic_write(p, PRIO(1), w, 7), -FV_EINVAL);
		assert_int_equal(vplic_write(p, CLAIM(0), w, 1), -FV_EINVAL);
		assert_int_equal(vplic_write(p, ENABLE(0, 0), w, 0), -FV_EINVAL);
		assert_int_equal(vplic_write(p, THRESHOLD(0), w, 7), -FV_EINVAL);
	}
	/* misaligned 4-byte */
	for (unsigned m = 1; m < 4; m++) {
		v = 1;
		assert_int_equal(vplic_read(p, CLAIM(0) + m, 4, &v), -FV_EINVAL);
		assert_int_equal(v, 0);
		assert_int_equal(vplic_write(p, THRESHOLD(0) + m, 4, 7), -FV_EINVAL);
		assert_int_equal(vplic_write(p, PRIO(1) + m, 4, 7), -FV_EINVAL);
	}
	/* out of the window */
	static const uint64_t outside[] = {VPLIC_MMIO_SIZE, VPLIC_MMIO_SIZE + 4,
	                                   0x100000000ull + CLAIM(0), UINT64_MAX - 3, UINT64_MAX};
	for (unsigned i = 0; i < ARRAY_SIZE(outside); i++) {
		v = 1;
		assert_int_equal(vplic_read(p, outside[i], 4, &v), -FV_ERANGE);
		assert_int_equal(v, 0);
		assert_int_equal(vplic_write(p, outside[i], 4, 0), -FV_ERANGE);
		assert_int_equal(vplic_read(p, outside[i], 8, &v), -FV_ERANGE);
	}
	/* nothing above changed any state */
	assert_int_equal(rd(p, PRIO(1)), 1);
	assert_int_equal(rd(p, THRESHOLD(0)), 0);
	assert_int_equal(rd(p, ENABLE(0, 0)), 2);
	assert_true(is_pending(p, 1));

	/* reserved areas read 0, writes ignored */
	for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++) {
		wr(p, reserved[i], UINT32_MAX);
		assert_int_equal(rd(p, reserved[i]), 0);
	}
	/* pending bits are read-only */
	wr(p, PENDING(0), 0);
	wr(p, PENDING(1), UINT32_MAX);
	assert_int_equal(rd(p, PENDING(0)), 2);
	assert_int_equal(rd(p, PENDING(1)), 0);
	/* upper half of a 64-bit value is dropped on a 4-byte write */
	assert_int_equal(vplic_write(p, PRIO(2), 4, 0xffffffff00000003ull), 0);
	assert_int_equal(rd(p, PRIO(2)), 3);

	assert_int_equal(rd(p, PRIO(1)), 1);
	assert_int_equal(rd(p, ENABLE(0, 0)), 2);
	assert_int_equal(claim(p, 0), 1);
}

/*
 * Accesses of Linux's irq-sifive-plic driver: probe clears every enable bit
 * and sets priority 1 per source on each context, CPU bring-up sets the
 * threshold to 0, request_irq enables on the affinity CPU's context (32-bit
 * read-modify-write) and unmasks (priority 1); the handler loops claim /
 * handle / complete until claim returns 0; mask is priority 0; eoi of a
 * disabled irq briefly re-enables it around the completion; set_affinity
 * moves the enable bit; CPU offline raises the threshold to 7.
 */
static void test_linux_sequence(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	struct host *h = &f->h;
	const unsigned ndev = vplic_ndev(p);
	const unsigned virtio = 8, uart = 10;
	unsigned handled = 0;

	/* probe */
	for (unsigned c = 0; c < 4; c++) {
		for (unsigned irq = 1; irq <= ndev; irq++) {
			set_enable(p, c, irq, false);
			wr(p, PRIO(irq), 1);
		}
	}
	for (unsigned c = 0; c < 4; c++)
		wr(p, THRESHOLD(c), 0);
	assert_int_equal(h->calls, 0);

	/* request_irq: virtio on cpu0, uart on cpu1 */
	set_enable(p, 0, virtio, true);
	wr(p, PRIO(virtio), 1);
	set_enable(p, 1, uart, true);
	wr(p, PRIO(uart), 1);

	/* virtio interrupt: only cpu0 sees it; the handler acks the device */
	vplic_set_level(p, virtio, true);
	assert_true(h->level[0]);
	assert_false(h->level[1]);
	for (uint32_t id; (id = claim(p, 0)) != 0;) {
		assert_int_equal(id, virtio);
		vplic_set_level(p, virtio, false); /* handler read the ISR */
		complete(p, 0, id);
		handled++;
	}
	assert_int_equal(handled, 1);
	assert_false(h->level[0]);

	/* uart: the handler drains in two rounds; still high at the first eoi */
	vplic_set_level(p, uart, true);
	assert_true(h->level[1]);
	assert_int_equal(claim(p, 1), uart);
	assert_false(h->level[1]);
	complete(p, 1, uart);
	assert_true(h->level[1]);
	assert_int_equal(claim(p, 1), uart);
	vplic_set_level(p, uart, false);
	complete(p, 1, uart);
	assert_int_equal(claim(p, 1), 0);
	assert_false(h->level[1]);

	/* oneshot (threaded) handler: mask, eoi, thread runs, unmask */
	vplic_set_level(p, virtio, true);
	assert_int_equal(claim(p, 0), virtio);
	wr(p, PRIO(virtio), 0); /* mask */
	complete(p, 0, virtio);
	assert_true(is_pending(p, virtio)); /* level still high */
	assert_false(h->level[0]);          /* but masked */
	vplic_set_level(p, virtio, false);  /* thread serviced the device */
	wr(p, PRIO(virtio), 1);             /* unmask */
	assert_true(h->level[0]);           /* the latched request is delivered */
	assert_int_equal(claim(p, 0), virtio);
	complete(p, 0, virtio);
	assert_int_equal(claim(p, 0), 0);
	assert_false(h->level[0]);

	/* disable_irq while in service: eoi re-enables around the completion */
	vplic_set_level(p, virtio, true);
	assert_int_equal(claim(p, 0), virtio);
	set_enable(p, 0, virtio, false);
	vplic_set_level(p, virtio, false);
	set_enable(p, 0, virtio, true);
	complete(p, 0, virtio);
	set_enable(p, 0, virtio, false);
	vplic_set_level(p, virtio, true); /* out of service: pends, but disabled */
	assert_true(is_pending(p, virtio));
	assert_false(h->level[0]);
	set_enable(p, 0, virtio, true); /* enable_irq */
	assert_true(h->level[0]);
	assert_int_equal(claim(p, 0), virtio);
	vplic_set_level(p, virtio, false);
	complete(p, 0, virtio);

	/* set_affinity: virtio moves to cpu2 */
	set_enable(p, 0, virtio, false);
	set_enable(p, 2, virtio, true);
	vplic_set_level(p, virtio, true);
	assert_false(h->level[0]);
	assert_true(h->level[2]);
	assert_int_equal(claim(p, 0), 0); /* claims honour enables */
	assert_int_equal(claim(p, 2), virtio);
	complete(p, 0, virtio); /* not enabled on cpu0: ignored, still in service */
	assert_false(is_pending(p, virtio));
	complete(p, 2, virtio); /* level still high: requests again */
	assert_true(h->level[2]);
	/* cpu2 goes offline: threshold 7 masks it, the request stays pending */
	wr(p, THRESHOLD(2), 7);
	assert_false(h->level[2]);
	assert_true(is_pending(p, virtio));
	wr(p, THRESHOLD(2), 0);
	assert_true(h->level[2]);
	assert_int_equal(claim(p, 2), virtio);
	vplic_set_level(p, virtio, false);
	complete(p, 2, virtio);
	for (unsigned c = 0; c < 4; c++)
		assert_false(h->level[c]);
}

/* ---- hostile sweep against an independent shadow model ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so a failure reproduces */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Straightforward per-source model of the PLIC spec, written apart from vplic.c. */
struct shadow {
	unsigned nsrc, nctx;
	unsigned prio[VPLIC_MAX_SOURCES];
	unsigned thr[VPLIC_MAX_CONTEXTS];
	bool en[VPLIC_MAX_CONTEXTS][VPLIC_MAX_SOURCES];
	bool level[VPLIC_MAX_SOURCES], ip[VPLIC_MAX_SOURCES], busy[VPLIC_MAX_SOURCES];
};

static bool sh_src(const struct shadow *s, uint64_t src)
{
	return src >= 1 && src < s->nsrc;
}

static unsigned sh_best(const struct shadow *s, unsigned c, unsigned floor)
{
	unsigned best = 0, bp = floor;

	for (unsigned src = 1; src < s->nsrc; src++) {
		if (s->ip[src] && s->en[c][src] && s->prio[src] > bp) {
			bp = s->prio[src];
			best = src;
		}
	}
	return best;
}

static bool sh_out(const struct shadow *s, unsigned c)
{
	return sh_best(s, c, s->thr[c]) != 0;
}

static void sh_level(struct shadow *s, unsigned src, bool level)
{
	if (!sh_src(s, src))
		return;
	s->level[src] = level;
	if (level && !s->busy[src])
		s->ip[src] = true;
}

/* Decode an aligned 4-byte access; returns the read value. */
static uint32_t sh_access(struct shadow *s, uint64_t off, bool write, uint32_t val)
{
	uint32_t r = 0;

	if (off < 0x1000) {
		uint64_t src = off / 4;

		if (sh_src(s, src)) {
			if (write)
				s->prio[src] = val & 7;
			r = s->prio[src];
		}
	} else if (off < 0x1080) {
		for (unsigned b = 0; b < 32; b++) {
			uint64_t src = (off - 0x1000) / 4 * 32 + b;

			if (sh_src(s, src) && s->ip[src])
				r |= 1u << b;
		}
	} else if (off >= 0x2000 && off < 0x1f2000) {
		uint64_t c = (off - 0x2000) / 0x80;

		for (unsigned b = 0; b < 32 && c < s->nctx; b++) {
			uint64_t src = (off - 0x2000) % 0x80 / 4 * 32 + b;

			if (!sh_src(s, src))
				continue;
			if (write)
				s->en[c][src] = (val >> b) & 1;
			if (s->en[c][src])
				r |= 1u << b;
		}
	} else if (off >= 0x200000) {
		uint64_t c = (off - 0x200000) / 0x1000;
		uint64_t reg = off % 0x1000;

		if (c < s->nctx && reg == 0) {
			if (write)
				s->thr[c] = val & 7;
			r = s->thr[c];
		} else if (c < s->nctx && reg == 4 && write) {
			if (sh_src(s, val) && s->en[c][val]) {
				s->busy[val] = false;
				if (s->level[val])
					s->ip[val] = true;
			}
		} else if (c < s->nctx && reg == 4) {
			r = sh_best(s, (unsigned)c, 0);
			if (r) {
				s->ip[r] = false;
				s->busy[r] = true;
			}
		}
	}
	return write ? 0 : r;
}

struct sweep_stats {
	unsigned long claims, completes_repend, errors, reads, writes;
};

static uint64_t random_offset(const struct shadow *s)
{
	uint64_t r = rng();
	uint64_t off;

	switch (r % 10) {
	case 0:
		off = 4 * (rng() % (s->nsrc + 4));
		break;
	case 1:
		off = VPLIC_PENDING_BASE + 4 * (rng() % 36);
		break;
	case 2:
	case 3:
		off = ENABLE(rng() % (s->nctx + 2), rng() % ((r >> 12) % 4 ? VPLIC_WORDS : 34));
		break;
	case 4:
	case 5:
	case 6:
		off = THRESHOLD(rng() % (s->nctx + 2)) + ((rng() & 3) ? 4 : 0);
		break;
	case 7:
		off = rng() % VPLIC_MMIO_SIZE;
		break;
	case 8:
		off = rng();
		break;
	default:
		off = VPLIC_MMIO_SIZE - 8 + rng() % 16;
		break;
	}
	/* mostly aligned; sometimes not */
	if ((r >> 8) % 16 != 0)
		off &= ~3ull;
	return off;
}

static unsigned random_width(void)
{
	static const unsigned widths[] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	                                  4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1, 2, 8, 0, 3};
	uint64_t r = rng();

	return (r >> 4) % 64 == 0 ? (unsigned)r : widths[r % ARRAY_SIZE(widths)];
}

static uint64_t random_value(const struct shadow *s, uint64_t off)
{
	uint64_t r = rng();

	/* completions need a matching id to do anything: often pick one in service */
	if (off >= VPLIC_CONTEXT_BASE && off % VPLIC_CONTEXT_STRIDE == 4 && r % 4 != 0) {
		unsigned start = (unsigned)(rng() % s->nsrc);

		for (unsigned i = 0; i < s->nsrc && r % 4 != 1; i++) {
			unsigned src = (start + i) % s->nsrc;

			if (s->busy[src])
				return src;
		}
		return rng() % s->nsrc;
	}
	switch (r % 4) {
	case 0:
		return rng(); /* anything */
	case 1:
		return rng() % (s->nsrc + 2); /* plausible ids */
	case 2:
		return rng() % 9; /* plausible priorities */
	default:
		return (uint32_t)rng() & (uint32_t)rng(); /* sparse bitmaps */
	}
}

static void check_model(struct fixture *f, const struct shadow *s)
{
	const struct vplic *p = &f->p;

	for (unsigned c = 0; c < s->nctx; c++) {
		bool out = sh_out(s, c);

		assert_int_equal(vplic_context_pending(p, c), out);
		assert_int_equal((p->output >> c) & 1, out);
		/* notify reported every change */
		assert_int_equal(f->h.level[c], out);
	}
	for (unsigned w = 0; w < VPLIC_WORDS; w++) {
		assert_int_equal(p->pending[w] & p->claimed[w], 0);
		for (unsigned b = 0; b < 32; b++) {
			unsigned src = w * 32 + b;
			bool in = sh_src(s, src);

			assert_int_equal((p->pending[w] >> b) & 1, in && s->ip[src]);
			assert_int_equal((p->claimed[w] >> b) & 1, in && s->busy[src]);
			assert_int_equal((p->level[w] >> b) & 1, in && s->level[src]);
			/* a high level out of service is always pending */
			if (in && s->level[src] && !s->busy[src])
				assert_true(s->ip[src]);
		}
	}
}

/* Compare every readable register (no claims) with the shadow. */
static void check_registers(struct fixture *f, struct shadow *s)
{
	struct vplic *p = &f->p;

	for (unsigned src = 0; src < VPLIC_MAX_SOURCES + 2; src++)
		assert_int_equal(rd(p, PRIO(src)), sh_access(s, PRIO(src), false, 0));
	for (unsigned w = 0; w < VPLIC_WORDS + 1; w++) {
		assert_int_equal(rd(p, PENDING(w)), sh_access(s, PENDING(w), false, 0));
		for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS + 1; c++)
			assert_int_equal(rd(p, ENABLE(c, w)), sh_access(s, ENABLE(c, w), false, 0));
	}
	for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS + 1; c++)
		assert_int_equal(rd(p, THRESHOLD(c)), sh_access(s, THRESHOLD(c), false, 0));
}

static void sweep(unsigned nsources, unsigned ncontexts, unsigned long ops, struct sweep_stats *st)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct shadow *s = calloc(1, sizeof(*s));

	assert_non_null(f);
	assert_non_null(s);
	fixture_init(f, nsources, ncontexts);
	s->nsrc = nsources;
	s->nctx = ncontexts;

	for (unsigned long i = 0; i < ops; i++) {
		uint64_t kind = rng() % 16;

		if (kind < 5) {
			unsigned src = (unsigned)(rng() % (nsources + 3));
			bool level = rng() & 1;

			if (rng() % 64 == 0)
				src = (unsigned)rng();
			vplic_set_level(&f->p, src, level);
			sh_level(s, src, level);
		} else if (kind == 5 && rng() % 256 == 0) {
			vplic_reset(&f->p);
			memset(s->prio, 0, sizeof(s->prio));
			memset(s->thr, 0, sizeof(s->thr));
			memset(s->en, 0, sizeof(s->en));
			memset(s->busy, 0, sizeof(s->busy));
			memcpy(s->ip, s->level, sizeof(s->ip));
		} else {
			bool write = kind >= 11;
			uint64_t off = random_offset(s);
			unsigned width = random_width();
			uint64_t val = random_value(s, off);
			bool ok = off < VPLIC_MMIO_SIZE && width == 4 && off % 4 == 0;
			int ret;

			if (write) {
				bool busy =
				    sh_src(s, val & UINT32_MAX) && s->busy[val & UINT32_MAX];

				ret = vplic_write(&f->p, off, width, val);
				if (ok) {
					sh_access(s, off, true, (uint32_t)val);
					if (busy && !s->busy[(uint32_t)val] && s->ip[(uint32_t)val])
						st->completes_repend++;
				}
				st->writes++;
			} else {
				uint64_t got = 0x5555;

				ret = vplic_read(&f->p, off, width, &got);
				if (ok) {
					uint32_t want = sh_access(s, off, false, 0);

					assert_int_equal(got, want);
					if (want && off >= VPLIC_CONTEXT_BASE && off % 0x1000 == 4)
						st->claims++;
				} else {
					assert_int_equal(got, 0);
				}
				st->reads++;
			}
			if (off >= VPLIC_MMIO_SIZE)
				assert_int_equal(ret, -FV_ERANGE);
			else if (!ok)
				assert_int_equal(ret, -FV_EINVAL);
			else
				assert_int_equal(ret, 0);
			if (ret)
				st->errors++;
		}
		check_model(f, s);
		if (i % 4096 == 0)
			check_registers(f, s);
	}
	check_registers(f, s);
	free(s);
	free(f);
}

static void test_hostile_sweep(void **state)
{
	static const unsigned geometry[][2] = {
	    {VPLIC_MAX_SOURCES, VPLIC_MAX_CONTEXTS}, {33, 3}, {8, 1}, {1, 2}};
	struct sweep_stats st = {0};

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(geometry); i++)
		sweep(geometry[i][0], geometry[i][1], 250000, &st);
	printf("sweep: %lu reads, %lu writes, %lu rejected, %lu claims, %lu re-pends\n", st.reads,
	       st.writes, st.errors, st.claims, st.completes_repend);
	/* the sweep actually exercised the interesting paths */
	assert_true(st.claims > 2000);
	assert_true(st.completes_repend > 500);
	assert_true(st.errors > 1000);
}

/* Outputs of a corrupted image start arbitrary: only check the context range. */
static void lenient_notify(void *ctx, unsigned context, bool level)
{
	(void)ctx;
	(void)level;
	assert_true(context < VPLIC_MAX_CONTEXTS);
}

static const struct vplic_ops lenient_ops = {lenient_notify};

/* A corrupted snapshot must not drive the model out of bounds. */
static void test_corrupt_state(void **state)
{
	struct fixture *f = *state;
	struct vplic *p = &f->p;
	uint64_t v;

	p->ops = &lenient_ops;

	for (unsigned round = 0; round < 200; round++) {
		unsigned char *raw = (unsigned char *)p;

		for (size_t i = 0; i < offsetof(struct vplic, ops); i++)
			raw[i] = (unsigned char)rng();
		if (round % 2)
			p->nsources = VPLIC_MAX_SOURCES + (uint32_t)(rng() % 1000);
		if (round % 3)
			p->ncontexts = VPLIC_MAX_CONTEXTS + (uint32_t)(rng() % 1000);
		for (unsigned i = 0; i < 2000; i++) {
			uint64_t off = rng() % 0x210000;

			if (i % 2)
				off = THRESHOLD(rng() % 20) + 4 * (rng() % 2);
			off &= ~3ull;
			assert_int_equal(vplic_read(p, off, 4, &v), 0);
			assert_true(v <= UINT32_MAX);
			assert_int_equal(vplic_write(p, off, 4, rng()), 0);
			vplic_set_level(p, (unsigned)(rng() % 100), rng() & 1);
			(void)vplic_context_pending(p, (unsigned)(rng() % 20));
		}
		assert_true(vplic_ndev(p) < VPLIC_MAX_SOURCES);
		vplic_reset(p);
		for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++)
			assert_false(vplic_context_pending(p, c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_geometry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_source0_and_absent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_priority_threshold, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claim_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gateway_levels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_complete_not_enabled, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_never_delivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_context, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notify_transitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	    cmocka_unit_test(test_null_ops),
	    cmocka_unit_test_setup_teardown(test_widths_and_ranges, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_linux_sequence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_sweep, NULL, NULL),
	    cmocka_unit_test_setup_teardown(test_corrupt_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
