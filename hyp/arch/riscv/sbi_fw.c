// SPDX-License-Identifier: MIT
/* Calls from the hypervisor (HS) to the SBI firmware (OpenSBI in M-mode). */
#include "arch/riscv/sbi.h"

struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r4 __asm__("a4") = a4;
	register unsigned long r5 __asm__("a5") = a5;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = ext;
	__asm__ volatile("ecall"
	                 : "+r"(r0), "+r"(r1)
	                 : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
	                 : "memory");
	struct sbiret ret = {(long)r0, (long)r1};
	return ret;
}

int sbi_fw_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque)
{
	return (int)sbi_call(SBI_EXT_HSM, 0, hartid, start, opaque, 0, 0, 0).error;
}

void sbi_fw_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0, 0, 0, 0);
}

void sbi_fw_set_timer(uint64_t stime)
{
	sbi_call(SBI_EXT_TIME, 0, stime, 0, 0, 0, 0, 0);
}

void sbi_fw_putchar(char c)
{
	/* DBCN write_byte (SBI 2.0); the legacy call is gone from newer firmware. */
	sbi_call(SBI_EXT_DBCN, 2, (unsigned char)c, 0, 0, 0, 0, 0);
}

void sbi_fw_shutdown(bool failure)
{
	sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, failure ? 1 : 0, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("wfi");
}

long sbi_fw_probe(unsigned long ext)
{
	return sbi_call(SBI_EXT_BASE, 3, ext, 0, 0, 0, 0, 0).value;
}

struct sbiret sbi_fw_fwft_set(unsigned long feature, unsigned long value, unsigned long flags)
{
	return sbi_call(SBI_EXT_FWFT, SBI_FWFT_SET, feature, value, flags, 0, 0, 0);
}

struct sbiret sbi_fw_fwft_get(unsigned long feature)
{
	return sbi_call(SBI_EXT_FWFT, SBI_FWFT_GET, feature, 0, 0, 0, 0, 0);
}
