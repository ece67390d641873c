/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_FAKE_DEFS_H
#define FV_ARCH_FAKE_DEFS_H

/* The unit tests' fake architecture (tests/unit/fake_arch): see fake_arch.c. */
#define ARCH_NAME        "fake"
#define ARCH_CPU_ID_NAME "cpuid"
#define ARCH_HCALL_NAME  "hcall"

#endif
