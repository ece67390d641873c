// SPDX-License-Identifier: MIT
/* Guest debug trigger configuration checks (pure logic; see dbtr_trig.h). */
#include "arch/riscv/sbi.h"
#include "arch/riscv/sbi/dbtr_trig.h"

/* Match values of mcontrol6 the Debug spec 1.0 defines; the others are reserved. */
static bool match_defined(unsigned long match)
{
	switch (match) {
	case 0:  /* equal */
	case 1:  /* napot */
	case 2:  /* >= */
	case 3:  /* < */
	case 4:  /* mask low */
	case 5:  /* mask high */
	case 8:  /* not equal */
	case 9:  /* not napot */
	case 12: /* not mask low */
	case 13: /* not mask high */
		return true;
	default:
		return false;
	}
}

long dbtr_trig_check(uint64_t tdata1, uint64_t tdata3)
{
	unsigned long type = dbtr_trig_type(tdata1);
	switch (type) {
	case DBTR_TYPE_MCONTROL6:
		break;
	case DBTR_TYPE_MCONTROL: /* no vs/vu bits: its s bit would also fire in HS */
	case 3:                  /* icount */
	case 4:                  /* itrigger */
	case 5:                  /* etrigger */
	case 7:                  /* tmexttrigger */
	case 15:                 /* disabled */
		return SBI_ERR_NOT_SUPPORTED;
	default: /* 0 (none), 1 (legacy SiFive), 8..14 reserved */
		return SBI_ERR_INVALID_PARAM;
	}
	/* SBI DBTR: tdata1.dmode and tdata1.m must be zero. */
	if (tdata1 & (DBTR_MC6_DMODE | DBTR_MC6_M | DBTR_MC6_RESERVED))
		return SBI_ERR_INVALID_PARAM;
	/* Only "raise a breakpoint exception": no debug mode, trace or external actions. */
	if (tdata1 & DBTR_MC6_ACTION)
		return SBI_ERR_INVALID_PARAM;
	if (!match_defined((unsigned long)((tdata1 & DBTR_MC6_MATCH) >> DBTR_MC6_MATCH_SHIFT)))
		return SBI_ERR_INVALID_PARAM;
	/* The virtual hart has no H extension: its vs/vu bits are unimplemented. */
	if (tdata1 & (DBTR_MC6_VS | DBTR_MC6_VU))
		return SBI_ERR_NOT_SUPPORTED;
	if (tdata1 & DBTR_MC6_CHAIN)
		return SBI_ERR_NOT_SUPPORTED;
	if (tdata3 != 0)
		return SBI_ERR_NOT_SUPPORTED;
	return SBI_SUCCESS;
}

uint64_t dbtr_trig_to_host(uint64_t tdata1)
{
	uint64_t host = tdata1 & ~(DBTR_MC6_S | DBTR_MC6_U | DBTR_MC6_M | DBTR_MC6_DMODE |
	                           DBTR_MC6_VS | DBTR_MC6_VU);
	if (tdata1 & DBTR_MC6_S)
		host |= DBTR_MC6_VS;
	if (tdata1 & DBTR_MC6_U)
		host |= DBTR_MC6_VU;
	return host;
}

long dbtr_trig_set(unsigned long base, unsigned long mask, unsigned nr, uint64_t installed,
                   uint64_t *out)
{
	*out = 0;
	uint64_t set = 0;
	for (unsigned i = 0; i < 64; i++) {
		if (!(mask & (1UL << i)))
			continue;
		unsigned long idx = base + i;
		if (idx < base || idx >= nr || idx >= 64 || !(installed & (1ULL << idx)))
			return SBI_ERR_INVALID_PARAM;
		set |= 1ULL << idx;
	}
	*out = set;
	return SBI_SUCCESS;
}
