// SPDX-License-Identifier: MIT
/*
 * The ID registers a guest reads (HCR_EL2.TID3 traps ID group 3: op0 3, op1 0, CRn 0,
 * CRm 1..7): the CPU's own values minus what the hypervisor does not give VMs, so that a
 * guest never finds a feature whose state is not switched between vCPUs (SVE, SME), not
 * virtualised (the PMU, statistical profiling, trace, branch records, AMU, MPAM) or needs
 * stage-2 support the port lacks (MTE tags, guarded control stacks), or whose keys the
 * world switch does not switch (pointer authentication: HCR_EL2.API/APK stay 0). Reserved encodings
 * in the space read as zero, as the architecture defines them.
 */
#include "arch/arm64/arm64.h"

/* Read ID register (CRm, op2) of the space; unknown at compile time, so one case each. */
#define ID_CASE(m, o)                                                                              \
	case ((m) << 3 | (o)):                                                                     \
		return sysreg_read(S3_0_C0_C##m##_##o)
#define ID_ROW(m)                                                                                  \
	ID_CASE(m, 0);                                                                             \
	ID_CASE(m, 1);                                                                             \
	ID_CASE(m, 2);                                                                             \
	ID_CASE(m, 3);                                                                             \
	ID_CASE(m, 4);                                                                             \
	ID_CASE(m, 5);                                                                             \
	ID_CASE(m, 6);                                                                             \
	ID_CASE(m, 7)

static uint64_t id_read_real(unsigned crm, unsigned op2)
{
	switch (crm << 3 | op2) {
		ID_ROW(1);
		ID_ROW(2);
		ID_ROW(3);
		ID_ROW(4);
		ID_ROW(5);
		ID_ROW(6);
		ID_ROW(7);
	default:
		return 0;
	}
}

/* Clear the 4-bit field at bit `shift`. */
#define FIELD(shift) (0xfULL << (shift))

uint64_t arm64_idreg_guest_value(unsigned crm, unsigned op2)
{
	uint64_t v = id_read_real(crm, op2);
	switch (crm << 3 | op2) {
	case 4 << 3 | 0: /* ID_AA64PFR0_EL1: SVE, MPAM, AMU */
		return v & ~(FIELD(32) | FIELD(40) | FIELD(44));
	case 4 << 3 | 1: /* ID_AA64PFR1_EL1: only BT and SSBS (no MTE, SME, NMI, GCS, ...) */
		return v & (FIELD(0) | FIELD(4));
	case 4 << 3 | 2: /* ID_AA64PFR2_EL1 */
	case 4 << 3 | 4: /* ID_AA64ZFR0_EL1 (SVE) */
	case 4 << 3 | 5: /* ID_AA64SMFR0_EL1 (SME) */
	case 5 << 3 | 1: /* ID_AA64DFR1_EL1 */
		return 0;
	case 6 << 3 | 1: /* ID_AA64ISAR1_EL1: no pointer authentication (keys not switched) */
		return v & ~(FIELD(4) | FIELD(8) | FIELD(24) | FIELD(28));
	case 6 << 3 | 2: /* ID_AA64ISAR2_EL1: nor its QARMA3 variant; no WFxT (a timed WFI
	                  * would block without its timeout), no MOPS (UNDEFINED at EL1/EL0
	                  * while HCRX_EL2.MSCEn is 0, which the port leaves) */
		return v & ~(FIELD(0) | FIELD(8) | FIELD(12) | FIELD(16));
	case 5 << 3 | 0: /* ID_AA64DFR0_EL1: no trace, PMU, SPE, trace buffer, MTPMU, BRBE */
		return v & ~(FIELD(4) | FIELD(8) | FIELD(32) | FIELD(40) | FIELD(44) | FIELD(48) |
		             FIELD(52));
	default:
		return v;
	}
}
