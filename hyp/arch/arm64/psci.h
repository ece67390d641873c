/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_ARM64_PSCI_H
#define FV_ARCH_ARM64_PSCI_H

/* PSCI function ids and return codes (Arm DEN0022, PSCI 1.1), SMC32/SMC64 forms. */
#define PSCI_VERSION           0x84000000U
#define PSCI_CPU_SUSPEND_32    0x84000001U
#define PSCI_CPU_OFF           0x84000002U
#define PSCI_CPU_ON_32         0x84000003U
#define PSCI_AFFINITY_INFO_32  0x84000004U
#define PSCI_MIGRATE_INFO_TYPE 0x84000006U
#define PSCI_SYSTEM_OFF        0x84000008U
#define PSCI_SYSTEM_RESET      0x84000009U
#define PSCI_FEATURES          0x8400000aU
#define PSCI_CPU_SUSPEND_64    0xc4000001U
#define PSCI_CPU_ON_64         0xc4000003U
#define PSCI_AFFINITY_INFO_64  0xc4000004U
#define PSCI_SYSTEM_SUSPEND_32 0x8400000eU
#define PSCI_SYSTEM_SUSPEND_64 0xc400000eU

#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      (-1)
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_DENIED             (-3)
#define PSCI_ALREADY_ON         (-4)
#define PSCI_ON_PENDING         (-5)
#define PSCI_INTERNAL_FAILURE   (-6)
#define PSCI_NOT_PRESENT        (-7)
#define PSCI_DISABLED           (-8)
#define PSCI_INVALID_ADDRESS    (-9)

/* What the hypervisor offers its guests: PSCI 1.1. */
#define PSCI_GUEST_VERSION ((1U << 16) | 1U)

#endif
