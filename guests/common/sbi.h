/* SPDX-License-Identifier: MIT */
#ifndef GUEST_SBI_H
#define GUEST_SBI_H

#include <stdint.h>

/* SBI v2.0 calling convention: a7 = EID, a6 = FID, result in a0 (error) and a1 (value). */
struct sbiret {
	long error;
	long value;
};

/* Standard error codes (SBI spec v2.0 §3.2). */
#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED   -7
#define SBI_ERR_ALREADY_STOPPED   -8
#define SBI_ERR_NO_SHMEM          -9

/* Extension IDs. */
#define SBI_EXT_BASE   0x10
#define SBI_EXT_TIME   0x54494D45
#define SBI_EXT_IPI    0x735049
#define SBI_EXT_RFENCE 0x52464E43
#define SBI_EXT_HSM    0x48534D
#define SBI_EXT_SRST   0x53525354
#define SBI_EXT_PMU    0x504D55
#define SBI_EXT_DBCN   0x4442434E
#define SBI_EXT_SUSP   0x53555350
#define SBI_EXT_CPPC   0x43505043
#define SBI_EXT_NACL   0x4E41434C
#define SBI_EXT_STA    0x535441

/* BASE function IDs. */
#define SBI_BASE_GET_SPEC_VERSION 0
#define SBI_BASE_GET_IMPL_ID      1
#define SBI_BASE_GET_IMPL_VERSION 2
#define SBI_BASE_PROBE_EXT        3
#define SBI_BASE_GET_MVENDORID    4
#define SBI_BASE_GET_MARCHID      5
#define SBI_BASE_GET_MIMPID       6

/* RFENCE function IDs. */
#define SBI_RFENCE_FENCE_I          0
#define SBI_RFENCE_SFENCE_VMA       1
#define SBI_RFENCE_SFENCE_VMA_ASID  2
#define SBI_RFENCE_HFENCE_GVMA_VMID 3
#define SBI_RFENCE_HFENCE_GVMA      4
#define SBI_RFENCE_HFENCE_VVMA_ASID 5
#define SBI_RFENCE_HFENCE_VVMA      6

/* HSM function IDs and hart states (§9). */
#define SBI_HSM_HART_START      0
#define SBI_HSM_HART_STOP       1
#define SBI_HSM_HART_GET_STATUS 2
#define SBI_HSM_HART_SUSPEND    3

#define SBI_HSM_STARTED         0
#define SBI_HSM_STOPPED         1
#define SBI_HSM_START_PENDING   2
#define SBI_HSM_STOP_PENDING    3
#define SBI_HSM_SUSPENDED       4
#define SBI_HSM_SUSPEND_PENDING 5
#define SBI_HSM_RESUME_PENDING  6

#define SBI_HSM_SUSPEND_RET_DEFAULT    0x00000000UL
#define SBI_HSM_SUSPEND_NONRET_DEFAULT 0x80000000UL

/* SRST types and reasons (§10). */
#define SBI_SRST_SHUTDOWN       0
#define SBI_SRST_COLD_REBOOT    1
#define SBI_SRST_WARM_REBOOT    2
#define SBI_SRST_REASON_NONE    0
#define SBI_SRST_REASON_FAILURE 1

/* DBCN function IDs (§12). */
#define SBI_DBCN_WRITE      0
#define SBI_DBCN_READ       1
#define SBI_DBCN_WRITE_BYTE 2

/* Raw call: any EID/FID with six arguments. Safe to call with garbage (hostile guest). */
struct sbiret sbi_ecall(unsigned long eid, unsigned long fid, unsigned long a0, unsigned long a1,
                        unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);

/* BASE (§4). */
struct sbiret sbi_get_spec_version(void);
struct sbiret sbi_get_impl_id(void);
struct sbiret sbi_get_impl_version(void);
struct sbiret sbi_probe_extension(long eid);
struct sbiret sbi_get_mvendorid(void);
struct sbiret sbi_get_marchid(void);
struct sbiret sbi_get_mimpid(void);

/* TIME (§6). */
struct sbiret sbi_set_timer(uint64_t stime_value);

/* IPI (§7). hart_mask_base == -1UL addresses every hart. */
struct sbiret sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);

/* RFENCE (§8). */
struct sbiret sbi_remote_fence_i(unsigned long hart_mask, unsigned long hart_mask_base);
struct sbiret sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
                                    unsigned long start, unsigned long size);
struct sbiret sbi_remote_sfence_vma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
                                         unsigned long start, unsigned long size,
                                         unsigned long asid);
struct sbiret sbi_remote_hfence_gvma_vmid(unsigned long hart_mask, unsigned long hart_mask_base,
                                          unsigned long start, unsigned long size,
                                          unsigned long vmid);
struct sbiret sbi_remote_hfence_gvma(unsigned long hart_mask, unsigned long hart_mask_base,
                                     unsigned long start, unsigned long size);
struct sbiret sbi_remote_hfence_vvma_asid(unsigned long hart_mask, unsigned long hart_mask_base,
                                          unsigned long start, unsigned long size,
                                          unsigned long asid);
struct sbiret sbi_remote_hfence_vvma(unsigned long hart_mask, unsigned long hart_mask_base,
                                     unsigned long start, unsigned long size);

/* HSM (§9). */
struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque);
struct sbiret sbi_hart_stop(void);
struct sbiret sbi_hart_get_status(unsigned long hartid);
struct sbiret sbi_hart_suspend(uint32_t suspend_type, unsigned long resume_addr,
                               unsigned long opaque);

/* SRST (§10). Returns only on failure. */
struct sbiret sbi_system_reset(uint32_t reset_type, uint32_t reset_reason);

/* DBCN (§12). Addresses are physical (guest-physical under a hypervisor). */
struct sbiret sbi_debug_console_write(unsigned long num_bytes, unsigned long base_addr_lo,
                                      unsigned long base_addr_hi);
struct sbiret sbi_debug_console_read(unsigned long num_bytes, unsigned long base_addr_lo,
                                     unsigned long base_addr_hi);
struct sbiret sbi_debug_console_write_byte(uint8_t byte);

/* Human-readable name of an SBI error code (for failure messages). */
const char *sbi_err_name(long error);

#endif
