/* SPDX-License-Identifier: MIT */
/*
 * RISC-V PLIC model (RISC-V PLIC specification 1.0.0). The register window
 * is decoded by a small table of regions; each handler gets the offset
 * relative to its region and validates every index against the configured
 * geometry before touching an array. Every operation that can change the
 * state ends in update_outputs(), which recomputes each context's output
 * and reports changes through ops->notify.
 */
#include "arch/riscv/vplic.h"

_Static_assert(VPLIC_MAX_SOURCES % 32u == 0, "bitmaps are whole 32-bit words");
_Static_assert(VPLIC_MAX_SOURCES <= 1024u, "PLIC spec allows at most 1024 sources");
_Static_assert(VPLIC_MAX_CONTEXTS <= 32u, "output is a 32-bit bitmap");

#define PRIO_MASK 0x7u

/* Register blocks of the spec's memory map, relative to the window base. */
#define PRIORITY_SIZE 0x1000u   /* 1024 sources * 4 bytes */
#define PENDING_SIZE  0x80u     /* 1024 bits */
#define ENABLE_SIZE   0x1f0000u /* 15872 contexts * 0x80 */
#define CONTEXT_SIZE  (VPLIC_MMIO_SIZE - VPLIC_CONTEXT_BASE)

/* Clamped so that a corrupted snapshot cannot index past the arrays. */
static unsigned nsrc(const struct vplic *p)
{
	return MIN(p->nsources, VPLIC_MAX_SOURCES);
}

static unsigned nctx(const struct vplic *p)
{
	return MIN(p->ncontexts, VPLIC_MAX_CONTEXTS);
}

static bool src_valid(const struct vplic *p, uint32_t src)
{
	return src != 0 && src < nsrc(p);
}

/* Bits of bitmap word @w that stand for existing sources (never source 0). */
static uint32_t word_mask(const struct vplic *p, unsigned w)
{
	unsigned n = nsrc(p);
	unsigned lo = w * 32u;
	uint32_t m;

	if (n <= lo)
		return 0;
	m = n - lo >= 32u ? UINT32_MAX : (uint32_t)((1u << (n - lo)) - 1u);
	if (w == 0)
		m &= ~1u;
	return m;
}

static uint32_t src_bit(uint32_t src)
{
	return (uint32_t)1u << (src % 32u);
}

/*
 * Highest-priority source that is pending, enabled for context @c and has
 * priority > @floor; ties go to the lowest id (PLIC spec "Interrupt
 * Identifiers"). Returns 0 if there is none.
 */
static uint32_t best_source(const struct vplic *p, unsigned c, unsigned floor)
{
	uint32_t best = 0;
	unsigned best_prio = floor;

	for (unsigned w = 0; w < VPLIC_WORDS; w++) {
		uint32_t cand = p->pending[w] & p->enable[c][w] & word_mask(p, w);

		/*
		 * Ascending ids with a strict '>' keeps the lowest id on ties.
		 * A plain bit loop: rv64imac has no ctz instruction and the
		 * hypervisor links no libgcc.
		 */
		for (unsigned b = 0; cand; b++, cand >>= 1) {
			if (!(cand & 1u))
				continue;
			uint32_t src = w * 32u + b;
			unsigned prio = p->priority[src] & PRIO_MASK;

			if (prio > best_prio) {
				best_prio = prio;
				best = src;
			}
		}
	}
	return best;
}

static bool output_level(const struct vplic *p, unsigned c)
{
	return best_source(p, c, p->threshold[c] & PRIO_MASK) != 0;
}

/* Recompute every context's output; notify only those that changed. */
static void update_outputs(struct vplic *p)
{
	for (unsigned c = 0; c < nctx(p); c++) {
		bool level = output_level(p, c);
		uint32_t bit = (uint32_t)1u << c;

		if (level == ((p->output & bit) != 0))
			continue;
		p->output ^= bit;
		if (p->ops && p->ops->notify)
			p->ops->notify(p->ctx, c, level);
	}
}

/* ---- claim / complete (PLIC spec "Interrupt Claim Process", "Interrupt Completion") ---- */

static uint32_t claim(struct vplic *p, unsigned c)
{
	/* Priority 0 never interrupts; the threshold does not affect claims. */
	uint32_t src = best_source(p, c, 0);

	if (src) {
		p->pending[src / 32u] &= ~src_bit(src);
		p->claimed[src / 32u] |= src_bit(src);
	}
	update_outputs(p);
	return src;
}

static void complete(struct vplic *p, unsigned c, uint32_t src)
{
	uint32_t w = src / 32u, b = src_bit(src);

	/* The id is not checked against the last claim, only the enable bit. */
	if (!src_valid(p, src) || !(p->enable[c][w] & b))
		return;
	p->claimed[w] &= ~b;
	/* Level-sensitive gateway: a still-asserted input requests again. */
	if (p->level[w] & b)
		p->pending[w] |= b;
}

/* ---- register blocks; @rel is 4-byte aligned and inside the block ---- */

static uint32_t priority_read(struct vplic *p, uint32_t rel)
{
	uint32_t src = rel / 4u;

	return src_valid(p, src) ? p->priority[src] & PRIO_MASK : 0;
}

static void priority_write(struct vplic *p, uint32_t rel, uint32_t val)
{
	uint32_t src = rel / 4u;

	if (src_valid(p, src))
		p->priority[src] = (uint8_t)(val & PRIO_MASK);
}

static uint32_t pending_read(struct vplic *p, uint32_t rel)
{
	uint32_t w = rel / 4u;

	return w < VPLIC_WORDS ? p->pending[w] & word_mask(p, w) : 0;
}

