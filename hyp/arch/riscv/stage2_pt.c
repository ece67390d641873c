/* SPDX-License-Identifier: MIT */
/*
 * RISC-V G-stage page tables (Sv39x4 / Sv48x4). See stage2_pt.h.
 *
 * Levels are numbered from the leaves: level 0 maps 4 KiB, level 1 2 MiB,
 * level 2 1 GiB, level 3 512 GiB. The root is level 2 (Sv39x4) or 3
 * (Sv48x4) and has 2048 entries instead of 512.
 *
 * Invariant kept by every operation: no table below the root is ever left
 * empty. Unmap and map rollback free tables they empty, so a range that is
 * unmapped can always be mapped again with the largest leaves.
 *
 * One generic range walker (walk_range) visits every leaf in a GPA range and
 * optionally frees tables that end up empty; map's overlap check and
 * rollback, unmap and set_perms are callbacks on it. Operations that may
 * need to split large leaves do all splitting first (split_at on the two
 * range ends): a split changes no translation, so a failed split leaves the
 * tables equivalent, and the pass that changes translations never
 * allocates and so cannot fail halfway.
 */
#include "arch/riscv/stage2_pt.h"

#define LEVEL_BITS    9U
#define ENTRIES       512U  /* per non-root table */
#define ROOT_ENTRIES  2048U /* per root table */
#define MAX_LEAF_LVL  2U    /* 1 GiB leaves; 512 GiB leaves are never created */
#define HPA_LIMIT     (1ULL << 56)
#define PTE_PERM_MASK (STAGE2_PTE_R | STAGE2_PTE_W | STAGE2_PTE_X)

/* Leaf PTE bits set in addition to permissions: see "A/D" in stage2_pt.h. */
#define PTE_LEAF_BASE (STAGE2_PTE_V | STAGE2_PTE_U | STAGE2_PTE_A | STAGE2_PTE_D)

static unsigned top_level(const struct stage2_pt *pt)
{
	return pt->mode == STAGE2_SV48X4 ? 3U : 2U;
}

static uint64_t level_size(unsigned level)
{
	return 1ULL << (PAGE_SHIFT + LEVEL_BITS * level);
}

static size_t pt_index(const struct stage2_pt *pt, gpa_t gpa, unsigned level)
{
	uint64_t n = level == top_level(pt) ? ROOT_ENTRIES : ENTRIES;

	return (size_t)((gpa >> (PAGE_SHIFT + LEVEL_BITS * level)) & (n - 1));
}

/*
 * PTEs are read and written as single volatile 64-bit accesses: hardware
 * walkers may read them at any time, so the compiler must neither tear nor
 * merge nor reorder these stores.
 */
static uint64_t pte_read(const uint64_t *p)
{
	return *(const volatile uint64_t *)p;
}

static void pte_write(uint64_t *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}

static bool pte_valid(uint64_t pte)
{
	return (pte & STAGE2_PTE_V) != 0;
}

static bool pte_is_leaf(uint64_t pte)
{
	return (pte & PTE_PERM_MASK) != 0;
}

/* W without R is a reserved encoding (priv spec, PTE format). */
static bool pte_reserved(uint64_t pte)
{
	return (pte & (STAGE2_PTE_R | STAGE2_PTE_W)) == STAGE2_PTE_W;
}

static hpa_t pte_pa(uint64_t pte)
{
	return ((pte & STAGE2_PTE_PPN_MASK) >> STAGE2_PTE_PPN_SHIFT) << PAGE_SHIFT;
}

static uint64_t pte_ppn(hpa_t pa)
{
	return ((pa >> PAGE_SHIFT) << STAGE2_PTE_PPN_SHIFT) & STAGE2_PTE_PPN_MASK;
}

static uint64_t perms_to_pte(unsigned perms)
{
	return (uint64_t)(perms & (STAGE2_R | STAGE2_W | STAGE2_X)) << 1;
}

static unsigned pte_to_perms(uint64_t pte)
{
	return (unsigned)((pte & PTE_PERM_MASK) >> 1);
}

