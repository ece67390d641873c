// SPDX-License-Identifier: MIT
/* SBI v2.0 call wrappers: one function per SBI function, all through sbi_ecall(). */
#include "sbi.h"

struct sbiret sbi_ecall(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                        unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r_a0 __asm__("a0") = a0;
	register unsigned long r_a1 __asm__("a1") = a1;
	register unsigned long r_a2 __asm__("a2") = a2;
	register unsigned long r_a3 __asm__("a3") = a3;
	register unsigned long r_a4 __asm__("a4") = a4;
	register unsigned long r_a5 __asm__("a5") = a5;
	register unsigned long r_a6 __asm__("a6") = fid;
	register unsigned long r_a7 __asm__("a7") = eid;
	struct sbiret ret;

	/* The SBI preserves every register except a0/a1; "memory" because calls like DBCN read
	 * and write guest memory behind the compiler's back. */
	__asm__ volatile("ecall"
	                 : "+r"(r_a0), "+r"(r_a1)
	                 : "r"(r_a2), "r"(r_a3), "r"(r_a4), "r"(r_a5), "r"(r_a6), "r"(r_a7)
	                 : "memory");
	ret.error = (long)r_a0;
	ret.value = (long)r_a1;
	return ret;
}

static struct sbiret ecall0(unsigned long eid, unsigned long fid)
{
	return sbi_ecall(eid, fid, 0, 0, 0, 0, 0, 0);
}

struct sbiret sbi_get_spec_version(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);
}

struct sbiret sbi_get_impl_id(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID);
}

struct sbiret sbi_get_impl_version(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION);
}

struct sbiret sbi_probe_extension(long eid)
{
	return sbi_ecall(SBI_EXT_BASE, SBI_BASE_PROBE_EXT, (unsigned long)eid, 0, 0, 0, 0, 0);
}

struct sbiret sbi_get_mvendorid(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID);
}

struct sbiret sbi_get_marchid(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_MARCHID);
}

struct sbiret sbi_get_mimpid(void)
{
	return ecall0(SBI_EXT_BASE, SBI_BASE_GET_MIMPID);
}

struct sbiret sbi_set_timer(uint64_t stime_value)
{
	return sbi_ecall(SBI_EXT_TIME, 0, stime_value, 0, 0, 0, 0, 0);
}

struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0, 0, 0);
}

struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, hart_mask, hart_mask_base, 0, 0, 0, 0);
}

struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                                    unsigned long start, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, hart_mask, hart_mask_base, start,
	                 size, 0, 0);
}

struct sbiret sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
                                         unsigned long start, unsigned long size,
                                         unsigned long asid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, hart_mask, hart_mask_base,
	                 start, size, asid, 0);
}

struct sbiret sbi_remote_hfence_gvma_vmid(unsigned long hart_mask, unsigned long hart_mask_base,
                                          unsigned long start, unsigned long size,
                                          unsigned long vmid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA_VMID, hart_mask, hart_mask_base,
	                 start, size, vmid, 0);
}

struct sbiret sbi_remote_hfence_gvma(unsigned long hart_mask, unsigned long hart_mask_base,
                                     unsigned long start, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_GVMA, hart_mask, hart_mask_base, start,
	                 size, 0, 0);
}

struct sbiret sbi_remote_hfence_vvma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
                                          unsigned long start, unsigned long size,
                                          unsigned long asid)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_VVMA_ASID, hart_mask, hart_mask_base,
	                 start, size, asid, 0);
}

struct sbiret sbi_remote_hfence_vvma(unsigned long hart_mask, unsigned long hart_mask_base,
                                     unsigned long start, unsigned long size)
{
	return sbi_ecall(SBI_EXT_RFENCE, SBI_RFENCE_HFENCE_VVMA, hart_mask, hart_mask_base, start,
	                 size, 0, 0);
}

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_START, hartid, start_addr, opaque, 0, 0, 0);
}

struct sbiret sbi_hart_stop(void)
{
	return ecall0(SBI_EXT_HSM, SBI_HSM_HART_STOP);
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid, 0, 0, 0, 0, 0);
}

struct sbiret sbi_hart_suspend(uint32_t suspend_type, unsigned long resume_addr,
                               unsigned long opaque)
{
	return sbi_ecall(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, suspend_type, resume_addr, opaque, 0, 0,
	                 0);
}

struct sbiret sbi_system_reset(uint32_t reset_type, uint32_t reset_reason)
{
	return sbi_ecall(SBI_EXT_SRST, 0, reset_type, reset_reason, 0, 0, 0, 0);
}

struct sbiret sbi_debug_console_write(unsigned long num_bytes, unsigned long base_addr_lo,
                                      unsigned long base_addr_hi)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE, num_bytes, base_addr_lo, base_addr_hi, 0, 0,
	                 0);
}

struct sbiret sbi_debug_console_read(unsigned long num_bytes, unsigned long base_addr_lo,
                                     unsigned long base_addr_hi)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_READ, num_bytes, base_addr_lo, base_addr_hi, 0, 0,
	                 0);
}

struct sbiret sbi_debug_console_write_byte(uint8_t byte)
{
	return sbi_ecall(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, byte, 0, 0, 0, 0, 0);
}

const char *sbi_err_name(long error)
{
	static const char *const names[] = {
	    "SUCCESS",         "FAILED",          "NOT_SUPPORTED",     "INVALID_PARAM",
	    "DENIED",          "INVALID_ADDRESS", "ALREADY_AVAILABLE", "ALREADY_STARTED",
	    "ALREADY_STOPPED", "NO_SHMEM",
	};

	if (error <= 0 && -error < (long)(sizeof(names) / sizeof(names[0])))
		return names[-error];
	return "UNKNOWN_ERROR";
}
