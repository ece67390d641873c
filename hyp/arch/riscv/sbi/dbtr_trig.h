/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_DBTR_TRIG_H
#define FV_ARCH_RISCV_SBI_DBTR_TRIG_H

/*
 * Checks and translation of the debug trigger configurations a guest hands
 * to SBI DBTR (SBI 3.0 "Debug Triggers", RISC-V Debug spec 1.0 Sdtrig
 * mcontrol6). Pure logic: no CSR, no guest memory, no global state, so it
 * runs unchanged in host unit tests.
 *
 * The guest believes it runs in S/U-mode: its tdata1.s/u name its own
 * kernel and user mode. The host trigger gets them as vs/vu, and never
 * m/s/u, so a guest trigger can only fire while the guest runs (V=1).
 */
#include "lib/types.h"

#define DBTR_TDATA1_TYPE_SHIFT 60
#define DBTR_TYPE_MCONTROL     2UL
#define DBTR_TYPE_MCONTROL6    6UL
#define DBTR_MC6_DMODE         (1UL << 59)
#define DBTR_MC6_VS            (1UL << 24)
#define DBTR_MC6_VU            (1UL << 23)
#define DBTR_MC6_ACTION        (0xfUL << 12)
#define DBTR_MC6_CHAIN         (1UL << 11)
#define DBTR_MC6_MATCH_SHIFT   7
#define DBTR_MC6_MATCH         (0xfUL << 7)
#define DBTR_MC6_M             (1UL << 6)
#define DBTR_MC6_S             (1UL << 4)
#define DBTR_MC6_U             (1UL << 3)
#define DBTR_MC6_EXECUTE       (1UL << 2)
#define DBTR_MC6_STORE         (1UL << 1)
#define DBTR_MC6_LOAD          (1UL << 0)
/* Bits 58:27 and 20:19 of mcontrol6 are reserved (must be zero). */
#define DBTR_MC6_RESERVED ((((1UL << 59) - 1) & ~((1UL << 27) - 1)) | (3UL << 19))

static inline unsigned long dbtr_trig_type(uint64_t tdata1)
{
	return (unsigned long)(tdata1 >> DBTR_TDATA1_TYPE_SHIFT);
}

/*
 * Check one guest trigger configuration. Returns SBI_SUCCESS, or
 * SBI_ERR_INVALID_PARAM for a value the spec forbids or reserves (dmode or
 * m set, reserved bits, reserved match values, an action other than
 * "breakpoint exception", an undefined type), or SBI_ERR_NOT_SUPPORTED for a
 * valid configuration Ferrovisor does not offer (types other than
 * mcontrol6, chains, vs/vu bits of a hart without H, tdata3 matching).
 */
long dbtr_trig_check(uint64_t tdata1, uint64_t tdata3);

/* The host tdata1 for a checked guest tdata1: s/u become vs/vu; m/s/u stay clear. */
uint64_t dbtr_trig_to_host(uint64_t tdata1);

/* The guest's mode bits (s/u) of a tdata1: nonzero = the trigger can fire. */
static inline uint64_t dbtr_trig_modes(uint64_t tdata1)
{
	return tdata1 & (DBTR_MC6_S | DBTR_MC6_U);
}

/*
 * Decode the (idx_base, idx_mask) set of uninstall/enable/disable for a hart
 * with nr triggers (nr <= 64) whose installed ones are in @installed (bit i
 * = trigger i). Returns SBI_SUCCESS with *out = the set, or
 * SBI_ERR_INVALID_PARAM if any index named is >= nr (or wraps) or not
 * installed; *out is 0 then.
 */
long dbtr_trig_set(unsigned long base, unsigned long mask, unsigned nr, uint64_t installed,
                   uint64_t *out);

#endif
