/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_ESR_DECODE_H
#define FV_ARCH_ARM64_ESR_DECODE_H

/*
 * Decoding of a stage-2 data abort taken to EL2 (Arm ARM D19.2.41, ESR_EL2 with
 * EC = 0x24, "ISS encoding for an exception from a Data Abort"; HPFAR_EL2 D19.2.56).
 * Pure code: compiles on the host and is unit-tested (tests/unit/test_arm64_esr.c).
 */
#include "lib/types.h"

/* One emulatable guest load or store, as the syndrome describes it. */
struct arm64_dabt {
	uint64_t gpa;     /* faulting guest physical address (HPFAR page | FAR offset) */
	unsigned width;   /* bytes: 1, 2, 4 or 8 */
	unsigned reg;     /* transfer register (SRT); 31 = xzr/wzr */
	bool is_write;    /* WnR */
	bool sign_extend; /* SSE: a signed narrow load */
	bool sixty_four;  /* SF: the register is 64-bit (else the upper 32 bits are zeroed) */
	bool s1ptw;       /* the fault was on the guest's own stage-1 table walk */
};

/*
 * Decode esr/far/hpfar. Returns 0 with *out filled, -FV_EINVAL when the exception is not a
 * data abort from a lower EL, and -FV_ENOTSUP when it is one the hardware did not describe
 * (ISV = 0: load/store pair, writeback, SIMD...) or a fault on a stage-1 walk: such accesses
 * are not device emulation, and the caller faults or stops the guest.
 */
int arm64_dabt_decode(uint64_t esr, uint64_t far, uint64_t hpfar, struct arm64_dabt *out);

/*
 * The register value a load of `val` writes, per the syndrome: narrowed to the access
 * width, sign-extended if SSE, and to 32 bits when SF is clear.
 */
uint64_t arm64_dabt_load_value(const struct arm64_dabt *d, uint64_t val);

#endif
