// SPDX-License-Identifier: MIT
/* The guest's stage-1 walk in software (s1walk.h; Arm ARM D8.2, D8.3). Pure. */
#include "arch/arm64/s1walk.h"
#include "lib/fv_err.h"

#define SCTLR_M  (1ULL << 0)
#define SCTLR_EE (1ULL << 25)

#define TCR_EPD0 (1ULL << 7)
#define TCR_EPD1 (1ULL << 23)
#define TCR_HA   (1ULL << 39)
#define TCR_TBI0 (1ULL << 37)
#define TCR_TBI1 (1ULL << 38)
#define TCR_DS   (1ULL << 59)

#define DESC_VALID (1ULL << 0)
#define DESC_TABLE (1ULL << 1) /* levels 0-2: table (else block); level 3: page */
#define DESC_AF    (1ULL << 10)
/* Output / next-table address bits of a descriptor and TTBR BADDR (48-bit OA). */

/* One half of the address space as TCR_EL1 configures it. */
struct half {
	unsigned tsz;  /* TxSZ */
	unsigned gran; /* log2 of the granule: 12, 14 or 16; 0 = reserved encoding */
	bool disabled; /* EPDx */
	bool tbi;      /* TBIx: the top byte is ignored */
	uint64_t ttbr;
};

static struct half half_of(const struct arm64_s1_regs *r, bool upper)
{
	uint64_t tcr = r->tcr;
	struct half h;
	if (!upper) {
		static const unsigned tg0[4] = {12, 16, 14, 0}; /* 00 4K, 01 64K, 10 16K */
		h.tsz = (unsigned)(tcr & 0x3f);
		h.gran = tg0[(tcr >> 14) & 3];
		h.disabled = (tcr & TCR_EPD0) != 0;
		h.tbi = (tcr & TCR_TBI0) != 0;
		h.ttbr = r->ttbr0;
	} else {
		static const unsigned tg1[4] = {0, 14, 12, 16}; /* 01 16K, 10 4K, 11 64K */
		h.tsz = (unsigned)((tcr >> 16) & 0x3f);
		h.gran = tg1[(tcr >> 30) & 3];
		h.disabled = (tcr & TCR_EPD1) != 0;
		h.tbi = (tcr & TCR_TBI1) != 0;
		h.ttbr = r->ttbr1;
	}
	return h;
}

/* TCR_EL1.IPS: the output address size in bits. */
static unsigned pa_bits(uint64_t tcr)
{
	static const unsigned bits[8] = {32, 36, 40, 42, 44, 48, 52, 52};
	return bits[(tcr >> 32) & 7];
}

static bool read_desc(const struct arm64_s1_regs *r, arm64_s1_read_fn read, void *ctx, uint64_t gpa,
                      uint64_t *desc)
{
	if (!read(ctx, gpa, desc))
		return false;
	if (r->sctlr & SCTLR_EE)
		*desc = __builtin_bswap64(*desc);
	return true;
}

/*
 * The output (or next-table) address of a descriptor for granule 2^gran, aligned down to
 * 2^shift. 52-bit forms: with DS (4K/16K, FEAT_LPA2) OA[51:50] sit in bits [9:8] and
 * bits [49:gran] are address; with 64K (FEAT_LPA) OA[51:48] sit in bits [15:12].
 */
static uint64_t desc_addr(uint64_t desc, unsigned gran, bool ds, unsigned shift)
{
	uint64_t a;
	if (ds)
		a = (desc & 0x0003fffffffff000ULL) | (((desc >> 8) & 3) << 50);
	else if (gran == 16)
		a = (desc & 0x0000ffffffff0000ULL) | (((desc >> 12) & 15) << 48);
	else
		a = desc & 0x0000fffffffff000ULL;
	return a & ~((1ULL << shift) - 1);
}