static bool perms_ok(unsigned perms)
{
	return perms != 0 && (perms & ~(STAGE2_R | STAGE2_W | STAGE2_X)) == 0 &&
	       ((perms & STAGE2_W) == 0 || (perms & STAGE2_R) != 0);
}

static uint64_t *table_va(const struct stage2_pt *pt, hpa_t pa)
{
	return pt->ops->phys_to_virt(pt->ctx, pa);
}

static bool table_empty(const uint64_t *t)
{
	for (size_t i = 0; i < ENTRIES; i++)
		if (pte_valid(pte_read(&t[i])))
			return false;
	return true;
}

static int table_new(struct stage2_pt *pt, hpa_t *out)
{
	uint64_t *t;
	hpa_t pa;

	if (pt->ops->alloc_table(pt->ctx, &pa) != 0)
		return -FV_ENOMEM;
	if (!IS_ALIGNED(pa, PAGE_SIZE) || pa >= HPA_LIMIT) {
		pt->ops->free_table(pt->ctx, pa, PAGE_SIZE);
		return -FV_EINVAL;
	}
	/* Cleared here whatever the provider did: a stale entry would leak host memory. */
	t = table_va(pt, pa);
	for (size_t i = 0; i < ENTRIES; i++)
		pte_write(&t[i], 0);
	pt->table_pages++;
	*out = pa;
	return 0;
}

static void table_free(struct stage2_pt *pt, hpa_t pa)
{
	pt->ops->free_table(pt->ctx, pa, PAGE_SIZE);
	pt->table_pages--;
}

gpa_t stage2_pt_gpa_limit(const struct stage2_pt *pt)
{
	return pt->mode == STAGE2_SV48X4 ? 1ULL << 50 : 1ULL << 41;
}

/* Common argument check for a GPA range. */
static int check_range(const struct stage2_pt *pt, gpa_t gpa, uint64_t size)
{
	gpa_t limit = stage2_pt_gpa_limit(pt);

	if (size == 0 || !IS_ALIGNED(gpa, PAGE_SIZE) || !IS_ALIGNED(size, PAGE_SIZE))
		return -FV_EINVAL;
	if (gpa >= limit || size > limit - gpa)
		return -FV_ERANGE;
	return 0;
}

/* ---- Generic range walker ---- */

/*
 * Called for each valid leaf met by walk_range. [gpa, gpa + level_size(level))
 * is the leaf's whole extent, which may stick out of the walked range unless
 * the range ends were split first. May rewrite *ptep. Non-zero stops the walk.
 */
typedef int (*walk_fn)(struct stage2_pt *pt, uint64_t *ptep, gpa_t gpa, unsigned level, void *arg);

struct walk {
	struct stage2_pt *pt;
	walk_fn fn;
	void *arg;
	bool prune; /* free child tables the walk leaves empty */
};

static int walk_table(const struct walk *w, uint64_t *table, unsigned level, gpa_t s, gpa_t e)
{
	struct stage2_pt *pt = w->pt;
	uint64_t lsize = level_size(level);
	size_t last = pt_index(pt, e - 1, level);
	gpa_t eg = ALIGN_DOWN(s, lsize);

	for (size_t i = pt_index(pt, s, level); i <= last; i++, eg += lsize) {
		uint64_t pte = pte_read(&table[i]);
		uint64_t *child;
		int rc;

		if (!pte_valid(pte))
			continue;
		if (pte_reserved(pte))
			return -FV_EIO;
		if (pte_is_leaf(pte)) {
			rc = w->fn(pt, &table[i], eg, level, w->arg);
			if (rc)
				return rc;
			continue;
		}
		if (level == 0)
			return -FV_EIO; /* pointer entry at the last level */
		child = table_va(pt, pte_pa(pte));
		rc = walk_table(w, child, level - 1, MAX(s, eg), MIN(e, eg + lsize));
		if (rc)
			return rc;
		if (w->prune && table_empty(child)) {
			pte_write(&table[i], 0);
			table_free(pt, pte_pa(pte));
		}
	}
	return 0;
}

