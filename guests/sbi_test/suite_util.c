// SPDX-License-Identifier: MIT
/* Shared helpers of the sbi_test conformance suites (see suite_util.h). */
#include <stdarg.h>
#include <stdint.h>

#include "csr.h"
#include "plat.h"
#include "printf.h"
#include "sbi.h"
#include "smp.h"
#include "suite_util.h"
#include "test.h"

static unsigned long self_id;
static long other_id = -1;
static bool on_fv;

/*
 * Worker mailbox. The boot hart writes fn/arg, then bumps `posted` (fence before) and sends
 * an IPI; the worker runs fn and copies `posted` to `done`. `quit` asks the loop to return
 * (smp_secondary_main then calls hart_stop).
 */
static volatile suite_work_fn work_fn;
static volatile unsigned long work_arg;
static volatile uint64_t posted;
static volatile uint64_t done;
static volatile uint64_t worker_alive;
static volatile bool quit;
static bool worker_running;

void suite_init(unsigned long boot_hartid)
{
	self_id = boot_hartid;
	other_id = smp_find_other_hart(boot_hartid);
	printf("sbi_test: boot hart %lu, other hart %ld, %s\n", self_id, other_id,
	       suite_under_ferrovisor() ? "under Ferrovisor" : "native SBI implementation");
}

unsigned long suite_self(void)
{
	return self_id;
}

long suite_other(void)
{
	return other_id;
}

bool suite_under_ferrovisor(void)
{
	static bool known;

	/* Also right when called before suite_init(). */
	if (!known) {
		struct sbiret r = sbi_get_impl_id();
		on_fv = r.error == SBI_SUCCESS && r.value == SUITE_IMPL_ID_FV;
		known = true;
	}
	return on_fv;
}

void suite_skip(const char *name, const char *why)
{
	test_skip(name, why);
}

bool suite_wait_change(const volatile uint64_t *p, uint64_t old, unsigned long ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(ms);

	while (*p == old) {
		if (rdtime() > end)
			return false;
		cpu_relax();
	}
	return true;
}

bool suite_is_one_of(long v, long a, long b)
{
	return v == a || v == b;
}

bool suite_ext_begin(long eid, const char *ext)
{
	static char reason[48];
	struct sbiret r = sbi_probe_extension(eid);
	char name[48];

	if (r.error == SBI_SUCCESS && r.value != 0)
		return true;
	if (suite_under_ferrovisor()) {
		snprintf(name, sizeof(name), "%s.probe.present", ext);
		test_checkf(false, name, "probe_extension(0x%lx): error %ld value %ld",
		            (unsigned long)eid, r.error, r.value);
		return false;
	}
	snprintf(reason, sizeof(reason), "%s absent natively", ext);
	test_skip_all(reason);
	return false;
}

void suite_ext_end(void)
{
	test_skip_all(NULL);
	/*
	 * Every suite leaves the second hart STOPPED: one that returned early (a failed or
	 * skipped check) may still have the worker running, which would derail the next suite.
	 */
	if (worker_running && !suite_worker_stop())
		test_check(false, "suite.worker_stopped_at_suite_end");
}

static bool check_dev(bool cond, const char *name, const char *why, const char *detail)
{
	char reason[200];

	if (suite_under_ferrovisor() || cond)
		return test_checkf(cond, name, "%s", detail);
	snprintf(reason, sizeof(reason), "native deviation: %s (%s)", why, detail);
	test_skip(name, reason);
	return false;
}

