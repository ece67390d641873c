/* SPDX-License-Identifier: MIT */
#ifndef FV_ARCH_RISCV_SBI_H
#define FV_ARCH_RISCV_SBI_H

/* SBI v2.0 constants (RISC-V SBI specification) and calls to the firmware. */
#include "lib/types.h"

#define SBI_EXT_BASE           0x10
#define SBI_EXT_TIME           0x54494D45
#define SBI_EXT_IPI            0x735049
#define SBI_EXT_RFENCE         0x52464E43
#define SBI_EXT_HSM            0x48534D
#define SBI_EXT_SRST           0x53525354
#define SBI_EXT_DBCN           0x4442434E
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_STA            0x535441
#define SBI_EXT_SUSP           0x53555350

#define SBI_SUCCESS               0
#define SBI_ERR_FAILED            (-1)
#define SBI_ERR_NOT_SUPPORTED     (-2)
#define SBI_ERR_INVALID_PARAM     (-3)
#define SBI_ERR_DENIED            (-4)
#define SBI_ERR_INVALID_ADDRESS   (-5)
#define SBI_ERR_ALREADY_AVAILABLE (-6)
#define SBI_ERR_ALREADY_STARTED   (-7)
#define SBI_ERR_ALREADY_STOPPED   (-8)
#define SBI_ERR_NO_SHMEM          (-9)

#define SBI_HSM_STARTED         0
#define SBI_HSM_STOPPED         1
#define SBI_HSM_START_PENDING   2
#define SBI_HSM_STOP_PENDING    3
#define SBI_HSM_SUSPENDED       4
#define SBI_HSM_SUSPEND_PENDING 5
#define SBI_HSM_RESUME_PENDING  6

#define SBI_HSM_SUSP_RET_DEFAULT    0x00000000U
#define SBI_HSM_SUSP_NONRET_DEFAULT 0x80000000U

#define SBI_SRST_SHUTDOWN    0
#define SBI_SRST_COLD_REBOOT 1
#define SBI_SRST_WARM_REBOOT 2

/* STA (SBI v3.0 chapter 16): the per-hart shared record. */
#define SBI_STA_SET_SHMEM     0
#define SBI_STA_SHMEM_SIZE    64U    /* also its required alignment */
#define SBI_STA_SHMEM_DISABLE (~0UL) /* lo and hi all-ones: stop reporting */
#define SBI_STA_OFF_SEQUENCE  0
#define SBI_STA_OFF_FLAGS     4
#define SBI_STA_OFF_STEAL     8
#define SBI_STA_OFF_PREEMPTED 16

/* SUSP (SBI v3.0 chapter 15). */
#define SBI_SUSP_SYSTEM_SUSPEND 0
#define SBI_SUSP_TO_RAM         0x00000000U
#define SBI_SUSP_PLATFORM_FIRST 0x80000000U

struct sbiret {
	long error;
	long value;
};

struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0, unsigned long a1,
                       unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);

/* Firmware services used by the hypervisor itself. */
int sbi_fw_hart_start(unsigned long hartid, unsigned long start, unsigned long opaque);
void sbi_fw_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
void sbi_fw_set_timer(uint64_t stime);
void sbi_fw_putchar(char c);
void sbi_fw_shutdown(bool failure) __attribute__((noreturn));
long sbi_fw_probe(unsigned long ext);

/* SSE: Supervisor Software Events (SBI v3.0 chapter 17). */
#define SBI_EXT_SSE 0x535345
#ifndef SBI_ERR_INVALID_STATE
#define SBI_ERR_INVALID_STATE (-10)
#endif
#ifndef SBI_ERR_BAD_RANGE
#define SBI_ERR_BAD_RANGE (-11)
#endif

#endif
