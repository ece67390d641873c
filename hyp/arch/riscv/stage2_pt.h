/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_STAGE2_PT_H
#define FV_ARCH_RISCV_STAGE2_PT_H

/*
 * RISC-V G-stage (guest physical -> host physical) page tables, Sv39x4 and
 * Sv48x4 (RISC-V priv spec, Hypervisor extension, "Two-Stage Address
 * Translation" / "Guest Physical Address Translation").
 *
 * Pure logic: no CSR access, no fences. Table memory comes through
 * struct stage2_pt_ops, so the same code runs in host unit tests.
 *
 * Format: like Sv39/Sv48, but the root table has 2048 entries (16 KiB,
 * 16 KiB aligned) and takes 2 extra GPA bits: Sv39x4 covers GPAs below 2^41,
 * Sv48x4 below 2^50. Leaves are 4 KiB, 2 MiB or 1 GiB. Every leaf has U=1
 * (G-stage accesses are always checked as user accesses), A=1 and D=1:
 * with A/D preset, a core without hardware A/D updating (Svade) never takes a
 * guest-page fault just to set them, and nothing relies on hardware setting
 * them. Write protection for dirty tracking clears W (stage2_pt_set_perms),
 * not D. Non-leaf entries carry only V and the PPN (U/A/D reserved there).
 *
 * Barriers: stage2_pt only stores PTEs (each a single 64-bit store). After
 * any map/unmap/set_perms the caller must issue HFENCE.GVMA (for the VMID,
 * or all) on every hart that may have run the VM before relying on the
 * change; for a root not yet installed in hgatp no fence is needed.
 *
 * Concurrency: no locking inside. The caller serialises all calls on one
 * struct stage2_pt (e.g. the VM's memory lock). Hardware walkers may read
 * the tables concurrently: entries are never torn, and a leaf is only split
 * into a table that maps exactly the same memory, so a racing walker sees
 * either translation.
 */
#include "lib/types.h"

#define STAGE2_R 0x1U
#define STAGE2_W 0x2U
#define STAGE2_X 0x4U

/* PTE bits (priv spec Sv39 PTE format; G-stage uses the same layout). */
#define STAGE2_PTE_V         (1ULL << 0)
#define STAGE2_PTE_R         (1ULL << 1)
#define STAGE2_PTE_W         (1ULL << 2)
#define STAGE2_PTE_X         (1ULL << 3)
#define STAGE2_PTE_U         (1ULL << 4)
#define STAGE2_PTE_G         (1ULL << 5)
#define STAGE2_PTE_A         (1ULL << 6)
#define STAGE2_PTE_D         (1ULL << 7)
#define STAGE2_PTE_PPN_SHIFT 10
#define STAGE2_PTE_PPN_MASK  (((1ULL << 44) - 1) << STAGE2_PTE_PPN_SHIFT)

#define STAGE2_ROOT_SIZE  (4 * PAGE_SIZE) /* 2048 entries */
#define STAGE2_ROOT_ALIGN (4 * PAGE_SIZE)

/* Leaf sizes the mapper uses. */
#define STAGE2_SIZE_4K (1ULL << 12)
#define STAGE2_SIZE_2M (1ULL << 21)
#define STAGE2_SIZE_1G (1ULL << 30)

/* hgatp fields (RV64). */
#define STAGE2_HGATP_MODE_SHIFT  60
#define STAGE2_HGATP_VMID_SHIFT  44
#define STAGE2_HGATP_VMID_MASK   0x3fffULL /* VMIDLEN <= 14 */
#define STAGE2_HGATP_PPN_MASK    ((1ULL << 44) - 1)
#define STAGE2_HGATP_MODE_SV39X4 8ULL
#define STAGE2_HGATP_MODE_SV48X4 9ULL

/*
 * Table memory provider. Addresses are host physical and must lie below
 * 2^56 (44-bit PPN); phys_to_virt turns the address of an allocation into a
 * pointer covering all of it (identity in the hypervisor today). Allocation
 * failure is reported by a non-zero return. stage2_pt clears every page it
 * gets, so the provider need not. Called with the caller's pt lock held.
 */
struct stage2_pt_ops {
	int (*alloc_table)(void *ctx, hpa_t *out);            /* one 4 KiB page, 4 KiB aligned */
	int (*alloc_root)(void *ctx, hpa_t *out);             /* 16 KiB, 16 KiB aligned */
	void (*free_table)(void *ctx, hpa_t pa, size_t size); /* size: PAGE_SIZE or root size */
	void *(*phys_to_virt)(void *ctx, hpa_t pa);
};