bool suite_check_native_dev(bool cond, const char *name, const char *why, const char *fmt, ...)
{
	char detail[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return check_dev(cond, name, why, detail);
}

bool suite_check_eq_native_dev(const char *name, long got, long expected, const char *why)
{
	char detail[128];

	snprintf(detail, sizeof(detail), "got %ld (%s) expected %ld (%s)", got, sbi_err_name(got),
	         expected, sbi_err_name(expected));
	return check_dev(got == expected, name, why, detail);
}

static void worker_loop(unsigned long hartid, unsigned long opaque)
{
	uint64_t seen = posted;

	(void)hartid;
	(void)opaque;
	csr_set(sie, SIE_SSIE | SIE_STIE);
	__asm__ volatile("fence rw, rw" : : : "memory");
	worker_alive++;
	for (;;) {
		/*
		 * Sleep with sstatus.SIE off so an IPI that lands between the check and the WFI
		 * stays pending and ends the WFI (no lost wake-up); then take it with SIE on.
		 */
		irq_disable();
		while (posted == seen && !quit) {
			cpu_wfi();
			irq_enable();
			irq_disable();
		}
		irq_enable();
		if (quit)
			break;
		seen = posted;
		__asm__ volatile("fence rw, rw" : : : "memory");
		work_fn(work_arg);
		__asm__ volatile("fence rw, rw" : : : "memory");
		done = seen;
	}
	csr_write(sie, 0);
}

bool suite_worker_start(void)
{
	uint64_t alive = worker_alive;
	struct sbiret r;

	if (other_id < 0)
		return false;
	if (worker_running)
		return true;
	quit = false;
	done = posted;
	r = smp_start_hart((unsigned long)other_id, worker_loop, 0);
	if (r.error != SBI_SUCCESS) {
		printf("sbi_test: worker start failed: %ld (%s)\n", r.error, sbi_err_name(r.error));
		return false;
	}
	if (!suite_wait_change(&worker_alive, alive, 2000)) {
		printf("sbi_test: worker did not come up\n");
		return false;
	}
	worker_running = true;
	return true;
}

bool suite_worker_post(suite_work_fn fn, unsigned long arg)
{
	if (!worker_running || done != posted)
		return false;
	work_fn = fn;
	work_arg = arg;
	__asm__ volatile("fence rw, rw" : : : "memory");
	posted = posted + 1;
	__asm__ volatile("fence rw, rw" : : : "memory");
	sbi_send_ipi(1, (unsigned long)other_id);
	return true;
}

bool suite_worker_wait(unsigned long timeout_ms)
{
	uint64_t end = rdtime() + plat_ms_to_ticks(timeout_ms);

	while (done != posted) {
		if (rdtime() > end)
			return false;
		cpu_relax();
	}
	__asm__ volatile("fence rw, rw" : : : "memory");
	return true;
}

bool suite_worker_call(suite_work_fn fn, unsigned long arg, unsigned long timeout_ms)
{
	return suite_worker_post(fn, arg) && suite_worker_wait(timeout_ms);
}

bool suite_worker_stop(void)
{
	if (!worker_running)
		return true;
	quit = true;
	__asm__ volatile("fence rw, rw" : : : "memory");
	sbi_send_ipi(1, (unsigned long)other_id);
	worker_running = false;
	return smp_wait_status((unsigned long)other_id, SBI_HSM_STOPPED, 2000);
}

bool suite_run_both(suite_work_fn fn, unsigned long arg, unsigned long timeout_ms)
{
	if (!suite_worker_post(fn, arg))
		return false;
	fn(arg);
	return suite_worker_wait(timeout_ms);
}

bool suite_check_regs_preserved(const char *name, unsigned long eid, unsigned long fid,
                                const unsigned long args[6], struct sbiret *ret)
{
	unsigned long in[10], out[32];
	unsigned long want;

	for (int i = 0; i < 6; i++)
		in[i] = args[i];
	in[6] = fid;
	in[7] = eid;
	/*
	 * gp and tp carry patterns as well (an SBI implementation must keep them
	 * like any other register), except across an SSE injection: its
	 * handler's C code needs this hart's own.
	 */
	in[8] = SUITE_REG_PATTERN(3);
	in[9] = SUITE_REG_PATTERN(4);
	if (eid == 0x535345UL) { /* SBI_EXT_SSE (ext_sse.c) */
		__asm__ volatile("mv %0, gp" : "=r"(in[8]));
		__asm__ volatile("mv %0, tp" : "=r"(in[9]));
	}
	suite_ecall_regs(in, out);
	if (ret) {
		ret->error = (long)out[10];
		ret->value = (long)out[11];
	}
	for (unsigned int n = 1; n < 32; n++) {
		if (n == 2 || n == 10 || n == 11)
			continue; /* sp is the helper's own frame; a0/a1 are the result */
		if (n == 3 || n == 4)
			want = in[n + 5];
		else if (n >= 12 && n <= 17)
			want = in[n - 10];
		else
			want = SUITE_REG_PATTERN(n);
		if (out[n] != want)
			return test_checkf(false, name, "x%u changed: 0x%lx -> 0x%lx", n, want,
			                   out[n]);
	}
	return test_check(true, name);
}
