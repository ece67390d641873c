// SPDX-License-Identifier: MIT
/* Kernel-virtual segments of a core file (see fvd_core_va.h). */
#include "fvd_core_va.h"

#include <stdbool.h>

#define VA_PTE_V       0x1ull
#define VA_PTE_R       0x2ull
#define VA_PTE_W       0x4ull
#define VA_PTE_X       0x8ull
#define VA_PPN_MASK    ((1ull << 44) - 1)
#define VA_MAX_ENTRIES (1u << 21) /* PTEs read per walk at most */

struct va_walk {
	fvd_core_pte_fn pte;
	void *ctx;
	struct fvd_core_seg *out;
	size_t max, n;
	unsigned vabits;
	unsigned visited;
};

/* Adds one leaf mapping, merged with the previous run when both addresses continue it. */
static void va_add(struct va_walk *w, uint64_t va, uint64_t pa, uint64_t size)
{
	if (w->n) {
		struct fvd_core_seg *l = &w->out[w->n - 1];
		if (l->va + l->size == va && l->pa + l->size == pa) {
			l->size += size;
			return;
		}
	}
	if (w->n < w->max)
		w->out[w->n++] = (struct fvd_core_seg){va, pa, size};
}

/* Sign-extends a virtual address of @bits bits. */
static uint64_t va_canon(uint64_t va, unsigned bits)
{
	uint64_t top = 1ull << (bits - 1);
	return (va & (top - 1)) | ((va & top) ? ~(top - 1) : 0);
}

static void va_walk_table(struct va_walk *w, uint64_t table, unsigned level, uint64_t base)
{
	unsigned shift = 12 + 9 * level;
	/* The root: only the upper half (the kernel's); below it, every entry. */
	unsigned first = base == 0 && level == (w->vabits - 12) / 9 - 1 ? 256 : 0;
	for (unsigned i = first; i < 512; i++) {
		uint64_t e;
		if (++w->visited > VA_MAX_ENTRIES || w->n >= w->max)
			return;
		if (w->pte(w->ctx, table + 8ull * i, &e) != 0)
			return; /* the table is not in RAM */
		if (!(e & VA_PTE_V) || ((e & VA_PTE_W) && !(e & VA_PTE_R)))
			continue; /* invalid, or the reserved W-without-R encoding */
		uint64_t va = base | ((uint64_t)i << shift);
		uint64_t pa = ((e >> 10) & VA_PPN_MASK) << 12;
		if (e & (VA_PTE_R | VA_PTE_X)) {
			uint64_t size = 1ull << shift;
			if (pa & (size - 1))
				continue; /* misaligned superpage: a page fault for the guest */
			va_add(w, va_canon(va, w->vabits), pa, size);
		} else if (level > 0) {
			va_walk_table(w, pa, level - 1, va);
		}
	}
}

size_t fvd_core_va_segs(const uint64_t *satp, size_t n, fvd_core_pte_fn pte, void *ctx,
                        struct fvd_core_seg *out, size_t max)
{
	struct va_walk w = {pte, ctx, out, max, 0, 0, 0};

	for (size_t i = 0; i < n; i++) {
		unsigned mode = (unsigned)(satp[i] >> 60);
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || satp[j] == satp[i];
		if (seen || (mode != 8 && mode != 9 && mode != 10))
			continue;
		w.vabits = mode == 8 ? 39 : mode == 9 ? 48 : 57;
		w.visited = 0;
		va_walk_table(&w, (satp[i] & VA_PPN_MASK) << 12, (w.vabits - 12) / 9 - 1, 0);
	}
	return w.n;
}
