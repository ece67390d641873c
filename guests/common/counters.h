/* SPDX-License-Identifier: MIT */
#ifndef GUEST_COUNTERS_H
#define GUEST_COUNTERS_H

#include <stdint.h>

/*
 * Zicntr counters read under an expected-trap window: a counter that the firmware or the
 * hypervisor has not enabled (scounteren/hcounteren) raises an illegal instruction, which is
 * skipped, and the read returns -1.
 */
int64_t counter_cycle(void);
int64_t counter_instret(void);
int64_t counter_time(void);

#endif