/* Whether a block descriptor may appear at level lvl (Arm ARM D8.3: 4K 1-2, 16K/64K 2;
 * 4K level 0 and 16K level 1 with FEAT_LPA2 (DS); 64K level 1 with FEAT_LPA (IPS 52)). */
static bool block_ok(int lvl, unsigned gran, bool ds, unsigned oa_bits)
{
	if (lvl == 2)
		return true;
	if (lvl == 1)
		return gran == 12 || (gran == 14 && ds) || (gran == 16 && oa_bits == 52);
	return lvl == 0 && gran == 12 && ds;
}

int arm64_s1_walk(const struct arm64_s1_regs *r, uint64_t va, arm64_s1_read_fn read, void *ctx,
                  uint64_t *pa)
{
	if (!(r->sctlr & SCTLR_M)) {
		*pa = va; /* MMU off: flat, as the guest sees memory */
		return 0;
	}
	bool upper = (va >> 55) & 1;
	struct half h = half_of(r, upper);
	bool ds = (r->tcr & TCR_DS) != 0;
	if (h.gran == 0 || h.disabled || (ds && h.gran == 16))
		return -FV_EFAULT;
	/* TxSZ 16..48; down to 12 (52-bit VA) with FEAT_LVA (64K) or FEAT_LPA2 (DS). */
	unsigned tsz_min = (ds || h.gran == 16) ? 12 : 16;
	if (h.tsz < tsz_min || h.tsz > 48)
		return -FV_EFAULT;
	unsigned ia = 64 - h.tsz;
	/* Bits [top:ia] must all equal bit 55 (TBI: only up to bit 55). */
	unsigned top = h.tbi ? 55 : 63;
	uint64_t hi_mask = (top == 63 ? ~0ULL : ((1ULL << (top + 1)) - 1)) & ~((1ULL << ia) - 1);
	if ((va & hi_mask) != (upper ? hi_mask : 0))
		return -FV_EFAULT;
	unsigned stride = h.gran - 3;
	/* Levels needed for the ia - gran bits above the page offset, ending at level 3
	 * (five, from level -1, for a 52-bit VA with 4K pages). */
	int levels = (int)((ia - h.gran + stride - 1) / stride);
	unsigned oa_bits = pa_bits(r->tcr);
	uint64_t oa_limit = 1ULL << oa_bits;
	uint64_t table = h.ttbr & 0x0000fffffffffffeULL;
	if (oa_bits == 52) /* BADDR[51:48] in TTBR bits [5:2] */
		table = (h.ttbr & 0x0000ffffffffffc0ULL) | (((h.ttbr >> 2) & 15) << 48);
	for (int lvl = 4 - levels; lvl <= 3; lvl++) {
		unsigned shift = h.gran + (unsigned)(3 - lvl) * stride;
		unsigned width = lvl == 4 - levels ? ia - shift : stride;
		uint64_t idx = (va >> shift) & ((1ULL << width) - 1);
		if (table >= oa_limit)
			return -FV_EFAULT; /* address size fault on the table address */
		uint64_t desc;
		if (!read_desc(r, read, ctx, table + idx * 8, &desc) || !(desc & DESC_VALID))
			return -FV_EFAULT;
		if (lvl < 3 && (desc & DESC_TABLE)) {
			table = desc_addr(desc, h.gran, ds, h.gran);
			continue;
		}
		if (lvl == 3 && !(desc & DESC_TABLE))
			return -FV_EFAULT; /* reserved at level 3 */
		if (lvl < 3 && !block_ok(lvl, h.gran, ds, oa_bits))
			return -FV_EFAULT;
		if (!(desc & DESC_AF) && !(r->tcr & TCR_HA))
			return -FV_EFAULT; /* access flag fault */
		uint64_t out = desc_addr(desc, h.gran, ds, shift) | (va & ((1ULL << shift) - 1));
		if (out >= oa_limit)
			return -FV_EFAULT;
		*pa = out;
		return 0;
	}
	return -FV_EFAULT; /* not reached: level 3 always ends the walk */
}
