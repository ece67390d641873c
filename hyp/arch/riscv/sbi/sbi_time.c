// SPDX-License-Identifier: MIT
/* SBI Timer extension (EID "TIME"), SBI spec v2.0 chapter 6. */
#include "arch/riscv/riscv.h"
#include "arch/riscv/sbi/sbi_ext.h"

void sbi_time_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	if (fid != 0) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	riscv_vpmu_fw_event(v, SBI_PMU_FW_SET_TIMER);
	/* Any 64-bit value is a valid deadline (in the guest's time base). */
	riscv_vtimer_set(v, a[0]);
}
