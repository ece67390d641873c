// SPDX-License-Identifier: MIT
/* The SBI extensions guests get, and the ecall entry from the exit handler. */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_call.h"
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/stat.h"
#include "core/trace.h"
#include "core/vm.h"

const struct sbi_ext sbi_guest_exts[] = {
    {SBI_EXT_BASE, SBI_EXT_BASE, "base", sbi_base_handler},
    {SBI_EXT_TIME, SBI_EXT_TIME, "time", sbi_time_handler},
    {SBI_EXT_IPI, SBI_EXT_IPI, "ipi", sbi_ipi_handler},
    {SBI_EXT_RFENCE, SBI_EXT_RFENCE, "rfence", sbi_rfence_handler},
    {SBI_EXT_HSM, SBI_EXT_HSM, "hsm", sbi_hsm_handler},
    {SBI_EXT_SRST, SBI_EXT_SRST, "srst", sbi_srst_handler},
    {SBI_EXT_DBCN, SBI_EXT_DBCN, "dbcn", sbi_dbcn_handler},
    {SBI_EXT_SSE, SBI_EXT_SSE, "sse", sbi_sse_handler},
    {SBI_EXT_STA, SBI_EXT_STA, "sta", sbi_sta_handler},
    {SBI_EXT_SUSP, SBI_EXT_SUSP, "susp", sbi_susp_handler},
    {SBI_EXT_FWFT, SBI_EXT_FWFT, "fwft", sbi_fwft_handler},
    {SBI_EXT_DBTR, SBI_EXT_DBTR, "dbtr", sbi_dbtr_handler},
    {SBI_EXT_PMU, SBI_EXT_PMU, "pmu", sbi_pmu_handler},
};
const size_t sbi_guest_nr_exts = ARRAY_SIZE(sbi_guest_exts);
/* Until arch_selfcheck() builds it: no slots, "ranges" set, i.e. the linear search. */
struct sbi_ext_index sbi_guest_index = {sbi_guest_exts, ARRAY_SIZE(sbi_guest_exts), {0}, true};

void riscv_sbi_ecall(struct vcpu *v)
{
	sbi_call_run(v, true);
}