/* Visit every leaf overlapping [gpa, gpa + size); the range is checked by the caller. */
static int walk_range(struct stage2_pt *pt, gpa_t gpa, uint64_t size, walk_fn fn, void *arg,
                      bool prune)
{
	const struct walk w = {.pt = pt, .fn = fn, .arg = arg, .prune = prune};

	return walk_table(&w, table_va(pt, pt->root), top_level(pt), gpa, gpa + size);
}

/* Range passed to callbacks that care whether a leaf lies inside it. */
struct range_arg {
	gpa_t start, end;
	uint64_t bytes;
	uint64_t pte_bits;
};

static bool leaf_inside(const struct range_arg *r, gpa_t gpa, unsigned level)
{
	return gpa >= r->start && gpa + level_size(level) <= r->end;
}

static int fn_exists(struct stage2_pt *pt, uint64_t *ptep, gpa_t gpa, unsigned level, void *arg)
{
	UNUSED(pt);
	UNUSED(ptep);
	UNUSED(gpa);
	UNUSED(level);
	UNUSED(arg);
	return -FV_EEXIST;
}

static int fn_clear(struct stage2_pt *pt, uint64_t *ptep, gpa_t gpa, unsigned level, void *arg)
{
	/* Range ends were split (or are leaf aligned), so a straddling leaf is a bug. */
	if (!leaf_inside(arg, gpa, level))
		return -FV_EIO;
	pte_write(ptep, 0);
	pt->mapped_bytes -= level_size(level);
	return 0;
}

static int fn_count(struct stage2_pt *pt, uint64_t *ptep, gpa_t gpa, unsigned level, void *arg)
{
	struct range_arg *r = arg;
	gpa_t s = MAX(gpa, r->start);
	gpa_t e = MIN(gpa + level_size(level), r->end);

	UNUSED(pt);
	UNUSED(ptep);
	r->bytes += e - s;
	return 0;
}

static int fn_set_perms(struct stage2_pt *pt, uint64_t *ptep, gpa_t gpa, unsigned level, void *arg)
{
	struct range_arg *r = arg;

	UNUSED(pt);
	if (!leaf_inside(r, gpa, level))
		return -FV_EIO;
	pte_write(ptep, (pte_read(ptep) & ~PTE_PERM_MASK) | r->pte_bits);
	return 0;
}

/* ---- Splitting ---- */

/* Replace the leaf at *ptep (level >= 1) by a table of 512 leaves mapping the same memory. */
static int split_leaf(struct stage2_pt *pt, uint64_t *ptep, unsigned level)
{
	uint64_t pte = pte_read(ptep);
	uint64_t csize = level_size(level - 1);
	uint64_t *t;
	hpa_t tpa;
	int rc = table_new(pt, &tpa);

	if (rc)
		return rc;
	t = table_va(pt, tpa);
	for (size_t i = 0; i < ENTRIES; i++)
		pte_write(&t[i], (pte & ~STAGE2_PTE_PPN_MASK) | pte_ppn(pte_pa(pte) + i * csize));
	/* The table is complete before it becomes reachable. */
	pte_write(ptep, STAGE2_PTE_V | pte_ppn(tpa));
	return 0;
}

/* Make gpa a leaf boundary: split any larger leaf that straddles it. */
static int split_at(struct stage2_pt *pt, gpa_t gpa)
{
	uint64_t *table;

	if (gpa == 0 || gpa >= stage2_pt_gpa_limit(pt))
		return 0;
	table = table_va(pt, pt->root);
	for (unsigned level = top_level(pt);; level--) {
		uint64_t *ptep = &table[pt_index(pt, gpa, level)];
		uint64_t pte = pte_read(ptep);

		if (!pte_valid(pte))
			return 0;
		if (pte_reserved(pte))
			return -FV_EIO;
		if (pte_is_leaf(pte)) {
			int rc;

			if (IS_ALIGNED(gpa, level_size(level)))
				return 0;
			rc = split_leaf(pt, ptep, level);
			if (rc)
				return rc;
			pte = pte_read(ptep);
		}
		if (level == 0)
			return -FV_EIO;
		table = table_va(pt, pte_pa(pte));
	}
}

