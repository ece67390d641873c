/* SPDX-License-Identifier: MIT */
#ifndef FV_CORE_STAT_H
#define FV_CORE_STAT_H

/*
 * Statistics counters on hot paths (guest exits, hypercalls, interrupts, scheduling): plain
 * increments of per-CPU, per-vCPU or per-device fields that only one context writes, so no
 * lock and no atomic read-modify-write (readers load them racily; see ctl_metrics.c).
 *
 * FEATURES=nometrics (FV_FEATURE_NOMETRICS) compiles them out: only the benchmark uses it,
 * to measure what keeping them costs per exit (bench/fvbench/metrics.py). Such a build
 * reports zeros for these counters.
 */
#if defined(FV_FEATURE_NOMETRICS) && FV_FEATURE_NOMETRICS
/* sizeof: the operand stays "used" for the compiler but is never evaluated. */
#define STAT_INC(x)    ((void)sizeof(x))
#define STAT_ADD(x, n) ((void)sizeof((x) + (n)))
#else
#define STAT_INC(x)    ((void)((x)++))
#define STAT_ADD(x, n) ((void)((x) += (n)))
#endif

#endif
