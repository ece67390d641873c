// SPDX-License-Identifier: MIT
/*
 * STA (steal-time accounting, SBI v3.0 chapter 16): sta_set_shmem argument checks (flags,
 * alignment, upper address half, MMIO and out-of-RAM records, the all-ones disable), the
 * record zeroed by the call, the sequence protocol as a reader sees it, steal monotonic,
 * preempted clear while running, no writes once disabled, and a record per hart. Prints
 * the steal that accrued during a busy loop ("sbi_test: sta steal ..."), which the
 * integration tests compare: 0 alone on the host, > 0 when sharing a CPU with a busy VM.
 */
#include <stdint.h>

#include "smp.h"
#include "suite.h"
#include "suite_util.h"
#include "test.h"

#define SBI_STA_SET_SHMEM 0
#define STA_DISABLE       (~0UL)

struct sta_record {
	volatile uint32_t sequence;
	volatile uint32_t flags;
	volatile uint64_t steal;
	volatile uint8_t preempted;
	volatile uint8_t pad[47];
};

static struct sta_record rec_a __attribute__((aligned(64)));
static struct sta_record rec_b __attribute__((aligned(64)));
static volatile long b_set_err, b_disable_err;
static volatile uint32_t b_seq;
static volatile uint64_t b_done;

static struct sbiret sta_set(unsigned long lo, unsigned long hi, unsigned long flags)
{
	return sbi_ecall(SBI_EXT_STA, SBI_STA_SET_SHMEM, lo, hi, flags, 0, 0, 0);
}

static void fill(struct sta_record *r, uint8_t v)
{
	volatile uint8_t *p = (volatile uint8_t *)r;

	for (unsigned int i = 0; i < sizeof(*r); i++)
		p[i] = v;
}

/* Read steal with the spec's protocol; false if no consistent read within many tries. */
static bool read_steal(const struct sta_record *r, uint64_t *steal, uint8_t *preempted)
{
	for (int tries = 0; tries < 100000; tries++) {
		uint32_t s1 = r->sequence;

		__asm__ volatile("fence r, r" : : : "memory");
		uint64_t st = r->steal;
		uint8_t pr = r->preempted;

		__asm__ volatile("fence r, r" : : : "memory");
		if (!(s1 & 1) && r->sequence == s1) {
			*steal = st;
			*preempted = pr;
			return true;
		}
	}
	return false;
}

static bool pad_and_flags_zero(const struct sta_record *r)
{
	for (unsigned int i = 0; i < sizeof(r->pad); i++)
		if (r->pad[i])
			return false;
	return r->flags == 0;
}