/* ---- Public API ---- */

int stage2_pt_init(struct stage2_pt *pt, enum stage2_mode mode, const struct stage2_pt_ops *ops,
                   void *ctx)
{
	uint64_t *root;
	hpa_t pa;

	if (!pt || !ops || !ops->alloc_table || !ops->alloc_root || !ops->free_table ||
	    !ops->phys_to_virt || (mode != STAGE2_SV39X4 && mode != STAGE2_SV48X4))
		return -FV_EINVAL;
	if (ops->alloc_root(ctx, &pa) != 0)
		return -FV_ENOMEM;
	if (!IS_ALIGNED(pa, STAGE2_ROOT_ALIGN) || pa >= HPA_LIMIT) {
		ops->free_table(ctx, pa, STAGE2_ROOT_SIZE);
		return -FV_EINVAL;
	}

	pt->root = pa;
	pt->mode = mode;
	pt->ops = ops;
	pt->ctx = ctx;
	pt->table_pages = STAGE2_ROOT_SIZE / PAGE_SIZE;
	pt->mapped_bytes = 0;
	root = table_va(pt, pa);
	for (size_t i = 0; i < ROOT_ENTRIES; i++)
		pte_write(&root[i], 0);
	return 0;
}

/* Largest leaf level usable at (gpa, hpa) with rem bytes left to map. */
static unsigned pick_level(gpa_t gpa, hpa_t hpa, uint64_t rem)
{
	for (unsigned level = MAX_LEAF_LVL; level > 0; level--) {
		uint64_t sz = level_size(level);

		if (IS_ALIGNED(gpa, sz) && IS_ALIGNED(hpa, sz) && rem >= sz)
			return level;
	}
	return 0;
}

/* Install one leaf at target level, creating tables on the way down. */
static int map_leaf(struct stage2_pt *pt, gpa_t gpa, unsigned target, uint64_t leaf)
{
	uint64_t *table = table_va(pt, pt->root);

	for (unsigned level = top_level(pt); level > target; level--) {
		uint64_t *ptep = &table[pt_index(pt, gpa, level)];
		uint64_t pte = pte_read(ptep);

		if (!pte_valid(pte)) {
			hpa_t tpa;
			int rc = table_new(pt, &tpa);

			if (rc)
				return rc;
			pte = STAGE2_PTE_V | pte_ppn(tpa);
			pte_write(ptep, pte);
		} else if (pte_is_leaf(pte) || pte_reserved(pte)) {
			return -FV_EEXIST;
		}
		table = table_va(pt, pte_pa(pte));
	}
	/* A table here would mean the empty-table invariant broke: refuse, do not leak it. */
	if (pte_valid(pte_read(&table[pt_index(pt, gpa, target)])))
		return -FV_EEXIST;
	pte_write(&table[pt_index(pt, gpa, target)], leaf);
	return 0;
}

int stage2_pt_map(struct stage2_pt *pt, gpa_t gpa, hpa_t hpa, uint64_t size, unsigned perms)
{
	uint64_t done = 0;
	int rc = check_range(pt, gpa, size);

	if (rc)
		return rc;
	if (!IS_ALIGNED(hpa, PAGE_SIZE) || !perms_ok(perms))
		return -FV_EINVAL;
	if (hpa >= HPA_LIMIT || size > HPA_LIMIT - hpa)
		return -FV_ERANGE;

	rc = walk_range(pt, gpa, size, fn_exists, NULL, false);
	if (rc)
		return rc;

	while (done < size) {
		unsigned level = pick_level(gpa + done, hpa + done, size - done);
		uint64_t leaf = PTE_LEAF_BASE | perms_to_pte(perms) | pte_ppn(hpa + done);

		rc = map_leaf(pt, gpa + done, level, leaf);
		if (rc) {
			/*
			 * The range was empty, so every leaf in it is ours: clear
			 * them all and free the tables this call created, including
			 * any left empty by the failed step. Pure clearing needs no
			 * allocation and cannot fail.
			 */
			struct range_arg r = {.start = gpa, .end = gpa + size};

			(void)walk_range(pt, gpa, size, fn_clear, &r, true);
			return rc;
		}
		pt->mapped_bytes += level_size(level);
		done += level_size(level);
	}
	return 0;
}

