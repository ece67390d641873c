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
#define SBI_EXT_FWFT           0x46574654 /* SBI 3.0 "FWFT" */
#define SBI_EXT_DBTR           0x44425452 /* SBI 3.0 "DBTR" */
#define SBI_EXT_PMU            0x504D55

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
#define SBI_ERR_INVALID_STATE     (-10) /* SBI 3.0 */
#define SBI_ERR_BAD_RANGE         (-11) /* SBI 3.0 */
#define SBI_ERR_TIMEOUT           (-12) /* SBI 3.0 */
#define SBI_ERR_IO                (-13) /* SBI 3.0 */
#define SBI_ERR_DENIED_LOCKED     (-14) /* SBI 3.0 */

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
/* FWFT (SBI 3.0 chapter "Firmware Features"): function and feature ids, set flags. */
#define SBI_FWFT_SET                   0
#define SBI_FWFT_GET                   1
#define SBI_FWFT_MISALIGNED_EXC_DELEG  0x0
#define SBI_FWFT_LANDING_PAD           0x1
#define SBI_FWFT_SHADOW_STACK          0x2
#define SBI_FWFT_DOUBLE_TRAP           0x3
#define SBI_FWFT_PTE_AD_HW_UPDATING    0x4
#define SBI_FWFT_POINTER_MASKING_PMLEN 0x5
#define SBI_FWFT_NR_STD                6 /* standard local features 0..5 */
#define SBI_FWFT_LOCAL_RESERVED_END    0x3fffffffUL
#define SBI_FWFT_LOCAL_PLATFORM_END    0x7fffffffUL
#define SBI_FWFT_GLOBAL_RESERVED_END   0xbfffffffUL
#define SBI_FWFT_SET_FLAG_LOCK         0x1UL

/* DBTR (SBI 3.0 chapter "Debug Triggers"): function ids and trig_state bits. */
#define SBI_DBTR_NUM_TRIGGERS     0
#define SBI_DBTR_SET_SHMEM        1
#define SBI_DBTR_READ_TRIGGERS    2
#define SBI_DBTR_INSTALL_TRIGGERS 3
#define SBI_DBTR_UPDATE_TRIGGERS  4
#define SBI_DBTR_UNINSTALL        5
#define SBI_DBTR_ENABLE           6
#define SBI_DBTR_DISABLE          7
#define SBI_DBTR_STATE_MAPPED     (1UL << 0)
#define SBI_DBTR_STATE_U          (1UL << 1)
#define SBI_DBTR_STATE_S          (1UL << 2)
#define SBI_DBTR_STATE_VU         (1UL << 3)
#define SBI_DBTR_STATE_VS         (1UL << 4)
#define SBI_DBTR_STATE_HAVE_HW    (1UL << 5)
#define SBI_DBTR_STATE_HW_SHIFT   8
/* PMU extension (SBI spec v3.0 chapter "Performance Monitoring Unit"). */
#define SBI_PMU_NUM_COUNTERS        0
#define SBI_PMU_COUNTER_GET_INFO    1
#define SBI_PMU_COUNTER_CFG_MATCH   2
#define SBI_PMU_COUNTER_START       3
#define SBI_PMU_COUNTER_STOP        4
#define SBI_PMU_COUNTER_FW_READ     5
#define SBI_PMU_COUNTER_FW_READ_HI  6
#define SBI_PMU_SNAPSHOT_SET_SHMEM  7
#define SBI_PMU_EVENT_GET_INFO      8
#define SBI_PMU_CFG_FLAG_SKIP_MATCH BIT(0)
#define SBI_PMU_CFG_FLAG_CLEAR_VAL  BIT(1)
#define SBI_PMU_CFG_FLAG_AUTO_START BIT(2)
#define SBI_PMU_CFG_FLAG_INH_MASK   (0x1fUL << 3) /* SET_VUINH, VSINH, UINH, SINH, MINH */
#define SBI_PMU_START_SET_INIT      BIT(0)
#define SBI_PMU_START_INIT_SNAPSHOT BIT(1)
#define SBI_PMU_STOP_RESET          BIT(0)
#define SBI_PMU_STOP_TAKE_SNAPSHOT  BIT(1)
#define SBI_PMU_SNAPSHOT_SIZE       4096UL
#define SBI_PMU_EVENT_INFO_SIZE     16UL
#define SBI_PMU_TYPE_HW             0
#define SBI_PMU_TYPE_CACHE          1
#define SBI_PMU_TYPE_RAW            2
#define SBI_PMU_TYPE_RAW_V2         3
#define SBI_PMU_TYPE_FW             15
#define SBI_PMU_HW_CPU_CYCLES       1
#define SBI_PMU_HW_INSTRUCTIONS     2
#define SBI_PMU_HW_REF_CPU_CYCLES   10 /* last generic hardware event */
#define SBI_PMU_FW_MISALIGNED_LOAD  0
#define SBI_PMU_FW_MISALIGNED_STORE 1
#define SBI_PMU_FW_ACCESS_LOAD      2
#define SBI_PMU_FW_ACCESS_STORE     3
#define SBI_PMU_FW_ILLEGAL_INSN     4
#define SBI_PMU_FW_SET_TIMER        5
#define SBI_PMU_FW_IPI_SENT         6
#define SBI_PMU_FW_IPI_RECVD        7
#define SBI_PMU_FW_FENCE_I_SENT     8
#define SBI_PMU_FW_FENCE_I_RECVD    9
#define SBI_PMU_FW_SFENCE_VMA_SENT  10
#define SBI_PMU_FW_SFENCE_VMA_RECVD 11
#define SBI_PMU_FW_SFENCE_ASID_SENT 12
#define SBI_PMU_FW_SFENCE_ASID_RECV 13
#define SBI_PMU_FW_HFENCE_LAST      21 /* 14..21: HFENCE events (guests have no H) */
#define SBI_PMU_FW_PLATFORM         0xffff

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
/* FWFT set/get of the calling hart (SBI 3.0; OpenSBI 1.5.1 offers it). Returns sbiret. */
struct sbiret sbi_fw_fwft_set(unsigned long feature, unsigned long value, unsigned long flags);
struct sbiret sbi_fw_fwft_get(unsigned long feature);

/* SSE: Supervisor Software Events (SBI v3.0 chapter 17). */
#define SBI_EXT_SSE 0x535345

#endif