enum stage2_mode {
	STAGE2_SV39X4,
	STAGE2_SV48X4,
};

struct stage2_pt {
	hpa_t root;
	enum stage2_mode mode;
	const struct stage2_pt_ops *ops;
	void *ctx;
	uint64_t table_pages;  /* 4 KiB pages of table memory held, root (4 pages) included */
	uint64_t mapped_bytes; /* bytes of GPA space currently mapped */
};

/*
 * Allocate an empty root for mode. ops must stay valid until destroy.
 * Caller owns pt exclusively. Errors: -FV_EINVAL (bad mode, missing op,
 * misaligned root from the provider, which is then freed), -FV_ENOMEM.
 */
int stage2_pt_init(struct stage2_pt *pt, enum stage2_mode mode, const struct stage2_pt_ops *ops,
                   void *ctx);

/* Exclusive end of the GPA space of pt's mode: 2^41 (Sv39x4) or 2^50 (Sv48x4). */
gpa_t stage2_pt_gpa_limit(const struct stage2_pt *pt);

/*
 * Map [gpa, gpa + size) to [hpa, hpa + size) with perms (STAGE2_R|W|X;
 * non-zero, W needs R) using the largest leaves the joint alignment of gpa
 * and hpa allows. All or nothing: on error no new mapping is left behind
 * and tables allocated on the way are freed again. Caller holds pt's lock;
 * fence afterwards (see above).
 * Errors: -FV_EINVAL (zero or unaligned gpa/hpa/size, bad perms),
 * -FV_ERANGE (GPA beyond the mode's limit, HPA beyond 2^56), -FV_EEXIST
 * (part of the range is already mapped), -FV_ENOMEM (table allocation;
 * -FV_EINVAL if the provider returned a misaligned page).
 */
int stage2_pt_map(struct stage2_pt *pt, gpa_t gpa, hpa_t hpa, uint64_t size, unsigned perms);

/*
 * Remove every mapping inside [gpa, gpa + size); holes are fine. A large
 * leaf straddling an end of the range is first split so only the range is
 * unmapped; tables left empty are freed. Caller holds pt's lock; fence
 * afterwards. Errors: -FV_EINVAL (zero/unaligned), -FV_ERANGE (beyond the
 * limit), -FV_ENOMEM (a split needed a table: nothing is unmapped; leaves
 * already split still translate exactly as before).
 */
int stage2_pt_unmap(struct stage2_pt *pt, gpa_t gpa, uint64_t size);

/*
 * Replace the permissions of every leaf in [gpa, gpa + size), which must be
 * mapped in full, splitting large leaves at the range ends. Caller holds
 * pt's lock; fence afterwards. Errors: as stage2_pt_map for arguments,
 * -FV_ENOENT (a hole in the range; nothing changed), -FV_ENOMEM (split
 * failed; permissions unchanged).
 */
int stage2_pt_set_perms(struct stage2_pt *pt, gpa_t gpa, uint64_t size, unsigned perms);

/*
 * Look up gpa (any byte address). On success stores the HPA of that byte
 * in *hpa and the STAGE2_R|W|X bits in *perms (either may be NULL).
 * Read-only walk; caller holds pt's lock or otherwise keeps the tables
 * stable. Errors: -FV_ERANGE (beyond the limit), -FV_ENOENT (unmapped),
 * -FV_EIO (malformed entry).
 */
int stage2_pt_translate(const struct stage2_pt *pt, gpa_t gpa, hpa_t *hpa, unsigned *perms);

/*
 * Free every table page, root included, and leave pt empty (root = 0,
 * ops = NULL; only stage2_pt_init may use it again). The guest must no
 * longer run on this root and the caller must have fenced its VMID. Safe on
 * a zeroed or already destroyed pt.
 */
void stage2_pt_destroy(struct stage2_pt *pt);

/*
 * hgatp value selecting pt's root: MODE << 60 | VMID << 44 | root PPN.
 * vmid must fit the implemented VMIDLEN (at most 14 bits); higher bits are
 * dropped. Pure.
 */
uint64_t stage2_pt_hgatp(const struct stage2_pt *pt, uint16_t vmid);

#endif