static uint32_t enable_read(struct vplic *p, uint32_t rel)
{
	uint32_t c = rel / VPLIC_ENABLE_STRIDE;
	uint32_t w = (rel % VPLIC_ENABLE_STRIDE) / 4u;

	if (c >= nctx(p) || w >= VPLIC_WORDS)
		return 0;
	return p->enable[c][w] & word_mask(p, w);
}

static void enable_write(struct vplic *p, uint32_t rel, uint32_t val)
{
	uint32_t c = rel / VPLIC_ENABLE_STRIDE;
	uint32_t w = (rel % VPLIC_ENABLE_STRIDE) / 4u;

	if (c < nctx(p) && w < VPLIC_WORDS)
		p->enable[c][w] = val & word_mask(p, w);
}

static uint32_t context_read(struct vplic *p, uint32_t rel)
{
	uint32_t c = rel / VPLIC_CONTEXT_STRIDE;
	uint32_t reg = rel % VPLIC_CONTEXT_STRIDE;

	if (c >= nctx(p))
		return 0;
	if (reg == VPLIC_CONTEXT_THRESH)
		return p->threshold[c] & PRIO_MASK;
	if (reg == VPLIC_CONTEXT_CLAIM)
		return claim(p, c);
	return 0;
}

static void context_write(struct vplic *p, uint32_t rel, uint32_t val)
{
	uint32_t c = rel / VPLIC_CONTEXT_STRIDE;
	uint32_t reg = rel % VPLIC_CONTEXT_STRIDE;

	if (c >= nctx(p))
		return;
	if (reg == VPLIC_CONTEXT_THRESH)
		p->threshold[c] = (uint8_t)(val & PRIO_MASK);
	else if (reg == VPLIC_CONTEXT_CLAIM)
		complete(p, c, val);
}

struct vplic_region {
	uint32_t base;
	uint32_t size;
	uint32_t (*read)(struct vplic *p, uint32_t rel);
	void (*write)(struct vplic *p, uint32_t rel, uint32_t val); /* NULL: read-only */
};

/* Everything in the window outside these blocks is reserved. */
static const struct vplic_region regions[] = {
    {VPLIC_PRIORITY_BASE, PRIORITY_SIZE, priority_read, priority_write},
    {VPLIC_PENDING_BASE, PENDING_SIZE, pending_read, NULL},
    {VPLIC_ENABLE_BASE, ENABLE_SIZE, enable_read, enable_write},
    {VPLIC_CONTEXT_BASE, CONTEXT_SIZE, context_read, context_write},
};

static const struct vplic_region *find_region(uint32_t off)
{
	for (size_t i = 0; i < ARRAY_SIZE(regions); i++) {
		if (off >= regions[i].base && off - regions[i].base < regions[i].size)
			return &regions[i];
	}
	return NULL;
}

static int check_access(uint64_t offset, unsigned width)
{
	if (offset >= VPLIC_MMIO_SIZE)
		return -FV_ERANGE;
	if (width != 4 || !IS_ALIGNED(offset, 4))
		return -FV_EINVAL;
	return 0;
}

/* ---- public API ---- */

int vplic_init(struct vplic *p, unsigned nsources, unsigned ncontexts, const struct vplic_ops *ops,
               void *ctx)
{
	*p = (struct vplic){0};
	p->ops = ops;
	p->ctx = ctx;
	if (nsources < 1 || nsources > VPLIC_MAX_SOURCES || ncontexts < 1 ||
	    ncontexts > VPLIC_MAX_CONTEXTS)
		return -FV_EINVAL;
	p->nsources = nsources;
	p->ncontexts = ncontexts;
	return 0;
}

void vplic_reset(struct vplic *p)
{
	for (unsigned s = 0; s < VPLIC_MAX_SOURCES; s++)
		p->priority[s] = 0;
	for (unsigned c = 0; c < VPLIC_MAX_CONTEXTS; c++) {
		p->threshold[c] = 0;
		for (unsigned w = 0; w < VPLIC_WORDS; w++)
			p->enable[c][w] = 0;
	}
	for (unsigned w = 0; w < VPLIC_WORDS; w++) {
		p->level[w] &= word_mask(p, w);
		p->claimed[w] = 0;
		/* The gateways restart idle and forward any asserted level. */
		p->pending[w] = p->level[w];
	}
	update_outputs(p);
}

int vplic_read(struct vplic *p, uint64_t offset, unsigned width, uint64_t *val)
{
	const struct vplic_region *r;
	int err = check_access(offset, width);

	*val = 0;
	if (err)
		return err;
	r = find_region((uint32_t)offset);
	if (r)
		*val = r->read(p, (uint32_t)offset - r->base);
	return 0;
}

int vplic_write(struct vplic *p, uint64_t offset, unsigned width, uint64_t val)
{
	const struct vplic_region *r;
	int err = check_access(offset, width);

	if (err)
		return err;
	r = find_region((uint32_t)offset);
	if (r && r->write) {
		r->write(p, (uint32_t)offset - r->base, (uint32_t)val);
		update_outputs(p);
	}
	return 0;
}

void vplic_set_level(struct vplic *p, unsigned src, bool level)
{
	uint32_t w = src / 32u, b = src_bit(src);

	if (!src_valid(p, src))
		return;
	if (level) {
		p->level[w] |= b;
		/* In service: the gateway waits for the completion instead. */
		if (!(p->claimed[w] & b))
			p->pending[w] |= b;
	} else {
		/* A forwarded request is not retracted (PLIC spec "Interrupt Gateways"). */
		p->level[w] &= ~b;
	}
	update_outputs(p);
}

bool vplic_context_pending(const struct vplic *p, unsigned context)
{
	if (context >= nctx(p))
		return false;
	return output_level(p, context);
}