int stage2_pt_unmap(struct stage2_pt *pt, gpa_t gpa, uint64_t size)
{
	struct range_arg r = {.start = gpa, .end = gpa + size};
	int rc = check_range(pt, gpa, size);

	if (rc)
		return rc;
	rc = split_at(pt, gpa);
	if (!rc)
		rc = split_at(pt, gpa + size);
	if (rc)
		return rc;
	return walk_range(pt, gpa, size, fn_clear, &r, true);
}

int stage2_pt_set_perms(struct stage2_pt *pt, gpa_t gpa, uint64_t size, unsigned perms)
{
	struct range_arg r = {.start = gpa, .end = gpa + size, .pte_bits = perms_to_pte(perms)};
	int rc = check_range(pt, gpa, size);

	if (rc)
		return rc;
	if (!perms_ok(perms))
		return -FV_EINVAL;

	rc = walk_range(pt, gpa, size, fn_count, &r, false);
	if (rc)
		return rc;
	if (r.bytes != size)
		return -FV_ENOENT;
	rc = split_at(pt, gpa);
	if (!rc)
		rc = split_at(pt, gpa + size);
	if (rc)
		return rc;
	return walk_range(pt, gpa, size, fn_set_perms, &r, false);
}

int stage2_pt_translate(const struct stage2_pt *pt, gpa_t gpa, hpa_t *hpa, unsigned *perms)
{
	const uint64_t *table;

	if (gpa >= stage2_pt_gpa_limit(pt))
		return -FV_ERANGE;
	table = table_va(pt, pt->root);
	for (unsigned level = top_level(pt);; level--) {
		uint64_t pte = pte_read(&table[pt_index(pt, gpa, level)]);
		uint64_t lsize = level_size(level);

		if (!pte_valid(pte))
			return -FV_ENOENT;
		if (pte_reserved(pte))
			return -FV_EIO;
		if (pte_is_leaf(pte)) {
			/* A misaligned superpage faults in hardware; report it as malformed. */
			if (!IS_ALIGNED(pte_pa(pte), lsize))
				return -FV_EIO;
			if (hpa)
				*hpa = pte_pa(pte) + (gpa & (lsize - 1));
			if (perms)
				*perms = pte_to_perms(pte);
			return 0;
		}
		if (level == 0)
			return -FV_EIO;
		table = table_va(pt, pte_pa(pte));
	}
}

/* Free every table below table (at level), not table itself. */
static void free_subtree(struct stage2_pt *pt, const uint64_t *table, unsigned level, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t pte = pte_read(&table[i]);

		if (!pte_valid(pte) || pte_is_leaf(pte) || level == 0)
			continue;
		free_subtree(pt, table_va(pt, pte_pa(pte)), level - 1, ENTRIES);
		table_free(pt, pte_pa(pte));
	}
}

void stage2_pt_destroy(struct stage2_pt *pt)
{
	if (!pt || !pt->ops)
		return;
	free_subtree(pt, table_va(pt, pt->root), top_level(pt), ROOT_ENTRIES);
	pt->ops->free_table(pt->ctx, pt->root, STAGE2_ROOT_SIZE);
	pt->table_pages -= STAGE2_ROOT_SIZE / PAGE_SIZE;
	pt->root = 0;
	pt->mapped_bytes = 0;
	pt->ops = NULL;
}

uint64_t stage2_pt_hgatp(const struct stage2_pt *pt, uint16_t vmid)
{
	uint64_t mode =
	    pt->mode == STAGE2_SV48X4 ? STAGE2_HGATP_MODE_SV48X4 : STAGE2_HGATP_MODE_SV39X4;

	return mode << STAGE2_HGATP_MODE_SHIFT |
	       ((uint64_t)vmid & STAGE2_HGATP_VMID_MASK) << STAGE2_HGATP_VMID_SHIFT |
	       ((pt->root >> PAGE_SHIFT) & STAGE2_HGATP_PPN_MASK);
}
