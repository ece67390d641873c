// SPDX-License-Identifier: MIT
/*
 * SBI System Reset extension (EID "SRST"), SBI spec v2.0 chapter 10.
 * "System" is the calling VM: shutdown stops it, reboot restarts it with
 * fresh memory and images; other VMs are not affected.
 */
#include "arch/riscv/sbi/sbi_ext.h"
#include "core/vcpu.h"
#include "core/vm.h"

void sbi_srst_handler(struct vcpu *v, unsigned long fid, const unsigned long *a,
                      struct sbi_result *r)
{
	if (fid != 0) {
		r->error = SBI_ERR_NOT_SUPPORTED;
		return;
	}
	unsigned long type = a[0], reason = a[1];
	if (type > 0xffffffffUL || reason > 0xffffffffUL) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	if ((type > SBI_SRST_WARM_REBOOT && type < 0xF0000000UL) ||
	    (reason > 1 && reason < 0xE0000000UL)) {
		r->error = SBI_ERR_INVALID_PARAM; /* reserved values */
		return;
	}
	if (type >= 0xF0000000UL) {
		r->error = SBI_ERR_NOT_SUPPORTED; /* vendor-specific reset types */
		return;
	}
	const char *why;
	if (type == SBI_SRST_SHUTDOWN)
		why = reason == 1 ? "guest shutdown (reason: system failure)" : "guest shutdown";
	else
		why = reason == 1 ? "guest reboot (reason: system failure)" : "guest reboot";
	vm_request(v->vm, type == SBI_SRST_SHUTDOWN ? VM_ACTION_STOP : VM_ACTION_RESET, why);
	r->no_return = true;
}
