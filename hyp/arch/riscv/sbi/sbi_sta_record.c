// SPDX-License-Identifier: MIT
/*
 * SBI STA pure logic (SBI spec v3.0 chapter 16): validation of
 * sta_set_shmem's arguments and the sequence-counter update of the 64-byte
 * record. No vCPU or VM state: unit-tested on the host (test_sbi_sta).
 */
#include "arch/riscv/sbi/sbi_ext.h"

long sbi_sta_check_shmem(unsigned long lo, unsigned long hi, unsigned long flags, uint64_t ram_gpa,
                         uint64_t ram_size)
{
	if (flags != 0)
		return SBI_ERR_INVALID_PARAM;
	if (lo == SBI_STA_SHMEM_DISABLE && hi == SBI_STA_SHMEM_DISABLE)
		return SBI_SUCCESS;
	if (lo & (SBI_STA_SHMEM_SIZE - 1))
		return SBI_ERR_INVALID_PARAM;
	/* RV64: the upper XLEN bits name memory beyond 2^64, which no VM has. */
	if (hi != 0)
		return SBI_ERR_INVALID_ADDRESS;
	if (!sbi_range_in(lo, SBI_STA_SHMEM_SIZE, ram_gpa, ram_size))
		return SBI_ERR_INVALID_ADDRESS;
	return SBI_SUCCESS;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		__atomic_store_n(&p[i], (uint8_t)(v >> (8 * i)), __ATOMIC_RELAXED);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < 4; i++)
		v |= (uint32_t)__atomic_load_n(&p[i], __ATOMIC_RELAXED) << (8 * i);
	return v;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		__atomic_store_n(&p[i], (uint8_t)(v >> (8 * i)), __ATOMIC_RELAXED);
}

void sbi_sta_record_write(uint8_t *rec, uint64_t steal, bool preempted)
{
	/*
	 * The guest may scribble on the record (the spec allows inconsistent
	 * data then, nothing worse): whatever sequence it holds, the two
	 * increments leave it odd during the update and even afterwards.
	 */
	uint32_t seq = get_le32(rec + SBI_STA_OFF_SEQUENCE);
	if (seq & 1)
		seq++;
	put_le32(rec + SBI_STA_OFF_SEQUENCE, seq + 1);
	/* Readers must see the odd sequence before any new data. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le64(rec + SBI_STA_OFF_STEAL, steal);
	__atomic_store_n(rec + SBI_STA_OFF_PREEMPTED, (uint8_t)(preempted ? 1 : 0),
	                 __ATOMIC_RELAXED);
	/* ... and all new data before the even sequence. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put_le32(rec + SBI_STA_OFF_SEQUENCE, seq + 2);
}
