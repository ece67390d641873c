// SPDX-License-Identifier: MIT
/* Host PLIC driver (contract in plic.h). */
#include "arch/riscv/plic.h"

#define PRIORITY(irq)  (0x0000u + 4u * (irq))
#define ENABLE(ctx, w) (0x2000u + 0x80u * (unsigned)(ctx) + 4u * (w))
#define THRESHOLD(ctx) (0x200000u + 0x1000u * (unsigned)(ctx))
#define CLAIM(ctx)     (0x200004u + 0x1000u * (unsigned)(ctx))

static inline void wr(const struct plic *p, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(p->base + off) = v;
}

static inline uint32_t rd(const struct plic *p, uint32_t off)
{
	return *(volatile uint32_t *)(p->base + off);
}

void plic_init(struct plic *p, uintptr_t base, uint32_t ndev)
{
	p->base = base;
	p->ndev = ndev > 1023 ? 1023 : ndev;
	for (uint32_t i = 1; i <= p->ndev; i++)
		wr(p, PRIORITY(i), 0);
}

void plic_ctx_init(struct plic *p, int ctx)
{
	for (uint32_t w = 0; w <= p->ndev / 32; w++)
		wr(p, ENABLE(ctx, w), 0);
	plic_set_threshold(p, ctx, 0);
}

void plic_set_threshold(struct plic *p, int ctx, uint32_t threshold)
{
	/* Priority 0 never interrupts: threshold 0 lets every enabled source through. */
	wr(p, THRESHOLD(ctx), threshold);
}

static int set_enable(struct plic *p, uint32_t irq, int ctx, bool on)
{
	if (irq == 0 || irq > p->ndev || ctx < 0)
		return -FV_EINVAL;
	uint32_t w = irq / 32, bit = 1u << (irq % 32), v = rd(p, ENABLE(ctx, w));
	wr(p, ENABLE(ctx, w), on ? v | bit : v & ~bit);
	return 0;
}

int plic_enable(struct plic *p, uint32_t irq, int ctx)
{
	if (irq == 0 || irq > p->ndev || ctx < 0)
		return -FV_EINVAL;
	wr(p, PRIORITY(irq), 1);
	return set_enable(p, irq, ctx, true);
}

int plic_disable(struct plic *p, uint32_t irq, int ctx)
{
	return set_enable(p, irq, ctx, false);
}

uint32_t plic_claim(struct plic *p, int ctx)
{
	return rd(p, CLAIM(ctx));
}

void plic_complete(struct plic *p, int ctx, uint32_t irq)
{
	wr(p, CLAIM(ctx), irq);
}
