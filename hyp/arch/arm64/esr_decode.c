// SPDX-License-Identifier: MIT
/* Stage-2 data abort syndrome decoding (esr_decode.h). Pure. */
#include "arch/arm64/esr_decode.h"

#define ESR_EC(e)       (((e) >> 26) & 0x3f)
#define EC_DABT_LOW     0x24
#define ISS_ISV         (1ULL << 24)
#define ISS_SAS(e)      (((e) >> 22) & 3)
#define ISS_SSE         (1ULL << 21)
#define ISS_SRT(e)      (((e) >> 16) & 31)
#define ISS_SF          (1ULL << 15)
#define ISS_S1PTW       (1ULL << 7)
#define ISS_WNR         (1ULL << 6)
#define HPFAR_FIPA_MASK 0x00000ffffffffff0ULL /* FIPA[51:12] in bits [43:4] */

int arm64_dabt_decode(uint64_t esr, uint64_t far, uint64_t hpfar, struct arm64_dabt *out)
{
	if (ESR_EC(esr) != EC_DABT_LOW)
		return -FV_EINVAL;
	out->gpa = ((hpfar & HPFAR_FIPA_MASK) << 8) | (far & 0xfff);
	out->s1ptw = (esr & ISS_S1PTW) != 0;
	out->is_write = (esr & ISS_WNR) != 0;
	if (!(esr & ISS_ISV) || out->s1ptw)
		return -FV_ENOTSUP;
	out->width = 1U << ISS_SAS(esr);
	out->reg = (unsigned)ISS_SRT(esr);
	out->sign_extend = (esr & ISS_SSE) != 0;
	out->sixty_four = (esr & ISS_SF) != 0;
	return 0;
}

uint64_t arm64_dabt_load_value(const struct arm64_dabt *d, uint64_t val)
{
	unsigned bits = d->width * 8;
	if (bits < 64) {
		val &= (1ULL << bits) - 1;
		if (d->sign_extend && (val >> (bits - 1)) & 1)
			val |= ~0ULL << bits;
	}
	if (!d->sixty_four)
		val &= 0xffffffffULL;
	return val;
}
