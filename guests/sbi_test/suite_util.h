/* SPDX-License-Identifier: MIT */
#ifndef SBI_TEST_SUITE_UTIL_H
#define SBI_TEST_SUITE_UTIL_H

/*
 * Helpers shared by the per-extension conformance suites of sbi_test (ext_*.c).
 *
 * Harts: suite_self() is the boot hart, suite_other() the second hart (or -1). The second hart
 * is normally STOPPED between suites; a suite that needs it either starts it itself with
 * smp_start_hart() (HSM tests) or uses the worker: suite_worker_start() brings it up in a
 * command loop, suite_worker_call()/post()/wait() run functions there, suite_worker_stop()
 * stops it again. Every suite must leave the second hart STOPPED when it returns.
 *
 * Verdicts: checks print through guests/common/test.h, named `<ext>.<function>.<case>`.
 * suite_ext_begin() probes an extension: absent under Ferrovisor is a FAIL; absent natively
 * turns every check of the suite into `FV-CHECK SKIP`. suite_check_native_dev() is for a
 * check where the native SBI implementation is known to deviate from the spec: natively a
 * mismatch prints SKIP with that reason, under Ferrovisor it is an ordinary check.
 */
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"

/* Ferrovisor's SBI implementation id ("FV", sbi_get_impl_id). */
#define SUITE_IMPL_ID_FV 0x4656L
/* A hart id no platform of ours has (hart ids are < GUEST_MAX_HARTS). */
#define SUITE_INVALID_HART 1000UL

/* Called once by guest_main() before any suite. */
void suite_init(unsigned long boot_hartid);

unsigned long suite_self(void);
/* The second hart's id, or -1 if the machine has only one hart. */
long suite_other(void);
/* True when the SBI implementation is Ferrovisor (impl id), i.e. not the native run. */
bool suite_under_ferrovisor(void);
/* A check that cannot run here (extension or feature absent natively): test_skip(). */
void suite_skip(const char *name, const char *why);

/* Poll until *p != old; false after ms milliseconds. */
bool suite_wait_change(const volatile uint64_t *p, uint64_t old, unsigned long ms);
bool suite_is_one_of(long v, long a, long b);

/*
 * Start the suite of extension `ext` (name prefix): probe `eid`. Present: true. Absent: under
 * Ferrovisor print FAIL `<ext>.probe.present` and return false; natively enter a skip region
 * (every check prints SKIP "<ext> absent natively") and return false. Either way the caller
 * must call suite_ext_end() before returning. Callers may still run their checks when this
 * returns false so that the native run lists every check name as SKIP.
 */
bool suite_ext_begin(long eid, const char *ext);
void suite_ext_end(void);

/*
 * A check where the native SBI implementation deviates from the spec (`why` says how).
 * Under Ferrovisor: test_checkf(cond, ...). Natively: PASS if cond, else SKIP with `why`.
 */
bool suite_check_native_dev(bool cond, const char *name, const char *why, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* test_check_eq() with the same native-deviation rule. */
bool suite_check_eq_native_dev(const char *name, long got, long expected, const char *why);

/* Worker on the second hart (see top). Functions run with interrupts enabled (SSIE, STIE). */
typedef void (*suite_work_fn)(unsigned long arg);
bool suite_worker_start(void);
/* Run fn(arg) on the worker asynchronously; false if the worker is not running or busy. */
bool suite_worker_post(suite_work_fn fn, unsigned long arg);
/* Wait for the posted function to finish; false after timeout_ms. */
bool suite_worker_wait(unsigned long timeout_ms);
/* post + wait. */
bool suite_worker_call(suite_work_fn fn, unsigned long arg, unsigned long timeout_ms);
/* Stop the worker (hart_stop) and wait until HSM reports it STOPPED; false on timeout. */
bool suite_worker_stop(void);

/* Both harts run fn(arg) at the same time (worker + caller); false if the worker failed. */
bool suite_run_both(suite_work_fn fn, unsigned long arg, unsigned long timeout_ms);

/*
 * ECALL eid/fid with a0..a5 = args and check that every register except a0/a1 (sp, gp, tp,
 * ra, s0-s11, t0-t6, a2-a7) survives (SBI spec, binary encoding). One check named `name`.
 * Returns the call's result in *ret (may be NULL).
 */
bool suite_check_regs_preserved(const char *name, unsigned long eid, unsigned long fid,
                                const unsigned long args[6], struct sbiret *ret);

/* suite_asm.S: see there. */
#define SUITE_REG_PATTERN(n) (0xa5a5000000000000UL | ((unsigned long)(n) << 8) | (unsigned long)(n))
extern volatile unsigned long suite_hsm_entry_regs[4];
void suite_hsm_entry(void);
void suite_ecall_regs(const unsigned long *in, unsigned long *out);

/* A 64-bit value with garbage in the upper 32 bits and `low` in the lower ones. */
static inline unsigned long suite_hi_garbage(uint32_t low)
{
	return 0xdeadbeef00000000UL | low;
}

#endif
