// SPDX-License-Identifier: MIT
/*
 * SBI System Reset extension (EID "SRST"), SBI spec v3.0 chapter 10.
 * "System" is the calling VM: shutdown stops it (as crashed when the reason is a
 * system failure, so it can be dumped), reboot restarts it with fresh memory and
 * images; other VMs are not affected.
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
	/* reset_type and reset_reason are uint32_t: the upper register bits are not part of
	 * them and are ignored (SBI v3.0 chapter 3, "higher privilege software must ensure that
	 * it only uses 32 bit data"). */
	uint32_t type = (uint32_t)a[0], reason = (uint32_t)a[1];
	/*
	 * Reserved types (3..0xEFFFFFFF) and reasons (2..0xDFFFFFFF) are invalid, and so are
	 * vendor/platform types (0xF0000000..): none is implemented here, and v3.0 says
	 * "platform-specific and unimplemented" is INVALID_PARAM too. SBI-implementation and
	 * vendor reasons (0xE0000000..) are accepted: the reason is informational only.
	 */
	if (type > SBI_SRST_WARM_REBOOT || (reason > 1 && reason < 0xE0000000U)) {
		r->error = SBI_ERR_INVALID_PARAM;
		return;
	}
	const char *why;
	if (type == SBI_SRST_SHUTDOWN)
		why = reason == 1 ? "guest shutdown (reason: system failure)" : "guest shutdown";
	else
		why = reason == 1 ? "guest reboot (reason: system failure)" : "guest reboot";
	enum vm_action act = type == SBI_SRST_SHUTDOWN ? VM_ACTION_STOP : VM_ACTION_RESET;
	/* A shutdown because of a system failure (a guest panic) is a crash: the VM keeps its
	 * RAM and registers for a dump (docs/debugging.md "Crash dumps"). */
	if (type == SBI_SRST_SHUTDOWN && reason == 1)
		act = VM_ACTION_CRASH;
	vm_request(v->vm, act, why);
	r->no_return = true;
}