static void bad_args(void)
{
	unsigned long a = (unsigned long)&rec_a;
	uint64_t ram_end = plat_ram_base() + plat_ram_size();

	test_check_eq("sta.set_shmem.flags_nonzero", sta_set(a, 0, 1).error, SBI_ERR_INVALID_PARAM);
	test_check_eq("sta.set_shmem.flags_top_bit", sta_set(a, 0, 1UL << 63).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sta.set_shmem.misaligned_8", sta_set(a + 8, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sta.set_shmem.misaligned_32", sta_set(a + 32, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sta.set_shmem.lo_ones_hi_zero", sta_set(STA_DISABLE, 0, 0).error,
	              SBI_ERR_INVALID_PARAM);
	test_check_eq("sta.set_shmem.hi_nonzero", sta_set(a, 1, 0).error, SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.set_shmem.lo_zero_hi_ones", sta_set(0, STA_DISABLE, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.set_shmem.mmio_uart", sta_set(GUEST_UART_BASE, 0, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.set_shmem.below_ram", sta_set(0x1000, 0, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.set_shmem.ram_end", sta_set(ram_end, 0, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.set_shmem.top_of_space", sta_set(~63UL, 0, 0).error,
	              SBI_ERR_INVALID_ADDRESS);
	test_check_eq("sta.unknown_fid", sbi_ecall(SBI_EXT_STA, 1, 0, 0, 0, 0, 0, 0).error,
	              SBI_ERR_NOT_SUPPORTED);
}

static void record_a(void)
{
	uint64_t steal0 = 0, steal = 0, prev;
	uint8_t pre = 0;
	bool ok = true, mono = true, pre_zero = true;

	fill(&rec_a, 0xa5);
	struct sbiret r = sta_set((unsigned long)&rec_a, 0, 0);
	if (!test_check_eq("sta.set_shmem.valid", r.error, SBI_SUCCESS))
		return;
	test_check_eq("sta.set_shmem.value_zero", r.value, 0);
	/* Zeroed by the call; a reschedule since may already have filled in steal. */
	test_checkf(pad_and_flags_zero(&rec_a) && !(rec_a.sequence & 1) &&
	                rec_a.steal != 0xa5a5a5a5a5a5a5a5UL && rec_a.preempted == 0,
	            "sta.set_shmem.zeroes_record", "seq 0x%x flags 0x%x steal 0x%lx",
	            (unsigned)rec_a.sequence, (unsigned)rec_a.flags, (unsigned long)rec_a.steal);

	/*
	 * The first update after registration publishes the steal accrued since boot: start the
	 * measured window after it (on an uncontended host there may be none, steal stays 0).
	 */
	uint64_t end = rdtime() + plat_ms_to_ticks(300);
	while (rec_a.sequence == 0 && rdtime() < end)
		cpu_relax();
	ok = read_steal(&rec_a, &steal0, &pre);
	prev = steal0;
	uint64_t t0 = rdtime();
	end = t0 + plat_ms_to_ticks(300);
	while (ok && rdtime() < end) {
		ok = read_steal(&rec_a, &steal, &pre);
		if (ok && steal < prev)
			mono = false;
		if (ok && pre)
			pre_zero = false;
		prev = steal;
	}
	test_check(ok, "sta.record.sequence_consistent_read");
	test_check(mono, "sta.record.steal_monotonic");
	test_check(pre_zero, "sta.record.preempted_zero_while_running");
	test_check(pad_and_flags_zero(&rec_a), "sta.record.flags_pad_zero");
	printf("sbi_test: sta steal %lu ns during %lu ms busy (total %lu ns)\n",
	       (unsigned long)(prev - steal0),
	       (unsigned long)plat_ticks_to_us(rdtime() - t0) / 1000, (unsigned long)prev);

	/* Disabled: the hypervisor must not write the record any more. */
	r = sta_set(STA_DISABLE, STA_DISABLE, 0);
	test_check_eq("sta.set_shmem.disable", r.error, SBI_SUCCESS);
	fill(&rec_a, 0x5a);
	end = rdtime() + plat_ms_to_ticks(100);
	while (rdtime() < end)
		cpu_relax();
	bool untouched = true;
	for (unsigned int i = 0; i < sizeof(rec_a); i++)
		if (((volatile uint8_t *)&rec_a)[i] != 0x5a)
			untouched = false;
	test_check(untouched, "sta.set_shmem.disabled_no_writes");
	test_check_eq("sta.set_shmem.disable_twice", sta_set(STA_DISABLE, STA_DISABLE, 0).error,
	              SBI_SUCCESS);
}

static void b_main(unsigned long hartid, unsigned long opaque)
{
	uint64_t steal;
	uint8_t pre;

	(void)hartid;
	(void)opaque;
	b_set_err = sta_set((unsigned long)&rec_b, 0, 0).error;
	uint64_t end = rdtime() + plat_ms_to_ticks(50);
	while (rdtime() < end)
		cpu_relax();
	if (read_steal(&rec_b, &steal, &pre))
		b_seq = rec_b.sequence;
	else
		b_seq = 1;
	b_disable_err = sta_set(STA_DISABLE, STA_DISABLE, 0).error;
	__asm__ volatile("fence rw, rw" : : : "memory");
	b_done++;
}

static void per_hart(void)
{
	long other = smp_find_other_hart(smp_hartid());
	uint64_t done = b_done;

	if (!test_checkf(other >= 0, "sta.set_shmem.other_hart_exists", "need 2 harts"))
		return;
	fill(&rec_b, 0xa5);
	b_seq = 1;
	if (!test_check_eq("sta.set_shmem.other_hart_start",
	                   smp_start_hart((unsigned long)other, b_main, 0).error, SBI_SUCCESS))
		return;
	if (!test_check(suite_wait_change(&b_done, done, 3000), "sta.set_shmem.other_hart_ran"))
		return;
	test_check_eq("sta.set_shmem.other_hart", b_set_err, SBI_SUCCESS);
	test_checkf(!(b_seq & 1), "sta.record.other_hart_sequence_even", "seq 0x%x",
	            (unsigned)b_seq);
	test_check_eq("sta.set_shmem.other_hart_disable", b_disable_err, SBI_SUCCESS);
	test_check(smp_wait_status((unsigned long)other, SBI_HSM_STOPPED, 2000),
	           "sta.other_hart_stopped");
}

void sbi_suite_sta(void)
{
	struct sbiret r = sbi_probe_extension(SBI_EXT_STA);
	bool present = r.error == SBI_SUCCESS && r.value != 0;

	if (!present && !suite_under_ferrovisor()) {
		suite_skip("sta.probe", "extension absent (native SBI)");
		return;
	}
	if (!test_checkf(present, "sta.probe", "error %ld value %ld", r.error, r.value))
		return;
	bad_args();
	record_a();
	per_hart();
}
