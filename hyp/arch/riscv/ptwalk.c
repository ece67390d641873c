// SPDX-License-Identifier: MIT
/* VS-stage page-table walker for the debugger; see ptwalk.h. */
#include "arch/riscv/ptwalk.h"
#include "lib/fv_err.h"

#define PTE_V BIT(0)
#define PTE_R BIT(1)
#define PTE_W BIT(2)
#define PTE_X BIT(3)
/* Bits 60:54 are reserved; 62:61 (Svpbmt) and 63 (Svnapot) pass. */
#define PTE_RESERVED  (((1ULL << 61) - 1) & ~((1ULL << 54) - 1))
#define PTE_PPN(pte)  (((pte) >> 10) & ((1ULL << 44) - 1))
#define PTE_NAPOT_BIT (1ULL << 63)

static bool allowed(uint64_t pte, unsigned flags)
{
	if (flags & PTW_DEBUG) {
		/* The debugger reads what the guest can read or execute, and may patch either. */
		return (pte & (PTE_R | PTE_X)) != 0;
	}
	if ((flags & PTW_R) && !(pte & PTE_R))
		return false;
	if ((flags & PTW_W) && !(pte & PTE_W))
		return false;
	if ((flags & PTW_X) && !(pte & PTE_X))
		return false;
	return true;
}

int riscv_ptwalk(uint64_t satp, uint64_t va, unsigned flags, ptwalk_read_fn rd, void *ctx,
                 uint64_t *gpa)
{
	uint64_t mode = satp >> 60;
	unsigned levels;
	switch (mode) {
	case PTW_MODE_BARE:
		*gpa = va;
		return 0;
	case PTW_MODE_SV39:
		levels = 3;
		break;
	case PTW_MODE_SV48:
		levels = 4;
		break;
	case PTW_MODE_SV57:
		levels = 5;
		break;
	default:
		return -FV_ENOTSUP;
	}
	unsigned va_bits = 12 + 9 * levels;
	/* Bits 63..va_bits must all equal bit va_bits-1 (§10.3.2). */
	uint64_t top = va >> (va_bits - 1);
	uint64_t ones = (1ULL << (64 - (va_bits - 1))) - 1;
	if (top != 0 && top != ones)
		return -FV_EFAULT;
	uint64_t table = (satp & ((1ULL << 44) - 1)) << 12;
	for (int level = (int)levels - 1; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t idx = (va >> shift) & 511;
		uint64_t pte;
		if (rd(ctx, table + idx * 8, &pte))
			return -FV_EFAULT;
		if (!(pte & PTE_V) || (pte & PTE_RESERVED))
			return -FV_EFAULT;
		if ((pte & PTE_W) && !(pte & PTE_R))
			return -FV_EFAULT; /* reserved encoding */
		if (!(pte & (PTE_R | PTE_X))) {
			/* Pointer to the next level; the D, A, U bits must be clear there. */
			if (level == 0 || (pte & (0xd0ULL | PTE_NAPOT_BIT)))
				return -FV_EFAULT;
			table = PTE_PPN(pte) << 12;
			continue;
		}
		if (!allowed(pte, flags))
			return -FV_EFAULT;
		uint64_t ppn = PTE_PPN(pte);
		uint64_t page_mask = (1ULL << shift) - 1;
		/* A superpage's low PPN bits must be zero (misaligned superpage, §10.3.2 step 6).
		 */
		if ((ppn << 12) & page_mask)
			return -FV_EFAULT;
		if (pte & PTE_NAPOT_BIT) {
			/* Svnapot: only 64 KiB at level 0, PPN[3:0] = 1000. */
			if (level != 0 || (ppn & 0xf) != 0x8)
				return -FV_EFAULT;
			*gpa = ((ppn & ~0xfULL) << 12) | (va & 0xffff);
			return 0;
		}
		*gpa = (ppn << 12) | (va & page_mask);
		return 0;
	}
	return -FV_EFAULT;
}
